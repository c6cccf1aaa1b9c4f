"""Conversion, promotion, broadcasting and axis helpers shared by the API."""

from __future__ import annotations

import functools
import inspect
import operator
import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops._rules import scalar_key

ArrayOrTracer = Array | Tracer

# scalar caches key on ops._rules.scalar_key (type, value and sign of zero), never on equality alone
_SCALAR_CACHE: dict[tuple[tuple[Any, ...], np.dtype[Any] | bool], Array] = {}
_INT32 = np.iinfo(np.int32)
_INT64 = np.iinfo(np.int64)


def _too_big(v: int) -> OverflowError:
    return OverflowError(
        f"Python int {v} does not fit in int64 (range {_INT64.min}..{_INT64.max}), the widest "
        "supported integer dtype; pass float(v) if an approximate value is enough"
    )


def _first_big_int(x: Any) -> int | None:
    """The first Python int in nested lists/tuples outside int64's range."""
    if isinstance(x, (list, tuple)):
        for e in x:
            bad = _first_big_int(e)
            if bad is not None:
                return bad
        return None
    if isinstance(x, int) and not isinstance(x, bool) and not _INT64.min <= x <= _INT64.max:
        return x
    return None


def _check_python_ints(x: Any, arr: np.ndarray[Any, Any]) -> None:
    """NumPy turns Python ints beyond int64 into uint64, float64 or object
    arrays without a word; refuse them, as JAX does."""
    k = arr.dtype.kind
    if k in "uO" or (k == "f" and arr.size and bool((np.abs(arr) >= 2.0**63).any())):
        bad = _first_big_int(x)
        if bad is not None:
            raise _too_big(bad)


def _weak_scalar_dtype(x: bool | int | float | complex) -> np.dtype[Any]:
    """The dtype a Python scalar gets: an int beyond int32 keeps int64."""
    dt = dtypes.scalar_dtype(x)
    if not isinstance(x, int):
        return dt
    if dt == dtypes.int32 and not _INT32.min <= x <= _INT32.max:
        raise _too_big_32(x)
    if dt == dtypes.int64 and not _INT64.min <= x <= _INT64.max:
        raise _too_big(x)
    return dt


def _too_big_32(x: int) -> OverflowError:
    return OverflowError(
        f"Python int {x} too large to convert to int32 (64-bit mode is off: turn it on with "
        "functorch_lite.config.update('enable_x64', True), or give the value a float dtype)"
    )


def _scalar_array(x: bool | int | float | complex, dtype: np.dtype[Any] | None = None) -> Array:
    vkey = scalar_key(x)  # 0.0 and -0.0 are equal but not interchangeable; nan: None
    # a weak scalar's dtype depends on 64-bit mode: key it by the mode
    key = None if vkey is None else (vkey, dtypes.x64_enabled() if dtype is None else dtype)
    if key is not None:
        hit = _SCALAR_CACHE.get(key)
        if hit is not None:
            return hit
    if dtype is None:
        dt = _weak_scalar_dtype(x)
        with np.errstate(over="ignore"):  # a float beyond float32 becomes inf, as in JAX
            a = Array._wrap(np.array(x, dtype=dt), weak_type=True)
    else:
        a = Array._wrap(np.array(x).astype(dtype), weak_type=False)
    if len(_SCALAR_CACHE) > 4096:
        _SCALAR_CACHE.clear()
    if key is not None:
        _SCALAR_CACHE[key] = a
    return a


_OPERAND_CACHE: dict[tuple[tuple[Any, ...], np.dtype[Any], bool, tuple[int, ...]], Array] = {}


def scalar_operand(v: int | float, other: Array) -> Array | None:
    """A Python scalar as an operand for ``other`` when it does not change the
    result dtype: a cached stride-0 array of other's dtype and shape (arrays
    are immutable, so sharing it is safe).  None means: take the general path.
    """
    dt = other._dtype
    vkey = scalar_key(v)
    key = None if vkey is None else (vkey, dt, other.weak_type, other._shape)
    hit = None if key is None else _OPERAND_CACHE.get(key)
    if hit is not None:
        return hit
    if (type(v) is float and dt.kind not in "fc") or (type(v) is complex and dt.kind != "c"):
        return None
    if dt.kind == "b" or v != v:
        return None
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if not info.min <= v <= info.max:
            return None
    with np.errstate(over="ignore"):  # a float beyond float32's range is inf, silently (as JAX)
        base = Array._wrap(np.array(v, dtype=dt), other.weak_type)
    shape = other._shape
    out = base if not shape else Array._unchecked(base._storage, shape, (0,) * len(shape), 0, other.weak_type)
    if key is not None:
        if len(_OPERAND_CACHE) > 1024:
            _OPERAND_CACHE.clear()
        _OPERAND_CACHE[key] = out
    return out


def from_numpy(x: Any, dtype: Any = None) -> Array:
    """Copy NumPy data / nested lists / Python scalars into a new Array of a
    supported dtype (always a native-byte-order, aligned, row-major copy).

    Python ints get the default int; in 32-bit mode one beyond int32 raises
    ``OverflowError`` (in 64-bit mode, one beyond int64).  Without
    ``dtype``, 64-bit NumPy data narrows to 32 bits unless 64-bit mode is
    on; an explicit ``dtype`` is taken as given (internal callers).

    Example:
        >>> import numpy as np
        >>> from_numpy(np.arange(3)).dtype, from_numpy(np.arange(3), np.int64).dtype
        (dtype('int32'), dtype('int64'))
        >>> from_numpy(np.arange(3, dtype=">f4")).tolist()  # big-endian input, converted
        [0.0, 1.0, 2.0]
    """
    if dtype is not None:
        dt = dtypes.canonicalize(dtype)
        with np.errstate(all="ignore"):
            arr = np.asarray(x)
            if dt.kind in "iu" and not isinstance(x, (np.ndarray, np.generic)):
                _check_python_ints(x, arr)
            if arr.dtype.kind == "f" and dt.kind in "iu" and not np.isfinite(arr).all():
                raise ValueError(f"cannot convert non-finite values to {dt}")
            if arr.dtype.kind in "iu" and dt.kind in "iu" and arr.size and not isinstance(x, (np.ndarray, np.generic)):
                info = np.iinfo(dt)  # Python ints must fit, as in NumPy 2 and JAX (no silent wrap)
                lo, hi = arr.min(), arr.max()
                if lo < info.min or hi > info.max:
                    bad = int(lo) if lo < info.min else int(hi)
                    raise OverflowError(f"Python int {bad} does not fit in {dt} (range {info.min}..{info.max})")
            # astype copies: the result is ours, so it is wrapped without a second copy
            arr = arr.astype(dt, order="C")
        return Array._wrap(arr, False) if arr.dtype.isnative else Array._from_numpy_copy(arr)
    if isinstance(x, (np.ndarray, np.generic)):
        # the copy converts byte order and alignment and raises for unsupported dtypes;
        # 64-bit host data narrows to 32 bits unless 64-bit mode is on (as JAX)
        arr = np.asarray(x)
        if arr.dtype.itemsize >= 8 and not dtypes.x64_enabled() and arr.dtype.kind in "fiuc":
            with np.errstate(all="ignore"):
                narrow = arr.astype(dtypes.canonical_host_dtype(np.dtype(arr.dtype)), order="C")
            # a fresh copy (astype), ours alone: wrapped without copying it again
            return Array._wrap(narrow, False) if narrow.dtype.isnative else Array._from_numpy_copy(narrow)
        return Array._from_numpy_copy(arr)
    arr = np.asarray(x)
    _check_python_ints(x, arr)
    if arr.dtype == np.float64:
        arr = arr.astype(dtypes.default_float_dtype())
    elif arr.dtype == np.complex128:
        arr = arr.astype(dtypes.default_complex_dtype())
    elif arr.dtype == np.int64:
        if arr.size and (arr.min() < _INT32.min or arr.max() > _INT32.max):
            if not dtypes.x64_enabled():
                bad = int(arr.min()) if arr.min() < _INT32.min else int(arr.max())
                raise _too_big_32(bad)
        else:
            arr = arr.astype(dtypes.default_int_dtype())
    elif arr.dtype.kind in "OUSV" or arr.dtype not in dtypes.SUPPORTED:
        if arr.dtype.kind == "O" and _contains_array(x):
            raise TypeError(
                "cannot build an array from a sequence containing traced values or "
                "arrays mixed with other objects; use jnp.stack"
            )
        raise TypeError(f"cannot convert {type(x).__name__} of dtype {arr.dtype} to a functorch_lite array")
    return Array._from_numpy_copy(arr)


def _contains_array(x: Any) -> bool:
    if isinstance(x, (Array, Tracer)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_array(e) for e in x)
    return False


def asarray(x: Any) -> ArrayOrTracer:
    """Arrays and tracers pass through; Python scalars become weak 0-d arrays.

    Everything else is copied (``from_numpy``): NumPy arrays (any byte order
    or alignment), nested lists, and objects that export ``__array__`` or
    DLPack (``__dlpack__``).

    Example:
        >>> import numpy as np
        >>> x = asarray(np.arange(3, dtype=">i4"))
        >>> x.tolist(), x.dtype, asarray(2.0).weak_type
        ([0, 1, 2], dtype('int32'), True)
    """
    if isinstance(x, (Array, Tracer)):
        return x
    if isinstance(x, np.generic):  # first: np.float64 subclasses float, yet is strong
        return from_numpy(x)
    if isinstance(x, (bool, int, float, complex)):
        return _scalar_array(x)
    if hasattr(x, "__jax_array__"):
        # the protocol's own conversion: a Tensor gives its immutable snapshot without a copy
        out = x.__jax_array__()
        return out if isinstance(out, Array) else from_numpy(np.asarray(out))
    if isinstance(x, (np.ndarray, list, tuple)):
        return from_numpy(x)
    if hasattr(x, "__array__"):
        return from_numpy(np.asarray(x))
    if hasattr(x, "__dlpack__"):
        return from_numpy(np.from_dlpack(x))
    raise TypeError(
        f"expected an array, a NumPy array or a Python scalar, got {type(x).__name__}"
    )


def convert(x: ArrayOrTracer, dtype: np.dtype[Any], weak: bool = False) -> ArrayOrTracer:
    if x.dtype == dtype and x.weak_type == weak:
        return x
    if x.weak_type and type(x) is Array and x.ndim == 0 and dtype.kind in "iu" and x.dtype.kind in "iu":
        info = np.iinfo(dtype)
        v = int(x.item())
        if not info.min <= v <= info.max:
            raise OverflowError(f"Python int {v} does not fit in {dtype} (range {info.min}..{info.max})")
    if type(x) is Array and _is_splat(x):
        # a constant scalar: convert it now rather than staging an op for it
        assert ew.convert_element_type_p.impl is not None
        out: Array = ew.convert_element_type_p.impl(x, new_dtype=dtype, weak_type=weak)
        return out
    return ew.convert_element_type_p.bind(x, new_dtype=dtype, weak_type=weak)  # type: ignore[no-any-return]


def promote_dtypes(*xs: ArrayOrTracer) -> tuple[np.dtype[Any], bool]:
    dt, weak = xs[0].dtype, xs[0].weak_type
    for x in xs[1:]:
        dt, weak = dtypes.promote_weak(dt, weak, x.dtype, x.weak_type)
    return dt, weak


def broadcast_shapes(*shapes: tuple[int, ...], name: str = "broadcast") -> tuple[int, ...]:
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, d in enumerate(s):
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise ValueError(
                    f"{name}: shapes {', '.join(str(tuple(x)) for x in shapes)} cannot be "
                    "broadcast together (trailing axes must match or be 1)"
                )
    return tuple(out)


def broadcast_to_shape(x: ArrayOrTracer, shape: tuple[int, ...]) -> ArrayOrTracer:
    if x.shape == shape:
        return x
    nd = len(shape) - x.ndim
    if nd < 0:
        raise ValueError(f"cannot broadcast shape {x.shape} to the smaller rank shape {shape}")
    params = {"shape": tuple(shape), "broadcast_dimensions": tuple(range(nd, len(shape)))}
    if type(x) is Array and _is_splat(x):
        # broadcasting a constant scalar is a stride-0 view: no op to stage
        assert so.broadcast_in_dim_p.impl is not None
        out: Array = so.broadcast_in_dim_p.impl(x, **params)
        return out
    return so.broadcast_in_dim_p.bind(x, **params)  # type: ignore[no-any-return]


def _is_splat(x: Array) -> bool:
    """All elements are one value in one place (size <= 1 or all strides 0)."""
    return x.size <= 1 or all(s == 0 for s, d in zip(x._strides, x._shape) if d > 1)


def _typed_scalar(v: bool | int | float | complex, dtype: np.dtype[Any], weak: bool) -> Array:
    """A Python scalar made directly in its promoted dtype (no float32 detour:
    ``float64_array * (1/3)`` keeps the double-precision constant)."""
    vkey = scalar_key(v)
    key = None if vkey is None else (vkey, dtype, weak)
    hit = None if key is None else _TYPED_CACHE.get(key)
    if hit is not None:
        return hit
    if dtype.kind in "iu" and isinstance(v, int):
        info = np.iinfo(dtype)
        if not info.min <= v <= info.max:
            raise OverflowError(f"Python int {v} does not fit in {dtype} (range {info.min}..{info.max})")
    with np.errstate(all="ignore"):
        a = Array._wrap(np.array(v).astype(dtype), weak)
    if len(_TYPED_CACHE) > 4096:
        _TYPED_CACHE.clear()
    if key is not None:
        _TYPED_CACHE[key] = a
    return a


_TYPED_CACHE: dict[tuple[tuple[Any, ...], np.dtype[Any], bool], Array] = {}
_PY_SCALARS = (bool, int, float, complex)


def promote_args(name: str, *args: Any) -> list[ArrayOrTracer]:
    """Convert, promote to one dtype and broadcast to one shape."""
    xs: list[Any] = [a if type(a) in _PY_SCALARS else asarray(a) for a in args]
    # a Python int is checked against the dtype it ends up in (_typed_scalar), so that
    # ``int64_array & 0xFFFFFFFF`` works in 32-bit mode while ``int32_array + 2**31`` raises
    infos = [(dtypes.scalar_dtype(x), True) if type(x) in _PY_SCALARS else (x.dtype, x.weak_type) for x in xs]
    dt, weak = infos[0]
    for d, w in infos[1:]:
        dt, weak = dtypes.promote_weak(dt, weak, d, w)
    xs = [_typed_scalar(x, dt, weak) if type(x) in _PY_SCALARS else convert(x, dt, weak) for x in xs]
    shapes = [x.shape for x in xs]
    if any(s != shapes[0] for s in shapes[1:]):
        shape = broadcast_shapes(*shapes, name=name)
        xs = [broadcast_to_shape(x, shape) for x in xs]
    return xs


def promote_to_float(name: str, *args: Any) -> list[ArrayOrTracer]:
    xs = promote_args(name, *args)
    if xs[0].dtype.kind not in "fc":
        xs = [convert(x, dtypes.default_float_dtype(), x.weak_type) for x in xs]
    return xs


def normalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    try:
        a = operator.index(axis)  # ints, NumPy ints, integer 0-d arrays; never floats
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(axis).__name__}") from None
    if not -ndim <= a < ndim:
        raise ValueError(f"{name} {axis} is out of bounds for an array of dimension {ndim}")
    return a % ndim


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """None -> all axes; int or sequence -> sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Sequence) and not isinstance(axis, str):
        axes = tuple(normalize_axis(a, ndim) for a in axis)
    else:
        axes = (normalize_axis(axis, ndim),)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(axes))


def shape_tuple(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        out = tuple(int(operator.index(d)) for d in shape)
    except TypeError:
        raise TypeError(f"a shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"negative dimensions are not allowed, got shape {out}")
    return out




def operator_index(d: Any) -> int:
    """``operator.index``: ints, NumPy ints and integer 0-d arrays; never floats."""
    return operator.index(d)


# --- JAX's check_arraylike: no Python lists where an array is expected ------------------------
# JAX rejects a list or tuple given for an array argument of most jax.numpy functions (an
# implicit conversion would hide a per-element trace and a copy); these follow it.  Functions
# that take sequences of arrays by design (array, asarray, stack, concatenate, block, select,
# ...) are not listed.  The array parameters are found by name (ARRAYLIKE_PARAMS), or listed.
ARRAYLIKE_FUNCTIONS = (
    "abs absolute acos acosh add all allclose amax amin any append arccos arccosh arcsin arcsinh "
    "arctan arctan2 arctanh argmax argmin argsort argwhere around array_split asin asinh atan atan2 "
    "atanh atleast_1d atleast_2d atleast_3d bincount bitwise_and bitwise_count bitwise_invert "
    "bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor broadcast_arrays "
    "broadcast_to cbrt ceil choose clip compress copy copysign corrcoef correlate convolve cos cosh "
    "count_nonzero cov cross cumprod cumsum cumulative_prod cumulative_sum deg2rad degrees delete "
    "diag diagflat diagonal diff digitize divide divmod dot dsplit ediff1d empty_like equal exp exp2 "
    "expand_dims expm1 extract fabs flatnonzero flip fliplr flipud float_power floor floor_divide fmax "
    "fmin fmod frexp full full_like gcd greater greater_equal heaviside histogram hsplit hypot i0 "
    "inner insert interp intersect1d invert isclose isfinite isin isinf isnan isneginf isposinf kron "
    "lcm ldexp left_shift less less_equal linspace log log10 log1p log2 logaddexp logaddexp2 "
    "logical_and logical_not logical_or logical_xor matmul matrix_transpose matvec max maximum mean "
    "median meshgrid min minimum mod modf moveaxis multiply nan_to_num nanargmax nanargmin nancumprod "
    "nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar negative nextafter nonzero "
    "not_equal ones_like outer pad percentile permute_dims polyval positive pow power prod ptp quantile "
    "rad2deg radians ravel reciprocal remainder repeat reshape right_shift rint roll rot90 round "
    "searchsorted setdiff1d sign signbit sin sinc sinh sort spacing split sqrt square squeeze std "
    "subtract sum take take_along_axis tan tanh tensordot tile trace transpose trapezoid tril triu "
    "true_divide trunc union1d unique unique_values unravel_index unstack var vdot vecdot vecmat "
    "vsplit where zeros_like"
).split()
ARRAYLIKE_PARAMS = frozenset(
    "x y a b x1 x2 arr ary m v condition array ar ar1 ar2 A arys args xi indices min max a_min a_max "
    "start stop xp fp".split()
)  # not quantile's q: NumPy code passes q as a list everywhere (JAX would raise; we accept it)
_ARRAYLIKE_OVERRIDES = {"full": ("fill_value",), "full_like": ("x", "fill_value")}


def check_arraylike(name: str, *args: Any) -> None:
    """JAX's rule: a list or tuple where ``name`` expects an array is a TypeError.

    Example:
        >>> check_arraylike("sum", np.ones(2), 3.0)
        >>> check_arraylike("sum", [1, 2])
        Traceback (most recent call last):
        ...
        TypeError: sum requires ndarray or scalar arguments, got <class 'list'> at position 0.
    """
    for i, v in enumerate(args):
        if isinstance(v, (list, tuple)):
            raise TypeError(f"{name} requires ndarray or scalar arguments, got {type(v)} at position {i}.")


def _guard(name: str, f: Any) -> Any:
    """``f`` behind JAX's check of its array parameters.  The wrapper runs
    code generated with ``f``'s own parameter list (same defaults, passed on
    as given), so that a call costs one extra frame and an isinstance per
    array argument (~0.15 us), not an ``*args``/``**kwargs`` repacking.

    Generating that code for every guarded function cost ~10 ms of
    ``import functorch_lite``; so the wrapper starts as a stand-in that
    generates its code on its first call and takes it over (``__code__``),
    and every later call runs the generated code directly."""
    names = _param_names(f)
    if names is None:
        try:
            sig = inspect.signature(f)
        except (TypeError, ValueError):
            return f
        names = tuple(p.name for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD)
    wanted = _ARRAYLIKE_OVERRIDES.get(name)
    if not any((n in wanted) if wanted is not None else (n in ARRAYLIKE_PARAMS) for n in names):
        return f
    # __name__: warnings pointed at the caller skip this frame as the package's own
    env: dict[str, Any] = {"__name__": __name__, "__builtins__": __builtins__, "_ck_f": f,
                           "_ck_name": name, "_ck_first_call": _first_call}
    checked: Any = types.FunctionType(_STAND_IN, env, "checked")
    env["_ck_self"] = checked
    functools.update_wrapper(checked, f)
    checked._arraylike_checked = True
    return checked


def _param_names(f: Any) -> tuple[str, ...] | None:
    """The parameter names of a plain function, read from its code, except a
    ``**kwargs`` (never checked); None for anything else (``inspect`` decides)."""
    if type(f) is not types.FunctionType or "__wrapped__" in f.__dict__ or "__signature__" in f.__dict__:
        return None
    code = f.__code__
    n = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & inspect.CO_VARARGS)
    return code.co_varnames[:n]


def _first_call(env: dict[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A stand-in's first call: generate the checking code and give it to the
    stand-in (concurrent first calls each generate the same code; harmless)."""
    checked = env["_ck_self"]
    code = _checked_code(env["_ck_name"], env["_ck_f"], env)
    checked.__code__ = code.__code__
    checked.__defaults__ = code.__defaults__
    checked.__kwdefaults__ = code.__kwdefaults__
    return checked(*args, **kwargs)


_stand_in_env: dict[str, Any] = {}
exec(compile("def checked(*args, **kwargs):\n    return _ck_first_call(_ck_self.__globals__, args, kwargs)\n",  # noqa: S102
             "<check_arraylike>", "exec"), _stand_in_env)
_STAND_IN: types.CodeType = _stand_in_env.pop("checked").__code__


def _checked_code(name: str, f: Any, env: dict[str, Any]) -> Any:
    """The checking function for ``f``, generated from its signature, with
    ``env`` (filled here) as its globals."""
    sig = inspect.signature(f)
    wanted = _ARRAYLIKE_OVERRIDES.get(name)
    env.update({"_ck_seq": (list, tuple), "_ck_isinstance": isinstance, "_ck_enumerate": enumerate,
                "_ck_fail": _arraylike_error(name)})
    params: list[str] = []
    call: list[str] = []
    body: list[str] = []
    slash = star = False
    k = 0
    for i, p in enumerate(sig.parameters.values()):
        if p.kind is not p.POSITIONAL_ONLY and not slash and any(
                q.kind is q.POSITIONAL_ONLY for q in sig.parameters.values()):
            params.append("/")
            slash = True
        if p.kind is p.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        default = ""
        if p.default is not p.empty:
            env[f"_ck_d{i}"] = p.default
            default = f"=_ck_d{i}"
        if p.kind is p.VAR_POSITIONAL:
            params.append(f"*{p.name}")
            call.append(f"*{p.name}")
            star = True
        elif p.kind is p.VAR_KEYWORD:
            params.append(f"**{p.name}")
            call.append(f"**{p.name}")
        else:
            params.append(p.name + default)
            call.append(f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name)
        if not (p.name in wanted if wanted is not None else p.name in ARRAYLIKE_PARAMS):
            continue
        if p.kind is p.VAR_POSITIONAL:
            body.append(f"    for _ck_k, _ck_v in _ck_enumerate({p.name}):\n"
                        f"        if _ck_isinstance(_ck_v, _ck_seq): raise _ck_fail({k} + _ck_k, _ck_v)")
        elif p.kind is not p.VAR_KEYWORD:
            body.append(f"    if _ck_isinstance({p.name}, _ck_seq): raise _ck_fail({k}, {p.name})")
        k += 1
    if not slash and any(q.kind is q.POSITIONAL_ONLY for q in sig.parameters.values()):
        params.append("/")
    src = f"def checked({', '.join(params)}):\n" + "\n".join(body) + f"\n    return _ck_f({', '.join(call)})\n"
    local: dict[str, Any] = {}  # not env: a concurrent first call may be defining its own
    exec(compile(src, f"<check_arraylike {name}>", "exec"), env, local)  # noqa: S102 (source built from a signature)
    return local["checked"]


def _arraylike_error(name: str) -> Any:
    def fail(k: int, v: Any) -> TypeError:
        return TypeError(f"{name} requires ndarray or scalar arguments, got {type(v)} at position {k}.")
    return fail


def guard_arraylike(namespace: dict[str, Any], ops: type | None = None) -> None:
    """Wrap the functions of ``namespace`` that JAX guards with
    ``check_arraylike`` (see :data:`ARRAYLIKE_FUNCTIONS`) so that a list or
    tuple for an array argument raises JAX's TypeError.  The package's own
    modules call the unwrapped functions.  ``ops`` (the class holding the
    functions behind the Array methods and operators) gets the same
    wrappers: JAX's methods check too.

    Example:
        >>> ns = {"sum": lambda a, axis=None: a}
        >>> guard_arraylike(ns)
        >>> ns["sum"](3.0)
        3.0
        >>> ns["sum"]((1, 2))
        Traceback (most recent call last):
        ...
        TypeError: sum requires ndarray or scalar arguments, got <class 'tuple'> at position 0.
    """
    for name in ARRAYLIKE_FUNCTIONS:
        f = namespace.get(name)
        if callable(f) and not isinstance(f, type) and not getattr(f, "_arraylike_checked", False):
            # one wrapper per function, so that aliases stay identical (jnp.linalg.matmul is jnp.matmul)
            hit = _GUARDED.get(id(f))
            if hit is None or hit[0] is not f:
                hit = _GUARDED[id(f)] = (f, _guard(name, f))
            namespace[name] = hit[1]
            if ops is not None and vars(ops).get(name) is f:
                setattr(ops, name, hit[1])


_GUARDED: dict[int, tuple[Any, Any]] = {}
