"""The implementation behind :mod:`functorch_lite.random`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sequence
from typing import Any, cast, overload

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes, tree
from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.numpy._util import ArrayOrTracer, asarray, convert
from functorch_lite.ops.elementwise import complex_p, stop_gradient_p
from functorch_lite.ops.prng import threefry2x32_p

__all__ = [
    "key", "PRNGKey", "PRNGKeyArray", "key_data", "wrap_key_data", "key_impl",
    "split", "fold_in", "bits", "random_bits", "uniform", "normal",
    "truncated_normal", "bernoulli", "categorical", "gumbel", "exponential", "randint",
    "permutation", "choice",
]

_INT32 = np.dtype(np.int32)
_INT64 = np.dtype(np.int64)
_UINT32 = np.dtype(np.uint32)
_UINT64 = np.dtype(np.uint64)
_M32 = 0xFFFFFFFF
_SQRT2 = math.sqrt(2.0)
_KEY_WORDS = (
    "a PRNG key: a uint32 array of shape (2,) (or int32, read as uint32 bit patterns) "
    "from random.key(seed), random.PRNGKey(seed), random.split or random.fold_in"
)


# --- validation helpers ----------------------------------------------------------------


def _as_words(data: ArrayOrTracer) -> ArrayOrTracer:
    """Key data as uint32: int32 data (the older raw keys) is reinterpreted;
    converting between integers of one width keeps every bit."""
    return data if data.dtype == _UINT32 else convert(data, _UINT32)


def _host_key_data(key: Any) -> Array | None:
    """A NumPy/JAX uint32 or int32 array as a uint32 Array (its bits
    reinterpreted); None for anything that is not a host array of those dtypes."""
    if isinstance(key, (Array, Tracer)) or not hasattr(key, "__array__") or not hasattr(key, "dtype"):
        return None
    raw = np.asarray(key)
    if raw.dtype not in (np.uint32, np.int32):
        return None
    return Array._from_numpy_copy(np.ascontiguousarray(raw).view(np.uint32))


def _check_key(name: str, key: Any) -> ArrayOrTracer:
    """One key's two words, as a uint32 array of shape (2,)."""
    if isinstance(key, PRNGKeyArray):
        if key.shape != ():
            raise TypeError(
                f"{name}: expected a single key, got a key array of shape {key.shape}; to use a batch of "
                "keys, map over them with functorch_lite.vmap"
            )
        return key._data
    data: Any = key if isinstance(key, (Array, Tracer)) else _host_key_data(key)
    if data is None or data.shape != (2,) or data.dtype not in (_UINT32, _INT32):
        if isinstance(key, (Array, Tracer)) or (hasattr(key, "__array__") and hasattr(key, "dtype")):
            hint = ""
            if len(np.shape(key)) > 1 and np.shape(key)[-1] == 2:
                hint = "; to use a batch of keys, map over them with functorch_lite.vmap"
            what = "an array" if isinstance(key, (Array, Tracer)) else f"a {type(key).__name__}"
            raise TypeError(f"{name}: expected {_KEY_WORDS}; got {what} of shape {tuple(np.shape(key))} "
                            f"and dtype {key.dtype}{hint}")
        raise TypeError(f"{name}: expected {_KEY_WORDS}; got {type(key).__name__}")
    return _as_words(data)


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    bad = TypeError(f"{name}: shape must be a tuple of non-negative ints, got {shape!r}")
    if isinstance(shape, (str, bytes, Array, Tracer)) or not isinstance(shape, Sequence):
        raise bad
    dims = []
    for d in shape:
        if isinstance(d, Tracer):
            operator.index(d)  # raises the error that explains static shapes under transforms
        if isinstance(d, (bool, np.bool_)):
            raise bad
        try:
            dims.append(operator.index(d))
        except TypeError:
            raise bad from None
    out = tuple(dims)
    if any(d < 0 for d in out):
        raise ValueError(f"{name}: shape must be a tuple of non-negative ints, got {out}")
    return out


def _float_dtype(name: str, dtype: Any, complex_ok: bool = False) -> np.dtype[Any]:
    dt = dtypes.default_float_dtype() if dtype is None else dtypes.requested(dtype, "float_dtype")
    if dt.kind == "c" and not complex_ok:
        raise ValueError(
            f"{name}: dtype must be a real float dtype (float32 or float64), got {dt}; of the samplers "
            f"only random.normal draws complex numbers (as JAX); for a complex {name} sample, draw the "
            "real and imaginary parts separately and combine them with lax.complex"
        )
    if dt.kind not in ("fc" if complex_ok else "f"):
        kinds = "float32, float64, complex64 or complex128" if complex_ok else "float32 or float64"
        raise ValueError(f"{name}: dtype must be a float dtype ({kinds}), got {dt}")
    return dt


def _check_broadcast(name: str, shape: tuple[int, ...], *param_shapes: tuple[int, ...]) -> None:
    """Parameters must broadcast to ``shape`` without enlarging it (as JAX)."""
    try:
        full = jnp.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        full = None
    if full != shape:
        raise ValueError(
            f"{name}: parameter shapes {', '.join(map(str, param_shapes))} must broadcast to the "
            f"requested shape {shape} (got {full if full is not None else 'incompatible shapes'}); "
            "pass a larger shape or smaller parameters"
        )


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _as_param(x: Any, dtype: np.dtype[Any]) -> ArrayOrTracer:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Array._wrap(np.array(x, dtype))  # no detour through float32
    out: ArrayOrTracer = asarray(x).astype(dtype)
    return out


# --- the hash --------------------------------------------------------------------------


def _threefry(key: ArrayOrTracer, count0: ArrayOrTracer, count1: ArrayOrTracer) -> tuple[Any, Any]:
    """Both output words of Threefry-2x32 of the counters under ``key``."""
    shape = count1.shape
    k0 = jnp.broadcast_to(key[0], shape)
    k1 = jnp.broadcast_to(key[1], shape)
    y0, y1 = threefry2x32_p.bind(k0, k1, jnp.broadcast_to(count0, shape), count1)
    return y0, y1


def _iota_2x32(shape: tuple[int, ...]) -> tuple[ArrayOrTracer, ArrayOrTracer]:
    """The row-major element index as (high, low) uint32 words."""
    n = math.prod(shape)
    if n <= 2**31:
        lo = jnp.arange(n, dtype=_UINT32).reshape(shape)
        return jnp.broadcast_to(jnp.zeros((), _UINT32), shape), lo
    i = jnp.arange(n, dtype=_INT64).reshape(shape)
    return convert(i >> 32, _UINT32), convert(i & _M32, _UINT32)


def _blocks(key: ArrayOrTracer, shape: tuple[int, ...]) -> tuple[Any, Any]:
    hi, lo = _iota_2x32(shape)
    return _threefry(key, hi, lo)


def _bits32(key: ArrayOrTracer, shape: tuple[int, ...]) -> Any:
    y0, y1 = _blocks(key, shape)
    return y0 ^ y1


def _u32(word: Any) -> Any:
    """A uint32 word as an int64 (for arithmetic that needs more than 32 bits)."""
    return convert(word, _INT64)


# --- keys ------------------------------------------------------------------------------


class KeyDType:
    """The dtype of typed key arrays: prints as JAX's ``key<fry>`` (Threefry-2x32)."""

    __slots__ = ()
    name = "key<fry>"
    kind = "V"

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyDType) or other == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class PRNGKeyArray:
    """A typed key array, as JAX's ``jax.random.key``: ``dtype`` ``key<fry>``,
    one key per element of ``shape``, each two uint32 words of Threefry state.

    A pytree whose one leaf is the raw ``(*shape, 2)`` uint32 data
    (:func:`key_data`), so keys pass through ``jit``, ``vmap`` (a batch of
    keys maps to one key per example) and ``grad`` as JAX's do.  Indexing,
    ``len`` and iteration act on the key axes.  jnp functions do not take
    typed keys (use :func:`key_data`), as in JAX.

    Example:
        >>> from functorch_lite import random
        >>> ks = random.split(random.key(0), 3)
        >>> ks.shape, ks.dtype, ks[1].shape
        ((3,), key<fry>, ())
        >>> random.key(1)
        Array((), dtype=key<fry>) overlaying:
        [0 1]
    """

    __slots__ = ("_data",)
    __array_priority__ = 200

    def __init__(self, data: ArrayOrTracer) -> None:
        if data.ndim < 1 or data.shape[-1] != 2 or data.dtype not in (_UINT32, _INT32):
            raise TypeError(
                f"invalid PRNG key data: expected a uint32 (or int32) array whose shape ends with (2,), "
                f"got shape {data.shape} and dtype {data.dtype}"
            )
        self._data = _as_words(data)

    @property
    def dtype(self) -> KeyDType:
        return _KEY_DTYPE

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape[:-1])

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a single key)")
        return self.shape[0]

    def __getitem__(self, idx: Any) -> PRNGKeyArray:
        parts = idx if isinstance(idx, tuple) else (idx,)
        return PRNGKeyArray(self._data[parts + (slice(None),)])

    def __iter__(self) -> Iterator[PRNGKeyArray]:
        if not self.shape:
            raise TypeError("iteration over a 0-d key array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        data = self._data
        body = str(np.asarray(data._numpy())) if isinstance(data, Array) else repr(data)
        return f"Array({self.shape}, dtype={self.dtype}) overlaying:\n{body}"

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a typed PRNG key array cannot become a NumPy array; use random.key_data(keys)")


_KEY_DTYPE = KeyDType()


def _flatten_keys(k: PRNGKeyArray) -> tuple[tuple[Any], None]:
    return (k._data,), None


def _unflatten_keys(_aux: None, children: Any) -> Any:
    (data,) = children
    if isinstance(data, (Array, Tracer)):
        return PRNGKeyArray(data)
    k = object.__new__(PRNGKeyArray)  # placeholder leaves (vmap axis specs, None...) as JAX allows
    k._data = data
    return k


tree.register_pytree_node(PRNGKeyArray, _flatten_keys, _unflatten_keys)


def _wrap_like(like: Any, raw: Any) -> Any:
    return PRNGKeyArray(raw) if isinstance(like, PRNGKeyArray) else raw


def key_data(keys: Any) -> Array:
    """The raw key data of a typed key array: uint32, shape ``(*keys.shape, 2)``,
    the same words as JAX's ``key_data``.  Raw keys pass through as uint32
    (int32 ones, the older raw keys, and NumPy/JAX arrays are reinterpreted).

    Example:
        >>> from functorch_lite import random
        >>> d = random.key_data(random.key(7))
        >>> d.dtype, d.tolist()
        (dtype('uint32'), [0, 7])
    """
    if isinstance(keys, PRNGKeyArray):
        return cast(Array, keys._data)
    data: Any = keys if isinstance(keys, (Array, Tracer)) else _host_key_data(keys)
    if data is not None and data.ndim >= 1 and data.shape[-1] == 2 and data.dtype in (_UINT32, _INT32):
        return cast(Array, _as_words(data))
    got = f" of shape {tuple(keys.shape)} and dtype {keys.dtype}" if hasattr(keys, "shape") and hasattr(
        keys, "dtype") else ""
    raise TypeError(f"key_data: expected a key array (random.key) or raw uint32 key data of shape (..., 2), got "
                    f"{type(keys).__name__}{got}")


def wrap_key_data(key_bits: Any, *, impl: Any = None) -> PRNGKeyArray:
    """A typed key array from raw key data of shape ``(..., 2)``: uint32 (from
    :func:`key_data`, NumPy or JAX), or int32 holding the words' bit patterns
    (reinterpreted).  ``impl`` may only name the one implementation,
    ``"threefry2x32"``.

    Example:
        >>> from functorch_lite import random
        >>> k = random.wrap_key_data(random.key_data(random.split(random.key(0))))
        >>> k.shape, k.dtype
        ((2,), key<fry>)
    """
    if impl not in (None, "threefry2x32"):
        raise ValueError(f"wrap_key_data: the only PRNG implementation is 'threefry2x32', got {impl!r}")
    if isinstance(key_bits, PRNGKeyArray):
        raise TypeError("wrap_key_data: got a typed key array already; pass random.key_data(keys)")
    data: Any = key_bits
    if not isinstance(data, (Array, Tracer)):
        data = _host_key_data(key_bits)
        if data is None:
            raw = np.asarray(key_bits)
            data = Array._from_numpy_copy(np.ascontiguousarray(raw))  # refused below, naming its dtype
    if data.ndim < 1 or data.shape[-1] != 2 or data.dtype not in (_UINT32, _INT32):
        raise TypeError(
            f"wrap_key_data: invalid PRNG key data: expected a uint32 (or int32) array whose shape ends with "
            f"(2,), got shape {tuple(data.shape)} and dtype {data.dtype}"
        )
    return PRNGKeyArray(data)


def key_impl(keys: Any) -> str:
    """The PRNG implementation's name: always ``"threefry2x32"``.

    Example:
        >>> from functorch_lite import random
        >>> random.key_impl(random.key(0))
        'threefry2x32'
    """
    if not isinstance(keys, PRNGKeyArray):
        _check_key("key_impl", keys)
    return "threefry2x32"


def key(seed: Any) -> PRNGKeyArray:
    """A typed PRNG key from an integer seed (JAX's ``jax.random.key``):
    shape ``()``, dtype ``key<fry>``, holding :func:`PRNGKey`'s data.

    Example:
        >>> from functorch_lite import random
        >>> k = random.key(42)
        >>> k.shape, k.dtype, random.key_data(k).tolist()
        ((), key<fry>, [0, 42])
    """
    return PRNGKeyArray(PRNGKey(seed))


def PRNGKey(seed: Any) -> Array:  # noqa: N802 (JAX's name)
    """A raw PRNG key from an integer seed: a uint32 array of shape (2,),
    equal to ``jax.random.PRNGKey(seed)`` in the same 64-bit mode.

    The key is ``(high, low)``: ``low`` is the seed's low 32 bits (a negative
    seed wraps), ``high`` its next 32 bits when the seed is 64-bit -- a Python
    int in 64-bit mode (sign-extended: ``PRNGKey(-1)`` is ``(2**32 - 1, 2**32 -
    1)`` there) or a 64-bit NumPy/array seed -- and 0 otherwise, as JAX:
    without 64-bit mode a Python int seed keeps only its low 32 bits.  Seeds
    must fit in 64 bits; ``[2**63, 2**64)`` is read as unsigned (where JAX
    raises).  The seed may also be a 0-d integer array (even a traced one).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import random
        >>> k = random.PRNGKey(42)
        >>> k.dtype, k.tolist(), random.PRNGKey(-1).tolist()
        (dtype('uint32'), [0, 42], [0, 4294967295])
        >>> with fl.enable_x64():
        ...     random.PRNGKey(2**40 + 5).tolist(), random.PRNGKey(-1).tolist()
        ([256, 5], [4294967295, 4294967295])
    """
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("key: the seed must be an integer, got a bool")
    if isinstance(seed, (int, np.integer)):
        s = int(seed)
        if not -(2**63) <= s < 2**64:
            raise OverflowError(f"key: seed {s} does not fit in 64 bits")
        wide = dtypes.x64_enabled() and (isinstance(seed, int) or np.dtype(seed.dtype).itemsize == 8)
        high = (s >> 32) & _M32 if wide else 0
        return Array._wrap(np.array([high, s & _M32], np.uint32))
    if isinstance(seed, (float, complex, np.floating)):
        raise TypeError(f"key: the seed must be an integer, got {type(seed).__name__} {seed!r}")
    x = asarray(seed)
    if x.ndim != 0 or x.dtype.kind not in "iu":
        raise TypeError(
            f"key: the seed must be a scalar integer, got an array of shape {x.shape} and dtype "
            f"{x.dtype}; to make many keys, use random.split or vmap over seeds"
        )
    lo = convert(x, _UINT32)  # the low 32 bits (narrower signed dtypes sign-extend first, as JAX)
    if x.dtype.itemsize == 8:
        hi = convert(x >> 32, _UINT32)  # the next 32 (arithmetic or logical shift: the same low bits)
    else:
        hi = jnp.zeros((), _UINT32)
    return jnp.stack([hi, lo])


@overload
def split(key: PRNGKeyArray, num: int | Sequence[int] = ...) -> PRNGKeyArray: ...
@overload
def split(key: Any, num: int | Sequence[int] = ...) -> Array: ...
def split(key: Any, num: int | Sequence[int] = 2) -> Array | PRNGKeyArray:
    """``num`` new keys derived from ``key``: typed keys of shape ``(num,)``
    (or ``num``) from a typed key, raw keys of shape ``(num, 2)`` (or
    ``(*num, 2)``) from a raw one.

    Example:
        >>> from functorch_lite import random
        >>> keys = random.split(random.PRNGKey(0), 3)
        >>> keys.shape, keys.dtype, keys[0].tolist()
        ((3, 2), dtype('uint32'), [1797259609, 2579123966])
        >>> random.split(random.key(0), 3).shape
        (3,)
    """
    k = _check_key("split", key)
    shape = _shape("split", num)
    y0, y1 = _blocks(k, shape)
    out: Array | PRNGKeyArray = _wrap_like(key, jnp.stack([y0, y1], axis=-1))
    return out


@overload
def fold_in(key: PRNGKeyArray, data: Any) -> PRNGKeyArray: ...
@overload
def fold_in(key: Any, data: Any) -> Array: ...
def fold_in(key: Any, data: Any) -> Array | PRNGKeyArray:
    """A new key from ``key`` and a 32-bit integer ``data`` (a step number, a
    worker id...).  ``fold_in(key, i)`` equals ``split(key, n)[i]``.

    ``data`` may be a Python int in ``[-2**31, 2**32)`` or a 0-d integer array
    (taken modulo 2**32).

    Example:
        >>> from functorch_lite import random
        >>> k = random.PRNGKey(0)
        >>> random.fold_in(k, 2).tolist() == random.split(k, 3)[2].tolist()
        True
    """
    k = _check_key("fold_in", key)
    if isinstance(data, (bool, np.bool_)):
        raise TypeError("fold_in: data must be an integer, got a bool")
    if isinstance(data, (int, np.integer)):
        d = int(data)
        if not -(2**31) <= d < 2**32:
            raise OverflowError(f"fold_in: data {d} does not fit in 32 bits (use a value in [-2**31, 2**32))")
        word: Any = Array._wrap(np.array(d & _M32, np.uint32))
    else:
        x = asarray(data)
        if x.ndim != 0 or x.dtype.kind not in "iu":
            raise TypeError(
                f"fold_in: data must be a scalar integer, got an array of shape {x.shape} and dtype "
                f"{x.dtype}; to fold in many values, use vmap"
            )
        word = convert(x, _UINT32)  # modulo 2**32
    y0, y1 = _threefry(k, jnp.zeros((), _UINT32), word)
    out: Array | PRNGKeyArray = _wrap_like(key, jnp.stack([y0, y1]))
    return out


# --- bits and uniform ------------------------------------------------------------------

def _bits_dtype(dtype: Any) -> np.dtype[Any]:
    """An unsigned dtype for ``bits`` (JAX's default: the default unsigned
    int, uint64 in 64-bit mode, else uint32); uint64 narrows to uint32 with
    JAX's warning unless 64-bit mode is on; anything else is refused, as JAX."""
    if dtype is None:
        return _UINT64 if dtypes.x64_enabled() else _UINT32
    try:
        dt = dtypes.canonicalize(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "u":
        got = repr(dtype) if dt is None else str(dt)
        raise ValueError(
            f"bits: dtype must be an unsigned integer dtype (uint8, uint16, uint32 or uint64), as in "
            f"jax.random.bits; got {got}.  For signed integers draw unsigned bits and convert them with "
            ".astype (which wraps), or draw integers in a range with random.randint"
        )
    return dtypes.requested(dt, "bits")


def bits(key: Any, shape: Any = (), dtype: Any = None) -> Array:
    """Uniform random bits: an unsigned integer array of ``shape`` whose every
    bit is random, with the same values as ``jax.random.bits``.

    ``dtype`` is uint8, uint16, uint32 or uint64; by default, as JAX, the
    default unsigned int: uint64 in 64-bit mode, uint32 otherwise (where
    uint64 is narrowed to uint32 with JAX's warning).  uint32 draws one
    Threefry word per element, uint8/uint16 its low bits, uint64 both output
    words of a block.  Signed and float dtypes raise ``ValueError``, as in JAX:
    ``.astype`` the unsigned bits, or use :func:`randint`.

    Example:
        >>> from functorch_lite import random
        >>> b = random.bits(random.key(0), (4,))
        >>> b.dtype, b.tolist()
        (dtype('uint32'), [4070199207, 4202968722, 1427181096, 2012915765])
        >>> random.bits(random.key(0), (4,), "uint8").tolist()
        [167, 146, 40, 53]
    """
    k = _check_key("bits", key)
    shape = _shape("bits", shape)
    dt = _bits_dtype(dtype)
    y0, y1 = _blocks(k, shape)
    if dt == _UINT64:
        return (convert(y0, _UINT64) << 32) | convert(y1, _UINT64)
    out = y0 ^ y1
    return cast(Array, out if dt == _UINT32 else convert(out, dt))


random_bits = bits


def _unit(key: ArrayOrTracer, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
    """Uniform floats in [0, 1) on the grid of the dtype's mantissa: 23 random
    bits (float32) or 52 (float64) read as ``1.m`` in [1, 2), minus 1 -- the
    same values as JAX's bit-cast, computed as ``m * 2**-nmant`` (exact)."""
    if dtype == dtypes.float32:
        m = _bits32(key, shape) >> 9  # a logical shift: the top 23 bits
        return m.astype(dtype) * 2.0**-23
    y0, y1 = _blocks(key, shape)  # the 64-bit word y0:y1, top 52 bits
    m = (_u32(y0) << 20) | (_u32(y1) >> 12)
    return m.astype(dtype) * 2.0**-52


def uniform(key: Any, shape: Any = (), dtype: Any = None, minval: Any = 0.0, maxval: Any = 1.0) -> Array:
    """Uniform floats in ``[minval, maxval)`` (``minval``/``maxval`` broadcast to ``shape``).

    Example:
        >>> from functorch_lite import random
        >>> x = random.uniform(random.key(0), (1000,), minval=-2.0, maxval=3.0)
        >>> x.dtype, bool(x.min() >= -2.0), bool(x.max() < 3.0)
        (dtype('float32'), True, True)
    """
    k = _check_key("uniform", key)
    shape = _shape("uniform", shape)
    dt = _float_dtype("uniform", dtype)
    if _is_scalar(minval) and _is_scalar(maxval):
        # static bounds: the same arithmetic (in dt) with scalars, and none at all for [0, 1)
        with np.errstate(all="ignore"):
            lo_s, hi_s = dt.type(minval), dt.type(maxval)
            span = hi_s - lo_s
        floats = _unit(k, shape, dt)
        if lo_s == 0 and hi_s == 1:
            out: Array = floats
            return out
        return jnp.maximum(floats * float(span) + float(lo_s), float(lo_s))
    lo = _as_param(minval, dt)
    hi = _as_param(maxval, dt)
    _check_broadcast("uniform", shape, lo.shape, hi.shape)
    floats = _unit(k, shape, dt)
    return jnp.maximum(lo, floats * (hi - lo) + lo)


# --- erf and its inverse, from elementwise ops -------------------------------------------

# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): the
# single-precision form, as XLA lowers ErfInv for float32 ...
_ERFINV32_SMALL = (  # w < 5, in powers of (w - 2.5)
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)
_ERFINV32_LARGE = (  # w >= 5, in powers of (sqrt(w) - 3)
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)
# ... and the double-precision form, as XLA lowers ErfInv for float64.
_ERFINV64_A = (  # w < 6.25, in powers of (w - 3.125)
    -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
    1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
    2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
    4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
    0.24015818242558961693, 1.6536545626831027356,
)
_ERFINV64_B = (  # 6.25 <= w < 16, in powers of (sqrt(w) - 3.25)
    2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
    1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
    6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
    -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635,
)
_ERFINV64_C = (  # w >= 16, in powers of (sqrt(w) - 5)
    -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
    -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
    -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
    1.0103004648645343977, 4.8499064014085844221,
)


def _horner(coeffs: Sequence[float], w: Any, monic: bool = False) -> Any:
    """``c0*w**n + c1*w**(n-1) + ... + cn`` (with a leading ``w**(n+1)`` when monic)."""
    p = w + coeffs[0] if monic else w * coeffs[0] + coeffs[1]
    for c in coeffs[1 if monic else 2:]:
        p = p * w + c
    return p


def _erfinv(x: Any, edges: bool = True) -> Any:
    """Inverse error function on (-1, 1) (+-inf at +-1), in x's float dtype.

    Each branch is evaluated on clamped arguments, so the unselected branches
    stay finite and gradients through ``where`` stay clean.  ``edges=False``
    skips the +-1 handling, for callers whose x never reaches +-1.
    """
    if edges:
        edge = jnp.abs(x) == 1.0
        xs = jnp.where(edge, jnp.zeros_like(x), x)
    else:
        xs = x
    w = -jnp.log1p(-(xs * xs))
    if x.dtype == dtypes.float32:
        p = jnp.where(
            w < 5.0,
            _horner(_ERFINV32_SMALL, jnp.minimum(w, 5.0) - 2.5),
            _horner(_ERFINV32_LARGE, jnp.sqrt(jnp.maximum(w, 5.0)) - 3.0),
        )
    else:
        p = jnp.where(
            w < 6.25,
            _horner(_ERFINV64_A, jnp.minimum(w, 6.25) - 3.125),
            jnp.where(
                w < 16.0,
                _horner(_ERFINV64_B, jnp.sqrt(jnp.clip(w, 6.25, 16.0)) - 3.25),
                _horner(_ERFINV64_C, jnp.sqrt(jnp.maximum(w, 16.0)) - 5.0),
            ),
        )
    if not edges:
        return p * xs
    inf = jnp.full_like(x, np.inf)
    return jnp.where(edge, jnp.where(x > 0, inf, -inf), p * xs)


# Cephes (S. L. Moshier, public domain) erf/erfc rational approximations, float64.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _erf(x: Any) -> Any:
    """Error function, evaluated in float64 (relative error ~1e-16) and
    returned in x's dtype; +-1 beyond |x| ~ 6, nan for nan."""
    dt = x.dtype
    x = convert(x, dtypes.float64)  # internal precision, in either 64-bit mode
    ax = jnp.abs(x)
    xs = jnp.clip(x, -1.0, 1.0)
    zs = xs * xs
    small = xs * _horner(_ERF_T, zs) / _horner(_ERF_U, zs, monic=True)
    am = jnp.clip(ax, 1.0, 8.0)
    erfc_mid = jnp.exp(-(am * am)) * _horner(_ERFC_P, am) / _horner(_ERFC_Q, am, monic=True)
    ab = jnp.clip(ax, 8.0, 27.0)
    erfc_big = jnp.exp(-(ab * ab)) * _horner(_ERFC_R, ab) / _horner(_ERFC_S, ab, monic=True)
    one_minus = 1.0 - jnp.where(ax < 8.0, erfc_mid, erfc_big)
    large = jnp.where(x < 0, -one_minus, one_minus)
    return jnp.where(ax < 1.0, small, large).astype(dt)


# --- continuous distributions ----------------------------------------------------------


def normal(key: Any, shape: Any = (), dtype: Any = None) -> Array:
    """Standard normal samples, by inversion: ``sqrt(2) * erfinv(u)`` with ``u``
    uniform in the open interval (-1, 1), as JAX (always finite).

    A complex ``dtype`` gives standard complex normal samples, as JAX: the
    real and imaginary parts are independent normals of variance 1/2 (drawn
    with the two keys of ``split(key)``), so ``E|z|**2 == 1``.

    Example:
        >>> from functorch_lite import random
        >>> x = random.normal(random.key(1), (10000,))
        >>> abs(float(x.mean())) < 0.05, abs(float(x.std()) - 1.0) < 0.05
        (True, True)
        >>> z = random.normal(random.key(1), (10000,), "complex64")
        >>> z.dtype, abs(float(z.var()) - 1.0) < 0.05
        (dtype('complex64'), True)
    """
    k = _check_key("normal", key)
    shape = _shape("normal", shape)
    dt = _float_dtype("normal", dtype, complex_ok=True)
    if dt.kind == "c":
        k_re, k_im = _blocks(k, (2,))  # split(key): the two new keys' words
        keys = jnp.stack([k_re, k_im], axis=-1)
        part = dtypes.real_dtype(dt)
        re, im = normal(keys[0], shape, part), normal(keys[1], shape, part)
        out: Array = complex_p.bind(re / _SQRT2, im / _SQRT2)
        return out
    lo = float(np.nextafter(np.array(-1.0, dt), np.array(0.0, dt)))
    u = uniform(k, shape, dt, lo, 1.0)  # in the open interval (-1, 1)
    out = _erfinv(u, edges=False) * _SQRT2
    return out


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Any = None, dtype: Any = None) -> Array:
    """Standard normal samples conditioned on ``lower < x < upper``, by the
    inverse-CDF method: ``sqrt(2) * erfinv(u)`` with ``u`` uniform in
    ``(erf(lower/sqrt(2)), erf(upper/sqrt(2)))``, clipped into the open interval
    (as JAX).  ``shape`` defaults to the broadcast shape of the bounds.

    Far in one tail the uniform's resolution limits accuracy (as in JAX):
    sample in float64 there.

    Example:
        >>> from functorch_lite import random
        >>> x = random.truncated_normal(random.key(0), -1.0, 2.0, (1000,))
        >>> bool(x.min() > -1.0), bool(x.max() < 2.0)
        (True, True)
    """
    k = _check_key("truncated_normal", key)
    dt = _float_dtype("truncated_normal", dtype)
    lo = _as_param(lower, dt)
    hi = _as_param(upper, dt)
    if shape is None:
        out_shape = jnp.broadcast_shapes(lo.shape, hi.shape)
    else:
        out_shape = _shape("truncated_normal", shape)
        _check_broadcast("truncated_normal", out_shape, lo.shape, hi.shape)
    a = _erf(lo / _SQRT2)
    b = _erf(hi / _SQRT2)
    u = uniform(k, out_shape, dt, a, b)
    out = _erfinv(u) * _SQRT2
    floor = jnp.nextafter(stop_gradient_p.bind(lo), np.inf)
    ceil = jnp.nextafter(stop_gradient_p.bind(hi), -np.inf)
    return jnp.clip(out, floor, ceil)


def gumbel(key: Any, shape: Any = (), dtype: Any = None) -> Array:
    """Standard Gumbel samples: ``-log(-log(u))``, ``u`` uniform in [tiny, 1).

    Example:
        >>> from functorch_lite import random
        >>> x = random.gumbel(random.key(0), (10000,))
        >>> abs(float(x.mean()) - 0.5772) < 0.05
        True
    """
    k = _check_key("gumbel", key)
    shape = _shape("gumbel", shape)
    dt = _float_dtype("gumbel", dtype)
    u = uniform(k, shape, dt, float(np.finfo(dt).tiny), 1.0)
    out: Array = -jnp.log(-jnp.log(u))
    return out


def exponential(key: Any, shape: Any = (), dtype: Any = None) -> Array:
    """Standard exponential samples: ``-log1p(-u)``, ``u`` uniform in [0, 1).

    Example:
        >>> from functorch_lite import random
        >>> x = random.exponential(random.key(0), (10000,))
        >>> bool(x.min() >= 0), abs(float(x.mean()) - 1.0) < 0.05
        (True, True)
    """
    k = _check_key("exponential", key)
    shape = _shape("exponential", shape)
    dt = _float_dtype("exponential", dtype)
    out: Array = -jnp.log1p(-uniform(k, shape, dt))
    return out


# --- discrete distributions ------------------------------------------------------------


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None) -> Array:
    """Booleans that are True with probability ``p`` (``uniform < p``); the
    shape defaults to ``p``'s.

    Example:
        >>> from functorch_lite import random
        >>> b = random.bernoulli(random.key(0), 0.3, (10000,))
        >>> b.dtype, abs(float(b.mean()) - 0.3) < 0.02
        (dtype('bool'), True)
    """
    k = _check_key("bernoulli", key)
    prob = asarray(p)
    if prob.dtype.kind != "f":
        raise TypeError(f"bernoulli: the probability p must be a float, got dtype {prob.dtype}")
    if shape is None:
        out_shape = prob.shape
    else:
        out_shape = _shape("bernoulli", shape)
        _check_broadcast("bernoulli", out_shape, prob.shape)
    return uniform(k, out_shape, prob.dtype) < prob


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None) -> Array:
    """Indices drawn with probabilities ``softmax(logits, axis)`` (Gumbel-max:
    ``argmax(logits + gumbel)``).  The result shape defaults to ``logits``'s
    shape without ``axis``; a given ``shape`` must end with that batch shape
    (broadcast-compatibly) and may add leading sample axes.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import random
        >>> s = random.categorical(random.key(0), jnp.log(jnp.array([0.2, 0.8])), shape=(10000,))
        >>> s.dtype, abs(float(s.mean()) - 0.8) < 0.02
        (dtype('int32'), True)
    """
    k = _check_key("categorical", key)
    lg = asarray(logits)
    if lg.ndim == 0:
        raise ValueError("categorical: logits must have at least one axis (the categories)")
    if lg.dtype.kind != "f":
        lg = lg.astype(dtypes.default_float_dtype())
    if not -lg.ndim <= axis < lg.ndim:
        raise ValueError(f"categorical: axis {axis} is out of range for logits of shape {lg.shape}")
    ax = axis % lg.ndim
    batch_shape = lg.shape[:ax] + lg.shape[ax + 1:]
    if shape is None:
        out_shape = batch_shape
    else:
        out_shape = _shape("categorical", shape)
        _check_broadcast("categorical", out_shape, batch_shape)
    nprefix = len(out_shape) - len(batch_shape)
    sample_shape = list(out_shape[nprefix:])
    sample_shape.insert(ax, lg.shape[ax])
    g = gumbel(k, (*out_shape[:nprefix], *sample_shape), lg.dtype)
    if nprefix:
        lg = jnp.expand_dims(lg, tuple(range(nprefix)))
    return jnp.argmax(g + lg, axis=ax + nprefix)


def _limbs16(x: Any, n: int) -> list[Any]:
    """The ``n`` low 16-bit limbs (least significant first) of int64 ``x``."""
    return [(x >> (16 * j)) & 0xFFFF if j else x & 0xFFFF for j in range(n)]


def _mulhi(r: list[Any], s: list[Any]) -> Any:
    """``floor(R * S / 2**(16*len(r)))`` from 16-bit limbs (least significant
    first) with int64 ops only: column products are < 2**34, and the result is
    taken modulo 2**64 (exact whenever it fits, and int64 wraps)."""
    nr, ns = len(r), len(s)
    carry: Any = 0
    result: Any = 0
    for col in range(nr + ns - 1):
        terms = [r[i] * s[col - i] for i in range(max(0, col - ns + 1), min(nr, col + 1))
                 if not (isinstance(s[col - i], int) and s[col - i] == 0)]
        total: Any = sum(terms[1:], terms[0]) if terms else 0
        if col < nr:
            carry = (total + carry) >> 16
        elif terms:
            result = result + (total << (16 * (col - nr)) if col > nr else total)
    return result + carry


def _int_bound(v: Any) -> Any:
    x = asarray(v)
    if x.dtype.kind == "f":
        x = jnp.trunc(x)
    return convert(x, _INT64)


def _randint_jax(k: ArrayOrTracer, shape: tuple[int, ...], minval: Any, maxval: Any,
                 dt: np.dtype[Any]) -> Any:
    """JAX's randint for a dtype of at most 32 bits, with int64 ops: values of
    uint32 words fit, and products wrap modulo 2**64, which keeps them right
    modulo 2**32.  Narrower dtypes sample at 32 bits, as JAX, with the bounds
    first clipped to ``[min, max]`` and ``[min, max + 1]`` of the dtype."""
    small = np.iinfo(dt)
    info = np.iinfo(np.int32)
    mask = _M32
    k1, k2 = _split2(k)
    hi = _u32(_bits32(k1, shape))
    lo = _u32(_bits32(k2, shape))
    narrow = dt.itemsize < 4
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in (minval, maxval)):
        mn, mx = int(minval), int(maxval)
        if narrow:
            mn, mx = min(max(mn, small.min), small.max), min(max(mx, small.min), small.max + 1)
        a, b = min(max(mn, info.min), info.max), min(max(mx, info.min), info.max)
        span = 1 if b <= a else (b - a + (1 if mx > info.max else 0)) & mask
        span = span or 1 << 32  # a full range wraps to 0; XLA's x % 0 = x is x % 2**32 here
        mult = ((((1 << 16) % span) ** 2) & mask) % span
        off = (((hi % span) * mult + lo % span) & mask) % span
        return ((off + a) & mask).astype(_INT32).astype(dt)
    mn_a, mx_a = _int_bound(minval), _int_bound(maxval)
    _check_broadcast("randint", shape, mn_a.shape, mx_a.shape)
    if narrow:
        mn_a, mx_a = jnp.clip(mn_a, small.min, small.max), jnp.clip(mx_a, small.min, small.max + 1)
    out_of_range = mx_a > info.max
    a_arr = jnp.clip(mn_a, info.min, info.max)
    b_arr = jnp.clip(mx_a, info.min, info.max)
    span_a = jnp.where(b_arr <= a_arr, 1, (b_arr - a_arr + jnp.where(out_of_range, 1, 0)) & mask)
    span_a = jnp.where(span_a == 0, 1 << 32, span_a)
    m = (1 << 16) % span_a
    m = ((m * m) & mask) % span_a
    off_a = (((hi % span_a) * m + lo % span_a) & mask) % span_a
    return jnp.broadcast_to((off_a + a_arr) & mask, shape).astype(_INT32).astype(dt)


def _split2(k: ArrayOrTracer) -> tuple[Any, Any]:
    """``split(k)``'s two raw keys."""
    y0, y1 = _blocks(k, (2,))
    return jnp.stack([y0[0], y1[0]]), jnp.stack([y0[1], y1[1]])


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = None) -> Array:
    """Uniform integers in ``[minval, maxval)`` (``minval`` where ``maxval <= minval``).

    For 8-, 16- and 32-bit dtypes this is JAX's algorithm, so the values
    equal ``jax.random.randint``'s for the same key: two independent
    ``nbits``-bit words ``hi``, ``lo`` (from ``split(key)``) map to
    ``minval + (hi % span * (2**nbits % span) + lo % span) % span`` in
    unsigned ``nbits``-bit arithmetic (wrapping, as JAX's), computed here in
    int64.  Its bias is about ``span / 2**nbits``; bounds are clipped to the
    dtype's range, and a ``maxval`` above the dtype's maximum makes that
    maximum reachable (``randint(k, s, 0, 256, jnp.uint8)`` covers all of
    uint8).  int64 (which JAX draws only with ``jax_enable_x64``, in uint64
    arithmetic the library does not have) uses a multiply-shift of 128 random
    bits instead (Lemire 2019, bias ``<= 2**-64``): its values differ from
    JAX's.

    Example:
        >>> from functorch_lite import random
        >>> random.randint(random.key(0), (8,), 0, 10).tolist()
        [9, 0, 2, 3, 1, 7, 2, 3]
    """
    k = _check_key("randint", key)
    shape = _shape("randint", shape)
    dt = dtypes.default_int_dtype() if dtype is None else dtypes.requested(dtype, "randint")
    if dt.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype, got {dt}")
    if dt != _INT64:
        out: Array = _randint_jax(k, shape, minval, maxval, dt)
        return out
    info = np.iinfo(dt)
    wide = dt == _INT64
    top = info.max if wide else info.max + 1
    nlimbs = 4 if wide else 3
    s_limbs: list[Any]
    base: Any
    span = 0
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in (minval, maxval)):
        # static bounds: the span is a Python int, and its zero limbs cost nothing
        a = min(max(int(minval), info.min), info.max)
        b = min(max(int(maxval), info.min), top)
        span = max(b - a, 1)
        s_limbs = [(span >> (16 * j)) & 0xFFFF for j in range(nlimbs)]
        base = a
    else:
        lo = jnp.clip(_int_bound(minval), info.min, info.max)
        hi = jnp.clip(_int_bound(maxval), info.min, top)
        _check_broadcast("randint", shape, lo.shape, hi.shape)
        # hi - lo wraps for int64 spans above 2**63: its bits are still the unsigned span
        span_a = jnp.where(hi > lo, hi - lo, jnp.ones((), _INT64))
        s_limbs = _limbs16(span_a, nlimbs)
        base = lo
    y0, y1 = _blocks(k, shape)
    if isinstance(base, int) and span < 2**31:
        # the same floor(R * span / 2**64) with R = y0:y1, in two int64 steps
        # (each product < 2**63 for span < 2**31)
        carry = (_u32(y1) * span) >> 32
        offset = (_u32(y0) * span + carry) >> 32
        out = (offset + base).astype(dt)
        return out
    r_limbs = _limbs16(_u32(y1), 2) + _limbs16(_u32(y0), 2)
    if wide:
        z0, z1 = _blocks(fold_in(k, 1), shape)
        r_limbs = _limbs16(_u32(z1), 2) + _limbs16(_u32(z0), 2) + r_limbs
    offset = _mulhi(r_limbs, s_limbs)
    return jnp.broadcast_to(offset + base, shape).astype(dt)


def _stable_argsort_unsigned(words: Any, axis: int) -> Any:
    """Stable argsort of uint32 words."""
    return jnp.argsort(words, axis=axis, stable=True)


def _shuffle(key: ArrayOrTracer, x: Any, axis: int) -> Any:
    """Shuffle along ``axis`` by sorting on random 32-bit keys, repeated with
    fresh keys so that ties (which a stable sort would resolve by position)
    are negligible: ``ceil(3 ln n / ln(2**32 - 1))`` rounds (JAX's rule)."""
    rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(2.0**32 - 1)))
    for _ in range(rounds):
        pair = split(key)
        key, sub = pair[0], pair[1]
        order = _stable_argsort_unsigned(_bits32(sub, x.shape), axis)
        x = jnp.take_along_axis(x, order, axis=axis)
    return x


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Array:
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x``'s slices
    along ``axis`` (each vector along ``axis`` shuffled separately when
    ``independent``).  Uniform over permutations: elements are sorted on random
    32-bit keys (a stable sort, as JAX).

    Example:
        >>> from functorch_lite import random
        >>> p = random.permutation(random.key(0), 10)
        >>> sorted(p.tolist()) == list(range(10))
        True
    """
    k = _check_key("permutation", key)
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        if int(x) < 0:
            raise ValueError(f"permutation: x must be a non-negative int or an array, got {int(x)}")
        out: Array = _shuffle(k, jnp.arange(int(x)), 0)
        return out
    arr = asarray(x)
    if arr.ndim == 0:
        if arr.dtype.kind not in "iu":
            raise TypeError("permutation: x must be an integer or an array with at least one axis")
        out = _shuffle(k, jnp.arange(int(arr)), 0)
        return out
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"permutation: axis {axis} is out of range for an array of shape {arr.shape}")
    ax = axis % arr.ndim
    if independent or arr.ndim == 1:
        out = _shuffle(k, arr, ax)
        return out
    order = _shuffle(k, jnp.arange(arr.shape[ax]), 0)
    return jnp.take(arr, order, axis=ax)


def choice(key: Any, a: Any, shape: Any = (), replace: bool = True, p: Any = None, axis: int = 0) -> Array:
    """Random samples from ``arange(a)`` (int ``a``) or from ``a``'s slices along
    ``axis``, with or without replacement, uniformly or with probabilities ``p``.

    Example:
        >>> from functorch_lite import random
        >>> s = random.choice(random.key(0), 5, (3,), replace=False)
        >>> len(set(s.tolist())), all(0 <= v < 5 for v in s.tolist())
        (3, True)
    """
    k = _check_key("choice", key)
    shape = _shape("choice", shape)
    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
        arr: Any = None
        n_inputs = int(a)
    else:
        arr = asarray(a)
        if arr.ndim == 0:
            n_inputs = int(arr)
            arr = None
        else:
            if not -arr.ndim <= axis < arr.ndim:
                raise ValueError(f"choice: axis {axis} is out of range for an array of shape {arr.shape}")
            axis %= arr.ndim
            n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        dt = _INT32 if arr is None else arr.dtype
        full = shape if arr is None else arr.shape[:axis] + shape + arr.shape[axis + 1:]
        return jnp.zeros(full, dt)
    if n_inputs <= 0:
        raise ValueError("choice: a must be positive (or non-empty along axis) unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"choice: cannot take {n_draws} samples without replacement from a population of {n_inputs}"
        )
    if p is None:
        if replace:
            ind = randint(k, shape, 0, n_inputs)
        else:
            ind = permutation(k, n_inputs)[:n_draws].reshape(shape)
    else:
        prob = asarray(p)
        if prob.dtype.kind != "f":
            prob = prob.astype(dtypes.default_float_dtype())
        if prob.shape != (n_inputs,):
            raise ValueError(f"choice: p must have shape ({n_inputs},) to match a, got {prob.shape}")
        if replace:
            ind = categorical(k, jnp.log(prob), shape=shape)
        else:
            g = gumbel(k, (n_inputs,), prob.dtype) + jnp.log(prob)
            ind = jnp.argsort(-g, stable=True)[:n_draws].reshape(shape)
    return ind if arr is None else jnp.take(arr, ind, axis=axis)
