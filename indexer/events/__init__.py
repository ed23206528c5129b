"""Event assignment: which real-world happening an article reports (pure functions)."""
