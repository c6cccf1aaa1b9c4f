import os
import tempfile

# CI measures a cold start: every kernel (static and generated) caches in
# FUNCTORCH_LITE_CACHE_DIR, so a fresh directory is a cold kernel cache.
if os.environ.get("CI") and "FUNCTORCH_LITE_CACHE_DIR" not in os.environ:
    os.environ["FUNCTORCH_LITE_CACHE_DIR"] = tempfile.mkdtemp(prefix="functorch_lite_ci_cache_")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# The registry tests draw small arrays; route them through the Numba kernels
# (tests/test_small_paths.py checks the NumPy paths used for tiny inputs).
from functorch_lite.ops.kernels import cumulative as _kcum  # noqa: E402
from functorch_lite.ops.kernels import indexing as _kidx  # noqa: E402
from functorch_lite.ops.kernels import linalg as _klin  # noqa: E402

_kcum.NUMPY_BELOW = 0
_kidx.NUMPY_BELOW = 0
_klin.INT_NUMPY_BELOW = 0
_klin.OUTER_NUMPY_BELOW = 0


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--fuzz-long", action="store_true", default=False,
        help="run the differential fuzzer (tests/test_fuzz.py) with 2000 random examples per mode",
    )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # tests/test_fuzz.py reads its budget at import, which comes after this hook.
    if config.getoption("--fuzz-long", default=False):
        os.environ.setdefault("FUNCTORCH_LITE_FUZZ_EXAMPLES", "2000")
