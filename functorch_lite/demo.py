"""A two-minute tour: ``python -m functorch_lite.demo``.

Example:
    >>> from functorch_lite import demo
    >>> callable(demo.main)
    True
"""

from __future__ import annotations

from typing import Any

import functorch_lite
import functorch_lite as fl
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
    y = x.at[0, 0].set(100.0)
    print(y[0].tolist(), " while x[0] is still", x[0].tolist(), "\n")

    print("Broadcasting, promotion (float32 stays float32 with Python scalars):")
    z = x * 2.0 + jnp.array([1.0, 0.0, -1.0, 0.5])
    print(z.dtype, z.shape, "\n")

    print("Reductions and stable softmax:")
    print("  sum over rows:", jnp.sum(x, axis=0).tolist())
    print("  softmax([1000, 1000, 0]):", jnp.softmax(jnp.array([1000.0, 1000.0, 0.0])).tolist(), "\n")

    print("Transforms compose: grad, vmap, jit")

    def loss(w: Any, xb: Any, yb: Any) -> Any:
        return jnp.mean((jnp.tanh(xb @ w) - yb) ** 2)

    w = jnp.ones(4) * 0.1
    xb = x / 10.0
    yb = jnp.array([0.0, 0.5, 1.0])
    print("  grad(loss)(w)            =", fl.grad(loss)(w, xb, yb).tolist())
    per_example = fl.vmap(fl.grad(loss), in_axes=(None, 0, 0))(w, xb[:, None, :], yb[:, None])
    print("  vmap(grad) per example   shape", per_example.shape)
    fast = fl.jit(fl.value_and_grad(loss))
    v, g = fast(w, xb, yb)
    print("  jit(value_and_grad) loss =", f"{float(v):.5f}")
    print("  jacfwd(jacrev) Hessian of sum(sin(w)):", fl.hessian(lambda q: jnp.sum(jnp.sin(q)))(w).shape, "\n")

    print("The IR that jit compiles (make_ir):")
    print(fl.make_ir(lambda q: jnp.sum(jnp.tanh(q) * 2.0))(w))


if __name__ == "__main__":
    main()
