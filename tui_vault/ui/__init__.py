"""The Textual UI. Workers call the core; typed messages bring results back."""
