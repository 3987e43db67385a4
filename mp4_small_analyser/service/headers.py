"""HTTP header names the service and its clients share (one source each)."""

API_KEY_HEADER = "x-api-key"
"""The API key of submissions, re-deliveries and test endpoints (setting API_KEY)."""
