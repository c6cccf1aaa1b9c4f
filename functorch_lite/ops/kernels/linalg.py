"""Contraction kernels behind ``dot_general``.

Every contraction is brought to the canonical form ``(batch..., M, K) @
(batch..., K, N)`` by *views*: the operand axes are permuted into
``batch, free, contracting`` (lhs) and ``batch, contracting, free`` (rhs),
and each group of free / contracting axes is merged into one axis with a
reshape, which NumPy does without a copy whenever the strides allow it (the
order of the contracting pairs is chosen so that it usually does).

- float32/float64 go to ``np.matmul``, i.e. OpenBLAS GEMM/GEMV, which is at
  the hardware limit here (1024x1024 float32: within 1-5 % of calling NumPy
  directly, contiguous or transposed operands).  ``np.matmul`` calls BLAS directly on row-major *or* transposed
  (column-major) 2-D operands and on any batch strides, so ``x.T @ y``
  costs no copy.  An operand whose two core axes are neither (a stepped
  slice, a stride-0 broadcast row) is packed into a contiguous buffer first:
  an O(M*K) copy next to O(M*N*K) work, and the packing step BLAS itself does
  internally; stride-0 batch axes stay broadcast (not materialised).
- integer dtypes run a Numba loop in i-k-j order, blocked over k so that the
  panel of rhs rows stays in cache; products and sums are integer arithmetic
  (int8/uint8/int16 in int32, then wrapped back: identical modulo 2**bits),
  so results are exact and wrap on overflow exactly as NumPy's and JAX's
  integer matmul do: no float round-trip.  ``np.matmul`` on integers is a
  naive loop, measured 7-25x slower than this one here (256-512 squared).
- bool is an OR of ANDs on the uint8 bytes, with the same loop.

Example:
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.int32).reshape(2, 3)
    >>> dot_general(a, a, (1,), (1,), (), (), np.dtype("int32")).tolist()
    [[5, 14], [14, 50]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from functorch_lite.ops.kernels._njit import njit_cached

NDArray = np.ndarray[Any, Any]

# about 256 KiB of rhs rows per k-block of the integer loop (an L2-sized panel)
_PANEL_BYTES = 1 << 18


@njit_cached()
def _int_matmul(a: Any, b: Any, out: Any, kblock: int) -> None:  # pragma: no cover - compiled
    """out[p] += a[p] @ b[p] for C-contiguous (B,M,K), (B,K,N), (B,M,N)."""
    nb, m, kk = a.shape
    n = b.shape[2]
    for p in range(nb):
        for k0 in range(0, kk, kblock):
            k1 = min(k0 + kblock, kk)
            for i in range(m):
                for k in range(k0, k1):
                    aik = a[p, i, k]
                    for j in range(n):
                        out[p, i, j] += aik * b[p, k, j]


@njit_cached()
def _bool_matmul(a: Any, b: Any, out: Any, kblock: int) -> None:  # pragma: no cover - compiled
    """out[p] |= a[p] @ b[p] over the uint8 bytes (0/1) of boolean arrays."""
    nb, m, kk = a.shape
    n = b.shape[2]
    for p in range(nb):
        for k0 in range(0, kk, kblock):
            k1 = min(k0 + kblock, kk)
            for i in range(m):
                for k in range(k0, k1):
                    aik = a[p, i, k]
                    for j in range(n):
                        out[p, i, j] |= aik & b[p, k, j]


def _prod(xs: Any) -> int:
    n = 1
    for d in xs:
        n *= int(d)
    return n


def _merges(x: NDArray, axes: list[int]) -> bool:
    """Whether ``axes`` of ``x`` (in this order) merge into one axis without a copy."""
    prev = None
    for ax in axes:
        if x.shape[ax] == 1:
            continue
        if prev is not None and x.strides[prev] != x.strides[ax] * x.shape[ax]:
            return False
        prev = ax
    return True


def _contract_order(lhs: NDArray, rhs: NDArray, lc: tuple[int, ...], rc: tuple[int, ...]) -> list[tuple[int, int]]:
    """An order of the contracting pairs that merges both operands as views if possible."""
    pairs = list(zip(lc, rc))
    if len(pairs) < 2:
        return pairs
    by_l = sorted(pairs, key=lambda p: -abs(lhs.strides[p[0]]))
    by_r = sorted(pairs, key=lambda p: -abs(rhs.strides[p[1]]))
    for cand in (pairs, by_l, by_r):
        if _merges(lhs, [p[0] for p in cand]) and _merges(rhs, [p[1] for p in cand]):
            return cand
    # one operand will be copied: keep the bigger one a view
    return by_l if lhs.size >= rhs.size else by_r


def _fix_unit_strides(x: NDArray) -> NDArray:
    """Give size-1 core axes the stride BLAS expects (their stride is never used,
    but a stride-0 size-1 axis would make NumPy think the operand is not BLAS-able)."""
    r, c = x.shape[-2], x.shape[-1]
    s = list(x.strides)
    isz = x.itemsize
    changed = False
    if c == 1 and s[-1] != isz:
        s[-1] = isz
        changed = True
    if r == 1:
        # row-major if the row is unit-stride, else column-major
        want = max(c, 1) * isz if s[-1] == isz else isz
        if s[-2] != want:
            s[-2] = want
            changed = True
    if not changed:
        return x
    return as_strided(x, x.shape, tuple(s), writeable=False)


def blas_ready(x: NDArray) -> bool:
    """Whether ``np.matmul`` hands the 2-D ``x`` to BLAS as it is: no size-1 or
    empty axis (whose strides NumPy may judge oddly) and a row- or column-major layout.

    Example:
        >>> blas_ready(np.ones((3, 4), np.float32)), blas_ready(np.ones((3, 4), np.float32)[:, ::2])
        (True, False)
    """
    return x.shape[0] > 1 and x.shape[1] > 1 and _blasable(x)


def _blasable(x: NDArray) -> bool:
    """NumPy's test for handing a 2-D core straight to BLAS (row- or column-major)."""
    return blas_layout(x) is not None


def blas_layout(x: NDArray) -> tuple[bool, int] | None:
    """How BLAS reads the 2-D core of ``x`` as it is: (transposed, leading
    dimension in elements) for a row-major (False) or column-major (True)
    layout, None for any other.

    Example:
        >>> x = np.ones((3, 4), np.float32)
        >>> blas_layout(x), blas_layout(x.T), blas_layout(x[:, ::2])
        ((False, 4), (True, 4), None)
    """
    r, c = x.shape[-2], x.shape[-1]
    s0, s1 = x.strides[-2], x.strides[-1]
    isz = x.itemsize
    if s1 == isz and s0 % isz == 0 and s0 // isz >= c:
        return False, s0 // isz
    if s0 == isz and s1 % isz == 0 and s1 // isz >= r:
        return True, s1 // isz
    return None


def _pack(x: NDArray) -> NDArray:
    """Contiguous copy of the core axes; stride-0 batch axes stay broadcast."""
    lead = x.shape[:-2]
    idx = tuple(slice(0, 1) if (s == 0 and d > 1) else slice(None) for s, d in zip(x.strides[:-2], lead))
    core = np.ascontiguousarray(x[idx])
    if core.shape == x.shape:
        return core
    return np.broadcast_to(core, x.shape)


def _blas_operand(x: NDArray) -> NDArray:
    if x.size == 0:
        return x
    x = _fix_unit_strides(x)
    return x if _blasable(x) else _pack(x)


def dot_general(
    lhs: NDArray, rhs: NDArray, lc: tuple[int, ...], rc: tuple[int, ...],
    lb: tuple[int, ...], rb: tuple[int, ...], out_dtype: np.dtype[Any],
) -> NDArray:
    """Contract ``lhs`` and ``rhs`` (validated by the primitive); output
    ``batch + lhs free + rhs free``, a fresh array of ``out_dtype``."""
    if lhs.dtype != out_dtype:  # preferred_element_type: compute in the result dtype
        lhs = lhs.astype(out_dtype)
        rhs = rhs.astype(out_dtype)
    if lb and _prod(lhs.shape[i] for i in lc) == 1 and out_dtype.kind != "b":
        # nothing (or one element) to sum over: a broadcast multiply beats a batch of
        # tiny GEMMs by far (per-example gradients are outer products like this)
        return _outer_product(lhs, rhs, lc, rc, lb, rb)
    if out_dtype.kind == "f":
        # OpenBLAS GEMM (GEMV/DOT for vector shapes): the hardware limit here
        a, b, out_shape = blas_operands(lhs, rhs, lc, rc, lb, rb)
        out: NDArray = np.matmul(a, b)
        return out if out_shape is None else out.reshape(out_shape)
    a, b, shape = canonical_operands(lhs, rhs, lc, rc, lb, rb)
    return _int_dot(a, b).reshape(shape)


#: outer products with fewer output elements than this use NumPy's broadcast multiply
#: (no Numba start-up for small ones); larger float ones run ``_outer_kernel``
OUTER_NUMPY_BELOW = 1 << 16


@njit_cached()
def _outer_kernel(a: Any, b: Any, out: Any) -> None:  # pragma: no cover - compiled
    """out[p, i, j] = a[p, i] * b[p, j] for C-contiguous (B,M), (B,N), (B,M,N)."""
    for p in range(a.shape[0]):
        for i in range(a.shape[1]):
            s = a[p, i]
            for j in range(b.shape[1]):
                out[p, i, j] = s * b[p, j]


def _outer_product(
    lhs: NDArray, rhs: NDArray, lc: tuple[int, ...], rc: tuple[int, ...],
    lb: tuple[int, ...], rb: tuple[int, ...],
) -> NDArray:
    lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    batch = tuple(lhs.shape[i] for i in lb)
    lshape = tuple(lhs.shape[i] for i in lfree)
    rshape = tuple(rhs.shape[i] for i in rfree)
    nb, m, n = _prod(batch), _prod(lshape), _prod(rshape)
    if nb * m * n >= OUTER_NUMPY_BELOW and lhs.dtype.kind == "f" and lhs.dtype.itemsize >= 4:
        # A stride-0 inner operand keeps NumPy's broadcast multiply off its SIMD loops
        # (a per-example (32,256)x(32,784) gradient: 3.0 ms, einsum 1.4 ms, this 0.6 ms).
        # The operands are small next to the output, so packing them costs little.
        a2 = np.ascontiguousarray(lhs.transpose(list(lb) + lfree + list(lc)).reshape(nb, m))
        b2 = np.ascontiguousarray(rhs.transpose(list(rb) + rfree + list(rc)).reshape(nb, n))
        res = np.empty((nb, m, n), lhs.dtype)
        _outer_kernel(a2, b2, res)
        return res.reshape(batch + lshape + rshape)
    # lhs -> (batch, lfree, 1...), rhs -> (batch, 1..., rfree); contracted size-1 axes dropped
    a = lhs.transpose(list(lb) + lfree + list(lc)).reshape(batch + lshape + (1,) * len(rfree))
    b = rhs.transpose(list(rb) + rfree + list(rc)).reshape(
        tuple(rhs.shape[i] for i in rb) + (1,) * len(lfree) + rshape)
    out: NDArray = np.multiply(a, b)
    return out


def blas_operands(
    lhs: NDArray, rhs: NDArray, lc: tuple[int, ...], rc: tuple[int, ...],
    lb: tuple[int, ...], rb: tuple[int, ...],
) -> tuple[NDArray, NDArray, tuple[int, ...] | None]:
    """The two arrays the float path hands to ``np.matmul`` (views of the operands
    unless a copy is unavoidable) and the output shape (None: as ``np.matmul`` gives it).

    Example:
        >>> x = np.ones((3, 4), np.float32)
        >>> a, b, _ = blas_operands(x, x, (0,), (0,), (), ())   # x.T @ x
        >>> np.shares_memory(a, x) and np.shares_memory(b, x)
        True
    """
    if lhs.ndim == 2 and rhs.ndim == 2 and len(lc) == 1 and not lb:
        # plain matrix product (the common case): no reshapes, transposes stay views
        a = lhs if lc[0] == 1 else lhs.T
        b = rhs if rc[0] == 0 else rhs.T
        return _blas_operand(a), _blas_operand(b), None
    a, b, shape = canonical_operands(lhs, rhs, lc, rc, lb, rb)
    return _blas_operand(a), _blas_operand(b), shape


def canonical_operands(
    lhs: NDArray, rhs: NDArray, lc: tuple[int, ...], rc: tuple[int, ...],
    lb: tuple[int, ...], rb: tuple[int, ...],
) -> tuple[NDArray, NDArray, tuple[int, ...]]:
    """``lhs``/``rhs`` as ``(batch..., M, K)`` / ``(batch..., K, N)`` (views whenever the
    strides allow) and the output shape ``batch + lhs free + rhs free``."""
    lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    pairs = _contract_order(lhs, rhs, lc, rc)
    lcs = [p[0] for p in pairs]
    rcs = [p[1] for p in pairs]
    lshape, rshape = lhs.shape, rhs.shape
    batch = tuple(lshape[i] for i in lb)
    lfree_shape = tuple(lshape[i] for i in lfree)
    rfree_shape = tuple(rshape[i] for i in rfree)
    m, n, kk = _prod(lfree_shape), _prod(rfree_shape), _prod(lshape[i] for i in lcs)
    return (
        _arrange(lhs, list(lb) + lfree + lcs, batch + (m, kk)),
        _arrange(rhs, list(rb) + rcs + rfree, batch + (kk, n)),
        batch + lfree_shape + rfree_shape,
    )


def _arrange(x: NDArray, perm: list[int], shape: tuple[int, ...]) -> NDArray:
    """``x`` permuted then reshaped (a view when the strides allow, else a copy)."""
    if perm != list(range(x.ndim)):
        x = x.transpose(perm)
    if x.shape != shape:
        x = x.reshape(shape)
    return x


INT_NUMPY_BELOW = 1 << 15


def _int_dot(a: NDArray, b: NDArray) -> NDArray:
    batch = a.shape[:-2]
    m, kk, n = a.shape[-2], a.shape[-1], b.shape[-1]
    nb = _prod(batch)
    dt = a.dtype
    if nb * m * n == 0 or kk == 0:
        return np.zeros(batch + (m, n), dt)
    if nb * m * n * kk < INT_NUMPY_BELOW:
        # tiny products: NumPy's exact integer matmul (wrapping like the kernel) costs
        # microseconds, less than Numba's dispatch and its one-time start-up
        out: NDArray = np.matmul(a, b)
        return out
    # int8/uint8/int16 compute in int32 and wrap back on the way out: integer arithmetic
    # is exact modulo 2**bits, so the result is identical, with one compiled variant
    # (int32) instead of four.
    work = np.dtype(np.int32) if dt.kind in "iu" and dt.itemsize < 4 else dt
    # pack into C-contiguous (B, M, K) / (B, K, N): one compiled variant per dtype, and
    # the inner loop runs along contiguous rows of b and out (GEMM's packing step)
    a3 = np.ascontiguousarray(a.reshape((nb, m, kk)), dtype=work)
    b3 = np.ascontiguousarray(b.reshape((nb, kk, n)), dtype=work)
    out = np.zeros((nb, m, n), work)
    kblock = max(1, _PANEL_BYTES // max(1, n * b3.itemsize))
    if dt.kind == "b":
        _bool_matmul(a3.view(np.uint8), b3.view(np.uint8), out.view(np.uint8), kblock)
    else:
        _int_matmul(a3, b3, out, kblock)
    if work != dt:
        out = out.astype(dt)  # wraps modulo 2**bits, exactly as the narrow arithmetic would
    return out.reshape(batch + (m, n))
