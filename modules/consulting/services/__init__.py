"""The only writers of the module's data: typed, keyword-only functions."""
