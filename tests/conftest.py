"""Fixtures live in topic modules; this file registers them and sets up the test process."""

import numpy  # noqa: F401  (loaded first, so the BLAS limit below finds its library)
from threadpoolctl import ThreadpoolController

pytest_plugins = [
    "tests.fixtures_media",
    "tests.fixtures_http",
    "tests.fixtures_service",
    "tests.fixtures_aws",
    "tests.fixtures_browser",
]

# Tests call meters directly, outside `run_task`, which holds every analysis to one BLAS
# thread; the test process gets the same limit, or spinning BLAS threads on shared cores
# make the meters several times slower than in the product.
ThreadpoolController().limit(limits=1, user_api="blas")
