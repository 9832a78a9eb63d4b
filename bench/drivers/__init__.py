"""Tiny scripts the bench runs in fresh processes (they import nothing from bench)."""
