"""The vault core: no Textual import, ever (tests/unit/test_import_hygiene.py checks)."""
