"""Registry entries for the collectives (functorch_lite.distributed).

The generic suites run in one process, a world of one rank (MPI's singleton
when mpi4py is installed, else the MPI-free backend): there every collective
is an identity, a stack or an unstack, which is what these references say.
Their values across 2 and 4 ranks, and their gradients there, are checked by
``tests/distributed/test_mpi_jobs.py``.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

from functorch_lite import distributed as dist
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, FLOATS, NUMERIC, np_arrays, shapes


def _inputs(dts: tuple[np.dtype[Any], ...], min_dims: int = 0) -> Any:
    def draw_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
        dt = data.draw(st.sampled_from(dts))
        return [data.draw(np_arrays(dt, data.draw(shapes(min_dims, 3, 1 if min_dims else 0))))]

    return draw_inputs


def _in_world(f: Any) -> Any:
    def call(x: Any) -> Any:
        dist.init()  # idempotent: the first entry to run starts this process's world
        return f(x)

    return call


def _same(x: Any) -> Any:
    return x


def _send_recv(x: Any) -> Any:
    me = dist.rank()
    dist.send(x, dest=me, tag=11)
    return dist.recv(x, source=me, tag=11)


for _op, _dts in (("sum", NUMERIC), ("mean", FLOATS), ("max", ALL_DTYPES), ("min", ALL_DTYPES)):
    register(OpEntry(f"dist_all_reduce_{_op}", _in_world(lambda x, op=_op: dist.all_reduce(x, op)), _same,
                     _inputs(_dts), ("all_reduce",)))
register(OpEntry("dist_reduce", _in_world(lambda x: dist.reduce(x, root=0)), _same, _inputs(NUMERIC), ("reduce",)))
register(OpEntry("dist_broadcast", _in_world(lambda x: dist.broadcast(x, root=0)), _same, _inputs(ALL_DTYPES),
                 ("broadcast",)))
register(OpEntry("dist_all_gather", _in_world(lambda x: dist.all_gather(x, axis=-1)),
                 lambda x: np.expand_dims(x, -1), _inputs(ALL_DTYPES), ("all_gather",)))
register(OpEntry("dist_all_gather_tiled", _in_world(lambda x: dist.all_gather(x, axis=0, tiled=True)), _same,
                 _inputs(ALL_DTYPES, 1), ("all_gather",)))
register(OpEntry("dist_reduce_scatter", _in_world(lambda x: dist.reduce_scatter(x[None])), _same,
                 _inputs(NUMERIC), ("reduce_scatter",)))
register(OpEntry("dist_reduce_scatter_tiled_mean",
                 _in_world(lambda x: dist.reduce_scatter(x, "mean", scatter_dimension=-1, tiled=True)), _same,
                 _inputs(FLOATS, 1), ("reduce_scatter",)))
register(OpEntry("dist_send_recv", _in_world(_send_recv), _same, _inputs(ALL_DTYPES), ("send", "recv"),
                 differentiable=False))
