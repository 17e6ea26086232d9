"""The scenario library: safe YAML I/O, validation, and curation."""
