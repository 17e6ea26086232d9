"""Command-line interface of ``regression_suite``."""
