"""Source generation of fused kernels: a :class:`~.fused_desc.KernelDesc`
under a :class:`~.fused_desc.LoopNest` becomes the text of ONE Numba function.

The generated kernel loops over the iteration space in the memory order
the caller chose (sizes, strides and ``KernelDesc.params`` constants are
arguments, so one compiled kernel serves every shape and layout of that
structure), reads every input through its storage buffer, offset and
strides (transposed and broadcast, stride-0, inputs are read in place: no
hidden copies) and writes outputs allocated by the caller.  Indices are cast
to ``uint64`` so Numba emits no negative-index wraparound (which would stop
LLVM from vectorising); the caller validated every stride and offset (they
come from valid Arrays).

Reductions run in *phases*: each phase is one sweep of the inner loops
that accumulates the reductions whose inputs are ready and writes the
full-size outputs that are; values computed from reduced results (a
softmax's max, a logsumexp's log) are computed once per row between phases
("row passes").  When the reduced dims are innermost the accumulators are
scalars and values are buffered in chunks reduced by vectorised helpers
(``fm.sum_chunk``...), or, for rows shorter than a vector
(``LoopNest.short_rows``), combined as they come; otherwise they are arrays
over the inner kept dims, updated elementwise (which vectorises by itself).  Compiling the text is
:mod:`.kernel_cache`'s job.

Example:
    >>> import numpy as np
    >>> from functorch_lite.ops.kernels.fused_desc import KernelDesc, LoopNest, Node
    >>> f32 = np.dtype("float32")
    >>> desc = KernelDesc(
    ...     nodes=(Node("x0", f32, "in"), Node("v1", f32, "op", ("x0",), "(x0 * x0)")),
    ...     inputs=("x0",), outputs=("v1",))
    >>> src = kernel_source(desc, LoopNest(1, (False,), flat=True))
    >>> "for i0 in range(n0):" in src
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from functorch_lite.ops.kernels.fused_desc import KernelDesc, LoopNest, Node

CHUNK = 512  # values buffered per vectorised chunk reduction
PAR_CHUNK = 1 << 16  # elements per parallel work item of a flat loop
JAM = 4  # rows of an outer reduced loop per sweep of the kept inner loop (see ``_jammed_sweep``)



def _row_acc_dtype(n: Node) -> np.dtype[Any]:
    """The dtype of a row pass's accumulators (one per output element, each
    adding one value per outer iteration): float reductions accumulate in
    their own dtype there, as NumPy's and the eager kernels' reductions over
    an outer axis do -- a float64 array would halve the SIMD width and add a
    conversion per element (``sum(x.T, axis=1)`` ran 1.8x NumPy's time)."""
    assert n.acc_dtype is not None
    return n.dtype if n.acc_dtype.kind == "f" and n.dtype.kind == "f" else n.acc_dtype


def _cast(dtype: np.dtype[Any], expr: str) -> str:
    if dtype.kind == "b":
        return f"bool({expr})"
    return f"np.{dtype.name}({expr})"


class _Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


def kernel_source(desc: KernelDesc, nest: LoopNest) -> str:
    """The Python/Numba source of the kernel for ``desc`` under ``nest``.

    Example:
        >>> f64 = np.dtype("float64")
        >>> desc = KernelDesc((Node("x0", f64, "in"), Node("v1", f64, "op", ("x0",), "(-x0)")), ("x0",), ("v1",))
        >>> "Q0[i0] = v1" in kernel_source(desc, LoopNest(1, (False,), flat=True))
        True
    """
    return _Gen(desc, nest, _analyse(desc, nest)).source()


# --- analysis: what the loop structure and the node graph imply --------------------------------


@dataclass(frozen=True)
class _Analysis:
    nodes: dict[str, Node]
    L: int  # loops
    d: int  # the first reduced loop (L when none reduce)
    kept_inner: list[int]  # kept loops inside ``d``
    jstar: int  # loops from ``jstar`` on all reduce (innermost reduced block)
    scalar_rows: bool  # row values are scalars (reduced dims innermost)
    chunked: bool  # the innermost reduced loop buffers values in chunks
    lvl: dict[str, int]  # 0: computable from the inputs; 1 + phase of the reductions a value needs
    phase: dict[str, int]  # reduction -> the phase that accumulates it
    stored: set[str]  # row values kept across passes (reductions and what is computed from them)
    reds: list[Node]
    row_outputs: list[str]
    loop_outputs: list[str]
    nphases: int
    read_later: set[str]  # stored row values read after the pass that computes them


def closure(nodes: dict[str, Node], targets: Iterable[str], stop: set[str]) -> set[str]:
    """Names ``targets`` depend on, not looking past ``stop`` (included).

    Example:
        >>> f = np.dtype("float64")
        >>> ns = {"x": Node("x", f, "in"), "y": Node("y", f, "op", ("x",), "x"), "z": Node("z", f, "op", ("y",), "y")}
        >>> sorted(closure(ns, ["z"], set())), sorted(closure(ns, ["z"], {"y"}))
        (['x', 'y', 'z'], ['y', 'z'])
    """
    seen: set[str] = set()
    todo = list(targets)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in stop:
            continue
        todo.extend(nodes[n].args)
    return seen


def _levels(desc: KernelDesc) -> tuple[dict[str, int], dict[str, int]]:
    lvl: dict[str, int] = {}
    phase: dict[str, int] = {}
    for n in desc.nodes:
        if n.kind in ("in", "scalar"):
            lvl[n.name] = 0
        elif n.kind == "op":
            lvl[n.name] = max((lvl[a] for a in n.args), default=0)
        else:
            phase[n.name] = lvl[n.args[0]]
            lvl[n.name] = phase[n.name] + 1
    return lvl, phase


def _read_later(nodes: dict[str, Node], lvl: dict[str, int], phase: dict[str, int], stored: set[str],
                reds: list[Node], loop_outputs: list[str], nphases: int) -> set[str]:
    """Stored row values read after the pass that computes them (by a phase loop or a later pass)."""
    read_later: set[str] = set()
    for ph in range(nphases):
        targets = [r.args[0] for r in reds if phase[r.name] == ph] + [o for o in loop_outputs if lvl[o] == ph]
        stop = {n for n in stored if lvl[n] <= ph}
        read_later |= closure(nodes, targets, stop) & stop
        new_ops = [n for n in stored if lvl[n] == ph + 1 and nodes[n].kind == "op"]
        avail = {n for n in stored if lvl[n] <= ph}
        read_later |= closure(nodes, [a for n in new_ops for a in nodes[n].args], avail) & avail
    return read_later


def _analyse(desc: KernelDesc, nest: LoopNest) -> _Analysis:
    nodes = {n.name: n for n in desc.nodes}
    L, red = nest.ndim, nest.reduced
    d = 0
    while d < L and not red[d]:
        d += 1
    kept_inner = [p for p in range(d, L) if not red[p]]
    js = L
    while js > d and red[js - 1]:
        js -= 1
    lvl, phase = _levels(desc)
    stored = {n.name for n in desc.nodes if n.kind == "red" or (n.kind == "op" and n.row and lvl[n.name] > 0)}
    reds = [n for n in desc.nodes if n.kind == "red"]
    row_outputs = [o for o in desc.outputs if o in stored]
    loop_outputs = [o for o in desc.outputs if o not in stored]
    nphases = max([phase[r.name] for r in reds] + [lvl[o] for o in loop_outputs], default=0) + 1
    chunked = js < L and not nest.short_rows
    return _Analysis(nodes, L, d, kept_inner, js, not kept_inner, chunked, lvl, phase, stored, reds, row_outputs,
                     loop_outputs, nphases, _read_later(nodes, lvl, phase, stored, reds, loop_outputs, nphases))


@dataclass(frozen=True)
class _Sweep:
    """One phase's sweep of the inner loops: what it reads, computes and writes."""

    nid: int  # numbers the sweep's base-index locals
    reds: list[Node]  # reductions accumulated
    outs: list[str]  # full-size outputs written
    stop: set[str]  # stored row values it reads (computed by earlier passes)
    need: set[str]  # everything the targets depend on, up to ``stop``
    ops: list[str]  # op nodes computed in the body, in order
    arrays: list[str]  # array inputs read
    qs: list[str]  # outputs written (``Q<k>``)
    strides: dict[str, str]  # array or output -> prefix of its stride arguments


# --- the generator ---------------------------------------------------------------------------


class _Gen:
    def __init__(self, desc: KernelDesc, nest: LoopNest, an: _Analysis) -> None:
        self.desc = desc
        self.nest = nest
        self.an = an
        self.nodes = an.nodes
        self.e = _Emitter()
        self.nest_id = 0
        self.hoisted: set[str] = set()  # computed before the innermost loop
        # inputs passed by value: what depends on nothing else is loop-invariant
        self.scalars = {n for n in desc.inputs if self.nodes[n].kind == "scalar"}


    # --- names ---------------------------------------------------------------------------
    def _arrays(self) -> list[str]:
        return [n for n in self.desc.inputs if self.nodes[n].kind == "in"]

    def signature(self) -> list[str]:
        args = [f"n{p}" for p in range(self.an.L)]
        for name in self.desc.inputs:
            if self.nodes[name].kind == "in":
                args += [f"B_{name}", f"O_{name}"]
                if not self.nest.flat:
                    args += [f"S_{name}_{p}" for p in range(self.an.L)]
            else:
                args.append(name)
        args += self.desc.params
        for k in range(len(self.desc.outputs)):
            args.append(f"Q{k}")
            if not self.nest.flat:
                args += [f"T{k}_{p}" for p in range(self.an.L)]
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
            # ``contract`` lets LLVM fuse a multiply and an add into one FMA (one rounding
            # instead of two, never less accurate; no reassociation, so reductions keep
            # their order and fastmath's Cody-Waite splits stay exact): a fused tanh
            # over 32k float32 ran in 12.2 us instead of 17.1
            f'@njit(cache=True, error_model="numpy", nogil=True, fastmath={{"contract"}}'
            f'{", parallel=True" if par else ""})',
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
        body = self._topo_needed(self.desc.outputs, set())
        before = self._hoist([], body, None, -1, set()) - self.scalars  # once, not once per element
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
        for name in body:
            if name not in before:
                self._emit_op(name)
        for k, o in enumerate(self.desc.outputs):
            e(f"Q{k}[i0] = {o}")

    def _needed_in_body(self, a: str) -> bool:
        return a in self._closure(self.desc.outputs, set())

    # --- dependency closures ------------------------------------------------------------------
    def _closure(self, targets: Any, stop: set[str]) -> set[str]:
        return closure(self.nodes, targets, stop)

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
        d, L = self.an.d, self.an.L
        par = self.nest.parallel
        if self.an.reds and not self.an.scalar_rows:
            e("P = " + " * ".join(f"n{p}" for p in self.an.kept_inner))
            prev = "1"
            for p in reversed(self.an.kept_inner):  # strides of the dense row storage
                e(f"RS_{p} = {prev}")
                prev = f"RS_{p} * n{p}"
        if not par:
            self._allocs()
        # outer (kept) loops, shared by every phase
        inner = dict(self.nest.inner)
        for p in range(d):
            if p == L - 1:  # no reduction: this is the innermost loop
                zero = [a for a in self._arrays() if inner.get(a) == 0]
                ops = self._topo_needed(self.an.loop_outputs, set())
                self.hoisted = self._hoist(zero, ops, self._base, L - 2, set())
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
        for ph in range(self.an.nphases):
            self._phase(ph)
            self._row_pass(ph)
        e.depth = 1

    def _allocs(self) -> None:
        e = self.e
        for r in self.an.reds:
            assert r.acc_dtype is not None
            if self.an.chunked:
                e(f"C_{r.name} = np.empty({CHUNK}, np.{self.nodes[r.args[0]].dtype.name})")
        if not self.an.scalar_rows:
            for name in sorted(self.an.stored):
                n = self.nodes[name]
                if name in self.an.read_later:
                    e(f"R_{name} = np.empty(P, np.{n.dtype.name})")
                if n.kind == "red":
                    assert n.acc_dtype is not None
                    e(f"A_{name} = np.empty(P, np.{_row_acc_dtype(n).name})")

    def _base(self, a: str, level: int) -> str:
        if level >= 0:
            return f"b_{a}_{level}"
        return f"O_{a}" if not a.startswith("Q") else "0"

    def _read_stored(self, names: Any) -> None:
        """Row values computed in earlier passes: scalar locals already in
        scope when the reduced dims are innermost, else read at ``ik``."""
        if self.an.scalar_rows:
            return
        for n in self.desc.nodes:
            if n.name in names and n.name in self.an.stored:
                self.e(f"{n.name} = R_{n.name}[ik]")

    def _phase(self, ph: int) -> None:
        sw = self._sweep(ph)
        if sw is None:
            return
        depth0 = self.e.depth
        for r in sw.reds:  # accumulator start values
            if self.an.scalar_rows:
                self.e(f"s_{r.name} = {r.identity}")
            else:
                self.e("for k in range(P):")
                self.e(f"    A_{r.name}[k] = {r.identity}")
        first = ""  # the first row of the outer reduced loop this sweep starts at
        if self._can_jam(sw):
            self._jammed_sweep(sw)
            first = f"n{self.an.d} // {JAM} * {JAM}"  # the remainder rows
        hoisted = self._open_sweep(sw, first)
        self._sweep_body(sw, hoisted)
        self._close_sweep(sw)
        assert self.e.depth == depth0

    def _can_jam(self, sw: _Sweep) -> bool:
        """Whether the sweep accumulates row reductions over one outer reduced loop
        right outside one kept inner loop (``sum(x, axis=0)`` of a row-major
        ``x``), writing nothing else, with nothing hoisted out of the inner loop."""
        L, d = self.an.L, self.an.d
        inner = dict(self.nest.inner)
        return (bool(sw.reds) and not sw.outs and not self.an.scalar_rows and self.an.jstar == L
                and d == L - 2 and self.an.kept_inner == [L - 1]
                and not any(inner.get(a) == 0 for a in sw.arrays))

    def _jammed_sweep(self, sw: _Sweep) -> None:
        """The sweep over ``JAM`` rows of the reduced loop at a time (unroll and
        jam): each accumulator is loaded once, takes the rows' values in row
        order (the same additions, in the same order, as row by row: results
        are bit-identical) and is stored once -- a quarter of the accumulator
        traffic (``jit(sum(x.T, axis=1))`` of a 4096^2 float32 ran 2.4 ms row
        by row, 1.6 ms four rows at a time; NumPy 1.9 ms)."""
        e, L, d = self.e, self.an.L, self.an.d
        base = self._sweep_base(sw.nid)
        inner = dict(self.nest.inner)
        depth0 = e.depth
        e(f"for jq in range(n{d} // {JAM}):")
        e.depth += 1
        e(f"i{d} = jq * {JAM}")
        for a in sw.arrays:
            e(f"{base(a, d)} = {base(a, d - 1)} + i{d} * {sw.strides[a]}_{d}")
        e(f"for i{L - 1} in range(n{L - 1}):")
        e.depth += 1
        for a in sw.arrays:
            step = f"i{L - 1}" if inner.get(a) == 1 else f"i{L - 1} * {sw.strides[a]}_{L - 1}"
            e(f"{base(a, L - 1)} = {base(a, d)} + {step}")
        self._ik(L - 1)
        self._read_stored(sw.need & sw.stop)
        for r in sw.reds:
            e(f"t_{r.name} = A_{r.name}[ik]")
        for u in range(JAM):
            for a in sw.arrays:
                off = f" + {u} * {sw.strides[a]}_{d}" if u else ""
                e(f"{a} = B_{a}[uint64({base(a, L - 1)}{off})]")
            for name in sw.ops:
                self._emit_op(name)
            for r in sw.reds:
                # cast as the store into A_ casts, so each step rounds exactly as row by row does
                e(f"t_{r.name} = {_cast(_row_acc_dtype(r), r.combine.format(f't_{r.name}', r.args[0]))}")
        for r in sw.reds:
            e(f"A_{r.name}[ik] = t_{r.name}")
        e.depth = depth0

    def _sweep(self, ph: int) -> _Sweep | None:
        """What phase ``ph``'s sweep reads, computes and writes (None: nothing)."""
        reds = [r for r in self.an.reds if self.an.phase[r.name] == ph]
        outs = [o for o in self.an.loop_outputs if self.an.lvl[o] == ph]
        if not reds and not outs:
            return None
        self.nest_id += 1
        targets = [r.args[0] for r in reds] + outs
        stop = {n for n in self.an.stored if self.an.lvl[n] <= ph}
        need = self._closure(targets, stop)
        arrays = [a for a in self._arrays() if a in need]
        qs = [f"Q{k}" for k, o in enumerate(self.desc.outputs) if o in outs]
        strides = {a: f"S_{a}" for a in arrays} | {q: f"T{q[1:]}" for q in qs}
        return _Sweep(self.nest_id, reds, outs, stop, need, self._topo_needed(targets, stop), arrays, qs, strides)

    def _sweep_base(self, nid: int) -> Callable[[str, int], str]:
        def base(a: str, p: int) -> str:
            return self._base(a, p) if p < self.an.d else f"c{nid}_{a}_{p}"

        return base

    def _open_sweep(self, sw: _Sweep, first: str = "") -> set[str]:
        """Open the sweep's inner loops (the first, reduced, one from row
        ``first`` when given), hoisting what does not vary along them; returns
        the names computed before the innermost loop."""
        e, L, d = self.e, self.an.L, self.an.d
        base = self._sweep_base(sw.nid)
        inner = dict(self.nest.inner)
        hoisted = set(self.hoisted)
        if self.an.scalar_rows and d < L:
            # reduced dims innermost: row values are the same all along them
            ready = sw.need & sw.stop
            rows = [a for a in sw.arrays if self.nodes[a].row]
            hoisted = self._hoist(rows, [o for o in sw.ops if self.nodes[o].row], base, d - 1, hoisted | ready) - ready
        for p in range(d, L):
            if p == self.an.jstar and not self.an.scalar_rows:
                for r in sw.reds:
                    e(f"s_{r.name} = A_{r.name}[ik]")
            if p == L - 1:
                zero = [a for a in sw.arrays if inner.get(a) == 0 and a not in hoisted]
                ready = sw.need & sw.stop if self.an.scalar_rows else set()
                hoisted = self._hoist(zero, sw.ops, base, L - 2, hoisted | ready) - ready
            self._open_loop(p, first if p == d else "")
            for a in sw.arrays + sw.qs:
                if a in hoisted:
                    continue
                if p < L - 1 or a not in inner:
                    e(f"{base(a, p)} = {base(a, p - 1)} + i{p} * {sw.strides[a]}_{p}")
                elif inner[a] == 1:
                    e(f"{base(a, p)} = {base(a, p - 1)} + i{p}")
                else:
                    e(f"{base(a, p)} = {base(a, p - 1)}")
            if p in self.an.kept_inner:
                self._ik(p)
        return hoisted

    def _open_loop(self, p: int, first: str = "") -> None:
        e = self.e
        if p == self.an.L - 1 and self.an.chunked:
            e(f"for cc in range(0, n{p}, {CHUNK}):")
            e.depth += 1
            e(f"m = min({CHUNK}, n{p} - cc)")
            e("for ii in range(m):")
            e.depth += 1
            e(f"i{p} = cc + ii")
        else:
            e(f"for i{p} in range({first + ', ' if first else ''}n{p}):")
            e.depth += 1

    def _sweep_body(self, sw: _Sweep, hoisted: set[str]) -> None:
        """The innermost body: read, compute, write outputs, accumulate."""
        e, L = self.e, self.an.L
        base = self._sweep_base(sw.nid)
        for a in sw.arrays:
            if a not in hoisted:
                e(f"{a} = B_{a}[uint64({base(a, L - 1)})]")
        self._read_stored(sw.need & sw.stop)
        for name in sw.ops:
            if name not in hoisted:
                self._emit_op(name)
        for k, o in enumerate(self.desc.outputs):
            if o in sw.outs:
                e(f"Q{k}[uint64({base(f'Q{k}', L - 1)})] = {o}")
        for r in sw.reds:
            v = r.args[0]
            if self.an.chunked:
                e(f"C_{r.name}[ii] = {v}")
            elif self.an.jstar == L and not self.an.scalar_rows:
                e(f"A_{r.name}[ik] = {r.combine.format(f'A_{r.name}[ik]', v)}")
            else:
                e(f"s_{r.name} = {r.combine.format(f's_{r.name}', v)}")

    def _close_sweep(self, sw: _Sweep) -> None:
        """Close the loops, reducing chunks and storing accumulators on the way out."""
        e, L = self.e, self.an.L
        for p in reversed(range(self.an.d, L)):
            if p == L - 1 and self.an.chunked:
                e.depth -= 1
                for r in sw.reds:
                    # bound once: a max/min combine names its second operand twice
                    e(f"c_{r.name} = fm.{r.chunk}(C_{r.name}, m)")
                    e(f"s_{r.name} = {r.combine.format(f's_{r.name}', f'c_{r.name}')}")
            e.depth -= 1
            if p == self.an.jstar and not self.an.scalar_rows:
                for r in sw.reds:
                    e(f"A_{r.name}[ik] = s_{r.name}")

    def _hoist(self, arrays: list[str], ops: list[str], base: Any, level: int, ready: set[str]) -> set[str]:
        """Before a loop: read the inputs it does not move along (their base at
        loop ``level``) and compute the ops that need nothing else (or values
        in ``ready``), so the loop body is only what varies (and vectorises).
        Returns the names now computed, ``ready`` included."""
        done = set(ready) | set(arrays) | self.scalars
        for a in arrays:
            self.e(f"{a} = B_{a}[uint64({base(a, level)})]")
        for name in ops:
            args = self.nodes[name].args
            if name not in done and args and all(x in done for x in args):
                self._emit_op(name)
                done.add(name)
        return done

    def _ik(self, p: int) -> None:
        prev = [q for q in self.an.kept_inner if q < p]
        self.e(f"ik_{p} = {('ik_' + str(prev[-1])) if prev else '0'} + i{p} * RS_{p}")
        self.e(f"ik = ik_{p}")

    def _row_pass(self, ph: int) -> None:
        """After phase ``ph``: finish its reductions and compute the row
        values (and row outputs) that just became available."""
        e = self.e
        d = self.an.d
        reds = [r for r in self.an.reds if self.an.phase[r.name] == ph]
        new = {n.name for n in self.desc.nodes if n.name in self.an.stored and self.an.lvl[n.name] == ph + 1}
        if not new:
            return
        avail = {n for n in self.an.stored if self.an.lvl[n] <= ph + 1}
        new_ops = [n.name for n in self.desc.nodes if n.name in new and n.kind == "op"]
        targets = [a for n in new_ops for a in self.nodes[n].args]
        need = self._closure(targets, avail)
        helpers = self._topo_needed(targets, avail)  # lvl-0 row values, computed from the inputs here
        outs = [o for o in self.an.row_outputs if o in new]
        depth0 = e.depth
        self.nest_id += 1
        nid = self.nest_id
        positions = [] if self.an.scalar_rows else self.an.kept_inner
        arrays = [a for a in self._arrays() if a in need]
        qs = [f"Q{k}" for k, o in enumerate(self.desc.outputs) if o in outs]
        strides = {a: f"S_{a}" for a in arrays} | {q: f"T{q[1:]}" for q in qs}

        def base(a: str, p: int | None) -> str:
            return self._base(a, d - 1) if p is None else f"r{nid}_{a}_{p}"

        ordered = [n.name for n in self.desc.nodes if n.name in set(helpers) | set(new_ops)]
        pre = self._hoist([], ordered, None, -1, set()) - self.scalars  # scalar-only: once, before the loops
        prev: int | None = None
        for p in positions:
            e(f"for i{p} in range(n{p}):")
            e.depth += 1
            for a in arrays + qs:
                e(f"{base(a, p)} = {base(a, prev)} + i{p} * {strides[a]}_{p}")
            self._ik(p)
            prev = p
        for a in arrays:
            if prev is None and a in self.hoisted:
                continue  # read before the kept innermost loop: its base there is never built
            e(f"{a} = B_{a}[uint64({base(a, prev)})]")
        self._read_stored((need & avail) - new)
        for r in reds:
            acc = f"s_{r.name}" if self.an.scalar_rows else f"A_{r.name}[ik]"
            e(f"{r.name} = {_cast(r.dtype, acc)}")
        for name in ordered:
            if name not in pre:
                self._emit_op(name)
        if not self.an.scalar_rows:
            for n in self.desc.nodes:
                if n.name in new and n.name in self.an.read_later:
                    e(f"R_{n.name}[ik] = {n.name}")
        for k, o in enumerate(self.desc.outputs):
            if o in outs:
                e(f"Q{k}[uint64({base(f'Q{k}', prev)})] = {o}")
        e.depth = depth0


__all__ = ["CHUNK", "PAR_CHUNK", "kernel_source", "closure"]
