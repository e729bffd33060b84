"""Where books live: the `BookStore` port and its adapters."""
