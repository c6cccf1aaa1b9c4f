"""Exported programs are data, not code: format strings, resource limits,
loop budgets and a hostile-file corpus.

Every damaged or hostile file must raise ExportFormatError (a ValueError)
at ``load`` -- never crash, hang, allocate without bound, or reach a kernel
with a value of the wrong type.  The riskiest cases run in a subprocess, so
a crash or hang fails the test instead of the run.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core, lax, tree
from functorch_lite import export as E
from functorch_lite.ops.tables import param_types
from functorch_lite.transforms.control_flow import LoopLimitError
from functorch_lite.transforms.ir import eval_program

REPO = Path(__file__).resolve().parents[1]

SECRET_ATTACK = "{0.ctypes.data_as.__globals__[sys].modules[os].environ[TOKEN]}"
WIDTH_ATTACK = "{0:>1000000000}"


# --- a sample that uses many param kinds ------------------------------------------------------

_W = np.arange(6, dtype=np.float32).reshape(3, 2) / 4


def _rich(d: Any, x: Any, n: Any) -> Any:
    h = jnp.matmul(x, jnp.asarray(_W)) + d["b"]
    t = jnp.transpose(h).reshape(-1)
    s = jnp.cumsum(t[1:3], axis=0)
    c = jnp.concatenate([s, jnp.sum(x, axis=1)])
    k = jnp.argmax(x, axis=0).astype("float32")
    p = jnp.pad(c, (1, 2))
    srt = jnp.sort(p[::-1])
    loop = lax.while_loop(lambda v: v[0] < n, lambda v: (v[0] + 1, v[1] * 2.0), (0, jnp.sum(k)))[1]
    sc = lax.scan(lambda carry, e: (carry + e, carry * e), 0.0, srt)
    br = lax.cond(n > 2, lambda v: v * 2.0, lambda v: -v, sc[1])
    fl.debug.print("n={0} loop={1!r:>8}", n, loop)
    return {"out": br, "loop": loop, "sq": jnp.squeeze(jnp.expand_dims(c, 0), 0)}


def _rich_args() -> tuple[Any, ...]:
    x = jnp.asarray(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    return ({"b": jnp.asarray(np.float32(0.5))}, x, jnp.array(3, dtype="int32"))


@functools.cache
def rich_bytes() -> bytes:
    return E.export(_rich, *_rich_args()).serialize()


def _small(x: Any, n: Any) -> Any:
    w = jnp.asarray(np.array([0.5, -1.0, 2.0], dtype=np.float32))
    y = jnp.sum(jnp.tanh(x * w) + 1.0, axis=0)
    return lax.fori_loop(0, n, lambda i, acc: acc * 0.5 + y, jnp.zeros(3))


def _small_args() -> tuple[Any, ...]:
    return (jnp.asarray(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)), jnp.array(4, dtype="int32"))


@functools.cache
def small_bytes() -> bytes:
    return E.export(_small, *_small_args()).serialize()


def header_of(data: bytes) -> tuple[Any, bytes]:
    h, b = E._unpack(data)
    return h, bytes(b)


def repack(h: Any, buffers: bytes) -> bytes:
    return E._pack(h, buffers)


def refused(data: bytes | str | Path, match: str | None = None, **limits: Any) -> E.ExportFormatError:
    with pytest.raises(E.ExportFormatError, match=match) as info:
        E.load(data, **limits)
    assert len(str(info.value)) > 20, info.value
    return info.value


def _walk(x: Any, path: tuple[Any, ...] = ()) -> Any:
    yield path, x
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _walk(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _walk(v, path + (i,))


def _get(h: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        h = h[p]
    return h


def _set(h: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(h)
    _get(out, path[:-1])[path[-1]] = copy.deepcopy(value)
    return out


def _spread(items: list[Any], k: int) -> list[Any]:
    """Up to k items spread over the list (first, last, and between)."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)]


def _eqn_paths(h: Any) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return [(p, x) for p, x in _walk(h) if isinstance(x, dict) and set(x) == {"prim", "in", "params", "out"}]


def _debug_fmt_path(h: Any) -> tuple[Any, ...]:
    for p, e in _eqn_paths(h):
        if e["prim"] == "debug_print":
            (i,) = [i for i, (k, _) in enumerate(e["params"]) if k == "fmt"]
            return p + ("params", i, 1, "v")
    raise AssertionError("no debug_print in the sample")


# --- format strings: checked when tracing ------------------------------------------------------


@pytest.mark.parametrize("fmt", [
    SECRET_ATTACK, WIDTH_ATTACK, "{0.real}", "{0[0]}", "{[0]}", "{0!a}", "{0:{1}}", "{0:>{w}}", "{0:.1001f}",
    "{0:1001}", "{0:" + "9" * 40 + "}", "{0:\u0661\u0660}", "{0:>5q}", "{", "}", "{0!}", "{} {0}", "{0} {}",
    "{1}", "{x}", "{ 0}", "{0.}", "{\u00b2}", "x" * 5000,
])
def test_debug_print_refuses_unsafe_formats(fmt: str) -> None:
    x = jnp.asarray(np.float32(1.5))
    with pytest.raises(ValueError, match="debug format string"):
        fl.debug.print(fmt, x)

    def traced(v: Any) -> Any:
        fl.debug.print(fmt, v)
        return v

    with pytest.raises(ValueError, match="debug format string"):
        fl.jit(traced)(x)


@pytest.mark.parametrize("fmt, args, kwargs", [
    ("{0:>6.2f}|{1!r}|{0:<+8.3e}", (np.float32(1.5), np.int32(-7)), {}),
    ("{} and {!s:^9}", (np.int64(3), np.float64(0.25)), {}),
    ("{a:_>12,}/{b:08.3f} {{literal}}", (), {"a": np.int64(1234567), "b": np.float64(-2.5)}),
    ("{0:#x}|{0:b}|{0:>1000}", (np.int32(255),), {}),
    ("{v}", (), {"v": np.arange(3.0)}),
])
def test_debug_print_allowed_formats_match_str_format(fmt: str, args: tuple[Any, ...],
                                                      kwargs: dict[str, Any]) -> None:
    want = fmt.format(*[np.asarray(a) for a in args], **{k: np.asarray(v) for k, v in kwargs.items()})
    names = sorted(kwargs)
    vals = [jnp.asarray(a) for a in args] + [jnp.asarray(kwargs[k]) for k in names]

    def traced(*v: Any) -> Any:
        fl.debug.print(fmt, *v[:len(args)], **dict(zip(names, v[len(args):])))
        return v[0]

    for run in (lambda: fl.debug.print(fmt, *args, **kwargs), lambda: fl.jit(traced)(*vals)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            run()
        assert buf.getvalue() == want + "\n"


def test_check_format_counts_arguments() -> None:
    from functorch_lite.debug import MAX_FORMAT_WIDTH, check_format

    check_format("{0}{1}{0}", 2)
    check_format("{}{}", 2)
    check_format("{a}", 0, ("a",))
    check_format("{0:>" + str(MAX_FORMAT_WIDTH) + "}", 1)
    for fmt, n in (("{0}{2}", 2), ("{}{}{}", 2), ("{0}", 0)):
        with pytest.raises(ValueError, match="positional"):
            check_format(fmt, n)
    with pytest.raises(ValueError, match="must be a str"):
        check_format(b"{0}", 1)


def test_export_refuses_an_unsafe_format_bound_directly() -> None:
    from functorch_lite.ops.debug import debug_print_p

    def f(x: Any) -> Any:
        debug_print_p.bind(x, fmt=SECRET_ATTACK)
        return x

    with pytest.raises(ValueError, match="attribute or index access"):
        E.export(f, jnp.ones(2))


# --- format strings: checked when loading -------------------------------------------------------


@pytest.mark.parametrize("fmt, match", [
    (SECRET_ATTACK, "attribute or index access"),
    (WIDTH_ATTACK, "width 1000000000"),
    ("{0:.5000f}", "precision 5000"),
    ("{0:{1}}", "nested field"),
    ("{0!a}", "conversion"),
    ("{2}", "positional argument 2"),
    ("{name}", "no argument named"),
    ("{0", "malformed"),
])
def test_load_refuses_unsafe_formats(fmt: str, match: str) -> None:
    h, b = header_of(rich_bytes())
    refused(repack(_set(h, _debug_fmt_path(h), fmt), b), match)


def test_load_accepts_a_safe_edited_format(capsys: pytest.CaptureFixture[str]) -> None:
    h, b = header_of(rich_bytes())
    loaded = E.load(repack(_set(h, _debug_fmt_path(h), "{1:>12.3f}|{0:x}"), b))
    got = loaded(*_rich_args())
    printed = capsys.readouterr().out
    fmt = "{1:>12.3f}|{0:x}"
    assert printed == fmt.format(np.asarray(np.int32(3)), np.asarray(got["loop"])) + "\n"


# --- wrong JSON types, everywhere ----------------------------------------------------------------

_WRONG_FOR_TAG: dict[str, list[Any]] = {
    "int": [{"t": "bool", "v": True}, {"t": "float", "v": "0x1.0p+0"}, {"t": "str", "v": "1"}, {"t": "none"},
            {"t": "tuple", "v": [{"t": "int", "v": 1}]}, {"t": "dtype", "v": "int32"}, 1, "1", None, [1], 1.5,
            {"t": "int", "v": 1.0}, {"t": "int", "v": "1"}, {"t": "int", "v": 2**64}],
    "bool": [{"t": "int", "v": 0}, {"t": "int", "v": 1}, {"t": "str", "v": "true"}, {"t": "none"}, True,
             {"t": "bool", "v": 1}, {"t": "bool", "v": "true"}],
    "tuple": [{"t": "int", "v": 0}, {"t": "none"}, {"t": "str", "v": "(0,)"}, {"t": "tuple", "v": {}},
              {"t": "tuple", "v": "01"}, [0]],
    "dtype": [{"t": "str", "v": "float32"}, {"t": "dtype", "v": "float16"}, {"t": "dtype", "v": "object"},
              {"t": "dtype", "v": "<f4"}, {"t": "dtype", "v": 5}, {"t": "int", "v": 0}],
    "str": [{"t": "int", "v": 0}, {"t": "none"}, {"t": "str", "v": 7}, {"t": "tuple", "v": []}],
    "program": [{"t": "int", "v": 0}, {"t": "none"}, {"t": "tuple", "v": []}, {"t": "str", "v": "{}"},
                {"t": "program", "v": []}, {"t": "program", "v": {}}],
    "none": [{"t": "int", "v": 0}, {"t": "str", "v": "float32"}, {"t": "none", "v": None}],
}
# an element inside a tuple param replaced by a value of the wrong type
_WRONG_ELEMENT = [{"t": "bool", "v": False}, {"t": "float", "v": "0x0.0p+0"}, {"t": "str", "v": "0"},
                  {"t": "none"}, {"t": "dtype", "v": "int32"}, {"t": "int", "v": 2**63}]


def _param_cases() -> list[tuple[str, tuple[Any, ...], Any]]:
    h, _ = header_of(rich_bytes())
    cases = []
    for p, e in _eqn_paths(h):
        for i, (name, val) in enumerate(e["params"]):
            vpath = p + ("params", i, 1)
            label = f"{e['prim']}.{name}"
            for wrong in _WRONG_FOR_TAG[val["t"]]:
                cases.append((label, vpath, wrong))
            if val["t"] == "tuple":
                ints = [q for q, x in _walk(val) if isinstance(x, dict) and x.get("t") == "int"]
                if ints:
                    for wrong in _WRONG_ELEMENT:
                        cases.append((label + "[elem]", vpath + ints[0], wrong))
                    cases.append((label + "[nested]", vpath + ints[0], {"t": "tuple", "v": [_get(val, ints[0])]}))
    return cases


def test_every_param_kind_is_in_the_sample() -> None:
    h, _ = header_of(rich_bytes())
    tags = {val["t"] for _, e in _eqn_paths(h) for _, val in e["params"]}
    assert tags >= {"int", "bool", "tuple", "dtype", "str", "program", "none"}, tags


def test_params_of_the_wrong_type_are_refused_at_load() -> None:
    cases = _param_cases()
    assert len(cases) > 200
    _all_refused(cases)


def _all_refused(cases: list[tuple[str, tuple[Any, ...], Any]]) -> None:
    """Each (label, path, wrong value) planted in the sample file is refused at load."""
    h, b = header_of(rich_bytes())
    for label, path, wrong in cases:
        try:
            refused(repack(_set(h, path, wrong), b))
        except BaseException:
            print("case:", label, path, wrong)
            raise


def _field_cases() -> list[tuple[str, tuple[Any, ...], Any]]:
    h, _ = header_of(rich_bytes())
    by_key: dict[str, list[tuple[Any, ...]]] = {}
    for p, _ in _walk(h):
        if p and isinstance(p[-1], str) and p[-1] != "v" and not (len(p) >= 2 and p[-2] == "params"):
            by_key.setdefault(p[-1], []).append(p)
    wrong_int = ["1", 1.0, True, None, [1], {"v": 1}, -1, 2**64]
    wrong: dict[str, list[Any]] = {
        "shape": [None, 3, "3", {"0": 3}, [None], ["2"], [2.0], [True], [[2]], [-1], [2**40, 2**40], [1] * 40],
        "dtype": ["float16", "object", "f4", "<f4", "", 1, None, ["float32"], "complex256"],
        "weak": [0, 1, "false", None, []],
        "offset": wrong_int, "nbytes": wrong_int,
        "hex": [123, None, "zz", "0" * 3, ["00"]],
        "prim": ["os.system", "__import__", "eval", "", 1, None, ["add"], "ADD"],
        "in": [None, 0, "0", [None], ["0"], [0.0], [True], [-1], [10**9], [2**70], [[0]], [{"lit": None}]],
        "outs": [None, [None], ["0"], [1.5], [False], [-2], [10**6]],
        "params": [None, {}, "x", [["axes"]], [[1, {"t": "none"}]], [["axes", {"t": "none"}, 1]]],
        "out": [None, [None], [{"shape": []}], "x"],
        "invars": [None, [3], [{}]], "consts": [None, [3], [{}]], "eqns": [None, [3], [{}], [[]]],
        "name": [1, None, ["f"]], "producer": [1, None], "format": [1, "other"],
        "in_tree": [None, 1, "x", {"tuple": "*"}], "out_tree": [None, 1, {"dict": [[1, "*"]]}],
        "out_avals": [None, [1], "x"],
        "lit": [None, 1, "0", {}],
    }
    cases = []
    for key, values in wrong.items():
        assert key in by_key, key
        for p in _spread(by_key[key], 3):
            for v in values:
                cases.append((key, p, v))
    return cases


def test_fields_of_the_wrong_type_are_refused_at_load() -> None:
    cases = _field_cases()
    assert len(cases) > 250
    _all_refused(cases)


def test_param_table_matches_every_primitive() -> None:
    """Each registered primitive's keyword params (from its shape rule's
    signature) are exactly those its ``param_types`` row types."""
    for name, prim in core.PRIMITIVES.items():
        if prim.impl is None or prim.abstract_eval is None:
            continue
        names, optional = E._param_names(prim)
        table = param_types.get(prim) or {}
        assert set(table) == names, (name, names, set(table))
        assert {k for k, v in table.items() if not v.required} == optional, name


def test_unknown_primitives_and_dtypes() -> None:
    h, b = header_of(rich_bytes())
    eqn_path, _ = _eqn_paths(h)[0]
    for bad in ("os.system", "builtins.eval", "pickle", "copy ", "Add"):
        refused(repack(_set(h, eqn_path + ("prim",), bad), b), "unknown primitive")
    inv = ("program", "invars", 1, "dtype")
    for bad in ("float16", "object", "complex256", "V8", "|b1", "datetime64"):
        refused(repack(_set(h, inv, bad), b), "not supported")


# --- resource limits ------------------------------------------------------------------------------


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_max_bytes_counts_constants_before_allocating() -> None:
    """A header may point many constants at the same bytes: the total the
    loader would allocate is counted, and refused before it is allocated."""
    big = jnp.asarray(np.arange(2**18, dtype=np.float32))  # 1 MiB
    data = E.export(lambda x: x + big, jnp.ones(2**18)).serialize()
    h, b = header_of(data)
    const = h["program"]["consts"][0]
    assert const["nbytes"] == 2**20
    h["program"]["consts"] = [dict(const) for _ in range(200)]  # 200 MiB if each were copied
    bomb = repack(h, b)
    tracemalloc.start()
    try:
        err = refused(bomb, r"more than max_bytes=8388608", max_bytes=8 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(err, E.ExportLimitError)
    assert "constant 8" in str(err)  # the ninth MiB is refused, never allocated
    assert peak < 24 * 2**20, peak
    # the honest file loads under a limit it fits, and gives the right values
    x = np.linspace(0, 1, 2**18, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(E.load(data, max_bytes=2 * 2**20)(jnp.asarray(x))),
                                  x + np.arange(2**18, dtype=np.float32))
    refused(data, "buffer section claims to be 1048576 bytes, more than max_bytes=1000", max_bytes=1000)


def test_max_bytes_bounds_every_declared_array() -> None:
    data = E.export(lambda x: jnp.sum(x * 2.0), fl.ShapeDtypeStruct((1000,), "float64")).serialize()
    assert E.load(data, max_bytes=8000).in_avals[0].shape == (1000,)
    err = refused(data, "takes 8000 bytes, more than max_bytes=7999", max_bytes=7999)
    assert isinstance(err, E.ExportLimitError)
    h, b = header_of(data)
    h2 = copy.deepcopy(h)
    for _, x in _walk(h2):
        if isinstance(x, dict) and x.get("shape") == [1000]:
            x["shape"] = [2**28]  # 2 GiB of float64 under the default 1 GiB limit
    refused(repack(h2, b), "more than max_bytes=1073741824")


def test_header_size_is_bounded_before_parsing() -> None:
    data = small_bytes()
    hlen = E._PREFIX.unpack_from(data)[2]
    assert E.load(data, max_header_bytes=hlen).in_avals
    err = refused(data, f"header claims to be {hlen} bytes, more than max_header_bytes={hlen - 1}",
                  max_header_bytes=hlen - 1)
    assert isinstance(err, E.ExportLimitError)


@pytest.mark.parametrize("hlen, blen, match", [
    (2**62, 0, "header claims"), (10, 2**62, "buffer section claims"), (2**64 - 1, 2**64 - 1, "header claims"),
])
def test_prefix_claiming_huge_sizes(hlen: int, blen: int, match: str) -> None:
    body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, hlen, blen) + b"{}"
    refused(body + hashlib.sha256(body).digest(), match)


def test_truncated_files(tmp_path: Path) -> None:
    data = rich_bytes()
    for n in (0, 7, 8, 59, 60, 61, 100, len(data) // 2, len(data) - 33, len(data) - 1):
        refused(data[:n], "empty|magic|shorter|truncated")
        path = tmp_path / f"cut{n}.flx"
        path.write_bytes(data[:n])
        refused(path, "empty|magic|shorter|truncated")


def test_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.flx"
    with open(path, "wb") as f:
        f.write(small_bytes()[:60])
        f.truncate(64 * 2**20)  # sparse: 64 MiB that nobody should read
    refused(path, "is 67108864 bytes, more than", max_bytes=2**20)
    if os.path.exists("/dev/zero"):
        refused("/dev/zero", "not a regular file")


def test_limit_arguments_are_checked() -> None:
    for kw in ({"max_bytes": -1}, {"max_bytes": 1.5}, {"max_bytes": True}, {"max_steps": -1},
               {"max_steps": "10"}, {"max_header_bytes": None}, {"max_elements": -5}):
        with pytest.raises(ValueError, match="must be an integer"):
            E.load(small_bytes(), **kw)


def test_load_builds_arrays_with_the_validating_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    from functorch_lite.array import Array

    def forbidden(*a: Any, **k: Any) -> Any:
        raise AssertionError("load used an unchecked Array constructor")

    for name in ("_wrap", "_view", "_unchecked", "_from_parts"):
        if hasattr(Array, name):
            monkeypatch.setattr(Array, name, forbidden)
    loaded = E.load(rich_bytes())
    consts = loaded.program.consts
    assert consts and all(isinstance(c, Array) for c in consts)
    monkeypatch.undo()
    np.testing.assert_array_equal(np.asarray(consts[0]), _W)


# --- loop step budget -----------------------------------------------------------------------------


def _count_to(x: Any) -> Any:
    return lax.while_loop(lambda c: c < 100, lambda c: c + 1, x)


def test_max_steps_bounds_while_loops() -> None:
    data = E.export(_count_to, jnp.array(0, dtype="int32")).serialize()
    free = E.load(data)
    capped = E.load(data, max_steps=10)
    for start in (90, 95, 100, 150):
        assert capped(jnp.array(start, dtype="int32")).item() == max(start, 100)
        assert free(jnp.array(start, dtype="int32")).item() == max(start, 100)
    with pytest.raises(E.LoopLimitError, match="max_steps=10"):
        capped(jnp.array(89, dtype="int32"))
    with pytest.raises(E.LoopLimitError, match="max_steps=10"):
        fl.jit(capped)(jnp.array(0, dtype="int32"))
    assert free(jnp.array(0, dtype="int32")).item() == 100
    assert E.load(data, max_steps=0)(jnp.array(100, dtype="int32")).item() == 100
    # the budget is a load option: the loaded program saves and prints as the original
    assert capped.serialize() == data and str(capped) == str(free)
    # a program traced through the capped one keeps the budget (it is a param of the loops it stages)
    again = E.export(capped, jnp.array(0, dtype="int32")).serialize()
    assert E.load(again)(jnp.array(95, dtype="int32")).item() == 100
    with pytest.raises(E.LoopLimitError, match="max_steps=10"):
        E.load(again)(jnp.array(0, dtype="int32"))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_max_steps_holds_under_vmap_jvp_and_grad() -> None:
    data = E.export(_count_to, jnp.array(0, dtype="int32")).serialize()
    capped = E.load(data, max_steps=10)
    np.testing.assert_array_equal(np.asarray(fl.vmap(capped)(jnp.array([95, 100], dtype="int32"))), [100, 100])
    for f in (fl.vmap(capped), fl.jit(fl.vmap(capped))):
        with pytest.raises(E.LoopLimitError, match="max_steps=10"):
            f(jnp.array([95, 0], dtype="int32"))

    def decay(x: Any) -> Any:
        return lax.while_loop(lambda c: c[1] < 50, lambda c: (c[0] * 0.9, c[1] + 1), (x, 0))[0]

    def total(x: Any) -> Any:
        return lax.scan(lambda c, e: (c * e, c), x, jnp.full(6, 1.5))[0]

    fwd = E.load(E.export(decay, jnp.asarray(np.float32(1.0))).serialize(), max_steps=49)
    with pytest.raises(E.LoopLimitError, match="while_loop"):
        fl.jvp(fwd, (jnp.asarray(np.float32(1.0)),), (jnp.asarray(np.float32(1.0)),))
    rev = E.load(E.export(total, jnp.asarray(np.float32(1.0))).serialize(), max_steps=5)
    with pytest.raises(E.LoopLimitError, match="scan of length 6"):
        fl.grad(rev)(jnp.asarray(np.float32(1.0)))
    with pytest.raises(E.LoopLimitError, match="scan of length 6"):
        fl.vmap(rev)(jnp.ones(3))
    ok = E.load(E.export(total, jnp.asarray(np.float32(1.0))).serialize(), max_steps=6)
    np.testing.assert_allclose(np.asarray(fl.grad(ok)(jnp.asarray(np.float32(1.0)))), 1.5 ** 6, rtol=1e-6)


def test_max_steps_bounds_scan_fori_and_nested_loops() -> None:
    def nested(x: Any, n: Any) -> Any:
        def outer(i: Any, acc: Any) -> Any:
            return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] + 1.0), (0, acc))[1]
        return lax.fori_loop(0, 3, outer, x)

    data = E.export(nested, jnp.asarray(np.float32(0.0)), jnp.array(0, dtype="int32")).serialize()
    capped = E.load(data, max_steps=5)
    assert capped(jnp.asarray(np.float32(1.0)), jnp.array(5, dtype="int32")).item() == 16.0
    with pytest.raises(E.LoopLimitError, match="while_loop"):
        capped(jnp.asarray(np.float32(1.0)), jnp.array(6, dtype="int32"))
    with pytest.raises(E.LoopLimitError, match="scan of length 3"):
        E.load(data, max_steps=2)(jnp.asarray(np.float32(1.0)), jnp.array(0, dtype="int32"))
    ys = E.load(E.export(lambda v: lax.scan(lambda c, e: (c + e, c), 0.0, v)[1], jnp.ones(4)).serialize(),
                max_steps=4)(jnp.arange(4.0))
    np.testing.assert_array_equal(np.asarray(ys), [0.0, 0.0, 1.0, 3.0])


# --- the riskiest files, in a subprocess -------------------------------------------------------

_RISKY = r'''
import copy, json, os, sys
import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import export as E, lax

def report(label, fn):
    try:
        fn()
        print(label, "NO-ERROR", flush=True)
    except (E.ExportFormatError, E.LoopLimitError) as e:
        print(label, type(e).__name__, str(e)[:200].replace("\n", " "), flush=True)

def f(x):
    fl.debug.print("value {0}", x)
    return x + 1.0

data = E.export(f, jnp.ones(3)).serialize()
h, b = E._unpack(data)
b = bytes(b)

def with_fmt(fmt):
    h2 = copy.deepcopy(h)
    for e in h2["program"]["eqns"]:
        if e["prim"] == "debug_print":
            e["params"] = [["fmt", {"t": "str", "v": fmt}]]
    return E._pack(h2, b)

report("secret", lambda: E.load(with_fmt(sys.argv[1]))(jnp.ones(3)))
report("width", lambda: E.load(with_fmt(sys.argv[2]))(jnp.ones(3)))
report("devzero", lambda: E.load("/dev/zero"))
if hasattr(os, "mkfifo"):
    os.mkfifo("pipe.flx")
    report("fifo", lambda: E.load("pipe.flx"))
body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, 2, 2**62) + b"{}"
import hashlib
report("hugebuf", lambda: E.load(body + hashlib.sha256(body).digest()))
forever = E.export(lambda x: lax.while_loop(lambda c: c >= 0, lambda c: c * 1, x), jnp.array(0, dtype="int32"))
report("forever", lambda: E.load(forever.serialize(), max_steps=200)(jnp.array(0, dtype="int32")))
print("DONE", flush=True)
'''


def test_riskiest_files_in_a_subprocess(tmp_path: Path) -> None:
    secret = "tok-" + hashlib.sha256(os.urandom(8)).hexdigest()[:16]
    env = dict(os.environ, TOKEN=secret, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", _RISKY, SECRET_ATTACK, WIDTH_ATTACK], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert secret not in out
    lines = {ln.split(" ", 1)[0]: ln for ln in r.stdout.splitlines()}
    assert "DONE" in lines, out[-3000:]
    assert "ExportFormatError" in lines["secret"] and "attribute or index access" in lines["secret"]
    assert "ExportFormatError" in lines["width"] and "width 1000000000" in lines["width"]
    assert "ExportFormatError" in lines["devzero"] and "not a regular file" in lines["devzero"]
    if hasattr(os, "mkfifo"):
        assert "ExportFormatError" in lines["fifo"] and "not a regular file" in lines["fifo"]
    assert "ExportLimitError" in lines["hugebuf"]
    assert "LoopLimitError" in lines["forever"] and "max_steps=200" in lines["forever"]


# --- random damage: clean error, or a program that runs correctly --------------------------------


def _json_paths(h: Any) -> list[tuple[Any, ...]]:
    return [p for p, _ in _walk(h) if p]


_POOL: list[Any] = [-1, 0, 1, 2, 3, 7, 2**31, 2**63, -(2**63) - 1, 1.5, True, False, None, "", "float64", "bool",
                    "int32", [], [1], [1, 1], {}, {"t": "none"}, {"t": "int", "v": 1}, {"t": "bool", "v": True},
                    {"t": "tuple", "v": []}, {"t": "dtype", "v": "float64"}, "{0.__class__}", "{0:>99999999}"]


def _same_results(a: Any, b: Any) -> None:
    la, lb = tree.leaves(a), tree.leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=2e-6, atol=1e-6, equal_nan=True)


def _check_damaged(data: bytes) -> None:
    try:
        loaded = E.load(data, max_steps=1000)
    except E.ExportFormatError:
        return
    args = _small_args()
    try:
        got = loaded(*args)
    except (TypeError, ValueError, IndexError, ArithmeticError, LoopLimitError):
        return  # (a damaged loop condition that never ends stops at the load's step budget)
    # it ran: its outputs are what it declares, and the compiled run agrees with
    # running the loaded program's equations one by one
    leaves = tree.leaves(got)
    assert [(tuple(np.shape(x)), np.asarray(x).dtype) for x in leaves] == \
        [(a.shape, a.dtype) for a in loaded.out_avals]
    ref = tree.unflatten(loaded.out_tree, eval_program(loaded._run_program, list(tree.leaves(args))))
    _same_results(got, ref)


_DAMAGE_EXAMPLES = int(os.environ.get("FUNCTORCH_LITE_EXPORT_FUZZ_EXAMPLES", "50"))


@settings(max_examples=_DAMAGE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_damage_loads_and_runs_or_fails_cleanly(data: st.DataObject) -> None:
    original = small_bytes()
    h, b = header_of(original)
    kind = data.draw(st.sampled_from(["json-byte", "buffer-bit", "field", "field", "raw-byte"]))
    if kind == "json-byte":
        raw = bytearray(json.dumps(h, sort_keys=True, separators=(",", ":")).encode())
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(32, 126))
        body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, len(raw), len(b)) + bytes(raw) + b
        damaged = body + hashlib.sha256(body).digest()
    elif kind == "buffer-bit":
        bb = bytearray(b)
        bb[data.draw(st.integers(0, len(bb) - 1))] ^= 1 << data.draw(st.integers(0, 7))
        damaged = repack(h, bytes(bb))
    elif kind == "field":
        path = data.draw(st.sampled_from(_json_paths(h)))
        old = _get(h, path)
        if type(old) is int and data.draw(st.booleans()):
            new: Any = old + data.draw(st.sampled_from([-2, -1, 1, 2, 100]))
        else:
            new = data.draw(st.sampled_from(_POOL))
        damaged = repack(_set(h, path, new), b)
    else:  # unsigned damage anywhere: must fail on the checksum or earlier
        i = data.draw(st.integers(0, len(original) - 1))
        bad = bytearray(original)
        bad[i] ^= data.draw(st.integers(1, 255))
        with pytest.raises(E.ExportFormatError):
            E.load(bytes(bad))
        return
    _check_damaged(damaged)


def test_the_damage_oracle_accepts_the_undamaged_file() -> None:
    loaded = E.load(small_bytes(), max_steps=1000)
    x, n = _small_args()
    _check_damaged(small_bytes())
    y = np.tanh(np.asarray(x) * np.array([0.5, -1.0, 2.0], np.float32)).sum(0) + 2.0
    acc = np.zeros(3, np.float32)
    for _ in range(int(n)):
        acc = acc * np.float32(0.5) + y
    np.testing.assert_allclose(np.asarray(loaded(x, n)), acc, rtol=1e-6)
