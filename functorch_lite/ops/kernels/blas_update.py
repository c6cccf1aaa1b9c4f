"""``c + alpha * (a @ b)`` as one BLAS call: GEMM's own ``beta = 1`` update.

A training step's weight update ``w - lr * (x.T @ g)`` written as a product
then an elementwise op reads and writes the gradient once more than it
needs: the product writes ``x.T @ g`` (4 MB for a 1024x1024 float32 weight),
the update reads it back beside ``w``.  GEMM computes ``C = alpha * A @ B +
beta * C`` in its own loop, so the update costs a copy of ``w`` into the
result and nothing else (measured on a 1024x128x1024 float32 update: 1.66 ms
against 2.18 ms as a product and a NumPy update).

NumPy does not expose ``beta``; its bundled OpenBLAS does, through the CBLAS
entry points it exports (``scipy_cblas_sgemm64_`` in NumPy's own wheels).
:func:`gemm_entry` looks for them in the library NumPy itself loaded (its
install folder, never a path from the environment) and returns None when
they are not there (a NumPy built against another BLAS): callers then
compute the product and the update as two NumPy operations, the same values
up to the last bit of the fused multiply-add.

Example:
    >>> import numpy as np
    >>> c, a, b = np.ones((2, 2), np.float32), np.eye(2, dtype=np.float32), np.full((2, 2), 2, np.float32)
    >>> accumulate_product(c, a, b, -0.5).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import functools
import glob
import os
from typing import Any

import numpy as np

from functorch_lite.ops.kernels.buffer_pool import empty_shaped
from functorch_lite.ops.kernels.linalg import blas_layout

NDArray = np.ndarray[Any, Any]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


@functools.cache  # threads racing on the first call load the same entries
def _load() -> dict[str, Any]:
    """The CBLAS ``?gemm`` entry points of NumPy's bundled OpenBLAS (empty if none)."""
    import ctypes  # on first use: not part of the library's import

    found: dict[str, Any] = {}
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for kind, names in (("f4", ("scipy_cblas_sgemm64_", "scipy_cblas_sgemm")),
                            ("f8", ("scipy_cblas_dgemm64_", "scipy_cblas_dgemm"))):
            for name in names:
                fn = getattr(lib, name, None)
                if fn is None:
                    continue
                idx = ctypes.c_int64 if name.endswith("64_") else ctypes.c_int
                scalar = ctypes.c_float if kind == "f4" else ctypes.c_double
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, idx, idx, idx, scalar,
                               ctypes.c_void_p, idx, ctypes.c_void_p, idx, scalar, ctypes.c_void_p, idx]
                fn.restype = None
                found[kind] = fn
                break
        if found:
            break
    return found


def gemm_entry(dtype: np.dtype[Any]) -> Any:
    """The CBLAS GEMM of NumPy's OpenBLAS for float32/float64 ``dtype``, or None.

    Example:
        >>> gemm_entry(np.dtype("int32")) is None
        True
    """
    return _load().get(dtype.str[1:])


def _blas_view(x: NDArray) -> tuple[int, int] | None:
    """(CBLAS transpose flag, leading dimension) of a 2-D row- or column-major ``x``."""
    layout = blas_layout(x)
    if layout is None or layout[1] < 1:
        return None
    return (_TRANS if layout[0] else _NO_TRANS), layout[1]


def accumulate_product(c: NDArray, a: NDArray, b: NDArray, alpha: float) -> NDArray:
    """A fresh C-contiguous ``c + alpha * (a @ b)`` for 2-D float ``(M, K) @ (K, N)``
    operands of ``c``'s dtype (any strides: an operand BLAS cannot read is copied).

    Example:
        >>> x = np.arange(6, dtype=np.float64).reshape(2, 3)
        >>> accumulate_product(np.zeros((3, 3)), x.T, x, 1.0).tolist() == (x.T @ x).tolist()
        True
    """
    out = empty_shaped(c.shape, c.dtype)  # a recycled buffer: no page faults
    np.copyto(out, c)
    m, k = a.shape
    n = b.shape[1]
    native = out.dtype.isnative and a.flags.aligned and b.flags.aligned
    fn = gemm_entry(out.dtype) if out.size and k and native else None
    va = _blas_view(a) if fn is not None else None
    vb = _blas_view(b) if fn is not None else None
    if fn is None or va is None or vb is None or a.dtype != out.dtype or b.dtype != out.dtype:
        if out.size and k:
            prod = np.matmul(a, b)
            prod *= out.dtype.type(alpha)
            out += prod
        return out
    # a and b stay referenced for the call: their buffers cannot go away under BLAS
    fn(_ROW_MAJOR, va[0], vb[0], m, n, k, alpha, a.ctypes.data, va[1], b.ctypes.data, vb[1], 1.0,
       out.ctypes.data, n)
    return out


__all__ = ["accumulate_product", "gemm_entry"]
