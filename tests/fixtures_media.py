"""Session-scoped generated media (owned by the probe work)."""
