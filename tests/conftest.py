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


# The functional tests compare against NumPy in float64 (and check gradients by
# finite differences in float64), so they run in 64-bit mode; tests of the
# 32-bit default use ``enable_x64(False)`` (tests/test_x64.py).  The PyTorch-style
# layer keeps PyTorch's dtype rules in either mode: its dtype and semantics
# tests take the ``x64_off`` fixture (the default users meet).
from functorch_lite import dtypes as _dtypes  # noqa: E402

_dtypes.set_x64(True)  # for module-level test data made at collection


def pytest_collection_finish(session):  # type: ignore[no-untyped-def]
    _dtypes.set_x64(False)  # doctests run in the default mode; tests/ turn it on (below)


@pytest.fixture(autouse=True)
def _x64_on() -> Iterator[None]:
    """64-bit mode for the tests under tests/ (doctests run in the default mode)."""
    _dtypes.set_x64(True)
    try:
        yield
    finally:
        _dtypes.set_x64(False)


@pytest.fixture
def x64_off() -> Iterator[None]:
    """Run the test with 64-bit mode off (process-wide), the library's default."""
    _dtypes.set_x64(False)
    yield  # the autouse fixture above restores the process-wide default


def _jax_in_mode(x64: bool) -> Iterator[object]:
    """JAX (skipped when absent) with its 64-bit flag set to ``x64``, restored afterwards:
    compare modules set the flag differently, so each test that cares sets its own."""
    jax = pytest.importorskip("jax")
    saved = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", x64)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", saved)


@pytest.fixture
def jax64() -> Iterator[object]:
    """JAX in 64-bit mode for one test."""
    yield from _jax_in_mode(True)


@pytest.fixture
def jax32() -> Iterator[object]:
    """JAX in its default 32-bit mode for one test."""
    yield from _jax_in_mode(False)
