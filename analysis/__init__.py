"""Read-only analysis of simulator results: loading run outputs and drawing figures."""
