"""The kernels' NumPy fallbacks, chosen on purpose.

Some kernels hand inputs below a size threshold to NumPy, where a Numba
dispatch would cost more than the work: cumulative scans, gather and
scatter-with-combine, integer matmul and batched outer products.  The suite
runs with the library's thresholds; a test that cares about one path says so:
``with kernel_path("numba")`` sends every size through the Numba kernels,
``kernel_path("numpy")`` every size through the NumPy fallbacks, and the
``kernel_path`` fixture of tests/conftest.py runs a test once per path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from functorch_lite.ops.kernels import cumulative, indexing, linalg

# (module, attribute) of every size threshold below which a kernel calls NumPy
THRESHOLDS = ((cumulative, "NUMPY_BELOW"), (indexing, "NUMPY_BELOW"), (linalg, "INT_NUMPY_BELOW"),
              (linalg, "OUTER_NUMPY_BELOW"))
# the primitives whose implementation has such a NumPy path
PRIMITIVES = frozenset({"cumsum", "cumprod", "cummax", "cummin", "gather", "scatter", "dot_general"})
KERNEL_PATHS = ("numba", "numpy")


@contextlib.contextmanager
def kernel_path(path: str) -> Iterator[None]:
    """Route every input size to one path: ``"numba"`` (thresholds 0) or
    ``"numpy"`` (thresholds beyond any test's size); restored on exit."""
    if path not in KERNEL_PATHS:
        raise ValueError(f"kernel_path: expected one of {KERNEL_PATHS}, got {path!r}")
    saved = [(m, a, getattr(m, a)) for m, a in THRESHOLDS]
    try:
        for m, a, _ in saved:
            setattr(m, a, 0 if path == "numba" else 1 << 62)
        yield
    finally:
        for m, a, v in saved:
            setattr(m, a, v)
