"""Loopback HTTP servers for tests (owned by the byte-source work)."""
