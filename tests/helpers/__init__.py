"""Test helpers shared across test packages (importable as `helpers` from the tests directory)."""
