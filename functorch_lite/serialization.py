"""``save``/``load``: arrays, tensors and nested state dicts in a safe file.

No pickle, and nothing in a file is ever executed: a file is the validated
container of :mod:`functorch_lite.container` (magic ``FLSAVED``, a JSON
header, raw buffers, a SHA-256) in the spirit of safetensors.  The header
lists the *storages* (dtype, element count, where their bytes start) and
the object tree: dicts (string or int keys, insertion order kept), lists,
tuples, ``None``, bools, ints, floats (``nan``/``inf`` included), strings,
NumPy arrays, and Arrays/Tensors as a storage index plus shape, strides and
offset.  Views that shared a storage when saved share one after loading (a
whole storage is saved once, as PyTorch does), so a tensor and its
transpose come back as views of one buffer.

Loading checks everything before allocating: the container's sizes and
checksum, every storage's dtype, size and byte range, every view's layout
against its storage, the nesting depth, and the caller's limits
(``max_bytes``, ``max_elements``, ``max_header_bytes``).  A damaged or
hostile file raises :class:`SaveFormatError` (a ``ValueError``);
:class:`SaveLimitError` when a limit is exceeded.

Example:
    >>> import io
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.arange(6.0).reshape(2, 3)
    >>> buf = io.BytesIO()
    >>> fl.save({"x": x, "xt": x.T, "step": 3}, buf)
    >>> back = fl.load(buf.getvalue())
    >>> back["xt"].tolist(), back["step"], back["xt"].storage() is back["x"].storage()
    ([[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], 3, True)
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from typing import Any

import numpy as np

from functorch_lite import container
from functorch_lite.array import Array, Storage, check_layout
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._dtypes import from_np
from functorch_lite.stateful._storage import EXCLUSIVE, StorageHandle

MAGIC = b"FLSAVED\0"
FORMAT_VERSION = 1
_ALIGN = 64
MAX_DEPTH = 64


class SaveFormatError(ValueError):
    """A file is not a valid functorch_lite save (corrupt, truncated, another
    version or hostile).

    Example:
        >>> try:
        ...     load(b"")
        ... except SaveFormatError as e:
        ...     print(e)
        not a functorch_lite saved file: the data is empty
    """


class SaveLimitError(SaveFormatError):
    """A file exceeds a limit given to :func:`load`; pass a larger limit if it is trusted."""


_FORMAT = container.ContainerFormat(MAGIC, frozenset({FORMAT_VERSION}), "saved file", SaveFormatError,
                                    SaveLimitError)
_V = container.Validator(SaveFormatError)


# --- save -------------------------------------------------------------------------------------------


class _Writer:
    """Collects storages (each once, keyed by identity) and their bytes."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.index: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps keyed objects alive so their ids stay unique

    def storage(self, key: Any, flat: np.ndarray[Any, Any]) -> int:
        k = id(key)
        if k in self.index:
            return self.index[k]
        pad = -self.size % _ALIGN
        self.chunks.append(b"\0" * pad)
        self.size += pad
        data = np.ascontiguousarray(flat).tobytes()
        self.records.append({"dtype": flat.dtype.name, "size": int(flat.size), "start": self.size})
        self.chunks.append(data)
        self.size += len(data)
        self.index[k] = len(self.records) - 1
        self.keep.append(key)
        return self.index[k]


def _encode(obj: Any, w: _Writer, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"save: the object is nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, str)):
        return {"t": "value", "v": obj}
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
        return {"t": "int", "v": int(obj)}
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return {"t": "float", "v": f if math.isfinite(f) else repr(f)}
    if isinstance(obj, TensorBase):
        return _encode_tensor(obj, w)
    if isinstance(obj, Array):
        return {"t": "array", "s": w.storage(obj._storage, obj._storage._data), "shape": list(obj.shape),
                "strides": list(obj._strides), "offset": obj._offset, "weak": obj.weak_type}
    if isinstance(obj, np.ndarray):
        if obj.dtype.name not in container.DTYPE_NAMES:
            raise TypeError(f"save: NumPy dtype {obj.dtype} is not supported; use one of "
                            f"{sorted(container.DTYPE_NAMES)}")
        c = np.ascontiguousarray(obj)
        return {"t": "ndarray", "s": w.storage(c, c.reshape(-1)), "shape": list(c.shape)}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} {k!r}")
        return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "k": list(obj),
                "v": [_encode(v, w, depth + 1) for v in obj.values()]}
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return {"t": type(obj).__name__, "v": [_encode(v, w, depth + 1) for v in obj]}
    raise TypeError(f"save: cannot save a {type(obj).__name__}; save arrays, tensors, numbers, strings and "
                    "dicts/lists/tuples of them (no pickle, so no arbitrary objects)")


def _encode_tensor(t: TensorBase, w: _Writer) -> dict[str, Any]:
    h = t._h
    idx = w.storage(h, h.storage._data)
    shape, strides, offset = t._layout
    return {"t": "tensor", "s": idx, "shape": list(shape), "strides": list(strides), "offset": offset,
            "requires_grad": bool(t._requires_grad)}


def save(obj: Any, f: Any) -> None:
    """Write ``obj`` (arrays, tensors, numbers, strings, and dicts/lists/tuples
    of them, e.g. a module's or an optimizer's ``state_dict()``) to ``f``, a
    path or a writable binary file object.  Views sharing a storage are saved
    with one copy of it.

    Example:
        >>> import io
        >>> import functorch_lite.numpy as jnp
        >>> b = io.BytesIO(); save([jnp.ones(2), None, 1.5], b); len(b.getvalue()) > 100
        True
    """
    w = _Writer()
    tree = _encode(obj, w, 0)
    header = {"format": "functorch_lite.save", "storages": w.records, "object": tree}
    data = container.pack(_FORMAT, header, b"".join(w.chunks), FORMAT_VERSION)
    if isinstance(f, (str, os.PathLike)):
        tmp = f"{os.fspath(f)}.tmp{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, f)  # readers never see a half-written file
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"save: f must be a path or a writable binary file, got {type(f).__name__}")


# --- load -------------------------------------------------------------------------------------------


def _storages(records: Any, buffers: memoryview, lim: container.Limits) -> list[np.ndarray[Any, Any]]:
    out = []
    for i, rec in enumerate(_V.items(records, "storages")):
        where = f"storage {i}"
        r = _V.obj(rec, where, ("dtype", "size", "start"))
        dt = _V.dtype(r["dtype"], where)
        n = _V.integer(r["size"], f"{where} size", 0, lim.max_elements)
        start = _V.integer(r["start"], f"{where} start", 0, buffers.nbytes)
        lim.check_array((n,), dt, where)
        end = start + n * dt.itemsize
        if end > buffers.nbytes:
            raise SaveFormatError(f"{where}: {n} {dt.name} elements from byte {start} run past the end of the "
                                  f"{buffers.nbytes}-byte buffer section")
        lim.charge(n * dt.itemsize, where)
        out.append(np.frombuffer(buffers[start:end], dtype=dt).copy())
    return out


class _Decoder:
    def __init__(self, storages: list[np.ndarray[Any, Any]]) -> None:
        self.storages = storages
        self.array_storages: dict[int, Storage] = {}
        self.handles: dict[int, StorageHandle] = {}

    def storage_index(self, x: Any, where: str) -> int:
        return _V.integer(x, f"{where} storage index", 0, len(self.storages) - 1)

    def layout(self, r: dict[str, Any], where: str, s: int) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        shape = [_V.integer(d, f"{where} shape", 0) for d in _V.items(r["shape"], f"{where} shape")]
        strides = [_V.integer(d, f"{where} strides") for d in _V.items(r["strides"], f"{where} strides")]
        offset = _V.integer(r["offset"], f"{where} offset")
        if len(shape) > 32:
            raise SaveFormatError(f"{where}: {len(shape)} dimensions, more than 32")
        try:
            return check_layout(tuple(shape), tuple(strides), offset, len(self.storages[s]), name=where,
                                fix="the file is damaged or hostile")
        except (TypeError, ValueError) as e:
            raise SaveFormatError(str(e)) from None

    def decode(self, x: Any, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SaveFormatError(f"{where}: nested more than {MAX_DEPTH} levels deep")
        tag = _V.obj(x, where, ("t",), ("v", "k", "s", "shape", "strides", "offset", "weak", "requires_grad"))["t"]
        if tag == "value":
            v = _V.obj(x, where, ("t", "v"))["v"]
            if v is not None and not isinstance(v, (bool, str)):
                raise SaveFormatError(f"{where}: a value must be null, true/false or a string, got "
                                      f"{container.short(v)}")
            return v
        if tag == "int":
            return _V.integer(_V.obj(x, where, ("t", "v"))["v"], where)
        if tag == "float":
            return self.decode_float(_V.obj(x, where, ("t", "v"))["v"], where)
        if tag in ("dict", "odict"):
            return self.decode_dict(_V.obj(x, where, ("t", "k", "v")), tag, where, depth)
        if tag in ("list", "tuple"):
            items = [self.decode(v, f"{where}[{i}]", depth + 1)
                     for i, v in enumerate(_V.items(_V.obj(x, where, ("t", "v"))["v"], where))]
            return items if tag == "list" else tuple(items)
        if tag == "ndarray":
            r = _V.obj(x, where, ("t", "s", "shape"))
            s = self.storage_index(r["s"], where)
            shape = tuple(_V.integer(d, f"{where} shape", 0) for d in _V.items(r["shape"], f"{where} shape"))
            if math.prod(shape) != self.storages[s].size:
                raise SaveFormatError(f"{where}: shape {shape} does not match its storage of "
                                      f"{self.storages[s].size} elements")
            return self.storages[s].copy().reshape(shape)
        if tag == "array":
            return self.decode_array(_V.obj(x, where, ("t", "s", "shape", "strides", "offset", "weak")), where)
        if tag == "tensor":
            return self.decode_tensor(_V.obj(x, where, ("t", "s", "shape", "strides", "offset", "requires_grad")),
                                      where)
        raise SaveFormatError(f"{where}: unknown object tag {container.short(tag)}")

    @staticmethod
    def decode_float(v: Any, where: str) -> float:
        if isinstance(v, str) and v in ("nan", "inf", "-inf"):
            return float(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        raise SaveFormatError(f"{where}: expected a number, got {container.short(v)}")

    def decode_dict(self, r: dict[str, Any], tag: str, where: str, depth: int) -> dict[Any, Any]:
        keys, values = _V.items(r["k"], f"{where} keys"), _V.items(r["v"], f"{where} values")
        if len(keys) != len(values):
            raise SaveFormatError(f"{where}: {len(keys)} keys but {len(values)} values")
        out: dict[Any, Any] = OrderedDict() if tag == "odict" else {}
        for i, (k, v) in enumerate(zip(keys, values)):
            if not (isinstance(k, str) or type(k) is int) or k in out:
                raise SaveFormatError(f"{where}: key {i} ({container.short(k)}) is not a new str or int key")
            out[k] = self.decode(v, f"{where}[{k!r}]", depth + 1)
        return out

    def decode_array(self, r: dict[str, Any], where: str) -> Array:
        s = self.storage_index(r["s"], where)
        shape, strides, offset = self.layout(r, where, s)
        st = self.array_storages.get(s)
        if st is None:
            st = self.array_storages[s] = Storage(self.storages[s])
        return Array._unchecked(st, shape, strides, offset, _V.boolean(r["weak"], f"{where} weak"))

    def decode_tensor(self, r: dict[str, Any], where: str) -> Any:
        s = self.storage_index(r["s"], where)
        lay = self.layout(r, where, s)
        h = self.handles.get(s)
        if h is None:
            h = self.handles[s] = StorageHandle(Storage(self.storages[s]), EXCLUSIVE)
        t = TensorBase._make(h, lay, from_np(self.storages[s].dtype))
        rg = _V.boolean(r["requires_grad"], f"{where} requires_grad")
        if rg and self.storages[s].dtype.kind != "f":
            raise SaveFormatError(f"{where}: a {self.storages[s].dtype} tensor cannot require gradients")
        t._requires_grad = rg  # a loaded tensor is a leaf, as torch.load gives
        return t


def load(f: Any, *, max_bytes: int = container.DEFAULT_MAX_BYTES, max_elements: int = container.DEFAULT_MAX_ELEMENTS,
         max_header_bytes: int = container.DEFAULT_MAX_HEADER_BYTES) -> Any:
    """Read what :func:`save` wrote, from a path, bytes or a readable binary file,
    validating all of it first (see the module docstring).

    Example:
        >>> import io
        >>> import functorch_lite.numpy as jnp
        >>> b = io.BytesIO(); save({"w": jnp.arange(3)}, b)
        >>> load(b.getvalue())["w"].tolist()
        [0, 1, 2]
    """
    lim = container.Limits(_FORMAT, max_elements, max_bytes, max_header_bytes)
    if hasattr(f, "read") and not isinstance(f, (str, os.PathLike)):
        data = container.read_source(_FORMAT, f.read(lim.max_file_size() + 1), lim)
    else:
        data = container.read_source(_FORMAT, f, lim)
    header, buffers = container.unpack(_FORMAT, data, lim)
    try:
        h = _V.obj(header, "header", ("format", "storages", "object"))
        if h["format"] != "functorch_lite.save":
            raise SaveFormatError(f"header: format {container.short(h['format'])} is not 'functorch_lite.save'")
        return _Decoder(_storages(h["storages"], buffers, lim)).decode(h["object"], "object", 0)
    except RecursionError:
        raise SaveFormatError("the saved object is nested too deeply") from None


__all__ = ["save", "load", "SaveFormatError", "SaveLimitError", "MAGIC", "FORMAT_VERSION"]
