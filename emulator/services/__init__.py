"""One module per emulated AWS service, all of the same shape (see CONTRIBUTING.md)."""
