"""Read and write ``.safetensors`` files (the format's published layout), validated.

Layout: a little-endian ``uint64`` header length ``N``, ``N`` bytes of JSON
(``{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ...}``, padded with spaces), then the byte
buffer, each tensor C-contiguous at its offsets.  ``save_file``/``load_file``
and ``save``/``load`` (bytes) mirror the ``safetensors.numpy`` functions,
with Arrays (and Tensors, on saving) in place of NumPy arrays.

Loading checks the header length against the file, rejects duplicate names,
unknown dtypes, negative or mismatched shapes, offsets outside the buffer,
and entries that overlap or leave gaps (the format requires the buffer to be
covered exactly), all before any tensor is allocated; it raises
:class:`SafetensorsError` (a ``ValueError``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> data = save({"w": jnp.arange(4.0).reshape(2, 2)}, metadata={"step": "3"})
    >>> load(data)["w"].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
"""

from __future__ import annotations

import math
import os
import struct
from typing import Any

import numpy as np

from functorch_lite import container
from functorch_lite.array import Array
from functorch_lite.stateful._base import TensorBase

_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
          "float32": "F32", "float64": "F64"}
_DTYPES = {code: np.dtype(name) for name, code in _CODES.items()}
_KNOWN_UNSUPPORTED = {"F16", "BF16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "C64"}
MAX_HEADER_BYTES = 100 * 2**20  # the reference implementation's limit


class SafetensorsError(ValueError):
    """A ``.safetensors`` file is malformed, hostile, or uses a dtype this library lacks."""


# only the container's file reading, limits and JSON checks apply (the layout is the format's own)
_FORMAT = container.ContainerFormat(b"", frozenset(), "safetensors file", SafetensorsError, SafetensorsError)


def _as_numpy(name: str, x: Any) -> np.ndarray[Any, Any]:
    if isinstance(x, TensorBase):
        arr: np.ndarray[Any, Any] = np.array(x._np_read(), copy=True)
    elif isinstance(x, Array):
        arr = np.asarray(x)
    else:
        raise TypeError(f"safetensors: {name!r} must be an Array or a Tensor, got {type(x).__name__}")
    if arr.dtype.name not in _CODES:
        raise TypeError(f"safetensors: {name!r} has dtype {arr.dtype}, which the format cannot hold here")
    return np.ascontiguousarray(arr)


def save(tensors: dict[str, Any], metadata: dict[str, str] | None = None) -> bytes:
    """The ``.safetensors`` bytes of a dict of arrays/tensors.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int.from_bytes(save({"a": jnp.zeros(1)})[:8], "little") % 8  # the header is padded to 8 bytes
        0
    """
    if not isinstance(tensors, dict) or not all(isinstance(k, str) for k in tensors):
        raise TypeError("safetensors: save takes a dict with str keys")
    header: dict[str, Any] = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors: metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    chunks, pos = [], 0
    # largest alignment first, then by name, as the reference writer orders them
    arrays = {k: _as_numpy(k, v) for k, v in tensors.items()}
    for name in sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k)):
        a = arrays[name]
        data = a.tobytes()
        header[name] = {"dtype": _CODES[a.dtype.name], "shape": list(a.shape), "data_offsets": [pos, pos + len(data)]}
        chunks.append(data)
        pos += len(data)
    import json  # start-up cost: loaded on first save, not with the library

    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    return struct.pack("<Q", len(hb)) + hb + b"".join(chunks)


def save_file(tensors: dict[str, Any], filename: str | os.PathLike[str],
              metadata: dict[str, str] | None = None) -> None:
    """Write :func:`save`'s bytes to ``filename`` (atomically: a temporary file, then a rename).

    Example:
        >>> import os, tempfile
        >>> import functorch_lite.numpy as jnp
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_file({"a": jnp.ones(2)}, path); load_file(path)["a"].tolist()
        [1.0, 1.0]
    """
    data = save(tensors, metadata)
    tmp = f"{os.fspath(filename)}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, filename)


def _entries(header: Any, blen: int) -> list[tuple[str, np.dtype[Any], tuple[int, ...], int, int]]:
    if not isinstance(header, dict):
        raise SafetensorsError("safetensors: the header is not a JSON object")
    meta = header.get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise SafetensorsError("safetensors: __metadata__ must map str to str")
    out = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"safetensors: entry {name!r} must have exactly dtype, shape and data_offsets")
        code = info["dtype"]
        if code not in _DTYPES:
            extra = " (a valid safetensors dtype this library does not support)" if code in _KNOWN_UNSUPPORTED else ""
            raise SafetensorsError(f"safetensors: entry {name!r} has dtype {container.short(code)}{extra}")
        shape = info["shape"]
        offs = info["data_offsets"]
        if not (isinstance(shape, list) and len(shape) <= 32 and all(type(d) is int and d >= 0 for d in shape)):
            raise SafetensorsError(f"safetensors: entry {name!r} has a bad shape {container.short(shape)}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(type(o) is int for o in offs)
                and 0 <= offs[0] <= offs[1] <= blen):
            raise SafetensorsError(f"safetensors: entry {name!r} has data_offsets {container.short(offs)} outside "
                                   f"the {blen}-byte buffer")
        dt = _DTYPES[code]
        if math.prod(shape) * dt.itemsize != offs[1] - offs[0]:
            raise SafetensorsError(f"safetensors: entry {name!r}: shape {shape} of {code} takes "
                                   f"{math.prod(shape) * dt.itemsize} bytes, but its offsets span {offs[1] - offs[0]}")
        out.append((name, dt, tuple(shape), offs[0], offs[1]))
    pos = 0
    for name, _, _, begin, end in sorted(out, key=lambda e: (e[3], e[4])):
        if begin != pos:
            raise SafetensorsError(f"safetensors: entry {name!r} starts at byte {begin}, expected {pos} "
                                   "(entries must cover the buffer without gaps or overlaps)")
        pos = end
    if pos != blen:
        raise SafetensorsError(f"safetensors: the entries cover {pos} bytes of a {blen}-byte buffer")
    return out


def load(data: bytes | bytearray | memoryview) -> dict[str, Array]:
    """The arrays of ``.safetensors`` bytes, validated first.

    Example:
        >>> try:
        ...     load(b"\\x08" + b"\\0" * 7 + b"{}")
        ... except SafetensorsError as e:
        ...     print(e)
        safetensors: the header length 8 runs past the end of the 10-byte data
    """
    mv = memoryview(data).toreadonly()
    if mv.nbytes < 8:
        raise SafetensorsError(f"safetensors: {mv.nbytes} bytes is shorter than the 8-byte length prefix")
    (n,) = struct.unpack_from("<Q", mv, 0)
    if n > MAX_HEADER_BYTES:
        raise SafetensorsError(f"safetensors: the header claims {n} bytes, more than the {MAX_HEADER_BYTES} allowed")
    if 8 + n > mv.nbytes:
        raise SafetensorsError(f"safetensors: the header length {n} runs past the end of the {mv.nbytes}-byte data")
    header = container.parse_json(_FORMAT, bytes(mv[8:8 + n]))
    buffer = mv[8 + n:]
    out: dict[str, Array] = {}
    for name, dt, shape, begin, end in _entries(header, buffer.nbytes):
        out[name] = Array._wrap(np.frombuffer(buffer[begin:end], dtype=dt).reshape(shape).copy())
    return out


def load_file(filename: str | os.PathLike[str], max_bytes: int = container.DEFAULT_MAX_BYTES) -> dict[str, Array]:
    """The arrays of a ``.safetensors`` file (a regular file of at most ``max_bytes``).

    Example:
        >>> import os, tempfile
        >>> import functorch_lite.numpy as jnp
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_file({"b": jnp.arange(3)}, path); load_file(path)["b"].tolist()
        [0, 1, 2]
    """
    lim = container.Limits(_FORMAT, max_bytes=max_bytes, max_header_bytes=MAX_HEADER_BYTES)
    return load(container.read_source(_FORMAT, filename, lim))


__all__ = ["save", "load", "save_file", "load_file", "SafetensorsError"]
