"""Start-up: ``import functorch_lite`` does not import Numba; the first kernel
use does (functorch_lite/ops/kernels/_njit.py), once, also when two threads
make their first kernel call at the same time.  No timed assertions: the
times are measured by benchmarks/bench_startup.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests._paths import REPO


def _run(code: str, tmp_path: Path) -> dict[str, object]:
    env = dict(os.environ, FUNCTORCH_LITE_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", textwrap.dedent(code)], env=env,
                       capture_output=True, text=True, timeout=600, cwd=str(REPO))
    assert r.returncode == 0, r.stderr
    out: dict[str, object] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_import_does_not_import_numba_and_first_use_does(tmp_path: Path) -> None:
    out = _run('''
        import json, sys
        import numpy as np
        import functorch_lite as fl
        import functorch_lite.numpy as jnp
        import functorch_lite.nn, functorch_lite.optim, functorch_lite.lax, functorch_lite.random
        from functorch_lite.ops.kernels import _njit
        after_import = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite"))
        loaded_at_import = _njit.numba_loaded()
        x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
        eager = np.asarray(jnp.cumsum(jnp.asarray(x), axis=1))  # a hand-written (static) kernel
        jitted = np.asarray(fl.jit(lambda a: jnp.tanh(a * 2.0 + 1.0).sum(axis=0))(jnp.asarray(x)))  # generated
        print(json.dumps(dict(after_import=after_import, loaded_at_import=loaded_at_import,
                              numba="numba" in sys.modules, loaded=_njit.numba_loaded(),
                              eager=bool(np.allclose(eager, np.cumsum(x, axis=1))),
                              jitted=bool(np.allclose(jitted, np.tanh(x * 2 + 1).sum(axis=0), rtol=1e-5)))))
    ''', tmp_path)
    assert out["after_import"] == [] and out["loaded_at_import"] is False
    assert out["numba"] and out["loaded"]
    assert out["eager"] and out["jitted"]


def test_import_leaves_first_use_modules_unloaded(tmp_path: Path) -> None:
    # what `import functorch_lite` does not need (issue 16 item 6): each loads on first use
    # (tests/test_imports.py lists those in-function imports); scipy is never needed
    out = _run('''
        import sys
        import functorch_lite
        import functorch_lite.numpy as jnp
        deferred = ("numba", "llvmlite", "scipy", "hashlib", "json", "string", "heapq",
                    "functorch_lite.ops.kernels.diskcache", "functorch_lite.ops.kernels.kernel_cache",
                    "functorch_lite.transforms.fusion")
        loaded = sorted(m for m in deferred if m in sys.modules)
        import json
        x = jnp.asarray([1.0, 2.0, 3.0])
        stub = jnp.sin.__code__.co_varnames  # the guarded function before its first call
        y = jnp.sin(x)
        print(json.dumps(dict(loaded=loaded, stub=list(stub), code=list(jnp.sin.__code__.co_varnames),
                              sig=str(__import__("inspect").signature(jnp.sin)), y=float(y.sum()))))
    ''', tmp_path)
    assert out["loaded"] == []
    # the guard of jnp.sin is generated on its first call, with sin's own parameters
    assert out["stub"] == ["args", "kwargs"] and out["code"] == ["x"] and str(out["sig"]).startswith("(x")
    y = out["y"]
    assert isinstance(y, float) and abs(y - float(np.sin([1.0, 2.0, 3.0]).sum())) < 1e-6


def test_two_threads_making_the_first_kernel_call_at_once(tmp_path: Path) -> None:
    out = _run('''
        import json, sys, threading
        import numpy as np
        from functorch_lite.ops.kernels import _njit, fastmath as fm
        import functorch_lite.numpy as jnp
        built = []
        real_build = _njit._build
        def counting_build(fn, options, entry):
            built.append(fn.__qualname__)
            return real_build(fn, options, entry)
        _njit._build = counting_build
        go = threading.Barrier(4)
        results, errors = [], []
        x = (np.arange(50.0) * 5) % 13 - 6
        def work():
            try:
                go.wait()
                results.append(float(fm._sum_float(x, 50)))
                results.append(float(np.asarray(jnp.cumsum(jnp.asarray(x)))[-1]))
            except BaseException as e:  # reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps(dict(results=results, errors=errors, built=built, ref=float(x.sum()),
                              dispatcher=type(fm._sum_float).__name__)))
    ''', tmp_path)
    assert out["errors"] == []
    assert out["results"] == [out["ref"]] * 8
    built = out["built"]
    assert isinstance(built, list) and len(built) == len(set(built))  # each kernel built once
    assert "_sum_float" in built
    assert out["dispatcher"] == "CPUDispatcher"


def test_a_lazy_kernel_forwards_to_its_dispatcher() -> None:
    from functorch_lite.ops.kernels import _njit, diskcache

    _njit.ensure_numba()

    @_njit.njit_cached()
    def total(x: Any) -> Any:
        s = 0.0
        for v in x:
            s += v
        return s

    # made after Numba is loaded: a real dispatcher at once
    assert not isinstance(total, _njit.LazyDispatcher)
    lazy = _njit.LazyDispatcher(total.py_func, {}, _njit._StaticEntry(total.py_func))
    assert "not built yet" in repr(lazy)
    assert isinstance(lazy._cache, diskcache.VerifiedCache)  # an attribute read builds it
    assert lazy(np.ones(3)) == 3.0 and "built" in repr(lazy)
    assert lazy.py_func is total.py_func and lazy.__name__ == "total"


def test_user_numba_code_calling_a_kernel_first(tmp_path: Path) -> None:
    # the first use is a compile of the caller's own @njit function: the stand-ins and
    # fastmath's intrinsics/overloads must be ready for that compile, already under way
    out = _run('''
        import json
        import numpy as np
        from numba import njit
        from functorch_lite.ops.kernels import fastmath as fm

        @njit
        def f(x, buf):
            return fm.exp_f64(x) + fm.max_chunk(buf, buf.size)

        buf = np.array([1.0, 5.0, 2.0], dtype=np.float32)
        print(json.dumps(dict(value=float(f(1.0, buf)))))
    ''', tmp_path)
    assert out["value"] == pytest.approx(np.e + 5.0, rel=1e-14)
