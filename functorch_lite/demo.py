"""A two-minute tour: ``python -m functorch_lite.demo``.

Example:
    >>> from functorch_lite import demo
    >>> callable(demo.main)
    True
"""

from __future__ import annotations

import functorch_lite
import functorch_lite.numpy as jnp


def main() -> None:
    print(f"functorch_lite {functorch_lite.__version__}\n")

    x = jnp.arange(12, dtype=jnp.float32).reshape(3, 4)
    print("x = jnp.arange(12.).reshape(3, 4)")
    print(x, "\n")

    t = x.T
    print("x.T shares storage, no copy:", t.storage() is x.storage())
    print("  x.stride() =", x.stride(), "  x.T.stride() =", t.stride(),
          "  x.T.is_contiguous() =", t.is_contiguous())
    s = x[1:, ::2]
    print("x[1:, ::2] is a view too: offset", s.storage_offset(), "strides", s.stride())
    print(s, "\n")

    print("Arrays are immutable; x.at[0, 0].set(100.0) returns a new array:")
    y = x.at[0, 0].set(100.0) if _has_at() else x
    print(y[0].tolist(), " while x[0] is still", x[0].tolist(), "\n")

    print("Broadcasting, promotion (float32 stays float32 with Python scalars):")
    z = x * 2.0 + jnp.array([1.0, 0.0, -1.0, 0.5])
    print(z.dtype, z.shape, "\n")

    print("Reductions and stable softmax:")
    print("  sum over rows:", jnp.sum(x, axis=0).tolist())
    print("  softmax([1000, 1000, 0]):", jnp.softmax(jnp.array([1000.0, 1000.0, 0.0])).tolist())


def _has_at() -> bool:
    try:
        jnp.zeros(1).at[0].set(1.0)
    except NotImplementedError:
        return False
    return True


if __name__ == "__main__":
    main()
