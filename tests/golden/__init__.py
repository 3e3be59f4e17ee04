"""Golden outputs of a few runs, kept to catch unintended changes of results (see README.md)."""
