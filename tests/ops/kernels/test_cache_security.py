"""The kernel disk cache never loads what someone else wrote, and detects a
damaged or swapped entry before Numba reads it (functorch_lite/ops/kernels/diskcache.py), for
generated kernels and the static ones of ops/kernels/ (functorch_lite/ops/kernels/_njit.py) alike."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from functorch_lite.ops.kernels import _njit, diskcache
from functorch_lite.ops.kernels import codegen as cg
from functorch_lite.ops.kernels import cumulative as kcum
from functorch_lite.ops.kernels import fastmath as fm
from tests._paths import REPO

OTHER_UID = 12345
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="giving a file to another user needs root")

_rng = np.random.default_rng()


def _tag() -> float:
    """A float32 multiplier no other test (or earlier run) has compiled."""
    return float(np.float32(1.0 + float(_rng.integers(1, 1 << 22)) / (1 << 23)))


def _source(tag: float) -> str:
    f32 = np.dtype(np.float32)
    nodes = (cg.Node("x0", f32, "in"), cg.Node("v1", f32, "op", ("x0",), f"(x0 * {cg.literal(tag, f32)})"))
    return cg.kernel_source(cg.KernelDesc(nodes, ("x0",), ("v1",)), cg.LoopNest(1, (False,), flat=True))


class Runner:
    """Compiles tiny kernels under one cache directory and checks their values against NumPy."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def run(self, tag: float) -> tuple[tuple[int, int], cg.Kernel]:
        src = _source(tag)
        self.sources.append(src)
        cg._forget(src)  # as in a fresh process: go to the disk cache
        k = cg.get_kernel(src)
        x = np.arange(7, dtype=np.float32) - 3
        out = np.empty(7, np.float32)
        k(7, x, 0, out)
        np.testing.assert_array_equal(out, x * np.float32(tag))
        return k.compile_stats(), k

    def forget(self) -> None:
        for s in self.sources:
            cg._forget(s)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runner]:
    monkeypatch.setenv("FUNCTORCH_LITE_CACHE_DIR", str(tmp_path / "cache"))
    r = Runner()
    yield r
    r.forget()


def _cache_warnings(w: list[warnings.WarningMessage]) -> list[str]:
    return [str(m.message) for m in w if issubclass(m.category, diskcache.UnsafeCacheWarning)]


def _files(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}


# --- refused directories: compiled in memory, one warning ------------------------------------------


@as_root
def test_directory_of_another_user_is_refused(runner: Runner, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chmod(cache, 0o777)
    os.chown(cache, OTHER_UID, OTHER_UID)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (s1, k1), (s2, k2) = runner.run(_tag()), runner.run(_tag())
    msgs = _cache_warnings(w)
    assert len(msgs) == 1, msgs  # one per process, not one per kernel
    assert f"owned by uid {OTHER_UID}" in msgs[0] and str(cache) in msgs[0]
    assert s1 == s2 == (0, 1) and k1.path == k2.path == ""
    assert list(cache.iterdir()) == []  # nothing read or written there


@pytest.mark.parametrize("where,mode", [("", 0o770), ("", 0o707), ("kernels", 0o770), ("kernels/__pycache__", 0o702)])
def test_group_or_other_writable_directory_is_refused(runner: Runner, tmp_path: Path, where: str, mode: int) -> None:
    assert diskcache.open_store() is not None  # creates the layout, 0700
    cache = tmp_path / "cache"
    assert (cache.stat().st_mode & 0o777) == 0o700
    os.chmod(cache / where, mode)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        stats, k = runner.run(_tag())
    (msg,) = _cache_warnings(w)
    assert "writable by group or others" in msg and str(cache / where).rstrip("/") in msg
    assert stats == (0, 1) and k.path == ""
    assert not list((cache / "kernels").glob("k*"))


def test_no_shared_fallback_when_the_directory_cannot_be_made(runner: Runner, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("FUNCTORCH_LITE_CACHE_DIR", str(blocker / "cache"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        stats, k = runner.run(_tag())
    (msg,) = _cache_warnings(w)
    assert "cannot be created" in msg
    assert stats == (0, 1) and k.path == ""  # in memory, not in some directory under /tmp


def test_parent_writable_by_others_is_refused(runner: Runner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # not sticky: anyone could rename our directory away and put theirs
    monkeypatch.setenv("FUNCTORCH_LITE_CACHE_DIR", str(shared / "cache"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        stats, k = runner.run(_tag())
    (msg,) = _cache_warnings(w)
    assert "above the cache" in msg and str(shared) in msg
    assert stats == (0, 1) and k.path == ""


@pytest.mark.parametrize("what", ["source", "numba file", "kernels dir"])
def test_symbolic_links_are_refused(runner: Runner, tmp_path: Path, what: str) -> None:
    tag = _tag()
    assert runner.run(tag)[0] == (0, 1)
    kernels = tmp_path / "cache" / "kernels"
    if what == "kernels dir":
        shutil.move(kernels, tmp_path / "elsewhere")
        os.symlink(tmp_path / "elsewhere", kernels)
    else:
        (target,) = kernels.glob("k*.py") if what == "source" else kernels.glob("__pycache__/k*.1.nbc")
        shutil.move(target, tmp_path / "copy")
        os.symlink(tmp_path / "copy", target)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        stats, k = runner.run(tag)
    (msg,) = _cache_warnings(w)
    assert "symbolic link" in msg
    assert stats == (0, 1) and k.path == ""


# --- planted, damaged and swapped entries ------------------------------------------------------------


class _Plant:
    """Unpickling this creates the marker file: proof that planted bytes ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("manifest", ["kept", "deleted"])
def test_planted_pickles_are_never_loaded(runner: Runner, tmp_path: Path, manifest: str) -> None:
    tag = _tag()
    assert runner.run(tag)[0] == (0, 1)
    kernels = tmp_path / "cache" / "kernels"
    marker = tmp_path / "planted-code-ran"
    planted = list(kernels.glob("__pycache__/k*.nb[ic]"))
    assert len(planted) == 2
    for p in planted:  # a valid Numba header, then the payload
        p.write_bytes(pickle.dumps(__import__("numba").__version__) + pickle.dumps(_Plant(marker)))
    if manifest == "deleted":
        next(kernels.glob("k*.manifest.json")).unlink()
    assert runner.run(tag)[0] == (0, 1)  # rebuilt
    assert not marker.exists()
    assert runner.run(tag)[0] == (1, 0)  # and the rebuilt entry is trusted again
    assert not marker.exists()


@as_root
def test_planted_entry_with_forged_manifest_owned_by_another_user(runner: Runner, tmp_path: Path) -> None:
    tag = _tag()
    assert runner.run(tag)[0] == (0, 1)
    kernels = tmp_path / "cache" / "kernels"
    marker = tmp_path / "planted-code-ran"
    (index,) = kernels.glob("__pycache__/k*.nbi")
    index.write_bytes(pickle.dumps(_Plant(marker)))
    (mf,) = kernels.glob("k*.manifest.json")
    body = json.loads(mf.read_text())
    body["files"]["__pycache__/" + index.name] = diskcache._sha256(index.read_bytes())
    mf.write_text(json.dumps(body))  # the hashes match: only ownership can tell
    os.chown(index, OTHER_UID, OTHER_UID)
    os.chown(mf, OTHER_UID, OTHER_UID)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        stats, k = runner.run(tag)
    (msg,) = _cache_warnings(w)
    assert f"owned by uid {OTHER_UID}" in msg
    assert stats == (0, 1) and k.path == "" and not marker.exists()


_CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np
    from functorch_lite.ops.kernels import codegen as cg
    f32 = np.dtype(np.float32)
    ok, paths = True, []
    for tag in map(float, sys.argv[1:]):
        nodes = (cg.Node("x0", f32, "in"), cg.Node("v1", f32, "op", ("x0",), f"(x0 * {cg.literal(tag, f32)})"))
        k = cg.get_kernel(cg.kernel_source(cg.KernelDesc(nodes, ("x0",), ("v1",)), cg.LoopNest(1, (False,), True)))
        x = np.arange(7, dtype=np.float32) - 3
        out = np.empty(7, np.float32)
        k(7, x, 0, out)
        ok = ok and bool(np.array_equal(out, x * np.float32(tag)))
        paths.append(k.path)
    print(json.dumps(dict(cg.stats(), ok=ok, paths=paths)))
''')


def _child(cache: Path, tags: list[float]) -> dict[str, Any]:
    env = dict(os.environ, FUNCTORCH_LITE_CACHE_DIR=str(cache),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", _CHILD, *map(repr, tags)],
                       env=env, capture_output=True, text=True, timeout=300, cwd=str(REPO))
    assert r.returncode == 0, r.stderr  # an LLVM abort would show here, as a signal
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_flipped_byte_and_swapped_entries_are_rebuilt_in_a_fresh_process(runner: Runner, tmp_path: Path) -> None:
    tags = [_tag(), _tag(), _tag()]
    paths = [runner.run(t)[1].path for t in tags]  # written here; the damaged entries are read by a new process
    nbc = [next(Path(p).parent.glob(f"__pycache__/{Path(p).stem}.1.nbc")) for p in paths]
    a, b, c = (p.read_bytes() for p in nbc)
    # the two kernels differ only in a constant: Numba's own index keys match, so
    # without a manifest each would silently load the other's code
    nbc[0].write_bytes(b)
    nbc[1].write_bytes(a)
    flipped = bytearray(c)
    flipped[len(c) // 2] ^= 0x40
    nbc[2].write_bytes(bytes(flipped))
    fresh = _child(tmp_path / "cache", tags)
    assert fresh["ok"] and fresh["compiled"] == 3 and fresh["loaded"] == 0 and fresh["paths"] == paths
    for tag in tags:  # the rebuilt entries carry fresh manifests
        assert runner.run(tag)[0] == (1, 0)


def test_signatures_compiled_later_are_added_to_the_manifest(runner: Runner, tmp_path: Path) -> None:
    tag = _tag()
    _, k = runner.run(tag)  # float32 input
    x64 = np.arange(7, dtype=np.float64) - 3
    out = np.empty(7, np.float32)
    k(7, x64, 0, out)  # a second signature, compiled later in the process
    np.testing.assert_array_equal(out, (x64 * np.float32(tag)).astype(np.float32))
    (mf,) = (tmp_path / "cache" / "kernels").glob("k*.manifest.json")
    assert sorted(n.rsplit(".", 2)[-2] for n in json.loads(mf.read_text())["files"] if n.endswith(".nbc")) == ["1", "2"]
    stats, k = runner.run(tag)
    k(7, x64, 0, out)
    assert k.compile_stats() == (2, 0) and stats == (1, 0)


# --- read-only caches, atomic writes, hostile manifests -------------------------------------------------


def test_read_only_cache_with_valid_entries_is_used(runner: Runner, tmp_path: Path) -> None:
    cached = _tag()
    assert runner.run(cached)[0] == (0, 1)
    cache = tmp_path / "cache"
    dirs = [cache / "kernels" / "__pycache__", cache / "kernels", cache]
    before = _files(cache)
    for d in dirs:
        os.chmod(d, 0o500)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", diskcache.UnsafeCacheWarning)
            stats, k = runner.run(cached)
            assert stats == (1, 0) and k.path != ""  # loaded, not recompiled
            stats, k = runner.run(_tag())  # a new kernel: compiled in memory, nothing written
            assert stats == (0, 1)
            assert cg.stats()["loaded"] >= 1
        assert _files(cache) == before
    finally:
        for d in reversed(dirs):
            os.chmod(d, 0o700)


def test_manifest_write_is_atomic(runner: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = _tag()
    _, k = runner.run(tag)
    assert k.entry is not None
    kernels = tmp_path / "cache" / "kernels"
    (mf,) = kernels.glob("k*.manifest.json")
    good = mf.read_bytes()
    assert diskcache.parse_manifest(good, k.entry.stem) == k.entry.hashes and len(k.entry.hashes) == 3

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(diskcache.os, "replace", crash)
        k.entry.hashes["__pycache__/" + k.entry.stem + ".2.nbc"] = "0" * 64
        with pytest.raises(OSError, match="disk full"):
            k.entry.write_manifest()
        assert mf.read_bytes() == good  # the old manifest, whole
        assert not [p for p in kernels.rglob("*") if p.name.startswith(".tmp-")]  # no temporary left behind
        stats, k2 = runner.run(_tag())  # a cache that cannot be written: the kernel still compiles and runs
        assert stats == (0, 1) and k2.path == ""
    assert runner.run(tag)[0] == (1, 0)


_STEM = "k" + "ab" * 16
_GOOD = {"format": 1, "files": {f"{_STEM}.py": "0" * 64, f"__pycache__/{_STEM}.nbi": "1" * 64,
                                f"__pycache__/{_STEM}.3.nbc": "2" * 64}}


def test_manifest_parses_what_we_write() -> None:
    assert diskcache.parse_manifest(json.dumps(_GOOD).encode(), _STEM) == _GOOD["files"]


@pytest.mark.parametrize("data", [
    b"", b"{", b"\xff\xfe", b"[" * 60000, b" " * (diskcache.MAX_MANIFEST_BYTES + 1) + b"{}",
    json.dumps({"format": True, "files": _GOOD["files"]}).encode(),
    json.dumps({"format": 2, "files": _GOOD["files"]}).encode(),
    json.dumps(dict(_GOOD, extra=1)).encode(),
    json.dumps({"format": 1, "files": [list(_GOOD["files"].items())]}).encode(),
    json.dumps({"format": 1, "files": {f"{_STEM}.py": "A" * 64}}).encode(),
    json.dumps({"format": 1, "files": {f"{_STEM}.py": 7}}).encode(),
    json.dumps({"format": 1, "files": {"../../etc/passwd": "0" * 64}}).encode(),
    json.dumps({"format": 1, "files": {f"__pycache__/{_STEM}.0.nbc": "0" * 64}}).encode(),
    json.dumps({"format": 1, "files": {"k" + "cd" * 16 + ".py": "0" * 64}}).encode(),  # another kernel's
    json.dumps({"format": 1, "files": {f"__pycache__/{_STEM}.{i}.nbc": "0" * 64 for i in range(1, 400)}}).encode(),
])
def test_hostile_manifests_are_rejected(data: bytes) -> None:
    assert diskcache.parse_manifest(data, _STEM) is None


# --- the static (hand-written) kernels of ops/kernels/ go through the same verified cache ------------

@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUNCTORCH_LITE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _fresh(dispatcher: Any) -> Any:
    """A new dispatcher of a static kernel, as a fresh process has: same function, same cache entry."""
    return _njit.njit_cached()(dispatcher.py_func)


def _hits_misses(dispatcher: Any) -> tuple[int, int]:
    st = dispatcher.stats
    return sum(st.cache_hits.values()), sum(st.cache_misses.values())


def _entry_files(dispatcher: Any) -> list[Path]:
    entry = dispatcher._cache.entry()
    assert entry is not None and entry.stem.startswith("s")
    assert entry.store.root == os.path.realpath(diskcache.cache_dir())
    return sorted(Path(entry.store.pycache).glob(f"{entry.stem}.*"))


def test_static_kernels_use_the_verified_cache_not_numbas() -> None:
    from numba.core.caching import NullCache

    from functorch_lite.ops.kernels import indexing, linalg, prng

    kinds = {}
    for m in (kcum, fm, indexing, linalg, prng):
        for name, d in vars(m).items():
            if hasattr(d, "py_func") and d.py_func.__module__ == m.__name__:
                kinds[f"{m.__name__}.{name}"] = type(d._cache)
    assert len(kinds) >= 50
    assert set(kinds.values()) <= {diskcache.VerifiedCache, NullCache}, kinds  # never Numba's FunctionCache
    # plain numba.njit only where the function is always inlined (never compiled on its own)
    assert all(vars(kcum)[k.rsplit(".", 1)[1]].targetoptions.get("inline") == "always"
               for k, v in kinds.items() if v is NullCache and k.startswith(kcum.__name__))
    assert {k for k, v in kinds.items() if v is NullCache and not k.startswith(kcum.__name__)} == set()
    # an entry is named from its own module's file: a kernel must call no jitted code of another module
    for m in (kcum, fm, indexing, linalg, prng):
        for d in vars(m).values():
            f = getattr(d, "py_func", None)
            if f is not None and f.__module__ == m.__name__:
                for n in f.__code__.co_names:
                    g = getattr(f.__globals__.get(n), "py_func", f.__globals__.get(n))
                    assert getattr(g, "__module__", None) in (None, m.__name__, "builtins") or not callable(g) or \
                        not g.__module__.startswith("functorch_lite"), (f.__qualname__, n)
    with pytest.raises(TypeError, match="cache="):
        _njit.njit_cached(cache=True)


def test_planted_pickle_in_a_static_kernel_entry_is_never_loaded(cache: Path, tmp_path: Path) -> None:
    x = np.arange(9, dtype=np.int64) * 3 - 5
    first = _fresh(fm._sum_int)
    assert first(x, 9) == x.sum() and _hits_misses(first) == (0, 1)
    files = _entry_files(first)
    assert [p.suffix for p in files] == [".nbc", ".nbi"]
    marker = tmp_path / "planted-code-ran"
    for p in files:
        p.write_bytes(pickle.dumps(__import__("numba").__version__) + pickle.dumps(_Plant(marker)))
    again = _fresh(fm._sum_int)
    assert again(x, 9) == x.sum() and _hits_misses(again) == (0, 1)  # rebuilt
    assert not marker.exists()
    warm = _fresh(fm._sum_int)
    assert warm(x, 7) == x[:7].sum() and _hits_misses(warm) == (1, 0)  # the rebuilt entry loads
    assert not marker.exists()


def test_static_kernel_in_a_refused_directory_compiles_in_memory(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    os.chmod(cache, 0o777)
    x = np.arange(6, dtype=np.int64)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d = _fresh(fm._sum_int)
        assert d._cache.entry() is None  # decorating opened nothing; now refused
        assert d(x, 6) == x.sum() and _hits_misses(d) == (0, 1)
        assert _fresh(fm._sum_int)(x, 6) == x.sum()
    msgs = _cache_warnings(w)
    assert len(msgs) == 1 and "writable by group or others" in msgs[0] and str(cache) in msgs[0]
    assert list(cache.iterdir()) == []


_STATIC = {"_sum_float": np.sum, "_max_other": np.max, "_min_other": np.min}  # one signature, three results
_STATIC_CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np
    from functorch_lite.ops.kernels import fastmath as fm
    x = (np.arange(50.0) * 5) % 13 - 6  # sums are exact in any order
    out = {}
    for name in sys.argv[1:]:
        f = getattr(fm, name)
        st = f.stats
        out[name] = [float(f(x, 50)), sum(st.cache_hits.values()), sum(st.cache_misses.values())]
    print(json.dumps(out))
''')


def test_damaged_and_swapped_static_entries_are_rebuilt_in_a_fresh_process(cache: Path) -> None:
    x = (np.arange(50.0) * 5) % 13 - 6  # sums are exact in any order
    nbc = {}
    for name, ref in _STATIC.items():  # compiled here, with the argument types the child uses
        d = _fresh(getattr(fm, name))
        assert d(x, 50) == ref(x) and _hits_misses(d) == (0, 1)
        (nbc[name],) = (p for p in _entry_files(d) if p.suffix == ".nbc")
    a, b, c = (nbc[n].read_bytes() for n in _STATIC)
    nbc["_sum_float"].write_bytes(b)  # Numba's own cache would run max for sum: the same signature
    nbc["_max_other"].write_bytes(a)
    flipped = bytearray(c)
    flipped[len(c) // 2] ^= 0x40  # Numba's own cache could abort inside LLVM on such a byte
    nbc["_min_other"].write_bytes(bytes(flipped))
    env = dict(os.environ, FUNCTORCH_LITE_CACHE_DIR=str(cache),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", _STATIC_CHILD, *_STATIC],
                       env=env, capture_output=True, text=True, timeout=300, cwd=str(REPO))
    assert r.returncode == 0, r.stderr  # a native abort would show here, as a signal
    fresh = json.loads(r.stdout.strip().splitlines()[-1])
    assert fresh == {name: [ref(x), 0, 1] for name, ref in _STATIC.items()}  # right values, each rebuilt
    for name, ref in _STATIC.items():  # and the rebuilt entries are trusted again
        d = _fresh(getattr(fm, name))
        assert d(x, 50) == ref(x) and _hits_misses(d) == (1, 0)


_NUMBA_DIR_CHILD = textwrap.dedent('''
    import json, os, pickle, sys, types
    import numpy as np
    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.ops.kernels import codegen, cumulative, fastmath, indexing, linalg, prng
    from numba.core.caching import FunctionCache

    class Plant:
        def __reduce__(self):
            return (open, (sys.argv[1], "w"))

    mods = (cumulative, fastmath, indexing, linalg, prng)
    funcs = [getattr(v, "py_func", v) for m in mods for v in vars(m).values()]
    funcs = [f for f in funcs if isinstance(f, types.FunctionType) and f.__module__ in {m.__name__ for m in mods}]
    compiled_at_import = [f.__name__ for m in mods for f in vars(m).values() if getattr(f, "overloads", None)]
    cache_made_at_import = os.path.exists(os.environ["FUNCTORCH_LITE_CACHE_DIR"])
    planted = 0
    for f in funcs:  # where Numba's own cache (NUMBA_CACHE_DIR) keeps each function's index
        index = FunctionCache(f)._cache_file._index_path
        with open(index, "wb") as fh:
            pickle.dump(Plant(), fh)
        planted += 1
    # a generated kernel calling fastmath's overloads, which call static kernels
    y = (1 + (np.arange(64 * 128) % 7) / 1000).reshape(64, 128).astype(np.float32)
    got = np.asarray(fl.jit(lambda a: jnp.sum(a * a, axis=1))(jnp.asarray(y)))
    ok = bool(np.allclose(got, (y.astype(np.float64) ** 2).sum(axis=1), rtol=1e-5))
    chunked = any("sum_chunk" in k.source for k in codegen._kernels.values())
    static = sum(sum(f.stats.cache_misses.values()) for f in vars(fastmath).values() if hasattr(f, "stats"))
    print(json.dumps(dict(ok=ok, planted=planted, chunked=chunked, static=static, compiled_at_import=compiled_at_import,
                          cache_made_at_import=cache_made_at_import)))
''')


def test_shared_numba_cache_dir_with_planted_indexes_is_never_read(tmp_path: Path) -> None:
    shared = tmp_path / "numba_cache"
    shared.mkdir()
    os.chmod(shared, 0o777)  # as a shared /tmp/numba_cache would be
    marker = tmp_path / "planted-code-ran"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(shared), FUNCTORCH_LITE_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", _NUMBA_DIR_CHILD, str(marker)],
                       env=env, capture_output=True, text=True, timeout=300, cwd=str(REPO))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ok"] and out["chunked"] and out["static"] >= 1 and out["planted"] >= 50
    assert out["compiled_at_import"] == [] and not out["cache_made_at_import"]  # nothing compiles or opens at import
    assert not marker.exists()
    assert not list(shared.rglob("*.nbc"))  # and nothing of ours is written there either
