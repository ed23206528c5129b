"""The story resource: threads of events."""
