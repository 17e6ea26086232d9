"""Command-line interfaces (click). One module per command group."""
