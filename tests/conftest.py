import os
import tempfile
from collections.abc import Iterator

# CI measures a cold start: every kernel (static and generated) caches in
# FUNCTORCH_LITE_CACHE_DIR, so a fresh directory is a cold kernel cache.
if os.environ.get("CI") and "FUNCTORCH_LITE_CACHE_DIR" not in os.environ:
    os.environ["FUNCTORCH_LITE_CACHE_DIR"] = tempfile.mkdtemp(prefix="functorch_lite_ci_cache_")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests._kernel_paths import KERNEL_PATHS  # noqa: E402
from tests._kernel_paths import kernel_path as _kernel_path  # noqa: E402

settings.register_profile(
    "ci", max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(params=KERNEL_PATHS)
def kernel_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once through the Numba kernels and once through their
    NumPy fallbacks for small inputs (tests/_kernel_paths.py), at any size."""
    with _kernel_path(request.param):
        yield request.param


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--fuzz-long", action="store_true", default=False,
        help="run the differential fuzzer (tests/test_fuzz.py) with 2000 random examples per mode",
    )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # tests/test_fuzz.py reads its budget at import, which comes after this hook.
    if config.getoption("--fuzz-long", default=False):
        os.environ.setdefault("FUNCTORCH_LITE_FUZZ_EXAMPLES", "2000")
