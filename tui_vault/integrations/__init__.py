"""External vault providers. Each module imports its SDK lazily, inside functions."""
