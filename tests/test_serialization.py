"""fl.save/fl.load and functorch_lite.safetensors: round trips (values, dtypes,
shared views), and damaged or hostile files refused with one exception type."""

from __future__ import annotations

import io
import json
import math
import struct
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import container
from functorch_lite import safetensors as st
from functorch_lite import serialization as S


def _roundtrip(obj: Any) -> Any:
    buf = io.BytesIO()
    fl.save(obj, buf)
    return fl.load(buf.getvalue())


def test_nested_state_dict_round_trip(tmp_path: Path) -> None:
    x = jnp.arange(12.0).reshape(3, 4)
    state = OrderedDict([
        ("weight", x), ("weight_t", x.T), ("row", x[1, ::2]), ("ints", jnp.arange(5, dtype=jnp.int64)),
        ("flags", jnp.array([True, False])), ("np", np.arange(6, dtype=np.int16).reshape(2, 3)),
        ("opt", {"step": 7, "lr": 0.1, "betas": (0.9, 0.999), "nan": math.nan, "inf": -math.inf,
                 "name": "adam", "none": None, 3: [1, 2]}),
    ])
    path = tmp_path / "state.fl"
    fl.save(state, path)
    back = fl.load(path)
    assert isinstance(back, OrderedDict) and list(back) == list(state)
    for k in ("weight", "weight_t", "row", "ints", "flags"):
        assert back[k].dtype == state[k].dtype and back[k].shape == state[k].shape
        np.testing.assert_array_equal(np.asarray(back[k]), np.asarray(state[k]))
    assert back["weight_t"].stride() == state["weight_t"].stride()
    assert back["weight"].storage() is back["weight_t"].storage() is back["row"].storage()
    assert isinstance(back["np"], np.ndarray) and back["np"].dtype == np.int16 and back["np"].flags.writeable
    o = back["opt"]
    assert o["step"] == 7 and o["lr"] == 0.1 and o["betas"] == (0.9, 0.999) and o["name"] == "adam"
    assert math.isnan(o["nan"]) and o["inf"] == -math.inf and o["none"] is None and o[3] == [1, 2]


def test_tensor_views_share_after_load_and_stay_independent() -> None:
    t = fl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    back = _roundtrip({"t": t, "col": t.detach()[:, 1], "other": fl.zeros(2, dtype=fl.int32)})
    assert back["t"].requires_grad and back["t"].dtype == fl.float32
    assert back["col"].tolist() == [2.0, 4.0] and back["other"].dtype == fl.int32
    assert back["col"].untyped_storage().data_ptr() == back["t"].untyped_storage().data_ptr()
    with fl.no_grad():
        back["t"][0, 1] = 20.0  # a write through one view is seen by the other, as when saved
    assert back["col"].tolist() == [20.0, 4.0]
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # the original is untouched


def test_refuses_what_it_cannot_save() -> None:
    with pytest.raises(TypeError, match="no pickle"):
        fl.save({"f": lambda: 1}, io.BytesIO())
    with pytest.raises(TypeError, match="keys must be str or int"):
        fl.save({(1, 2): jnp.ones(1)}, io.BytesIO())


def _valid() -> bytes:
    buf = io.BytesIO()
    x = jnp.arange(8.0).reshape(2, 4)
    fl.save({"x": x, "xt": x.T, "t": fl.ones(3)}, buf)
    return buf.getvalue()


def _repack(mutate: Any) -> bytes:
    header, buffers = container.unpack(S._FORMAT, _valid(), container.Limits(S._FORMAT))
    mutate(header)
    return container.pack(S._FORMAT, header, bytes(buffers))


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def mutate(h: Any) -> None:
        node = h
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return mutate


HOSTILE = [
    ("storage past the end", _set(("storages", 0, "size"), 10**6), "past the end"),
    ("negative storage size", _set(("storages", 0, "size"), -1), "out of range"),
    ("unknown dtype", _set(("storages", 0, "dtype"), "object"), "not supported"),
    ("view outside storage", _set(("object", "v", 0, "offset"), 5), "elements"),
    ("negative stride escaping", _set(("object", "v", 1, "strides"), [-1, 4]), "elements"),
    ("bad storage index", _set(("object", "v", 0, "s"), 99), "out of range"),
    ("unknown tag", _set(("object", "v", 0, "t"), "pickle"), "unknown object tag"),
    ("extra key", _set(("object", "v", 0, "code"), "import os"), "unknown key"),
    ("bool as int", _set(("object", "v", 0, "offset"), True), "expected an integer"),
    ("wrong format", _set(("format",), "other"), "format"),
    ("keys and values differ", _set(("object", "k"), ["x"]), "keys but"),
]


@pytest.mark.parametrize("name,mutate,match", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_headers_are_refused(name: str, mutate: Any, match: str) -> None:
    with pytest.raises(S.SaveFormatError, match=match):
        fl.load(_repack(mutate))


def test_damaged_files_are_refused(tmp_path: Path) -> None:
    data = _valid()
    for bad, match in [(b"", "empty"), (data[:40], "shorter"), (data[:-1], "truncated"), (data + b"x", "trailing"),
                       (data[:100] + bytes([data[100] ^ 1]) + data[101:], "checksum"),
                       (b"PK\x03\x04" + data[4:], "magic")]:
        with pytest.raises(S.SaveFormatError, match=match):
            fl.load(bad)
    deep: Any = {"t": "list", "v": []}
    for _ in range(100):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(S.SaveFormatError, match="nested"):
        fl.load(container.pack(S._FORMAT, {"format": "functorch_lite.save", "storages": [], "object": deep}, b""))
    with pytest.raises(S.SaveLimitError, match="max_bytes"):
        fl.load(data, max_bytes=16)
    fifo = tmp_path / "fifo"
    import os
    os.mkfifo(fifo)
    with pytest.raises(S.SaveFormatError, match="regular file"):
        fl.load(fifo)


# --- safetensors --------------------------------------------------------------------------------


def test_safetensors_round_trip_and_interop(tmp_path: Path) -> None:
    tensors = {"w": jnp.arange(6.0).reshape(2, 3).T, "b": jnp.array([1, -2], dtype=jnp.int64),
               "m": jnp.array([True, False, True]), "t": fl.tensor([0.5, 1.5], dtype=fl.float64),
               "empty": jnp.zeros((0, 3))}
    path = tmp_path / "m.safetensors"
    st.save_file(tensors, path, metadata={"format": "pt"})
    back = st.load_file(path)
    assert set(back) == set(tensors)
    np.testing.assert_array_equal(np.asarray(back["w"]), np.arange(6.0).reshape(2, 3).T)
    assert back["b"].dtype == np.int64 and back["m"].dtype == np.bool_ and back["t"].dtype == np.float64
    assert back["empty"].shape == (0, 3)
    ref = pytest.importorskip("safetensors.numpy")
    theirs = ref.load_file(str(path))
    np.testing.assert_array_equal(theirs["w"], np.asarray(back["w"]))
    ref.save_file({"a": np.arange(4, dtype=np.int32), "z": np.ones((2, 2), np.float32)}, str(tmp_path / "r.st"),
                  metadata={"k": "v"})
    mine = st.load_file(tmp_path / "r.st")
    assert mine["a"].tolist() == [0, 1, 2, 3] and mine["z"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def _st(header: dict[str, Any], buffer: bytes) -> bytes:
    hb = json.dumps(header).encode()
    return struct.pack("<Q", len(hb)) + hb + buffer


ST_HOSTILE = [
    (_st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4), "outside"),
    (_st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "takes 12 bytes"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4), "gaps or overlaps"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8), "gaps or overlaps"),
    (_st({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2), "does not support"),
    (_st({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}, b""), "bad shape"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, b"\0" * 4), "exactly"),
    (_st({"__metadata__": {"k": 1}}, b""), "metadata"),
    (struct.pack("<Q", 2**40) + b"{}", "more than"),
    (struct.pack("<Q", 50) + b"{}", "runs past"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    (struct.pack("<Q", 17) + b'{"a":1, "a":2}   ', "duplicate"),
    (b"\x01", "shorter"),
]


@pytest.mark.parametrize("data,match", ST_HOSTILE)
def test_safetensors_hostile_files_are_refused(data: bytes, match: str) -> None:
    with pytest.raises(st.SafetensorsError, match=match):
        st.load(data)
