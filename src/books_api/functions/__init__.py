"""Lambda entry points. Thin: event -> core -> response."""
