"""``device_put`` and ``device_get``: JAX's data-placement calls, on the one CPU device.

``device_put(x)`` converts every leaf of a pytree to an Array (NumPy arrays,
lists and scalars are copied in; Arrays pass through), which is what JAX
code relies on it for; ``device_get(x)`` gives NumPy arrays back.

Example:
    >>> import numpy as np
    >>> import functorch_lite as fl
    >>> x = fl.device_put({"w": np.ones(2)})
    >>> type(x["w"]).__name__, type(fl.device_get(x)["w"]).__name__
    ('Array', 'ndarray')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import tree
from functorch_lite.array import Array
from functorch_lite.device import check_device
from functorch_lite.numpy import asarray


def device_put(x: Any, device: Any = None, *, donate: bool = False, may_alias: bool | None = None) -> Any:
    """Every leaf of ``x`` as an Array on ``device`` (only the CPU exists).

    Example:
        >>> device_put([1.0, 2.0])[0].dtype
        dtype('float32')
    """
    check_device(device)
    return tree.tree_map(asarray, x)


def device_get(x: Any) -> Any:
    """Every Array leaf of ``x`` as a NumPy array (a copy; other leaves unchanged).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> device_get((jnp.arange(2), 3))
        (array([0, 1], dtype=int32), 3)
    """
    return tree.tree_map(lambda v: np.array(v) if isinstance(v, Array) else v, x)


__all__ = ["device_put", "device_get"]
