"""functorch_lite.export: round trips, running without the original code, and
a damaged/hostile-file corpus where every file must raise ExportFormatError
(never crash, never hang)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import textwrap
from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import export as E
from functorch_lite import lax, tree
from functorch_lite.transforms.ir import eval_program

REPO = Path(__file__).resolve().parents[1]


def _leaves_np(x: Any) -> list[np.ndarray[Any, Any]]:
    return [np.asarray(v) for v in tree.leaves(x)]


def assert_same(a: Any, b: Any) -> None:
    assert tree.structure(a) == tree.structure(b)
    for x, y in zip(_leaves_np(a), _leaves_np(b)):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def roundtrip(fun: Any, *args: Any, static_argnums: tuple[int, ...] = ()) -> E.Exported:
    """Export, serialise, load; the loaded function must give exactly what
    the jitted function gives, and re-serialise to the same bytes."""
    exp = E.export(fun, *args, static_argnums=static_argnums)
    data = exp.serialize()
    loaded = E.load(data)
    assert loaded.serialize() == data
    assert loaded.in_tree == exp.in_tree and loaded.out_tree == exp.out_tree
    assert loaded.in_avals == exp.in_avals and loaded.out_avals == exp.out_avals
    assert str(loaded) == exp.ir_text
    dyn = tuple(a for i, a in enumerate(args) if i not in static_argnums)
    got = loaded(*dyn)
    assert_same(got, fl.jit(fun, static_argnums=static_argnums)(*args))
    assert_same(exp(*dyn), got)
    return loaded


# --- round trips -------------------------------------------------------------------------------


def test_elementwise_chain() -> None:
    x = jnp.linspace(-2.0, 2.0, 12).reshape(3, 4)
    y = jnp.arange(12.0).reshape(3, 4)[:, ::-1]  # non-contiguous argument
    loaded = roundtrip(lambda a, b: jnp.tanh(a) * b + jnp.exp(-a) / 2.0 - jnp.sqrt(jnp.abs(b)), x, y)
    a, b = np.asarray(x), np.asarray(y)
    np.testing.assert_allclose(np.asarray(loaded(x, y)), np.tanh(a) * b + np.exp(-a) / 2.0 - np.sqrt(np.abs(b)),
                               rtol=1e-6, atol=1e-6)


def test_integer_and_bool_ops() -> None:
    i = jnp.arange(10, dtype="int32")
    loaded = roundtrip(lambda v: jnp.where(v % 3 == 0, v * 2, -v) + (v > 4).astype("int32"), i)
    v = np.arange(10, dtype=np.int32)
    assert_same(loaded(i), jnp.asarray(np.where(v % 3 == 0, v * 2, -v) + (v > 4).astype(np.int32)))
    loaded = roundtrip(lambda v: jnp.logical_not(v), jnp.array([True, False]))
    assert np.asarray(loaded(jnp.array([True, False]))).tolist() == [False, True]


def test_reductions() -> None:
    x = jnp.arange(24.0).reshape(2, 3, 4) / 7.0
    loaded = roundtrip(lambda a: (jnp.sum(a, axis=1), jnp.max(a, axis=(0, 2)), jnp.mean(a, axis=-1, keepdims=True),
                                  jnp.argmax(a, axis=2), jnp.prod(a[:, :1], axis=0)), x)
    a = np.asarray(x)
    want = (a.sum(axis=1), a.max(axis=(0, 2)), a.mean(axis=-1, keepdims=True), a.argmax(axis=2), a[:, :1].prod(axis=0))
    for got, w in zip(loaded(x), want):
        np.testing.assert_allclose(np.asarray(got), w, rtol=1e-6)


def test_constants_are_saved_in_the_buffer_section() -> None:
    w = jnp.asarray(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    b = jnp.arange(3, dtype="int64")
    loaded = roundtrip(lambda x: (x * w, b + 1), jnp.ones((5, 3)))
    assert len(loaded.program.consts) == 2


def test_mlp() -> None:
    rng = np.random.default_rng(1)
    w1 = jnp.asarray(rng.standard_normal((4, 8)).astype(np.float32))
    b1 = jnp.asarray(rng.standard_normal(8).astype(np.float32))
    w2 = jnp.asarray(rng.standard_normal((8, 2)).astype(np.float32))

    def mlp(x: Any) -> Any:
        h = jnp.maximum(jnp.matmul(x, w1) + b1, 0.0)
        return jnp.tanh(jnp.matmul(h, w2))

    x = jnp.asarray(rng.standard_normal((6, 4)).astype(np.float32))
    want = np.tanh(np.maximum(np.asarray(x) @ np.asarray(w1) + np.asarray(b1), 0.0) @ np.asarray(w2))
    np.testing.assert_allclose(np.asarray(roundtrip(mlp, x)(x)), want, rtol=1e-5, atol=1e-6)
    # parameters as arguments (a pytree), not captured constants
    params = {"w1": w1, "b1": b1, "w2": w2}
    loaded = roundtrip(lambda p, x: jnp.tanh(jnp.matmul(jnp.maximum(jnp.matmul(x, p["w1"]) + p["b1"], 0.0), p["w2"])),
                       params, x)
    np.testing.assert_allclose(np.asarray(loaded(params, x)), want, rtol=1e-5, atol=1e-6)


def test_grad_transformed() -> None:
    def loss(w: Any, x: Any) -> Any:
        return jnp.sum(jnp.tanh(w * x) ** 2)

    w, x = jnp.linspace(0.1, 1.0, 5), jnp.linspace(-1.0, 1.0, 5)
    wn, xn = np.asarray(w), np.asarray(x)
    dtanh2 = 2 * np.tanh(wn * xn) * (1 - np.tanh(wn * xn) ** 2)  # d tanh(u)**2 / du at u = w * x
    np.testing.assert_allclose(np.asarray(roundtrip(fl.grad(loss), w, x)(w, x)), dtanh2 * xn, rtol=1e-5, atol=1e-6)
    value, (gw, gx) = roundtrip(fl.value_and_grad(loss, argnums=(0, 1)), w, x)(w, x)
    assert float(value) == pytest.approx(float(np.sum(np.tanh(wn * xn) ** 2)), rel=1e-6)
    np.testing.assert_allclose(np.asarray(gw), dtanh2 * xn, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(gx), dtanh2 * wn, rtol=1e-5, atol=1e-6)


def test_vmap_and_jit_transformed() -> None:
    x = jnp.arange(12.0).reshape(4, 3)
    a = np.asarray(x)
    got = roundtrip(fl.vmap(lambda r: jnp.sum(jnp.sin(r)) * r), x)(x)
    np.testing.assert_allclose(np.asarray(got), np.sin(a).sum(axis=1, keepdims=True) * a, rtol=1e-5, atol=1e-5)
    got = roundtrip(fl.jit(lambda r: jnp.cos(r) + 1.0), x)(x)
    np.testing.assert_allclose(np.asarray(got), np.cos(a) + 1.0, rtol=1e-6, atol=1e-6)
    got = roundtrip(fl.vmap(fl.grad(lambda r: jnp.sum(r * r * r))), x)(x)
    np.testing.assert_allclose(np.asarray(got), 3 * a * a, rtol=1e-6)


def test_pytree_inputs_and_outputs() -> None:
    def f(d: Any, pair: Any, nothing: Any) -> Any:
        a, b = pair
        return {"sum": d["x"] + d["y"], "list": [a * 2.0, None, (b,)]}

    args = ({"y": jnp.ones(3), "x": jnp.arange(3.0)}, [jnp.ones(2), jnp.zeros(4)], None)
    loaded = roundtrip(f, *args)
    out = loaded(*args)
    assert set(out) == {"sum", "list"} and out["list"][1] is None


def test_shape_dtype_struct_specs_and_scalars() -> None:
    spec = fl.ShapeDtypeStruct((2, 3), "float64")
    exp = E.export(lambda a, s: a * s + 1.0, spec, fl.ShapeDtypeStruct((), "float64"))
    loaded = E.load(exp.serialize())
    x = jnp.ones((2, 3), dtype="float64")
    assert_same(loaded(x, jnp.asarray(np.float64(2.0))), fl.jit(lambda a, s: a * s + 1.0)(x, jnp.asarray(
        np.float64(2.0))))
    assert [a.str_short() for a in loaded.in_avals] == ["f64[2,3]", "f64[]"]
    # a weak Python-scalar argument: Python scalars are accepted at call time
    loaded2 = roundtrip(lambda a, s: a * s, jnp.ones(3), 2.0)
    assert_same(loaded2(jnp.ones(3), 3), jnp.full(3, 3.0))


def test_static_argnums() -> None:
    loaded = roundtrip(lambda x, n: x**n, jnp.arange(3.0), 3, static_argnums=(1,))
    assert_same(loaded(jnp.arange(3.0)), jnp.arange(3.0) ** 3)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_save_and_load_path(tmp_path: Path) -> None:
    exp = E.export(lambda x: jnp.cumsum(x) * 2, jnp.arange(5, dtype="int32"))
    path = tmp_path / "f.flx"
    exp.save(path)
    assert path.read_bytes()[:8] == E.MAGIC
    loaded = E.load(path)
    assert_same(loaded(jnp.arange(5, dtype="int32")), jnp.cumsum(jnp.arange(5, dtype="int32")) * 2)
    assert_same(E.load(str(path))(jnp.ones(5, dtype="int32")), jnp.array([2, 4, 6, 8, 10], dtype="int32"))


def test_control_flow_subprograms() -> None:
    x = jnp.arange(3.0) - 1.0

    def f(v: Any) -> Any:
        y = lax.cond(jnp.sum(v) > 0, lambda a: a * 2.0, lambda a: -a, v)
        c, ys = lax.scan(lambda c, e: (c + e, c * e), 0.0, v)
        return y, c, ys, lax.fori_loop(0, 4, lambda i, acc: acc + v, jnp.zeros_like(v))

    loaded = roundtrip(f, x)
    assert_same(loaded(-x), fl.jit(f)(-x))
    assert "{ lambda" in loaded.ir_text.split("\n", 4)[-1]  # sub-programs are printed


def test_loaded_function_under_transforms() -> None:
    loaded = E.load(E.export(lambda x: jnp.sin(x) * x, jnp.ones(4)).serialize())
    x = jnp.linspace(0.0, 1.0, 4)
    g = fl.grad(lambda v: jnp.sum(loaded(v)))(x)
    np.testing.assert_allclose(np.asarray(g), np.cos(np.asarray(x)) * np.asarray(x) + np.sin(np.asarray(x)),
                               rtol=1e-6)
    assert_same(fl.jit(loaded)(x), loaded(x))
    assert_same(fl.vmap(loaded)(jnp.stack([x, x])), jnp.stack([loaded(x), loaded(x)]))


# --- signature errors ---------------------------------------------------------------------------


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_call_checks_arguments() -> None:
    loaded = E.load(E.export(lambda d: d["a"] + 1.0, {"a": jnp.ones((2, 3))}).serialize())
    with pytest.raises(TypeError, match=r"f32\[2,3\].*f32\[3,2\]"):
        loaded({"a": jnp.ones((3, 2))})
    with pytest.raises(TypeError, match=r"f32\[2,3\].*f64\[2,3\]"):
        loaded({"a": fl.enable_x64()(lambda: jnp.ones((2, 3), dtype="float64"))()})
    with pytest.raises(TypeError, match="structure"):
        loaded({"b": jnp.ones((2, 3))})
    with pytest.raises(TypeError, match="structure"):
        loaded(jnp.ones((2, 3)))
    with pytest.raises(TypeError, match="argument leaf 0"):
        loaded({"a": "text"})
    ints = E.load(E.export(lambda v: v * 2, jnp.ones(2, dtype="int32")).serialize())
    with pytest.raises(TypeError, match="Python float"):
        ints(2.5)


def test_custom_pytree_nodes_are_refused_at_export() -> None:
    Pair = namedtuple("Pair", "a b")
    with pytest.raises(TypeError, match="namedtuple or a registered custom pytree"):
        E.export(lambda p: p.a + p.b, Pair(jnp.ones(2), jnp.ones(2)))
    with pytest.raises(TypeError, match="outputs contain"):
        E.export(lambda x: Pair(x, x), jnp.ones(2))

    @tree.register_dataclass
    @dataclasses.dataclass
    class Params:
        w: Any

    with pytest.raises(TypeError, match="Params"):
        E.export(lambda p: p.w * 2, Params(jnp.ones(2)))
    with pytest.raises(TypeError, match="non-string keys"):
        E.export(lambda d: d[1], {1: jnp.ones(2)})


def test_export_refuses_unserialisable_params() -> None:
    from functorch_lite.transforms import ir

    exp = E.export(lambda x: jnp.sum(x, axis=0), jnp.ones((2, 2)))
    e0 = exp.program.eqns[0]
    bad = ir.Program(exp.program.invars, [], [], [ir.Eqn(e0.prim, e0.inputs, {"axes": [0]}, e0.outvars)],
                     exp.program.outs)
    with pytest.raises(TypeError, match="param 'axes' is a list"):
        E.Exported(bad, exp.in_tree, exp.out_tree).serialize()


# --- running without the original code -----------------------------------------------------------

_MODULE = '''
import numpy as np
import functorch_lite as fl
import functorch_lite.numpy as jnp

W = jnp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 10)

def model(params, x):
    h = jnp.tanh(x[:, :, None] * W[None] + params["b"])
    return {"y": jnp.sum(h, axis=1), "n": jnp.argmax(h, axis=2)}

loss_grad = fl.grad(lambda params, x: jnp.sum(model(params, x)["y"] ** 2))
'''

_EXPORTER = '''
import sys
import numpy as np
import functorch_lite as fl
import functorch_lite.numpy as jnp
sys.path.insert(0, sys.argv[1])
import fl_export_user_module as m
params = {"b": jnp.linspace(-1.0, 1.0, 4)}
x = jnp.asarray(np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3))
fl.export.export(m.model, params, x).save(sys.argv[2] + "/model.flx")
fl.export.export(m.loss_grad, params, x).save(sys.argv[2] + "/grad.flx")
out = m.model(params, x)
np.save(sys.argv[2] + "/y.npy", np.asarray(out["y"]))
np.save(sys.argv[2] + "/n.npy", np.asarray(out["n"]))
np.save(sys.argv[2] + "/g.npy", np.asarray(m.loss_grad(params, x)["b"]))
'''

_LOADER = '''
import importlib.util, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
assert importlib.util.find_spec("fl_export_user_module") is None, "the module should be gone"
import functorch_lite as fl
import functorch_lite.numpy as jnp
d = sys.argv[2]
params = {"b": jnp.linspace(-1.0, 1.0, 4)}
x = jnp.asarray(np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3))
out = fl.export.load(d + "/model.flx")(params, x)
np.testing.assert_allclose(np.asarray(out["y"]), np.load(d + "/y.npy", allow_pickle=False), rtol=1e-6)
np.testing.assert_array_equal(np.asarray(out["n"]), np.load(d + "/n.npy", allow_pickle=False))
g = fl.export.load(d + "/grad.flx")(params, x)
np.testing.assert_allclose(np.asarray(g["b"]), np.load(d + "/g.npy", allow_pickle=False), rtol=1e-6)
assert sorted(g) == ["b"]
print("LOADED-OK")
'''


@pytest.mark.slow
def test_runs_in_a_fresh_process_without_the_source(tmp_path: Path) -> None:
    src = tmp_path / "src"
    out = tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "fl_export_user_module.py").write_text(textwrap.dedent(_MODULE))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONDONTWRITEBYTECODE="1")
    r = subprocess.run([sys.executable, "-c", _EXPORTER, str(src), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for p in list(src.iterdir()):
        if p.is_dir():
            for q in p.iterdir():
                q.unlink()
            p.rmdir()
        else:
            p.unlink()
    r = subprocess.run([sys.executable, "-c", _LOADER, str(src), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "LOADED-OK" in r.stdout


def test_no_pickle_or_eval_in_the_loader() -> None:
    text = Path(E.__file__).read_text()
    for bad in (r"import\s+pickle", r"\bpickle\.", r"\beval\(", r"\bexec\(", r"\bimportlib\b", r"__import__",
                r"\bmarshal\b"):
        assert not re.search(bad, text), bad


# --- damaged files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> bytes:
    w = jnp.asarray(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    mask = jnp.array([True, False, True])
    return E.export(lambda d, x: {"o": jnp.sum(jnp.where(mask, x * w, d["b"]), axis=1) * 3.0},
                    {"b": 1.5}, jnp.ones((2, 3), "float32")).serialize()


def _fails(data: bytes, match: str | None = None) -> None:
    with pytest.raises(E.ExportFormatError, match=match):
        E.load(data)


def _ran_as_declared(loaded: E.Exported, args: tuple[Any, ...]) -> bool:
    """Run a loaded (damaged but valid) program.  False if it refuses the
    arguments with an ordinary exception; else its outputs have the avals it
    declares and equal running its equations one by one, eagerly."""
    try:
        got = loaded(*args)
    except (TypeError, ValueError, IndexError):
        return False
    leaves = [np.asarray(x) for x in tree.leaves(got)]
    assert [(x.shape, x.dtype) for x in leaves] == [(a.shape, a.dtype) for a in loaded.out_avals]
    vals = [E._check_arg(x, a, i, loaded.fun_name) for i, (x, a) in enumerate(zip(tree.leaves(args), loaded.in_avals))]
    eager = eval_program(loaded._run_program, vals)
    for x, y in zip(leaves, eager):
        np.testing.assert_allclose(x, np.asarray(y), rtol=2e-6, atol=1e-6, equal_nan=True)
    return True


def test_empty_and_random_bytes(sample: bytes) -> None:
    _fails(b"", "empty")
    _fails(b"FLEX", "magic")
    rng = random.Random(0)
    for n in (1, 7, 8, 59, 60, 61, 500, 5000):
        _fails(bytes(rng.randrange(256) for _ in range(n)))
    _fails(E.MAGIC + bytes(rng.randrange(256) for _ in range(200)))


def test_every_truncation_fails(sample: bytes) -> None:
    for n in range(len(sample)):
        _fails(sample[:n])
    _fails(sample + b"\0", "trailing")


def test_every_flipped_byte_fails(sample: bytes) -> None:
    rng = random.Random(1)
    for i in range(len(sample)):
        mask = 1 if i % 2 else rng.randrange(1, 256)
        bad = bytearray(sample)
        bad[i] ^= mask
        _fails(bytes(bad))


def test_version_and_magic(sample: bytes) -> None:
    header, buffers = E._unpack(sample)
    _fails(E._pack(header, buffers, version=2), "version 2")
    _fails(E._pack(header, buffers, version=0), "version 0")
    _fails(b"XLEXPORT" + sample[8:], "magic")
    _fails(sample[:-1] + bytes([sample[-1] ^ 0xFF]), "checksum")


def test_resigned_random_damage_never_crashes(sample: bytes) -> None:
    """Flip bytes and fix the checksum, so the JSON/buffer validation is what
    answers: each file either raises ExportFormatError or is a valid program
    that runs (or refuses its arguments) cleanly."""
    header, buffers = E._unpack(sample)
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    rng = random.Random(2)
    args = ({"b": 1.5}, jnp.ones((2, 3)))
    loaded_ok = ran = 0
    for _ in range(250):
        hb = bytearray(raw)
        bb = bytearray(buffers)
        if rng.random() < 0.8 or not bb:
            hb[rng.randrange(len(hb))] = rng.randrange(32, 127)
        else:
            bb[rng.randrange(len(bb))] ^= 1 << rng.randrange(8)
        body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, len(hb), len(bb)) + bytes(hb) + bytes(bb)
        data = body + hashlib.sha256(body).digest()
        try:
            loaded = E.load(data)
        except E.ExportFormatError:
            continue
        loaded_ok += 1
        ran += _ran_as_declared(loaded, args)
    assert ran <= loaded_ok < 250


def test_structured_mutations_never_crash(sample: bytes) -> None:
    """Replace random JSON values (ints nudged, or swapped for other values),
    re-sign, load: ExportFormatError, or a program that runs or refuses its
    arguments with an ordinary exception."""
    header, buffers = E._unpack(sample)
    paths: list[tuple[Any, ...]] = []

    def walk(x: Any, path: tuple[Any, ...]) -> None:
        if path:
            paths.append(path)
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + (k,))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, path + (i,))

    walk(header, ())
    rng = random.Random(3)
    choices: list[Any] = [-1, 0, 1, 2, 7, 2**31, True, None, "float64", "bool", [], [1, 1], {"t": "none"}, "x"]
    outcomes = {"refused": 0, "loaded": 0, "ran": 0}
    for _ in range(300):
        h = copy.deepcopy(header)
        for _ in range(rng.choice([1, 2])):
            path = rng.choice(paths)
            node = h
            try:  # an earlier mutation may have replaced a container on this path
                for q in path[:-1]:
                    node = node[q]
                old = node[path[-1]]
            except (KeyError, IndexError, TypeError):
                continue
            if not isinstance(node, (dict, list)):
                continue
            new = old + rng.choice([-1, 1, 2]) if type(old) is int and rng.random() < 0.7 else rng.choice(choices)
            node[path[-1]] = copy.deepcopy(new)
        try:
            loaded = E.load(E._pack(h, buffers))
        except E.ExportFormatError:
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        outcomes["ran"] += _ran_as_declared(loaded, ({"b": 1.5}, jnp.ones((2, 3), "float32")))
    # the mutations reach both answers: a clean refusal, and programs that load and run
    assert outcomes["refused"] > 0 and outcomes["ran"] > 0, outcomes


# --- hand-crafted hostile headers ---------------------------------------------------------------


def _hostile(sample: bytes, edit: Any, match: str, buffers: bytes | None = None) -> None:
    header, bufs = E._unpack(sample)
    h = copy.deepcopy(header)
    edit(h)
    _fails(E._pack(h, bufs if buffers is None else buffers), match)


class _Params:
    """Edit an equation's [name, value] param list like a dict."""

    def __init__(self, pairs: list[Any]) -> None:
        self.pairs = pairs

    def __getitem__(self, k: str) -> Any:
        return next(v for n, v in self.pairs if n == k)

    def __setitem__(self, k: str, v: Any) -> None:
        for pair in self.pairs:
            if pair[0] == k:
                pair[1] = v
                return
        self.pairs.append([k, v])

    def update(self, d: dict[str, Any] | None = None, **kw: Any) -> None:
        for k, v in {**(d or {}), **kw}.items():
            self[k] = v


def _params(e: dict[str, Any]) -> _Params:
    return _Params(e["params"])


def _eqn(h: dict[str, Any], prim: str) -> dict[str, Any]:
    for e in h["program"]["eqns"]:
        if e["prim"] == prim:
            return e  # type: ignore[no-any-return]
    raise AssertionError(prim)


def test_hostile_unknown_primitive(sample: bytes) -> None:
    _hostile(sample, lambda h: _eqn(h, "mul").update(prim="os.system"), "unknown primitive 'os.system'")


def test_hostile_shapes(sample: bytes) -> None:
    _hostile(sample, lambda h: h["program"]["invars"][1].update(shape=[2**20, 2**20]), "limit")
    _hostile(sample, lambda h: h["program"]["invars"][1].update(shape=[2, -3]), "out of range")
    _hostile(sample, lambda h: h["program"]["invars"][1].update(shape=[2, 3.0]), "integer")
    _hostile(sample, lambda h: h["program"]["invars"][1].update(shape=[1] * 40), "dimensions")
    _hostile(sample, lambda h: h["program"]["invars"][1].update(shape=[10**30]), "out of range")
    # a program that broadcasts to a huge intermediate
    def huge(h: dict[str, Any]) -> None:
        e = _eqn(h, "broadcast_in_dim")
        _params(e)["shape"] = {"t": "tuple", "v": [{"t": "int", "v": 2**16}] * 3}
        e["out"][0]["shape"] = [2**16] * 3
    _hostile(sample, huge, "limit")
    # load's max_elements is the knob
    with pytest.raises(E.ExportFormatError, match="limit of 5"):
        E.load(sample, max_elements=5)


def test_hostile_dtypes_and_params(sample: bytes) -> None:
    _hostile(sample, lambda h: h["program"]["invars"][1].update(dtype="object"), "dtype 'object'")
    _hostile(sample, lambda h: h["program"]["invars"][1].update(dtype="complex256"), "not supported")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(axes={"t": "pickle", "v": "x"}),
             "unsupported param type tag")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(axes={"t": "int", "v": True}), "integer")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(axes=[1]), "tagged object")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(axes={"t": "tuple", "v": [{"t": "int",
                                                                                              "v": 7}]}),
             "shape rule rejects")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(
        axes={"t": "tuple", "v": [{"t": "float", "v": "nonsense"}]}), "hex float")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(bogus={"t": "none"}), "unexpected param")
    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update({"a b": {"t": "none"}}), "param name")
    # a param of the wrong type is refused by the loader's per-primitive allow-list
    _hostile(sample, lambda h: _params(_eqn(h, "convert_element_type")).update(new_dtype={"t": "none"}),
             "'new_dtype' must be a supported dtype")


def test_hostile_buffers(sample: bytes) -> None:
    header, bufs = E._unpack(sample)
    c = header["program"]["consts"]
    assert c, "the sample needs constants"
    _hostile(sample, lambda h: h["program"]["consts"][0].update(offset=len(bufs)), "outside")
    _hostile(sample, lambda h: h["program"]["consts"][0].update(offset=2**62), "outside")
    _hostile(sample, lambda h: h["program"]["consts"][0].update(offset=-1), "out of range")
    _hostile(sample, lambda h: h["program"]["consts"][0].update(nbytes=4), "does not match")
    _hostile(sample, lambda h: h["program"]["consts"][0].update(shape=[2, 4]), "does not match")
    # a boolean constant holding a byte that is not 0/1
    bi = next(i for i, x in enumerate(c) if x["dtype"] == "bool")
    off = c[bi]["offset"]
    bad = bytearray(bufs)
    bad[off] = 7
    _hostile(sample, lambda h: None, "boolean data", buffers=bytes(bad))
    _hostile(sample, lambda h: None, "outside", buffers=bufs[: off])


def test_hostile_variable_references(sample: bytes) -> None:
    def later(h: dict[str, Any]) -> None:
        h["program"]["eqns"][0]["in"][0] = 10**6
    _hostile(sample, later, "refers to variable 1000000")

    def before_definition(h: dict[str, Any]) -> None:
        eq = h["program"]["eqns"]
        n_defined = len(h["program"]["invars"]) + len(h["program"]["consts"])
        eq[0]["in"][0] = n_defined + 1  # the output of a later equation
    _hostile(sample, before_definition, "no use before definition")
    _hostile(sample, lambda h: h["program"]["outs"].__setitem__(0, -1), "refers to variable -1")
    _hostile(sample, lambda h: h["program"]["outs"].__setitem__(0, "x"), "variable number")


def test_hostile_declared_avals(sample: bytes) -> None:
    _hostile(sample, lambda h: _eqn(h, "reduce_sum")["out"][0].update(shape=[7]), "do not match")
    _hostile(sample, lambda h: _eqn(h, "reduce_sum")["out"][0].update(dtype="float64"), "do not match")
    _hostile(sample, lambda h: _eqn(h, "reduce_sum")["out"][0].update(weak=True), "weak")
    _hostile(sample, lambda h: h["out_avals"][0].update(shape=[9]), "out_avals")
    _hostile(sample, lambda h: h.update(in_tree={"tuple": ["*"]}), "leaves")
    _hostile(sample, lambda h: h.update(out_tree={"set": []}), "unknown pytree node kind")
    _hostile(sample, lambda h: h.update(out_tree={"dict": [["z", "*"], ["a", "*"]]}), "sorted")


def test_hostile_structure(sample: bytes) -> None:
    header, bufs = E._unpack(sample)
    _hostile(sample, lambda h: h.update(extra=1), "unknown key")
    _hostile(sample, lambda h: h.pop("program"), "missing key")
    _hostile(sample, lambda h: h.update(format="other"), "format")
    _hostile(sample, lambda h: h["program"].update(eqns={}), "JSON list")
    _fails(E._pack([1, 2, 3], bufs), "JSON object")
    # not JSON / not UTF-8 / duplicate keys / NaN
    for raw in (b"{", b"\xff\xfe", b'{"a":1,"a":2}', b'{"a":NaN}'):
        body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, len(raw), 0) + raw
        _fails(body + hashlib.sha256(body).digest(), "malformed")


def test_hostile_deep_nesting(sample: bytes) -> None:
    for depth in (60, 5000, 200000):
        raw = b"[" * depth + b"]" * depth
        body = E._PREFIX.pack(E.MAGIC, E.FORMAT_VERSION, len(raw), 0) + raw
        _fails(body + hashlib.sha256(body).digest())

    def nest(n: int) -> Any:
        v: Any = {"t": "int", "v": 0}
        for _ in range(n):
            v = {"t": "tuple", "v": [v]}
        return v

    _hostile(sample, lambda h: _params(_eqn(h, "reduce_sum")).update(axes=nest(100)), "nested")
    _hostile(sample, lambda h: h.update(in_tree=json.loads('{"tuple":[' * 100 + '"*"' + "]}" * 100)), "nested")


def test_hostile_literal(sample: bytes) -> None:
    def lit(h: dict[str, Any]) -> dict[str, Any]:
        for e in h["program"]["eqns"]:
            for a in e["in"]:
                if isinstance(a, dict):
                    return a["lit"]  # type: ignore[no-any-return]
        raise AssertionError("no literal")
    _hostile(sample, lambda h: lit(h).update(hex="00"), "needs")
    _hostile(sample, lambda h: lit(h).update(hex="zz" * 4), "hex")
    _hostile(sample, lambda h: lit(h).update(shape=[2**40]), "out of range")


def test_hostile_as_strided_out_of_bounds() -> None:
    from functorch_lite.ops.shape_ops import as_strided_p

    exp = E.export(lambda x: as_strided_p.bind(x, shape=(2,), strides=(1,), offset=1), jnp.arange(4.0))
    data = exp.serialize()
    assert_same(E.load(data)(jnp.arange(4.0)), jnp.array([1.0, 2.0]))

    def reach(h: dict[str, Any]) -> None:
        _params(_eqn(h, "as_strided"))["offset"] = {"t": "int", "v": 10**6}
    _hostile(data, reach, "shape rule rejects.*as_strided")


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_hostile_subprogram_signature() -> None:
    data = E.export(lambda v: lax.cond(jnp.sum(v) > 0, lambda a: a * 2.0, lambda a: -a, v),
                    jnp.ones(3)).serialize()
    assert np.asarray(E.load(data)(jnp.asarray(np.array([1.0, -0.5, 2.0], np.float32)))).tolist() == [2.0, -1.0, 4.0]

    def wrong_branch_input(h: dict[str, Any]) -> None:
        br = _params(_eqn(h, "cond"))["branches"]["v"][0]["v"]
        br["invars"][0]["shape"] = [1000]
        for e in br["eqns"]:
            e["out"][0]["shape"] = [1000]
            for a in e["in"]:
                if isinstance(a, dict):
                    a["lit"]["shape"] = [1000]
    _hostile(data, wrong_branch_input, "branch 0 declares inputs")

    def unknown_subprogram_prim(h: dict[str, Any]) -> None:
        e = _eqn(h, "reduce_sum")
        _params(e)["extra"] = _params(_eqn(h, "cond"))["branches"]
    _hostile(data, unknown_subprogram_prim, "unexpected param")
