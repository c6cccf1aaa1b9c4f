"""Fusion, pass 3: plan how a fused group loops for one input layout.

Per combination of input strides, a :class:`~functorch_lite.transforms.fusion_group.FusedGroup`
gets a :class:`Plan`: the loop order (memory order of the largest input,
with the dims it does not move along outside, so that it streams and what
varies only along outer dims is hoisted), its outputs laid out dense in that
order, neighbouring dims that are contiguous in every array coalesced into
one loop, the flat unit-stride fast path or a strided nest (padded to
:data:`PAD_RANK` loops so one kernel serves every rank), parallel above
``parallel_min`` elements, innermost 0 strides baked into the source (and
1 strides for long inner loops, :data:`INNER_SPECIALISE_MIN`), and the generated kernel
for that structure (compiled once per structure, any sizes).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.transforms.fusion_group import describe
    >>> from functorch_lite.transforms.fusion_partition import partition, uses_of
    >>> p = fl.make_ir(lambda x: x * 2.0 + 1.0)(jnp.ones((4, 5)))
    >>> (g,), _ = partition(p)
    >>> plan = make_plan(describe(g, p.eqns, {id(p.outs[0])}, uses_of(p.eqns)), [(5, 1)], 1 << 62,
    ...                  compile_kernel=False)
    >>> plan.sizes, plan.out_strides   # coalesced into one flat loop
    ([20], [(5, 1)])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from functorch_lite.array import contiguous_strides
from functorch_lite.ops.fusion_rules import Map
from functorch_lite.ops.kernels import kernel_cache
from functorch_lite.ops.kernels.fused_desc import LoopNest
from functorch_lite.ops.kernels.fused_source import kernel_source
from functorch_lite.transforms.fusion_group import FusedGroup

#: strided kernels loop over at least this many dims (outer size-1 loops are
#: free), so that one compiled kernel serves arrays of any rank up to it
PAD_RANK = 3
#: an innermost loop at least this long gets its 0/1 strides baked into the kernel
#: (a vectorised loop; shorter loops share one kernel across layouts instead)
INNER_SPECIALISE_MIN = 16


def parallel_min_from_env() -> int:
    """Calls with at least this many elements run the outer loop in parallel:
    ``FUNCTORCH_LITE_PARALLEL_MIN``, else 1M elements on machines with 4 or
    more CPUs, never on smaller ones.

    Example:
        >>> parallel_min_from_env() > 0
        True
    """
    env = os.environ.get("FUNCTORCH_LITE_PARALLEL_MIN")
    if env:
        return int(env)
    # On 2 cores shared with other jobs a parallel loop ran 2x *slower* than a
    # serial one (benchmarks/RESULTS.md, jit section): parallel by default only
    # where there are cores to spare.
    return 1 << 20 if (os.cpu_count() or 1) >= 4 else 1 << 62


@dataclass(frozen=True)
class Plan:
    """How one group runs for one combination of input strides: the loop
    ``sizes``, each array input's and output's strides per loop (empty on the
    flat path), the outputs' sizes and strides, and the kernel."""

    source: str
    sizes: list[int]
    in_strides: dict[int, list[int]]
    out_kstrides: list[list[int]]
    out_strides: list[tuple[int, ...]]
    out_sizes: list[int]
    kernel: Any


def _spread(m: Map, strides: Sequence[int], nd: int) -> list[int]:
    """An array's stride along each of the group's ``nd`` dims (0 where it has none)."""
    row = [0] * nd
    for j, dim in enumerate(m):
        if dim is not None:
            row[dim] = strides[j]
    return row


def _loop_order(fg: FusedGroup, sst: dict[int, list[int]]) -> list[int]:
    """By the biggest input's strides (memory order), then the next's.  A dim
    an input does not move along (stride 0) goes outside the ones it does:
    the biggest input then streams contiguously in the inner loop, and what
    varies only along the outer dims is computed before it (hoisting)."""
    def domain_size(k_in: int) -> int:
        n = 1
        for d in fg.in_maps[k_in]:
            if d is not None:
                n *= fg.sizes[d]
        return n

    def rank(s: int) -> float:
        return -abs(s) if s else -float("inf")

    ranked = sorted(fg.array_inputs, key=lambda q: -domain_size(q))
    return sorted(range(len(fg.sizes)), key=lambda d: tuple(rank(sst[q][d]) for q in ranked) + (d,))


def _output_layout(shape: tuple[int, ...], m: Map, pos: dict[int, int]) -> tuple[int, ...]:
    """An output's strides: dense in loop order (C order when that agrees)."""
    mapped = [j for j, d in enumerate(m) if d is not None]
    if [pos[m[j]] for j in mapped] == sorted(pos[m[j]] for j in mapped):  # type: ignore[index]
        return contiguous_strides(shape)
    acc = 1
    st = [0] * len(shape)
    for j in sorted(mapped, key=lambda j: -pos[m[j]]):  # type: ignore[index]
        st[j] = acc
        acc *= shape[j]
    return tuple(st)


def _coalesce(order: list[int], sizes: list[int], reduced: tuple[bool, ...],
              arrays: list[list[int]]) -> list[list[int]]:
    """Loops ``[size, reduced, strides...]`` in order, merging neighbours
    contiguous in every array."""
    loops: list[list[int]] = []
    for d in order:
        cur = [sizes[d], int(reduced[d])] + [a[d] for a in arrays]
        if loops:
            prev = loops[-1]
            if prev[1] == cur[1] and all(prev[2 + i] == cur[2 + i] * cur[0] for i in range(len(arrays))):
                prev[0] *= cur[0]
                prev[2:] = cur[2:]
                continue
        loops.append(cur)
    if not loops:
        loops.append([1, 0] + [1] * len(arrays))
    return loops


def _nest(fg: FusedGroup, loops: list[list[int]], n_arrays: int, parallel_min: int) -> LoopNest:
    """The loop structure (padding ``loops`` in place to :data:`PAD_RANK` on the strided path)."""
    total = 1
    for s in fg.sizes:
        total *= s
    flat = not fg.has_reduction and len(loops) == 1 and all(x == 1 for x in loops[0][2:])
    parallel = total >= parallel_min and not loops[0][1] and (flat or loops[0][0] >= 4)
    if not flat and not parallel:
        # one strided kernel serves every rank up to PAD_RANK: pad with outer size-1 loops
        while len(loops) < PAD_RANK:
            loops.insert(0, [1, 0] + [0] * n_arrays)
    inner: tuple[tuple[str, int], ...] = ()
    if not flat:
        # a 0 stride is baked in at any length: it hoists the load, and what depends only on
        # it, out of the inner loop (a log_softmax's log(sum) over rows of 10 classes ran once
        # per element, 12 us instead of 2); broadcasts are the program's structure, so this
        # adds no kernel per input layout
        long = loops[-1][0] >= INNER_SPECIALISE_MIN
        names = [f"x{q}" for q in fg.array_inputs] + [f"Q{j}" for j in range(len(fg.out_vars))]
        inner = tuple((nm, st) for nm, st in zip(names, loops[-1][2:]) if st == 0 or (st == 1 and long))
    # a reduction over rows of 10 classes called a chunk reducer per row (~15 ns each,
    # half of a softmax's time); combined as they come, the short row costs its adds
    short_rows = not flat and bool(loops[-1][1]) and loops[-1][0] < INNER_SPECIALISE_MIN
    return LoopNest(len(loops), tuple(bool(lp[1]) for lp in loops), flat=flat, parallel=parallel, inner=inner,
                    short_rows=short_rows)


def make_plan(fg: FusedGroup, in_strides: Sequence[tuple[int, ...]], parallel_min: int,
              compile_kernel: bool = True) -> Plan:
    """The plan of ``fg`` for its array inputs' ``in_strides`` (compiling,
    or fetching from the kernel cache, its kernel unless ``compile_kernel``
    is False)."""
    nd = len(fg.sizes)
    sst = {k_in: _spread(fg.in_maps[k_in], strides, nd) for k_in, strides in zip(fg.array_inputs, in_strides)}
    order = _loop_order(fg, sst)
    pos = {d: i for i, d in enumerate(order)}
    out_strides = [_output_layout(v.aval.shape, m, pos) for v, m in zip(fg.out_vars, fg.out_maps)]
    out_sst = [_spread(m, st, nd) for m, st in zip(fg.out_maps, out_strides)]
    loops = _coalesce(order, fg.sizes, fg.reduced, [sst[q] for q in fg.array_inputs] + out_sst)
    n_in = len(fg.array_inputs)
    nest = _nest(fg, loops, n_in + len(out_sst), parallel_min)
    source = kernel_source(fg.desc, nest)
    flat = nest.flat
    return Plan(
        source=source,
        sizes=[lp[0] for lp in loops],
        in_strides={q: [] if flat else [lp[2 + i] for lp in loops] for i, q in enumerate(fg.array_inputs)},
        out_kstrides=[[] if flat else [lp[2 + n_in + j] for lp in loops] for j in range(len(fg.out_vars))],
        out_strides=out_strides,
        out_sizes=[v.aval.size for v in fg.out_vars],
        kernel=kernel_cache.get_kernel(source) if compile_kernel else None,
    )


__all__ = ["Plan", "make_plan", "parallel_min_from_env", "PAD_RANK", "INNER_SPECIALISE_MIN"]
