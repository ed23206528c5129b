"""Packaged reference data (organizations.json), read with importlib.resources."""
