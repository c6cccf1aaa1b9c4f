"""Vectorisable transcendentals for generated (fused) kernels.

Numba here has no SVML, so ``np.exp``/``np.tanh`` inside a loop are scalar
libm calls that stop LLVM from vectorising the loop (a fused tanh chain ran
~4.8x slower than NumPy that way).  The functions below are plain
arithmetic -- polynomials, rational functions, compares/selects and integer
bit tricks on the IEEE representation -- with no branches that depend on
data, so a loop that calls them (they are inlined into the caller) becomes
AVX/AVX-512 code.

Accuracy (measured by tests/transforms/test_fusion.py against a float64/NumPy
reference, over wide ranges including +-0, +-inf, nan, denormals and
huge values): a few ulp at most; special values follow IEEE/NumPy
(``exp(-inf) = 0``, ``log(0) = -inf``, ``log(-1) = nan``, ``tanh(+-inf) =
+-1``, nan in gives nan out).

Algorithms (Cephes / fdlibm, made branch-free):

- ``exp``: ``n = round(x * log2(e))`` (the 1.5 * 2**23 / 1.5 * 2**52 magic
  addition rounds to nearest), ``r = x - n*C1 - n*C2`` (Cody-Waite split of
  ln 2), a degree-6 polynomial (float32) or a (2,3) rational (float64) for
  ``e**r``, and ``2**n`` built from its exponent bits with an integer shift
  and a bitcast; ``2**n`` is applied as two factors so results in the
  denormal range round once, correctly.
- ``log``: exponent/mantissa split through the bit pattern (denormals are
  pre-scaled by 2**25 / 2**54), the mantissa moved to [sqrt(1/2), sqrt(2)),
  and Cephes' polynomial (float32) or fdlibm's ``s = f/(2+f)`` series
  (float64).  ``log2``/``log10`` reuse the split so powers of two are exact.
- ``tanh``: an odd polynomial (float32) / rational (float64) for
  ``|x| < 0.625``, ``1 - 2/(exp(2|x|) + 1)`` above, selected per element.

These are compiled with the caller's flags: never call them from code
compiled with ``fastmath`` reassociation (it would undo the Cody-Waite
split).

Example:
    >>> import numpy as np
    >>> from numba import njit
    >>> from functorch_lite.ops.kernels import fastmath as fm
    >>> @njit
    ... def f(x):
    ...     return fm.exp_f64(x)
    >>> abs(f(1.0) - np.e) < 1e-15
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit_cached, on_numba_init

# Numba and llvmlite are imported on first kernel use (see ``_njit``); the
# bitcast intrinsics and the chunk-reducer overloads are registered then, by
# ``_register``, before anything that calls them compiles.  It also sets
# these two, which the typing and code-generation functions below use:
types: Any = None  # numba.types
ir: Any = None  # llvmlite.ir

# --- bitcasts (LLVM ``bitcast``, one instruction, vectorisable) -----------------------


def _numba_only(name: str) -> Any:
    def unavailable(*args: Any) -> Any:
        raise NotImplementedError(f"fastmath.{name} is called from Numba-compiled code only")

    unavailable.__name__ = name
    return unavailable



def _int_to(builder: Any, v: Any, frm: Any, bits: int) -> Any:
    if frm.bitwidth > bits:
        return builder.trunc(v, ir.IntType(bits))
    if frm.bitwidth < bits:
        return builder.sext(v, ir.IntType(bits)) if frm.signed else builder.zext(v, ir.IntType(bits))
    return v


def _bits_to_f32(typingctx: Any, x: Any) -> Any:
    """Reinterpret the low 32 bits of an integer as a float32."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(_int_to(builder, args[0], x, 32), ir.FloatType())

    return types.float32(x), codegen


bits_to_f32: Any = _numba_only("bits_to_f32")  # the intrinsic, once Numba is loaded


def _f32_to_bits(typingctx: Any, x: Any) -> Any:
    """The IEEE bit pattern of a float32, as an int32."""
    if x != types.float32:
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(x), codegen


f32_to_bits: Any = _numba_only("f32_to_bits")  # the intrinsic, once Numba is loaded


def _bits_to_f64(typingctx: Any, x: Any) -> Any:
    """Reinterpret a 64-bit integer as a float64."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(_int_to(builder, args[0], x, 64), ir.DoubleType())

    return types.float64(x), codegen


bits_to_f64: Any = _numba_only("bits_to_f64")  # the intrinsic, once Numba is loaded


def _f64_to_bits(typingctx: Any, x: Any) -> Any:
    """The IEEE bit pattern of a float64, as an int64."""
    if x != types.float64:
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


f64_to_bits: Any = _numba_only("f64_to_bits")  # the intrinsic, once Numba is loaded


# --- constants (typed: a bare Python float would promote float32 math to float64) --------

_F = np.float32
_ZERO_F = _F(0.0)
_ONE_F = _F(1.0)
_TWO_F = _F(2.0)
_HALF_F = _F(0.5)
_INF_F = _F(np.inf)
_NAN_F = _F(np.nan)
_LOG2E_F = _F(1.44269504088896341)
_MAGIC_F = _F(12582912.0)  # 1.5 * 2**23: x + M - M rounds x to an integer (|x| < 2**22)
_EXP_HI_F = _F(89.0)
_EXP_LO_F = _F(-104.0)
_C1_F = _F(0.693359375)
_C2_F = _F(-2.12194440e-4)
_EP0 = _F(1.9875691500e-4)
_EP1 = _F(1.3981999507e-3)
_EP2 = _F(8.3334519073e-3)
_EP3 = _F(4.1665795894e-2)
_EP4 = _F(1.6666665459e-1)
_EP5 = _F(5.0000001201e-1)
_LN2_F = _F(0.6931471805599453)

_LP0 = _F(7.0376836292e-2)
_LP1 = _F(-1.1514610310e-1)
_LP2 = _F(1.1676998740e-1)
_LP3 = _F(-1.2420140846e-1)
_LP4 = _F(1.4249322787e-1)
_LP5 = _F(-1.6668057665e-1)
_LP6 = _F(2.0000714765e-1)
_LP7 = _F(-2.4999993993e-1)
_LP8 = _F(3.3333331174e-1)
_SQRTH_F = _F(0.70710678118654752440)
_MIN_NORMAL_F = _F(1.17549435e-38)
_TWO25_F = _F(33554432.0)
_LOG10_2_F = _F(0.30102999566398119521)
_LOG10E_F = _F(0.43429448190325182765)

_TP0 = _F(-5.70498872745e-3)
_TP1 = _F(2.06390887954e-2)
_TP2 = _F(-5.37397155531e-2)
_TP3 = _F(1.33314422036e-1)
_TP4 = _F(-3.33332819422e-1)
_T_SMALL_F = _F(0.625)
_T_CLAMP_F = _F(10.0)  # tanh(x) rounds to 1 in float32 from about 9.01 on

_D = np.float64
_INF_D = _D(np.inf)
_NAN_D = _D(np.nan)
_LOG2E_D = 1.4426950408889634074
_MAGIC_D = 6755399441055744.0  # 1.5 * 2**52
_EXP_HI_D = 710.0
_EXP_LO_D = -746.0
_C1_D = 6.93145751953125e-1
_C2_D = 1.42860682030941723212e-6
_EXP_P0 = 1.26177193074810590878e-4
_EXP_P1 = 3.02994407707441961300e-2
_EXP_P2 = 9.99999999999999999910e-1
_EXP_Q0 = 3.00198505138664455042e-6
_EXP_Q1 = 2.52448340349684104192e-3
_EXP_Q2 = 2.27265548208155028766e-1
_EXP_Q3 = 2.00000000000000000009e0

_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_LN2_HI_D = 6.93147180369123816490e-01
_LN2_LO_D = 1.90821492927058770002e-10
_SQRT2_D = 1.41421356237309504880
_MIN_NORMAL_D = 2.2250738585072014e-308
_TWO54_D = 18014398509481984.0
_LOG2E_HI_D = 1.4426950408889634074
_LOG10_2_HI_D = 0.30102999566398119521
_LOG10E_D = 0.43429448190325182765

_TH_P0 = -9.64399179425052238628e-1
_TH_P1 = -9.92877231001918586564e1
_TH_P2 = -1.61468768441708447952e3
_TH_Q0 = 1.12811678491632931402e2
_TH_Q1 = 2.23548839060100448583e3
_TH_Q2 = 4.84406305325125486048e3
_T_CLAMP_D = 20.0

# --- exp ----------------------------------------------------------------------------------


@njit_cached(inline="always")
def _pow2_scale_f32(p: Any, n: Any) -> Any:
    # p * 2**n for n in [-150, 128], as two exact-range factors (one rounding)
    n1 = n >> 1
    n2 = n - n1
    return (p * bits_to_f32((n1 + 127) << 23)) * bits_to_f32((n2 + 127) << 23)


@njit_cached(inline="always")
def _pow2_scale_f64(p: Any, n: Any) -> Any:
    n1 = n >> 1
    n2 = n - n1
    return (p * bits_to_f64((n1 + 1023) << 52)) * bits_to_f64((n2 + 1023) << 52)


@njit_cached(inline="always")
def exp_f32(x: Any) -> Any:
    """e**x for float32 (about 1 ulp)."""
    xc = _EXP_LO_F if x < _EXP_LO_F else x
    xc = _EXP_HI_F if xc > _EXP_HI_F else xc
    xc = xc if xc == xc else _ZERO_F  # nan: computed on 0, restored below
    z = (xc * _LOG2E_F + _MAGIC_F) - _MAGIC_F
    r = xc - z * _C1_F
    r = r - z * _C2_F
    p = ((((_EP0 * r + _EP1) * r + _EP2) * r + _EP3) * r + _EP4) * r + _EP5
    p = p * (r * r) + r + _ONE_F
    y = _pow2_scale_f32(p, np.int32(z))
    return y if x == x else x


@njit_cached(inline="always")
def _exp_core_f64(xc: Any, z: Any) -> Any:
    r = xc - z * _C1_D
    r = r - z * _C2_D
    rr = r * r
    px = r * ((_EXP_P0 * rr + _EXP_P1) * rr + _EXP_P2)
    q = ((_EXP_Q0 * rr + _EXP_Q1) * rr + _EXP_Q2) * rr + _EXP_Q3
    return 1.0 + 2.0 * (px / (q - px))


@njit_cached(inline="always")
def exp_f64(x: Any) -> Any:
    """e**x for float64 (about 1 ulp)."""
    xc = _EXP_LO_D if x < _EXP_LO_D else x
    xc = _EXP_HI_D if xc > _EXP_HI_D else xc
    xc = xc if xc == xc else 0.0
    z = (xc * _LOG2E_D + _MAGIC_D) - _MAGIC_D
    y = _pow2_scale_f64(_exp_core_f64(xc, z), np.int64(z))
    return y if x == x else x


@njit_cached(inline="always")
def exp2_f32(x: Any) -> Any:
    """2**x for float32."""
    xc = _F(-151.0) if x < _F(-151.0) else x
    xc = _F(129.0) if xc > _F(129.0) else xc
    xc = xc if xc == xc else _ZERO_F
    z = (xc + _MAGIC_F) - _MAGIC_F
    r = (xc - z) * _LN2_F  # xc - z is exact
    p = ((((_EP0 * r + _EP1) * r + _EP2) * r + _EP3) * r + _EP4) * r + _EP5
    p = p * (r * r) + r + _ONE_F
    y = _pow2_scale_f32(p, np.int32(z))
    return y if x == x else x


@njit_cached(inline="always")
def exp2_f64(x: Any) -> Any:
    """2**x for float64."""
    xc = -1076.0 if x < -1076.0 else x
    xc = 1025.0 if xc > 1025.0 else xc
    xc = xc if xc == xc else 0.0
    z = (xc + _MAGIC_D) - _MAGIC_D
    # e**(f*ln2) with f = xc - z exact; reuse the exp core with n = 0
    f = (xc - z) * 0.6931471805599453
    y = _pow2_scale_f64(_exp_core_f64(f, 0.0), np.int64(z))
    return y if x == x else x


# --- log ----------------------------------------------------------------------------------


@njit_cached(inline="always")
def _log_parts_f32(x: Any) -> Any:
    """(e, f, y) with log(x) = e*ln2 + f + y for finite x > 0."""
    tiny = x < _MIN_NORMAL_F
    xs = x * _TWO25_F if tiny else x
    bits = f32_to_bits(xs)
    e = ((bits >> 23) & 0xFF) - 126
    e = e - 25 if tiny else e
    m = bits_to_f32((bits & 0x007FFFFF) | 0x3F000000)  # in [0.5, 1)
    lo = m < _SQRTH_F
    e = e - 1 if lo else e
    f = (m + m - _ONE_F) if lo else (m - _ONE_F)
    z = f * f
    y = ((((((((_LP0 * f + _LP1) * f + _LP2) * f + _LP3) * f + _LP4) * f + _LP5) * f + _LP6) * f
          + _LP7) * f + _LP8) * f * z
    y = y - _HALF_F * z
    return _F(e), f, y


@njit_cached(inline="always")
def _log_special_f32(x: Any, y: Any) -> Any:
    y = -_INF_F if x == _ZERO_F else y
    y = _NAN_F if x < _ZERO_F else y
    y = x if x == _INF_F else y
    return x if x != x else y


@njit_cached(inline="always")
def log_f32(x: Any) -> Any:
    """Natural log for float32 (about 1 ulp)."""
    e, f, y = _log_parts_f32(x)
    r = f + (y + e * _C2_F)
    r = r + e * _C1_F
    return _log_special_f32(x, r)


@njit_cached(inline="always")
def log2_f32(x: Any) -> Any:
    """Base-2 log for float32 (exact on powers of two)."""
    e, f, y = _log_parts_f32(x)
    lm = f + y
    r = lm * _LOG2E_F + e
    return _log_special_f32(x, r)


@njit_cached(inline="always")
def log10_f32(x: Any) -> Any:
    """Base-10 log for float32."""
    e, f, y = _log_parts_f32(x)
    lm = f + y
    r = lm * _LOG10E_F + e * _LOG10_2_F
    return _log_special_f32(x, r)


@njit_cached(inline="always")
def _log_parts_f64(x: Any) -> Any:
    """(k, f, s, R, hfsq) of fdlibm's log for finite x > 0."""
    tiny = x < _MIN_NORMAL_D
    xs = x * _TWO54_D if tiny else x
    bits = f64_to_bits(xs)
    k = ((bits >> 52) & 0x7FF) - 1023
    k = k - 54 if tiny else k
    m = bits_to_f64((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    hi = m > _SQRT2_D
    k = k + 1 if hi else k
    m = m * 0.5 if hi else m
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    rr = t2 + t1
    hfsq = 0.5 * f * f
    return np.float64(k), f, s, rr, hfsq


@njit_cached(inline="always")
def _log_special_f64(x: Any, y: Any) -> Any:
    y = -_INF_D if x == 0.0 else y
    y = _NAN_D if x < 0.0 else y
    y = x if x == _INF_D else y
    return x if x != x else y


@njit_cached(inline="always")
def log_f64(x: Any) -> Any:
    """Natural log for float64 (under 1 ulp)."""
    k, f, s, rr, hfsq = _log_parts_f64(x)
    r = k * _LN2_HI_D - ((hfsq - (s * (hfsq + rr) + k * _LN2_LO_D)) - f)
    return _log_special_f64(x, r)


@njit_cached(inline="always")
def log2_f64(x: Any) -> Any:
    """Base-2 log for float64 (exact on powers of two)."""
    k, f, s, rr, hfsq = _log_parts_f64(x)
    lm = f - (hfsq - s * (hfsq + rr))
    return _log_special_f64(x, lm * _LOG2E_HI_D + k)


@njit_cached(inline="always")
def log10_f64(x: Any) -> Any:
    """Base-10 log for float64."""
    k, f, s, rr, hfsq = _log_parts_f64(x)
    lm = f - (hfsq - s * (hfsq + rr))
    return _log_special_f64(x, lm * _LOG10E_D + k * _LOG10_2_HI_D)


# --- tanh ---------------------------------------------------------------------------------


@njit_cached(inline="always")
def tanh_f32(x: Any) -> Any:
    """Hyperbolic tangent for float32 (a few ulp)."""
    ax = -x if x < _ZERO_F else x
    z = ax * ax
    small = ((((_TP0 * z + _TP1) * z + _TP2) * z + _TP3) * z + _TP4) * z * ax + ax
    a = _T_CLAMP_F if ax > _T_CLAMP_F else ax
    a = a if a == a else _ZERO_F  # nan: computed on 0, restored below
    # exp(2a) for 2a in [0, 20]: exp_f32 without its range and nan handling, and
    # 2**k (k <= 29) in one factor (a third fewer operations than the general exp)
    t = a + a
    k = (t * _LOG2E_F + _MAGIC_F) - _MAGIC_F
    r = t - k * _C1_F
    r = r - k * _C2_F
    p = ((((_EP0 * r + _EP1) * r + _EP2) * r + _EP3) * r + _EP4) * r + _EP5
    p = p * (r * r) + r + _ONE_F
    e = p * bits_to_f32((np.int32(k) + np.int32(127)) << 23)
    big = _ONE_F - _TWO_F / (e + _ONE_F)
    y = np.copysign(small if ax < _T_SMALL_F else big, x)  # odd, -0.0 included
    return y if x == x else x


@njit_cached(inline="always")
def tanh_f64(x: Any) -> Any:
    """Hyperbolic tangent for float64 (a few ulp)."""
    ax = -x if x < 0.0 else x
    z = x * x
    p = (_TH_P0 * z + _TH_P1) * z + _TH_P2
    q = ((z + _TH_Q0) * z + _TH_Q1) * z + _TH_Q2
    small = x + x * z * (p / q)
    a = _T_CLAMP_D if ax > _T_CLAMP_D else ax
    e = exp_f64(a + a)
    big = 1.0 - 2.0 / (e + 1.0)
    big = -big if x < 0.0 else big
    return np.copysign(small if ax < 0.625 else big, x)  # -0.0 keeps its sign


# --- float -> integer conversion with defined results (as XLA: nan -> 0, clamp) ------------


@njit_cached(inline="always")
def clamp_trunc(x: Any, lo: Any, hi: Any) -> Any:
    """trunc(x) clamped to [lo, hi]; nan gives 0 (for float -> int casts)."""
    t = np.trunc(x)
    t = lo if t < lo else t
    t = hi if t > hi else t
    return t if t == t else 0.0


@njit_cached(inline="always")
def logistic_f32(x: Any) -> Any:
    """1 / (1 + e**-x) for float32 (e**-|x| never overflows)."""
    e = exp_f32(x if x < _ZERO_F else -x)
    r = _ONE_F / (_ONE_F + e)
    return e * r if x < _ZERO_F else r


@njit_cached(inline="always")
def logistic_f64(x: Any) -> Any:
    """1 / (1 + e**-x) for float64 (e**-|x| never overflows)."""
    e = exp_f64(x if x < 0.0 else -x)
    r = 1.0 / (1.0 + e)
    return e * r if x < 0.0 else r


# --- chunk reducers -------------------------------------------------------------------------
# A fused reduction buffers up to a chunk of computed values and reduces the
# chunk here.  These are separate (not inlined at the Numba level) so that
# their fast-math flags -- reassociation, which lets LLVM vectorise a float
# sum or max -- stay on their own instructions and never reach the
# elementwise code (where reassociation would break exp's Cody-Waite split).
# The pieces of a max/min carry no flags and are inlined into it: one Numba
# compile per dtype instead of four (~0.17 s less of a cold first call each,
# the same machine code).


def sum_chunk(buf: Any, m: Any) -> Any:
    """Sum of ``buf[:m]`` (float64 for floats, int64 for integers); Numba only."""
    raise NotImplementedError("sum_chunk is called from generated Numba kernels only")


def max_chunk(buf: Any, m: Any) -> Any:
    """Max of ``buf[:m]`` (m >= 1), nan-propagating; Numba only."""
    raise NotImplementedError("max_chunk is called from generated Numba kernels only")


def min_chunk(buf: Any, m: Any) -> Any:
    """Min of ``buf[:m]`` (m >= 1), nan-propagating; Numba only."""
    raise NotImplementedError("min_chunk is called from generated Numba kernels only")


@njit_cached(fastmath={"reassoc", "nsz"})
def _sum_float(buf: Any, m: Any) -> Any:
    s = 0.0
    for i in range(m):
        s += buf[i]
    return s


@njit_cached()
def _sum_int(buf: Any, m: Any) -> Any:
    s = 0
    for i in range(m):
        s += buf[i]
    return s


@njit_cached(inline="always")
def _count_nan(buf: Any, m: Any) -> Any:
    n = 0
    for i in range(m):
        n += buf[i] != buf[i]
    return n


@njit_cached(inline="always")
def _first_nan(buf: Any, m: Any) -> Any:
    for i in range(m):
        if buf[i] != buf[i]:
            return buf[i]
    return buf[0]


# Max/min of floats through their ordered integer keys (the sign-magnitude bit
# pattern turned two's complement): an integer max reduction vectorises
# without fast-math flags, which Numba cannot put on the compare/select of a
# float max.  -0.0 orders below +0.0.
@njit_cached(inline="always")
def _key32(v: Any) -> Any:
    k = f32_to_bits(v)
    return k ^ ((k >> 31) & 0x7FFFFFFF)


@njit_cached(inline="always")
def _key64(v: Any) -> Any:
    k = f64_to_bits(v)
    return k ^ ((k >> 63) & 0x7FFFFFFFFFFFFFFF)


@njit_cached(inline="always")
def _max_f32_nonan(buf: Any, m: Any) -> Any:
    r = _key32(buf[0])
    for i in range(1, m):
        k = _key32(buf[i])
        r = k if k > r else r
    return bits_to_f32(r ^ ((r >> 31) & 0x7FFFFFFF))


@njit_cached(inline="always")
def _min_f32_nonan(buf: Any, m: Any) -> Any:
    r = _key32(buf[0])
    for i in range(1, m):
        k = _key32(buf[i])
        r = k if k < r else r
    return bits_to_f32(r ^ ((r >> 31) & 0x7FFFFFFF))


@njit_cached(inline="always")
def _max_f64_nonan(buf: Any, m: Any) -> Any:
    r = _key64(buf[0])
    for i in range(1, m):
        k = _key64(buf[i])
        r = k if k > r else r
    return bits_to_f64(r ^ ((r >> 63) & 0x7FFFFFFFFFFFFFFF))


@njit_cached(inline="always")
def _min_f64_nonan(buf: Any, m: Any) -> Any:
    r = _key64(buf[0])
    for i in range(1, m):
        k = _key64(buf[i])
        r = k if k < r else r
    return bits_to_f64(r ^ ((r >> 63) & 0x7FFFFFFFFFFFFFFF))


@njit_cached()
def _max_f32(buf: Any, m: Any) -> Any:
    return _first_nan(buf, m) if _count_nan(buf, m) > 0 else _max_f32_nonan(buf, m)


@njit_cached()
def _min_f32(buf: Any, m: Any) -> Any:
    return _first_nan(buf, m) if _count_nan(buf, m) > 0 else _min_f32_nonan(buf, m)


@njit_cached()
def _max_f64(buf: Any, m: Any) -> Any:
    return _first_nan(buf, m) if _count_nan(buf, m) > 0 else _max_f64_nonan(buf, m)


@njit_cached()
def _min_f64(buf: Any, m: Any) -> Any:
    return _first_nan(buf, m) if _count_nan(buf, m) > 0 else _min_f64_nonan(buf, m)


@njit_cached()
def _max_other(buf: Any, m: Any) -> Any:
    r = buf[0]
    for i in range(1, m):
        v = buf[i]
        r = v if v > r else r
    return r


@njit_cached()
def _min_other(buf: Any, m: Any) -> Any:
    r = buf[0]
    for i in range(1, m):
        v = buf[i]
        r = v if v < r else r
    return r


# The implementations are module-level functions (no closures), so that
# Numba's cache of a kernel calling them is stable across processes.
def _sum_chunk_float(buf: Any, m: Any) -> Any:
    return _sum_float(buf, m)


def _sum_chunk_int(buf: Any, m: Any) -> Any:
    return _sum_int(buf, m)


def _max_chunk_f32(buf: Any, m: Any) -> Any:
    return _max_f32(buf, m)


def _max_chunk_f64(buf: Any, m: Any) -> Any:
    return _max_f64(buf, m)


def _max_chunk_other(buf: Any, m: Any) -> Any:
    return _max_other(buf, m)


def _min_chunk_f32(buf: Any, m: Any) -> Any:
    return _min_f32(buf, m)


def _min_chunk_f64(buf: Any, m: Any) -> Any:
    return _min_f64(buf, m)


def _min_chunk_other(buf: Any, m: Any) -> Any:
    return _min_other(buf, m)


# No disk cache of their own (Numba's would be unverified, and ``overload``
# takes no other): these wrappers compile once per process and dtype, only
# when a new generated kernel does; the loops they call are cached static
# kernels, and a generated kernel loaded from the cache has them linked in.
def _sum_chunk_ov(buf: Any, m: Any) -> Any:
    return _sum_chunk_float if isinstance(buf.dtype, types.Float) else _sum_chunk_int


def _max_chunk_ov(buf: Any, m: Any) -> Any:
    if buf.dtype == types.float32:
        return _max_chunk_f32
    return _max_chunk_f64 if buf.dtype == types.float64 else _max_chunk_other


def _min_chunk_ov(buf: Any, m: Any) -> Any:
    if buf.dtype == types.float32:
        return _min_chunk_f32
    return _min_chunk_f64 if buf.dtype == types.float64 else _min_chunk_other


def _register() -> None:
    """Numba's extensions of this module (run once, when Numba is imported)."""
    global types, ir
    import llvmlite.ir  # start-up cost: with Numba, on first kernel use
    import numba  # start-up cost: on first kernel use (see _njit)

    types, ir = numba.types, llvmlite.ir
    g = globals()
    for name in ("bits_to_f32", "f32_to_bits", "bits_to_f64", "f64_to_bits"):
        g[name] = numba.extending.intrinsic(g["_" + name])
    numba.extending.overload(sum_chunk)(_sum_chunk_ov)
    numba.extending.overload(max_chunk)(_max_chunk_ov)
    numba.extending.overload(min_chunk)(_min_chunk_ov)


on_numba_init(_register)


# --- special functions for fused loops: the C library's, as the eager kernels use ------------------


@njit_cached(inline="always")
def erf_f64(x: Any) -> Any:
    """The error function for float64 (the C library's ``erf``, as the eager kernel)."""
    return math.erf(x)


@njit_cached(inline="always")
def erf_f32(x: Any) -> Any:
    """The error function for float32, evaluated in float64 and rounded, as the eager kernel."""
    return np.float32(math.erf(np.float64(x)))


@njit_cached(inline="always")
def erfc_f64(x: Any) -> Any:
    """``1 - erf(x)`` for float64 (the C library's ``erfc``)."""
    return math.erfc(x)


@njit_cached(inline="always")
def erfc_f32(x: Any) -> Any:
    """``1 - erf(x)`` for float32, evaluated in float64 and rounded."""
    return np.float32(math.erfc(np.float64(x)))
