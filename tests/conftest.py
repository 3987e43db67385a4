"""Fixtures live in topic modules; this file only registers them."""

pytest_plugins = [
    "tests.fixtures_media",
    "tests.fixtures_http",
    "tests.fixtures_service",
    "tests.fixtures_aws",
]
