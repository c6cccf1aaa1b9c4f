"""Generated fused kernels: Numba source building, compiling and the disk cache.

``transforms/fusion.py`` groups a jit program's elementwise, broadcast and
reduction equations and describes each group as a :class:`KernelDesc` (a
topologically ordered list of scalar :class:`Node` s) plus, per call, a
:class:`LoopNest` (how many loops, which of them reduce, flat or strided,
parallel or not).  :func:`kernel_source` turns the two into the source of
ONE Numba function and :func:`get_kernel` compiles it.

The generated kernel loops over the iteration space in the memory order
the caller chose (sizes, strides and ``KernelDesc.params`` constants are
arguments, so one compiled kernel serves every shape and layout of that
structure), reads every input
through its storage buffer, offset and strides (transposed and broadcast,
stride-0, inputs are read in place: no hidden copies) and writes outputs
allocated by the caller.  Indices are cast to ``uint64`` so Numba emits no
negative-index wraparound (which would stop LLVM from vectorising); the
caller validated every stride and offset (they come from valid Arrays).

Reductions run in *phases*: each phase is one sweep of the inner loops
that accumulates the reductions whose inputs are ready and writes the
full-size outputs that are; values computed from reduced results (a
softmax's max, a logsumexp's log) are computed once per row between phases
("row passes").  When the reduced dims are innermost the accumulators are
scalars and values are buffered in chunks reduced by vectorised helpers
(``fm.sum_chunk``...); otherwise they are arrays over the inner kept dims,
updated elementwise (which vectorises by itself).

Disk cache (:mod:`.diskcache`, where the rules are): the module text
(the source with ``@njit(cache=False...)``: Numba's own cache is never
enabled) goes to ``<cache dir>/kernels/k<hash>.py`` (hash of the source,
the Numba and llvmlite versions, the CPU name and features, and
fastmath.py's source).  The checked text is compiled and run as the module
(the file is not re-read), and its dispatcher gets a verified cache: Numba's
index and data files are unpickled only after their bytes match the
kernel's sha256 manifest, and any mismatch deletes them and recompiles.
The cache directory is ``$FUNCTORCH_LITE_CACHE_DIR``, else
``$XDG_CACHE_HOME/functorch_lite``, else ``~/.cache/functorch_lite``; one
that is not the user's own (or that others may write) is refused with one
warning, and kernels are then compiled in memory.

Example:
    >>> import numpy as np
    >>> from functorch_lite.ops.kernels import codegen as cg
    >>> f32 = np.dtype("float32")
    >>> desc = cg.KernelDesc(
    ...     nodes=(cg.Node("x0", f32, "in"), cg.Node("v1", f32, "op", ("x0",), "(x0 * x0)")),
    ...     inputs=("x0",), outputs=("v1",))
    >>> src = cg.kernel_source(desc, cg.LoopNest(1, (False,), flat=True))
    >>> "for i0 in range(n0):" in src
    True
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import threading
import types
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from functorch_lite.ops.kernels import diskcache

# --- kernel descriptions ----------------------------------------------------------------------

CHUNK = 512  # values buffered per vectorised chunk reduction
PAR_CHUNK = 1 << 16  # elements per parallel work item of a flat loop


@dataclass(frozen=True)
class Node:
    """One scalar value of a fused kernel.

    ``kind``: ``"in"`` (an array input, read through strides), ``"scalar"``
    (an input passed by value), ``"op"`` (``expr``, a Python expression over
    earlier node names) or ``"red"`` (a reduction of ``args[0]``).
    ``row``: the value does not vary along the reduced dims.
    """

    name: str
    dtype: np.dtype[Any]
    kind: str
    args: tuple[str, ...] = ()
    expr: str = ""
    row: bool = False
    identity: str = ""  # reductions: typed source literal of the start value
    combine: str = ""  # reductions: format string over the accumulator {0} and a value {1}
    acc_dtype: np.dtype[Any] | None = None
    chunk: str = ""  # reductions: fastmath chunk reducer


@dataclass(frozen=True)
class KernelDesc:
    """A fused group: nodes in topological order, inputs and outputs (by name).

    ``params``: names of scalar constants passed by value after the inputs
    (free names in node expressions, typed by the caller's values): a
    constant that is a parameter rather than a literal of the source lets
    one compiled kernel serve every value of it (transforms/fusion.py
    decides which constants are worth a literal).
    """

    nodes: tuple[Node, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoopNest:
    """The loop structure of one call: ``ndim`` loops (outer to inner),
    which of them reduce, whether it is the flat unit-stride fast path, and
    whether the outermost loop runs in parallel."""

    ndim: int
    reduced: tuple[bool, ...]
    flat: bool = False
    parallel: bool = False
    #: (array name, stride) for arrays whose innermost-loop stride is baked
    #: into the source: 1 lets LLVM vectorise the loop (a runtime stride does
    #: not), 0 hoists the load, and what depends only on it, out of the loop
    inner: tuple[tuple[str, int], ...] = ()


def literal(value: Any, dtype: np.dtype[Any]) -> str:
    """Source text of a typed scalar constant.

    Example:
        >>> literal(0.5, np.dtype("float32")), literal(float("-inf"), np.dtype("float64"))
        ('np.float32(0.5)', 'np.float64(-np.inf)')
    """
    if dtype.kind == "b":
        return "True" if bool(value) else "False"
    if dtype.kind in "iu":
        return f"np.{dtype.name}({int(value)})"
    v = float(value)
    if v != v:
        # keep the sign bit (signbit, copysign see it); Numba folds -np.nan to +nan
        text = "np.copysign(np.nan, -1.0)" if math.copysign(1.0, v) < 0 else "np.nan"
    elif v in (float("inf"), float("-inf")):
        text = "np.inf" if v > 0 else "-np.inf"
    else:
        text = repr(float(np.asarray(v, dtype)))
    return f"np.{dtype.name}({text})"


def _cast(dtype: np.dtype[Any], expr: str) -> str:
    if dtype.kind == "b":
        return f"bool({expr})"
    return f"np.{dtype.name}({expr})"


# --- source generation ---------------------------------------------------------------------


class _Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


def kernel_source(desc: KernelDesc, nest: LoopNest) -> str:
    """The Python/Numba source of the kernel for ``desc`` under ``nest``."""
    return _Gen(desc, nest).source()


class _Gen:
    def __init__(self, desc: KernelDesc, nest: LoopNest) -> None:
        self.desc = desc
        self.nest = nest
        self.nodes = {n.name: n for n in desc.nodes}
        self.L = nest.ndim
        red = nest.reduced
        self.d = 0
        while self.d < self.L and not red[self.d]:
            self.d += 1
        self.kept_inner = [p for p in range(self.d, self.L) if not red[p]]
        js = self.L
        while js > self.d and red[js - 1]:
            js -= 1
        self.jstar = js
        self.scalar_rows = not self.kept_inner  # row values are scalars (reduced dims innermost)
        self.chunked = self.jstar < self.L
        # levels: 0 for values computable from the inputs; 1 + phase of the reductions they need
        self.lvl: dict[str, int] = {}
        self.phase: dict[str, int] = {}
        for n in desc.nodes:
            if n.kind in ("in", "scalar"):
                self.lvl[n.name] = 0
            elif n.kind == "op":
                self.lvl[n.name] = max((self.lvl[a] for a in n.args), default=0)
            else:
                self.phase[n.name] = self.lvl[n.args[0]]
                self.lvl[n.name] = self.phase[n.name] + 1
        self.stored = {
            n.name for n in desc.nodes if n.kind == "red" or (n.kind == "op" and n.row and self.lvl[n.name] > 0)
        }
        self.reds = [n for n in desc.nodes if n.kind == "red"]
        self.row_outputs = [o for o in desc.outputs if o in self.stored]
        self.loop_outputs = [o for o in desc.outputs if o not in self.stored]
        phases = [self.phase[r.name] for r in self.reds] + [self.lvl[o] for o in self.loop_outputs]
        self.nphases = max(phases, default=0) + 1
        # stored row values read after the pass that computes them (by a phase loop or a later pass)
        self.read_later: set[str] = set()
        for ph in range(self.nphases):
            targets = [r.args[0] for r in self.reds if self.phase[r.name] == ph] + [
                o for o in self.loop_outputs if self.lvl[o] == ph]
            stop = {n for n in self.stored if self.lvl[n] <= ph}
            self.read_later |= self._closure(targets, stop) & stop
            new_ops = [n for n in self.stored if self.lvl[n] == ph + 1 and self.nodes[n].kind == "op"]
            avail = {n for n in self.stored if self.lvl[n] <= ph}
            self.read_later |= self._closure([a for n in new_ops for a in self.nodes[n].args], avail) & avail
        self.e = _Emitter()
        self.nest_id = 0
        self.hoisted: set[str] = set()  # computed before the innermost loop

    # --- names ---------------------------------------------------------------------------
    def _arrays(self) -> list[str]:
        return [n for n in self.desc.inputs if self.nodes[n].kind == "in"]

    def signature(self) -> list[str]:
        args = [f"n{p}" for p in range(self.L)]
        for name in self.desc.inputs:
            if self.nodes[name].kind == "in":
                args += [f"B_{name}", f"O_{name}"]
                if not self.nest.flat:
                    args += [f"S_{name}_{p}" for p in range(self.L)]
            else:
                args.append(name)
        args += self.desc.params
        for k in range(len(self.desc.outputs)):
            args.append(f"Q{k}")
            if not self.nest.flat:
                args += [f"T{k}_{p}" for p in range(self.L)]
        return args

    # --- the whole function -----------------------------------------------------------------
    def source(self) -> str:
        e = self.e
        par = self.nest.parallel
        header = [
            "import numpy as np",
            "from numba import njit, prange, uint64",
            "from functorch_lite.ops.kernels import fastmath as fm",
            "",
            "",
            f'@njit(cache=True, error_model="numpy", nogil=True{", parallel=True" if par else ""})',
            f"def kernel({', '.join(self.signature())}):",
        ]
        if self.nest.flat:
            self._flat()
        else:
            self._general()
        if len(e.lines) == 0:
            e("pass")
        return "\n".join(header + e.lines) + "\n"

    def _flat(self) -> None:
        e = self.e
        arrays = self._arrays()
        if self.nest.parallel:
            e(f"for c in prange((n0 + {PAR_CHUNK - 1}) // {PAR_CHUNK}):")
            e.depth += 1
            e(f"for i0 in range(c * {PAR_CHUNK}, min(n0, (c + 1) * {PAR_CHUNK})):")
        else:
            e("for i0 in range(n0):")
        e.depth += 1
        for a in arrays:
            if self._needed_in_body(a):
                e(f"{a} = B_{a}[uint64(O_{a} + i0)]")
        for name in self._topo_needed(self.desc.outputs, set()):
            self._emit_op(name)
        for k, o in enumerate(self.desc.outputs):
            e(f"Q{k}[i0] = {o}")

    def _needed_in_body(self, a: str) -> bool:
        return a in self._closure(self.desc.outputs, set())

    # --- dependency closures ------------------------------------------------------------------
    def _closure(self, targets: Any, stop: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(targets)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in stop:
                continue
            todo.extend(self.nodes[n].args)
        return seen

    def _topo_needed(self, targets: Any, stop: set[str]) -> list[str]:
        """Op nodes to compute (in order) for ``targets``, reading ``stop`` nodes."""
        need = self._closure(targets, stop)
        return [n.name for n in self.desc.nodes if n.name in need and n.name not in stop and n.kind == "op"]

    def _emit_op(self, name: str) -> None:
        n = self.nodes[name]
        self.e(f"{name} = {_cast(n.dtype, n.expr)}")

    # --- general (strided, reductions) ------------------------------------------------------
    def _general(self) -> None:
        e = self.e
        d, L = self.d, self.L
        par = self.nest.parallel
        if self.reds and not self.scalar_rows:
            e("P = " + " * ".join(f"n{p}" for p in self.kept_inner))
            prev = "1"
            for p in reversed(self.kept_inner):  # strides of the dense row storage
                e(f"RS_{p} = {prev}")
                prev = f"RS_{p} * n{p}"
        if not par:
            self._allocs()
        # outer (kept) loops, shared by every phase
        inner = dict(self.nest.inner)
        for p in range(d):
            if p == L - 1:  # no reduction: this is the innermost loop
                zero = [a for a in self._arrays() if inner.get(a) == 0]
                self.hoisted = self._hoist(zero, self._topo_needed(self.loop_outputs, set()), self._base, L - 2, set())
            rng = "prange" if (par and p == 0) else "range"
            e(f"for i{p} in {rng}(n{p}):")
            e.depth += 1
            for a in self._arrays():
                if p < L - 1 or a not in inner:
                    e(f"b_{a}_{p} = {self._base(a, p - 1)} + i{p} * S_{a}_{p}")
                elif inner[a] == 1:
                    e(f"b_{a}_{p} = {self._base(a, p - 1)} + i{p}")
            for k in range(len(self.desc.outputs)):
                q = f"Q{k}"
                if p < L - 1 or q not in inner:
                    e(f"b_{q}_{p} = {self._base(q, p - 1)} + i{p} * T{k}_{p}")
                else:
                    e(f"b_{q}_{p} = {self._base(q, p - 1)} + i{p} * {inner[q]}")
            if par and p == 0:
                self._allocs()
        if par and d == 0:
            raise ValueError("a parallel loop nest needs an outer kept loop")
        for ph in range(self.nphases):
            self._phase(ph)
            self._row_pass(ph)
        e.depth = 1

    def _allocs(self) -> None:
        e = self.e
        for r in self.reds:
            assert r.acc_dtype is not None
            if self.chunked:
                e(f"C_{r.name} = np.empty({CHUNK}, np.{self.nodes[r.args[0]].dtype.name})")
        if not self.scalar_rows:
            for name in sorted(self.stored):
                n = self.nodes[name]
                if name in self.read_later:
                    e(f"R_{name} = np.empty(P, np.{n.dtype.name})")
                if n.kind == "red":
                    assert n.acc_dtype is not None
                    e(f"A_{name} = np.empty(P, np.{n.acc_dtype.name})")

    def _base(self, a: str, level: int) -> str:
        if level >= 0:
            return f"b_{a}_{level}"
        return f"O_{a}" if not a.startswith("Q") else "0"

    def _read_stored(self, names: Any) -> None:
        """Row values computed in earlier passes: scalar locals already in
        scope when the reduced dims are innermost, else read at ``ik``."""
        if self.scalar_rows:
            return
        for n in self.desc.nodes:
            if n.name in names and n.name in self.stored:
                self.e(f"{n.name} = R_{n.name}[ik]")

    def _phase(self, ph: int) -> None:
        e = self.e
        L, d = self.L, self.d
        reds = [r for r in self.reds if self.phase[r.name] == ph]
        outs = [o for o in self.loop_outputs if self.lvl[o] == ph]
        if not reds and not outs:
            return
        self.nest_id += 1
        nid = self.nest_id
        depth0 = e.depth
        for r in reds:  # accumulator start values
            if self.scalar_rows:
                e(f"s_{r.name} = {r.identity}")
            else:
                e("for k in range(P):")
                e(f"    A_{r.name}[k] = {r.identity}")
        targets = [r.args[0] for r in reds] + outs
        stop = {n for n in self.stored if self.lvl[n] <= ph}
        need = self._closure(targets, stop)
        ops = self._topo_needed(targets, stop)
        arrays = [a for a in self._arrays() if a in need]
        qs = [f"Q{k}" for k, o in enumerate(self.desc.outputs) if o in outs]
        strides = {a: f"S_{a}" for a in arrays} | {q: f"T{q[1:]}" for q in qs}

        def base(a: str, p: int) -> str:
            return self._base(a, p) if p < d else f"c{nid}_{a}_{p}"

        inner = dict(self.nest.inner)
        hoisted = set(self.hoisted)
        if self.scalar_rows and d < L:
            # reduced dims innermost: row values are the same all along them
            ready = need & stop
            rows = [a for a in arrays if self.nodes[a].row]
            hoisted = self._hoist(rows, [o for o in ops if self.nodes[o].row], base, d - 1, hoisted | ready) - ready
        for p in range(d, L):
            if p == self.jstar and not self.scalar_rows:
                for r in reds:
                    e(f"s_{r.name} = A_{r.name}[ik]")
            if p == L - 1:
                zero = [a for a in arrays if inner.get(a) == 0 and a not in hoisted]
                ready = need & stop if self.scalar_rows else set()
                hoisted = self._hoist(zero, ops, base, L - 2, hoisted | ready) - ready
            if p == L - 1 and self.chunked:
                e(f"for cc in range(0, n{p}, {CHUNK}):")
                e.depth += 1
                e(f"m = min({CHUNK}, n{p} - cc)")
                e("for ii in range(m):")
                e.depth += 1
                e(f"i{p} = cc + ii")
            else:
                e(f"for i{p} in range(n{p}):")
                e.depth += 1
            for a in arrays + qs:
                if a in hoisted:
                    continue
                if p < L - 1 or a not in inner:
                    e(f"{base(a, p)} = {base(a, p - 1)} + i{p} * {strides[a]}_{p}")
                elif inner[a] == 1:
                    e(f"{base(a, p)} = {base(a, p - 1)} + i{p}")
                elif a not in hoisted:
                    e(f"{base(a, p)} = {base(a, p - 1)}")
            if p in self.kept_inner:
                self._ik(p)
        # innermost body
        for a in arrays:
            if a not in hoisted:
                e(f"{a} = B_{a}[uint64({base(a, L - 1)})]")
        self._read_stored(need & stop)
        for name in ops:
            if name not in hoisted:
                self._emit_op(name)
        for k, o in enumerate(self.desc.outputs):
            if o in outs:
                e(f"Q{k}[uint64({base(f'Q{k}', L - 1)})] = {o}")
        for r in reds:
            v = r.args[0]
            if self.chunked:
                e(f"C_{r.name}[ii] = {v}")
            elif self.jstar == L and not self.scalar_rows:
                e(f"A_{r.name}[ik] = {r.combine.format(f'A_{r.name}[ik]', v)}")
            else:
                e(f"s_{r.name} = {r.combine.format(f's_{r.name}', v)}")
        # close the loops, reducing chunks and storing accumulators on the way out
        for p in reversed(range(d, L)):
            if p == L - 1 and self.chunked:
                e.depth -= 1
                for r in reds:
                    e(f"s_{r.name} = {r.combine.format(f's_{r.name}', f'fm.{r.chunk}(C_{r.name}, m)')}")
            e.depth -= 1
            if p == self.jstar and not self.scalar_rows:
                for r in reds:
                    e(f"A_{r.name}[ik] = s_{r.name}")
        assert e.depth == depth0

    def _hoist(self, arrays: list[str], ops: list[str], base: Any, level: int, ready: set[str]) -> set[str]:
        """Before a loop: read the inputs it does not move along (their base at
        loop ``level``) and compute the ops that need nothing else (or values
        in ``ready``), so the loop body is only what varies (and vectorises).
        Returns the names now computed, ``ready`` included."""
        done = set(ready) | set(arrays)
        for a in arrays:
            self.e(f"{a} = B_{a}[uint64({base(a, level)})]")
        for name in ops:
            args = self.nodes[name].args
            if name not in done and args and all(x in done for x in args):
                self._emit_op(name)
                done.add(name)
        return done

    def _ik(self, p: int) -> None:
        prev = [q for q in self.kept_inner if q < p]
        self.e(f"ik_{p} = {('ik_' + str(prev[-1])) if prev else '0'} + i{p} * RS_{p}")
        self.e(f"ik = ik_{p}")

    def _row_pass(self, ph: int) -> None:
        """After phase ``ph``: finish its reductions and compute the row
        values (and row outputs) that just became available."""
        e = self.e
        d = self.d
        reds = [r for r in self.reds if self.phase[r.name] == ph]
        new = {n.name for n in self.desc.nodes if n.name in self.stored and self.lvl[n.name] == ph + 1}
        if not new:
            return
        avail = {n for n in self.stored if self.lvl[n] <= ph + 1}
        new_ops = [n.name for n in self.desc.nodes if n.name in new and n.kind == "op"]
        targets = [a for n in new_ops for a in self.nodes[n].args]
        need = self._closure(targets, avail)
        helpers = self._topo_needed(targets, avail)  # lvl-0 row values, computed from the inputs here
        outs = [o for o in self.row_outputs if o in new]
        depth0 = e.depth
        self.nest_id += 1
        nid = self.nest_id
        positions = [] if self.scalar_rows else self.kept_inner
        arrays = [a for a in self._arrays() if a in need]
        qs = [f"Q{k}" for k, o in enumerate(self.desc.outputs) if o in outs]
        strides = {a: f"S_{a}" for a in arrays} | {q: f"T{q[1:]}" for q in qs}

        def base(a: str, p: int | None) -> str:
            return self._base(a, d - 1) if p is None else f"r{nid}_{a}_{p}"

        prev: int | None = None
        for p in positions:
            e(f"for i{p} in range(n{p}):")
            e.depth += 1
            for a in arrays + qs:
                e(f"{base(a, p)} = {base(a, prev)} + i{p} * {strides[a]}_{p}")
            self._ik(p)
            prev = p
        for a in arrays:
            e(f"{a} = B_{a}[uint64({base(a, prev)})]")
        self._read_stored((need & avail) - new)
        for r in reds:
            acc = f"s_{r.name}" if self.scalar_rows else f"A_{r.name}[ik]"
            e(f"{r.name} = {_cast(r.dtype, acc)}")
        order = set(helpers) | set(new_ops)
        for n in self.desc.nodes:
            if n.name in order:
                self._emit_op(n.name)
        if not self.scalar_rows:
            for n in self.desc.nodes:
                if n.name in new and n.name in self.read_later:
                    e(f"R_{n.name}[ik] = {n.name}")
        for k, o in enumerate(self.desc.outputs):
            if o in outs:
                e(f"Q{k}[uint64({base(f'Q{k}', prev)})] = {o}")
        e.depth = depth0


# --- compiling, with the in-memory and disk caches ---------------------------------------------

_FORMAT_VERSION = "2"
_lock = threading.RLock()


def _max_kernels() -> int:
    env = os.environ.get("FUNCTORCH_LITE_MAX_KERNELS", "512")
    try:
        n = int(env)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"FUNCTORCH_LITE_MAX_KERNELS={env!r}: expected a positive integer "
                         "(kernels kept in memory; the default is 512)")
    return n


#: compiled kernels kept in memory, least recently used dropped first
#: (``FUNCTORCH_LITE_MAX_KERNELS``): a process meeting ever new fused
#: structures would otherwise keep ~1 MB of machine code per kernel forever.
#: A dropped kernel still runs for the jit programs holding it; a later
#: :func:`get_kernel` of its source loads it again (disk cache, else compile).
MAX_KERNELS = _max_kernels()
_kernels: OrderedDict[str, Kernel] = OrderedDict()
_env_key: str | None = None

cache_dir = diskcache.cache_dir
#: Numba's own disk cache is never enabled on a generated kernel: ``diskcache`` attaches one
#: that loads only files vouched for by the kernel's manifest
_CACHED, _UNCACHED = "@njit(cache=True", "@njit(cache=False"


def _environment_key() -> str:
    """What compiled code depends on besides its source: the toolchain and
    CPU (:func:`diskcache.environment_key`) and fastmath.py, whose helpers
    generated kernels inline."""
    global _env_key
    if _env_key is None:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "fastmath.py"), "rb") as f:
            fm_hash = hashlib.sha256(f.read()).hexdigest()
        _env_key = "|".join([_FORMAT_VERSION, diskcache.environment_key(), fm_hash])
    return _env_key


@dataclass
class Kernel:
    """A compiled generated kernel: ``fn`` is the Numba dispatcher; ``path``
    its module file ("" when compiled in memory only)."""

    source: str
    key: str
    path: str
    fn: Any = None
    module: Any = field(default=None, repr=False)
    entry: diskcache.Entry | None = field(default=None, repr=False)

    def __call__(self, *args: Any) -> Any:
        """Run the kernel (compiling it, or loading it from the verified disk
        cache, for new argument types)."""
        return self.fn(*args)

    def drop_numba_cache(self) -> None:
        """Delete this kernel's Numba cache files (they are rebuilt on the next compile)."""
        if self.entry is not None:
            with self.entry.lock:
                self.entry.reset()

    def compile_stats(self) -> tuple[int, int]:
        """(signatures loaded from the disk cache, signatures compiled)."""
        st = self.fn.stats
        return sum(st.cache_hits.values()), sum(st.cache_misses.values())


def _module_text(source: str, key: str) -> str:
    if source.count(_CACHED) != 1:
        raise ValueError(f"a generated kernel must have exactly one {_CACHED}...) decorator")
    body = source.replace(_CACHED, _UNCACHED)
    body_hash = hashlib.sha256(body.encode()).hexdigest()
    return f"# functorch_lite generated kernel\n# key: {key}\n# sha256: {body_hash}\n{body}"


def get_kernel(source: str) -> Kernel:
    """The compiled kernel for ``source`` (a module defining ``kernel``), from
    the in-memory cache, else from its verified disk-cache entry (written
    first if missing or stale), else compiled in memory only (the cache
    refused or read-only: see :mod:`.diskcache`)."""
    k = _kernels.get(source)
    if k is not None:
        # one C call, atomic under the GIL: a hit never waits behind another thread's compile
        try:
            _kernels.move_to_end(source)
        except KeyError:  # evicted meanwhile; ``k`` still runs
            pass
        return k
    with _lock:
        k = _kernels.get(source)
        if k is not None:
            return k
        key = hashlib.sha256((_environment_key() + "\n" + source).encode()).hexdigest()
        text = _module_text(source, key)
        entry = diskcache.open_or_warn(f"k{key[:32]}", key, text)
        path = entry.py_path if entry is not None else ""
        if "parallel=True" in source:
            _ensure_threading_layer()
        modname = f"functorch_lite_kernel_{key[:32]}"
        module = types.ModuleType(modname)
        module.__file__ = path or f"<functorch_lite kernel {modname}>"
        # registered like any import: Numba finds the module by name when it
        # rebuilds a cached kernel's environment.  The verified text is run,
        # never the file re-read (it could have changed since the check).
        sys.modules[modname] = module
        exec(compile(text, module.__file__, "exec"), module.__dict__)
        if entry is not None:
            diskcache.attach(module.kernel, entry)
        k = Kernel(source, key, path, module.kernel, module, entry)
        _kernels[source] = k
        while len(_kernels) > max(1, MAX_KERNELS):
            _drop(_kernels.popitem(last=False)[1])
        return k


def _ensure_threading_layer() -> None:
    """Numba's ``workqueue`` threading layer unless the user chose one: the
    OpenMP/TBB layers spin-wait, which collapses on a busy 2-core machine
    (DESIGN.md).  Takes effect if no parallel kernel has run yet."""

    config: Any = numba.config
    if "NUMBA_THREADING_LAYER" not in os.environ and config.THREADING_LAYER == "default":
        config.THREADING_LAYER = "workqueue"


def _forget(source: str) -> None:
    """Drop a kernel from this process's memory (tests: the next
    :func:`get_kernel` goes to the disk cache again)."""
    with _lock:
        k = _kernels.pop(source, None)
        if k is not None:
            _drop(k)


def _drop(k: Kernel) -> None:
    # its module leaves ``sys.modules`` too, else that would keep it alive
    name = getattr(k.module, "__name__", None)
    if name is not None and sys.modules.get(name) is k.module:
        del sys.modules[name]


def stats() -> dict[str, int]:
    """Counts over this process's kernels: ``kernels`` (distinct sources),
    ``loaded`` (signatures loaded from the disk cache) and ``compiled``.

    Example:
        >>> sorted(stats())
        ['compiled', 'kernels', 'loaded']
    """
    loaded = compiled = 0
    for k in list(_kernels.values()):
        h, m = k.compile_stats()
        loaded += h
        compiled += m
    return {"kernels": len(_kernels), "loaded": loaded, "compiled": compiled}


# --- output buffers --------------------------------------------------------------------------

POOL_MIN_BYTES = 1 << 20
#: bytes of unreferenced outputs kept for reuse (``FUNCTORCH_LITE_POOL_BYTES``; 0 disables)
POOL_MAX_BYTES = int(os.environ.get("FUNCTORCH_LITE_POOL_BYTES", str(256 << 20)))
_POOL_MAX_ENTRIES = 16
_pool: list[np.ndarray[Any, Any]] = []
_pool_lock = threading.Lock()


def empty(n: int, dtype: Any) -> np.ndarray[Any, Any]:
    """A flat output buffer of ``n`` elements.

    Large buffers come from a small pool of recently returned outputs that
    nobody references any more (the caching-allocator idea: a fresh large
    buffer pays a page fault per 4 KiB on first write, a recycled one does
    not).  A pooled buffer is handed out only when the pool holds the only
    reference to it.

    Example:
        >>> empty(3, np.dtype("float32")).shape
        (3,)
    """
    dtype = np.dtype(dtype)
    nbytes = n * dtype.itemsize
    if nbytes < POOL_MIN_BYTES or nbytes > POOL_MAX_BYTES:
        return np.empty(n, dtype)
    with _pool_lock:
        for i in range(len(_pool)):
            buf = _pool[i]
            # 3 = the pool's list + ``buf`` + getrefcount's argument: nobody else holds it
            if buf.size == n and buf.dtype == dtype and sys.getrefcount(buf) <= 3:
                del _pool[i]
                _pool.append(buf)  # most recently used last
                return buf
        buf = np.empty(n, dtype)
        _pool.append(buf)
        total = sum(b.nbytes for b in _pool)
        while _pool and (len(_pool) > _POOL_MAX_ENTRIES or total > POOL_MAX_BYTES):
            total -= _pool.pop(0).nbytes
        return buf


def clear_pool() -> None:
    """Forget the pooled output buffers (their memory is freed once unused).

    Example:
        >>> clear_pool()
    """
    with _pool_lock:
        _pool.clear()
