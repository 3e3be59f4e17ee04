"""The test suite (pytest): run from the project root with `make test`."""
