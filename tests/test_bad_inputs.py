"""Bad-input corpus: every public function of ``functorch_lite.numpy`` against hostile arguments.

Each public callable of ``functorch_lite.numpy`` (found by introspection of
``dir()``: the module has no ``__all__``; SKIPPED lists what is left out and
why) and each name in ``functorch_lite.numpy.linalg.__all__`` is called with
a corpus of bad and edge-case arguments: wrong types (None, strings, dicts,
objects, ragged lists), mismatched broadcasting, mixed dtypes, NaN/inf, empty
and 0-d arrays, huge shapes (2**40 elements: must be refused, not allocated),
negative and non-integer sizes, out-of-range axes (5, -7) and indices (10**9).

The rule, per call:

* a clean exception is always fine -- any ``Exception`` except the ones that
  mean the library itself broke: ``AttributeError``, ``NameError`` (and
  ``UnboundLocalError``), ``AssertionError``, ``KeyError``, ``ZeroDivisionError``,
  ``RecursionError``, ``SystemError``, any Numba compiler error, and Python's
  own "list/tuple index out of range" ``IndexError`` (an ``IndexError`` that
  describes a bad index, as NumPy's do, is a clean refusal);
* a result is fine when NumPy (same name, same arguments) returns the same
  values: shapes equal, values equal up to 1e-5 relative (dtypes may differ:
  the library follows JAX's promotion and float32 default);  a non-numeric
  result (a dtype, a finfo) is not compared;
* a result where NumPy raises is a finding (the library accepted what it
  should refuse) for the cases in MUST_REFUSE -- garbage as data, bad axes,
  indices, sizes and dtypes; elsewhere the library's JAX signatures may
  accept more than NumPy's (SIGNATURE_DIFFERS: functions where they do even
  for those cases);
* ACCEPTED lists the answers that differ from NumPy's by design (JAX
  semantics), NO_VALUE_CHECK the results that are not compared (NumPy's are
  undefined there);
* a call running past 20 s and a crash of the process are findings (HANGS
  lists known hangs, left to tests/test_fuzz_regressions.py so that every
  run does not pay their timeout).

The calls run in subprocesses, a chunk of functions each, under a 4 GiB
address-space limit (so an attempted huge allocation fails fast instead of
swapping), and the parent process turns a segfault -- or 60 s without
progress, a hang in native code -- into a failure that names the function
and the input, then carries on after it in a fresh worker.  Each function is one
test item; the functions with known findings are in KNOWN_FAILURES and run as
strict xfails.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
import pytest

import functorch_lite.numpy as jnp

# --- which functions --------------------------------------------------------------------------------

SKIPPED: dict[str, str] = {
    "Array": "the Array class: its constructor's bounds checks are tested in tests/test_array.py",
    "ndarray": "alias of Array",
    "NonConcreteBooleanIndexError": "an exception class",
    "dtype": "numpy.dtype itself, re-exported",
    "can_cast": "numpy.can_cast itself, re-exported",
    "annotations": "a __future__ feature object, not part of the API",
}


def public_functions() -> list[str]:
    """Every public callable of functorch_lite.numpy (and .linalg, as ``linalg.name``), minus SKIPPED."""
    names = []
    for name in sorted(dir(jnp)):
        obj = getattr(jnp, name)
        if name.startswith("_") or name in SKIPPED or not callable(obj) or isinstance(obj, type(np)):
            continue
        names.append(name)
    names += ["linalg." + name for name in sorted(jnp.linalg.__all__)]
    return names


# Findings: function -> what goes wrong.  Each runs as a strict xfail, so a fix shows up as XPASS.
KNOWN_FAILURES: dict[str, str] = {}
# The library's signature differs from NumPy's (it follows JAX): NumPy's refusals are not findings there.
SIGNATURE_DIFFERS: dict[str, str] = {
    "clip": "JAX's clip(x, min=None, max=None): max is optional",
}

# --- the corpus -------------------------------------------------------------------------------------

BIG = 2**40


def _values() -> dict[str, np.ndarray[Any, Any]]:
    return {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
        "f32_4": np.arange(4, dtype=np.float32),
        "f64": np.linspace(-1, 1, 6).reshape(2, 3),
        "i32": np.array([[-3, 0, 5], [7, -1, 2]], np.int32),
        "bool": np.array([[True, False, True], [False, False, True]]),
        "nan_inf": np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], np.float32),
        "empty": np.zeros((0,), np.float32),
        "empty2": np.zeros((0, 3), np.float32),
        "zero_d": np.array(2.5, np.float32),
        "sq": np.array([[2.0, 1.0], [1.0, 3.0]], np.float32),
        "idx": np.array([0, 1, 1], np.int32),
    }


class A:
    """Placeholder for a corpus array, materialised per library (NumPy copy or functorch_lite Array)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return self.key


_OBJ = object()

# Arguments tried with every function: (case id, positional args, keyword args).
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("none", (None,), {}),
    ("str", ("abc",), {}),
    ("dict", ({"a": 1},), {}),
    ("object", (_OBJ,), {}),
    ("mixed_list", ([1, "a"],), {}),
    ("ragged_list", ([[1, 2], [3]],), {}),
    ("f32", (A("f32"),), {}),
    ("f64", (A("f64"),), {}),
    ("i32", (A("i32"),), {}),
    ("bool", (A("bool"),), {}),
    ("nan_inf", (A("nan_inf"),), {}),
    ("empty", (A("empty"),), {}),
    ("empty2", (A("empty2"),), {}),
    ("zero_d", (A("zero_d"),), {}),
    ("huge_int", (10**30,), {}),
    ("minus_one", (-1,), {}),
    ("huge_shape", ((BIG,),), {}),
    ("huge_shape2", ((2**31, 2**31),), {}),
    ("huge_n", (BIG,), {}),
    ("neg_shape", ((2, -3),), {}),
    ("float_shape", ((2.5,),), {}),
    ("float_n", (2.5,), {}),
    ("nan_scalar", (math.nan,), {}),
    ("inf_scalar", (math.inf,), {}),
    ("f32,f32_4", (A("f32"), A("f32_4")), {}),
    ("f32,f32", (A("f32"), A("f32")), {}),
    ("f32,none", (A("f32"), None), {}),
    ("f32,str", (A("f32"), "abc"), {}),
    ("f32,i32", (A("f32"), A("i32")), {}),
    ("f32,bool", (A("f32"), A("bool")), {}),
    ("i32,i32", (A("i32"), A("i32")), {}),
    ("empty,empty", (A("empty"), A("empty")), {}),
    ("zero_d,f32", (A("zero_d"), A("f32")), {}),
    ("nan_inf,nan_inf", (A("nan_inf"), A("nan_inf")), {}),
    ("sq,sq", (A("sq"), A("sq")), {}),
    ("f32,1e9", (A("f32"), 10**9), {}),
    ("f32,-1e9", (A("f32"), -(10**9)), {}),
    ("f32,[1e9]", (A("f32"), [10**9]), {}),
    ("f32,idx", (A("f32"), A("idx")), {}),
    ("f32,huge_n", (A("f32"), BIG), {}),
    ("f32,huge_shape", (A("f32"), (BIG, 3)), {}),
    ("f32,neg", (A("f32"), -2), {}),
    ("huge_shape,1", ((BIG,), 1.0), {}),
    ("0,1,huge_n", (0.0, 1.0, BIG), {}),
    ("0,huge_n,1", (0, BIG, 1), {}),
    ("0,1,0step", (0, 1, 0), {}),
    ("f32,f32,f32", (A("f32"), A("f32"), A("f32")), {}),
    ("bool,f32,f32_4", (A("bool"), A("f32"), A("f32_4")), {}),
    ("f32,1e9,0", (A("f32"), 10**9, 0), {}),
    ("list_mismatch", ([A("f32"), A("f32_4")],), {}),
    ("list_empty", ([],), {}),
    ("f32,axis=5", (A("f32"),), {"axis": 5}),
    ("f32,axis=-7", (A("f32"),), {"axis": -7}),
    ("f32,axis=str", (A("f32"),), {"axis": "a"}),
    ("f32,axis=1.5", (A("f32"),), {"axis": 1.5}),
    ("f32,axis=dup", (A("f32"),), {"axis": (0, 0)}),
    ("zero_d,axis=0", (A("zero_d"),), {"axis": 0}),
    ("f32,f32,axis=5", (A("f32"), A("f32")), {"axis": 5}),
    ("list,axis=5", ([A("f32"), A("f32")],), {"axis": 5}),
    ("f32,idx,axis=5", (A("f32"), A("idx")), {"axis": 5}),
    ("f32,1e9,axis=1", (A("f32"), 10**9), {"axis": 1}),
    ("shape,dtype=complex", ((2,),), {"dtype": "complex256"}),
    ("shape,dtype=str", ((2,),), {"dtype": "not a dtype"}),
    ("f32,dtype=object", (A("f32"),), {"dtype": object}),
]

# Cases where accepting what NumPy refuses is a finding: garbage as data, out-of-range axes and
# indices, huge or negative sizes, non-integer sizes, unknown dtypes.  Elsewhere the library's
# signature may legitimately differ from NumPy's (it follows JAX: ``clip(x, lo)``, ``hstack(xs,
# dtype)``, ``array(x, dtype, copy)``), so accepting more than NumPy is not by itself wrong.
MUST_REFUSE = frozenset({
    "none", "str", "dict", "object", "mixed_list", "ragged_list", "huge_int", "huge_shape", "huge_shape2",
    "huge_n", "neg_shape", "float_shape", "float_n", "f32,none", "f32,str", "f32,1e9", "f32,-1e9", "f32,[1e9]",
    "f32,huge_n", "f32,huge_shape", "huge_shape,1", "f32,axis=5", "f32,axis=-7", "f32,axis=str", "f32,axis=1.5",
    "f32,axis=dup", "zero_d,axis=0", "f32,f32,axis=5", "list,axis=5", "f32,idx,axis=5", "f32,1e9,axis=1",
    "shape,dtype=complex", "shape,dtype=str", "f32,dtype=object",
})

# (function, case) -> why the library's answer is right although it differs from NumPy's.
ACCEPTED: dict[tuple[str, str], str] = {
    ("where", "f32,none"): "JAX: where(c, None, None) is the one-argument form (nonzero)",
    ("nonzero", "f32,none"): "size=None passed positionally",
    ("clip", "f32,none"): "JAX: clip(x, min=None, max=None)",
    ("hstack", "f32,none"): "JAX: hstack(tup, dtype=None)",
    ("vstack", "f32,none"): "JAX: vstack(tup, dtype=None)",
    ("dstack", "f32,none"): "JAX: dstack(tup, dtype=None)",
    ("diag", "f32,huge_n"): "an offset past the matrix is an empty diagonal (JAX); NumPy's refusal is a C-int limit",
    ("diagonal", "f32,huge_n"): "an offset past the matrix is an empty diagonal (JAX); NumPy's is a C-int limit",
    ("trace", "f32,huge_n"): "the trace of an empty diagonal is 0 (JAX); NumPy's refusal is a C-int limit",
    ("nan_to_num", "inf_scalar"): "a Python float is weak: float32, so inf becomes float32's max (JAX)",
    ("reciprocal", "i32"): "JAX: integer inputs promote to float (NumPy: integer division)",
    ("reciprocal", "bool"): "JAX: bool inputs promote to float",
    ("reciprocal", "neg_shape"): "JAX: integer inputs promote to float",
    **{(fn, case): "documented: decimals past the dtype's range leave x as it is (or round it to 0 for "
                   "decimals < 0); NumPy scales by inf and gets nan, or refuses decimals past a C long"
       for fn in ("round", "around") for case in ("f32,1e9", "f32,-1e9", "f32,huge_n")},
    ("unique_values", "i32"): "order unspecified by the Array API; the library sorts, NumPy 2 hashes",
    ("uint64", "i32"): "32-bit mode (the corpus's): a uint64 request narrows to uint32, as JAX, so negative "
                       "ints wrap modulo 2**32",
    **{("linalg.lstsq", c): "JAX: residuals always returned (numpy_resid=False); NumPy's may be empty"
       for c in ("f32,f32", "f32,i32", "f32,bool", "sq,sq", "f32,huge_shape")},
}

# Results not compared: uninitialised memory, and float -> integer casts of NaN, inf or values out of the
# target range, which C and NumPy leave undefined (the library saturates).
NO_VALUE_CHECK: dict[str, frozenset[str] | None] = {
    "empty": None, "empty_like": None,
    **{t: frozenset({"f32", "f64", "nan_inf", "nan_scalar", "inf_scalar", "huge_int"})
       for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")},
}

# Calls not made here because they hang (none at present): each belongs in tests/test_fuzz_regressions.py
# as a strict xfail run under a CPU-time limit (a hang costs the whole per-call timeout, too much for
# every run).
HANGS: dict[tuple[str, str], str] = {
    **{("diff", c): "the NumPy reference loops n = 1e9 times (the library stops once the axis is empty; "
                    "tests/numpy_api/test_array_api.py checks a huge n)"
       for c in ("f32,1e9", "f32,huge_n", "f32,1e9,0", "f32,1e9,axis=1")},
}

PER_CALL_TIMEOUT_S = 20
WATCHDOG_S = 60
ADDRESS_SPACE_LIMIT = 4 * 2**30


def _resolve(lib: Any, name: str) -> Any:
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _materialize(spec: Any, vals: dict[str, np.ndarray[Any, Any]], to_fl: bool) -> Any:
    if isinstance(spec, A):
        v = vals[spec.key].copy()
        return jnp.asarray(v) if to_fl else v
    if isinstance(spec, list):
        return [_materialize(s, vals, to_fl) for s in spec]
    if isinstance(spec, tuple):
        return tuple(_materialize(s, vals, to_fl) for s in spec)
    if isinstance(spec, dict):
        return {k: _materialize(s, vals, to_fl) for k, s in spec.items()}
    return spec


_BROKEN = (AttributeError, NameError, AssertionError, KeyError, ZeroDivisionError, RecursionError, SystemError)


def _breakage(exc: BaseException, np_exc: BaseException | None) -> str | None:
    """Why ``exc`` means the library broke inside (None: a clean refusal)."""
    if not isinstance(exc, Exception):
        return f"raised {type(exc).__name__}, not an Exception"
    if type(exc).__module__.startswith("numba"):
        return f"a Numba compiler error reached the user: {type(exc).__name__}"
    if isinstance(exc, _BROKEN):
        return f"internal error {type(exc).__name__}"
    if isinstance(exc, IndexError) and re.search(r"\b(list|tuple|string) index out of range", str(exc)):
        return "Python's own IndexError escaped (an unchecked container index)"
    return None


def _is_numeric(x: Any) -> bool:
    try:
        return np.asarray(x).dtype.kind in "biuf"
    except Exception:
        return False


def _differs(got: Any, want: Any) -> str | None:
    if isinstance(want, list | tuple) and not _is_numeric(want):
        if not isinstance(got, list | tuple) or len(got) != len(want):
            return f"got {type(got).__name__} of {len(got) if isinstance(got, list | tuple) else '?'}, " \
                   f"NumPy {type(want).__name__} of {len(want)}"
        for g, w in zip(got, want):
            d = _differs(g, w)
            if d:
                return d
        return None
    if isinstance(want, list | tuple) and isinstance(got, list | tuple) and len(got) != len(want):
        return f"got {len(got)} results, NumPy {len(want)}"
    if not (_is_numeric(want) and _is_numeric(got)):
        return None
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        return f"shape {g.shape}, NumPy {w.shape}"
    if w.dtype.kind == "b" or g.dtype.kind == "b":
        ok = np.array_equal(g, w)
    else:  # NumPy computes float16 for bool inputs of float functions, the library float32
        rtol = max([1e-5] + [4 * float(np.finfo(d).eps) for d in (g.dtype, w.dtype) if d.kind == "f"])
        ok = np.allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol, atol=rtol / 10, equal_nan=True)
    return None if ok else f"values {np.array2string(g, threshold=12)}, NumPy {np.array2string(w, threshold=12)}"


def _run_call(name: str, case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> str | None:
    """One call; the finding as text, or None when the rule holds."""
    import warnings

    _, args, kwargs = case
    vals = _values()
    np_fn = _resolve(np, name)
    want: Any = None
    np_exc: BaseException | None = None
    if np_fn is not None:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = np_fn(*_materialize(args, vals, False), **_materialize(kwargs, vals, False))
        except Exception as e:
            np_exc = e
    fl_fn = _resolve(jnp, name)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = fl_fn(*_materialize(args, vals, True), **_materialize(kwargs, vals, True))
    except _Hang:
        return f"ran past {PER_CALL_TIMEOUT_S} s"
    except BaseException as e:  # the rule is about which exceptions are clean
        why = _breakage(e, np_exc)
        return f"{why}: {type(e).__name__}: {str(e)[:200]}" if why else None
    if np_fn is None:
        return None
    if (name, case[0]) in ACCEPTED:
        return None
    if np_exc is not None:
        if case[0] not in MUST_REFUSE or name in SIGNATURE_DIFFERS:
            return None
        return f"accepted what NumPy refuses ({type(np_exc).__name__}: {str(np_exc)[:120]}); returned {got!r:.120}"
    skip = NO_VALUE_CHECK.get(name, frozenset())
    if skip is None or case[0] in skip:
        return None
    d = _differs(got, want)
    return f"differs from NumPy: {d}" if d else None


class _Hang(BaseException):
    """Raised by the alarm: not an Exception, so library code cannot swallow it."""


def _worker(names: list[str], start: int, out_path: str) -> None:
    import resource
    import signal
    import warnings

    warnings.simplefilter("ignore")
    # Small inputs go through the Numba kernels (where a bad index would do harm), not the NumPy
    # paths used for tiny arrays (tests/_kernel_paths.py lists them).
    from functorch_lite.ops.kernels import cumulative, indexing, linalg

    cumulative.NUMPY_BELOW = indexing.NUMPY_BELOW = linalg.INT_NUMPY_BELOW = linalg.OUTER_NUMPY_BELOW = 0
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    def alarm(signum: int, frame: Any) -> None:
        raise _Hang()

    signal.signal(signal.SIGALRM, alarm)
    crash_at = os.environ.get("FUNCTORCH_LITE_CORPUS_CRASH_AT", "")
    calls = [(n, c) for n in names for c in CASES]
    with open(out_path, "a", buffering=1) as out:
        for k in range(start, len(calls)):
            name, case = calls[k]
            out.write(json.dumps({"start": k}) + "\n")
            if (name, case[0]) in HANGS:
                continue
            if crash_at == f"{name}:{case[0]}":
                os.kill(os.getpid(), signal.SIGSEGV)
            signal.alarm(PER_CALL_TIMEOUT_S)
            try:
                finding = _run_call(name, case)
            except _Hang:
                finding = f"ran past {PER_CALL_TIMEOUT_S} s"
            finally:
                signal.alarm(0)
            if finding:
                out.write(json.dumps({"k": k, "fn": name, "case": case[0], "finding": finding}) + "\n")
        out.write(json.dumps({"done": len(calls)}) + "\n")


# --- the parent side ----------------------------------------------------------------------------------

FUNCTIONS = public_functions()
CHUNK = 40
_CHUNKS = [FUNCTIONS[i: i + CHUNK] for i in range(0, len(FUNCTIONS), CHUNK)]


@cache
def _chunk_findings(index: int) -> dict[str, list[str]]:
    return run_corpus(tuple(_CHUNKS[index]))


def run_corpus(names: tuple[str, ...], crash_at: str = "") -> dict[str, list[str]]:
    """Run the calls for ``names`` in subprocesses; findings per function (a crash is one of them).

    ``crash_at="name:case"`` makes the worker kill itself with SIGSEGV at that call, to test this."""
    calls = [(n, c[0]) for n in names for c in CASES]
    findings: dict[str, list[str]] = {n: [] for n in names}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
               FUNCTORCH_LITE_CORPUS_CRASH_AT=crash_at)
    start = 0
    with tempfile.TemporaryDirectory() as tmp:
        while start < len(calls):
            path = os.path.join(tmp, f"run{start}.jsonl")
            with open(path + ".err", "w") as err:  # a file, not a pipe: a chatty worker cannot block on it
                proc = subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), ",".join(names), str(start), path],
                    cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True,
                )
                hung = _watch(proc, path)
            with open(path + ".err") as err:
                stderr = err.read()
            last, done = start - 1, False
            with open(path) as f:
                for line in f:
                    rec = json.loads(line)
                    if "start" in rec:
                        last = rec["start"]
                    elif "done" in rec:
                        done = True
                    else:
                        findings[rec["fn"]].append(f"{rec['case']}: {rec['finding']}")
            if done:
                break
            if last < start:  # died before its first call: nothing to blame
                raise RuntimeError(f"corpus worker failed to start (rc {proc.returncode}):\n{stderr[-2000:]}")
            name, case = calls[last]
            why = (f"no progress for {WATCHDOG_S} s (killed)" if hung else
                   f"the process died (return code {proc.returncode}) {stderr.strip().splitlines()[-1:]}")
            findings[name].append(f"{case}: {why}")
            start = last + 1
    return findings


def _watch(proc: subprocess.Popen[str], path: str) -> bool:
    """Wait for the worker; kill it when its progress file stops growing (a hang in native code,
    where the in-process alarm cannot reach).  True when it was killed."""
    size, since = -1, time.monotonic()
    while proc.poll() is None:
        time.sleep(0.2)
        now = os.path.getsize(path) if os.path.exists(path) else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since > WATCHDOG_S:
            proc.kill()
            proc.wait()
            return True
    return False


def _findings(name: str) -> list[str]:
    for i, chunk in enumerate(_CHUNKS):
        if name in chunk:
            return _chunk_findings(i)[name]
    raise LookupError(name)


def _params() -> Iterator[Any]:
    for name in FUNCTIONS:
        reason = KNOWN_FAILURES.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_bad_inputs(name: str) -> None:
    found = _findings(name)
    assert not found, f"jnp.{name}:\n  " + "\n  ".join(found)


def test_a_crash_fails_naming_the_function_and_input_and_the_run_goes_on() -> None:
    found = run_corpus(("abs", "negative"), crash_at="abs:f32,f32_4")
    assert len(found["abs"]) == 1 and found["abs"][0].startswith("f32,f32_4: the process died (return code -11)")
    assert found["negative"] == []  # the calls after the crash ran in a fresh worker


def test_corpus_covers_every_public_function() -> None:
    public = {n for n in dir(jnp) if not n.startswith("_") and callable(getattr(jnp, n))}
    covered = set(FUNCTIONS) | set(SKIPPED)
    assert public - covered == set(), "public functions neither tested nor skipped with a reason"
    assert set(KNOWN_FAILURES) <= set(FUNCTIONS), "KNOWN_FAILURES names a function that is not tested"


if __name__ == "__main__":
    _worker(sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3])
