"""Domain rules of the Books API: no AWS SDK, no transport."""
