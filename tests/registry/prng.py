"""Registry entries for the PRNG: the ``threefry2x32`` primitive (on uint32
words, and on int32 bit patterns as older exported programs stage it) and the
key functions built on it (uint32 keys, as JAX's), against a tiny pure-NumPy
uint32 Threefry-2x32."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import random
from functorch_lite.ops.prng import threefry2x32_p
from tests.registry import OpEntry, register
from tests.strategies import np_arrays, shapes

_I32 = np.dtype(np.int32)
_U32 = np.dtype(np.uint32)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry2x32_ref(k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Threefry-2x32-20 (Random123) on uint32 NumPy arrays, straight from the spec."""
    with np.errstate(over="ignore"):
        k0, k1, x0, x1 = (np.asarray(a).astype(np.uint32) for a in np.broadcast_arrays(k0, k1, x0, x1))
        ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
        x0 = x0 + ks[0]
        x1 = x1 + ks[1]
        for group in range(5):
            for r in _ROTATIONS[group % 2]:
                x0 = x0 + x1
                x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
            x0 = x0 + ks[(group + 1) % 3]
            x1 = x1 + ks[(group + 2) % 3] + np.uint32(group + 1)
    return x0, x1


def _as_u32(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.array(a, np.uint32, order="C")


def _threefry_ref(k0: Any, k1: Any, x0: Any, x1: Any) -> list[np.ndarray[Any, Any]]:
    """Outputs in the operands' dtype: uint32, or int32 bit patterns."""
    dt = np.asarray(x0).dtype
    y0, y1 = threefry2x32_ref(*(np.asarray(a).view(np.uint32) for a in (k0, k1, x0, x1)))
    return [np.array(y0, order="C").view(dt), np.array(y1, order="C").view(dt)]


_FULL = {_U32: (0, 2**32 - 1), _I32: (-(2**31), 2**31 - 1)}


def _words(data: Any, shape: tuple[int, ...], dtype: np.dtype[Any] = _U32) -> np.ndarray[Any, Any]:
    return data.draw(np_arrays(dtype, shape, *_FULL[dtype]))  # type: ignore[no-any-return]


def _four_words(data: Any, dtype: np.dtype[Any] = _U32) -> list[np.ndarray[Any, Any]]:
    shape = data.draw(shapes())
    return [_words(data, shape, dtype) for _ in range(4)]


def _key_input(data: Any) -> list[np.ndarray[Any, Any]]:
    return [_words(data, (2,))]


def _key_and_data(data: Any) -> list[np.ndarray[Any, Any]]:
    return [_words(data, (2,)), _words(data, (), _I32)]  # fold_in's data: any 32-bit integer


def _ref_blocks(key: np.ndarray[Any, Any], shape: tuple[int, ...]) -> tuple[Any, Any]:
    n = int(np.prod(shape))
    idx = np.arange(n, dtype=np.uint64).reshape(shape)
    k = key.view(np.uint32)
    return threefry2x32_ref(k[0], k[1], (idx >> np.uint64(32)).astype(np.uint32), idx.astype(np.uint32))


def _ref_split(key: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y0, y1 = _ref_blocks(key, (3,))
    return _as_u32(np.stack([y0, y1], axis=-1))


def _ref_fold_in(key: np.ndarray[Any, Any], d: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    k = key.view(np.uint32)
    y0, y1 = threefry2x32_ref(k[0], k[1], np.uint32(0), np.asarray(d).view(np.uint32))
    return _as_u32(np.stack([y0, y1]))


def _ref_bits(key: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y0, y1 = _ref_blocks(key, (2, 5))
    return _as_u32(y0 ^ y1)


def _ref_bits64(key: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y0, y1 = _ref_blocks(key, (4,))
    return (y0.astype(np.uint64) << np.uint64(32)) | y1.astype(np.uint64)  # type: ignore[no-any-return]


def _ref_uniform(key: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y0, y1 = _ref_blocks(key, (4, 3))
    # 23 random bits as the mantissa of a float in [1, 2), minus 1
    f = ((y0 ^ y1) >> np.uint32(9) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1.0)
    return f * np.float32(3.0) + np.float32(-1.0)  # type: ignore[no-any-return]


def _ref_uniform64(key: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y0, y1 = _ref_blocks(key, (6,))
    b = (y0.astype(np.uint64) << np.uint64(32)) | y1.astype(np.uint64)
    return (b >> np.uint64(12) | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0  # type: ignore[no-any-return]


register(OpEntry(
    "threefry2x32", lambda k0, k1, x0, x1: threefry2x32_p.bind(k0, k1, x0, x1), _threefry_ref, _four_words,
    ("threefry2x32",), differentiable=False, nondiff_args=(0, 1, 2, 3),
))
register(OpEntry(  # int32 words: how programs exported before uint32 keys stage the op
    "threefry2x32_int32", lambda k0, k1, x0, x1: threefry2x32_p.bind(k0, k1, x0, x1), _threefry_ref,
    lambda data: _four_words(data, _I32), ("threefry2x32",), differentiable=False, nondiff_args=(0, 1, 2, 3),
))
register(OpEntry("random.split", lambda k: random.split(k, 3), _ref_split, _key_input, ("threefry2x32",),
                 differentiable=False, nondiff_args=(0,)))
register(OpEntry("random.fold_in", random.fold_in, _ref_fold_in, _key_and_data, ("threefry2x32",),
                 differentiable=False, nondiff_args=(0, 1)))
register(OpEntry("random.bits", lambda k: random.bits(k, (2, 5), "uint32"), _ref_bits, _key_input,
                 ("threefry2x32",), differentiable=False, nondiff_args=(0,)))
register(OpEntry("random.bits_u64", lambda k: random.bits(k, (4,), "uint64"), _ref_bits64, _key_input,
                 ("threefry2x32",), differentiable=False, nondiff_args=(0,)))
register(OpEntry("random.split_int32_key", lambda k: random.split(k, 3), _ref_split,
                 lambda data: [_words(data, (2,), _I32)], ("threefry2x32",), differentiable=False,
                 nondiff_args=(0,)))
register(OpEntry("random.uniform", lambda k: random.uniform(k, (4, 3), "float32", minval=-1.0, maxval=2.0),
                 _ref_uniform,
                 _key_input, ("threefry2x32",), differentiable=False, nondiff_args=(0,)))
register(OpEntry("random.uniform_f64", lambda k: random.uniform(k, (6,), "float64"), _ref_uniform64,
                 _key_input, ("threefry2x32",), differentiable=False, nondiff_args=(0,)))
