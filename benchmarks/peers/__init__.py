"""Other ways to search the same items, measured on the same queries: the ratios' denominators."""
