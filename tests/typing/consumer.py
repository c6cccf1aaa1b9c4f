"""Research code written against functorch_lite's public API, checked by
``mypy --strict`` (tests/test_typing_consumer.py): each ``assert_type`` states
the type a user's checker sees.  ``main()`` runs it on tiny data, so the
static types are checked against the values too.

Not a test module itself (pytest collects ``test_*.py``); importing it runs
nothing.
"""

from __future__ import annotations

from typing import Any, assert_type

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax, nn, optim, optimizers, random
from functorch_lite.array import Array
from functorch_lite.scipy import special, stats
from functorch_lite.tree_util import tree_leaves, tree_map

Params = dict[str, Array]


def init_mlp(key: Array, sizes: tuple[int, ...]) -> list[Params]:
    keys = random.split(key, len(sizes) - 1)
    assert_type(keys, Array)
    params: list[Params] = []
    for k, (m, n) in zip(keys, zip(sizes[:-1], sizes[1:])):
        wk, bk = random.split(k)
        w = random.normal(wk, (m, n)) * jnp.sqrt(2.0 / m)
        b = 0.01 * random.normal(bk, (n,))
        assert_type(w, Array)
        params.append({"w": w, "b": b})
    return params


def forward(params: list[Params], x: Array) -> Array:
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    out = x @ params[-1]["w"] + params[-1]["b"]
    return out - special.logsumexp(out, axis=-1, keepdims=True)


def loss(params: list[Params], x: Array, y: Array) -> Array:
    logp = forward(params, x)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def per_example_loss(params: list[Params], x: Array, y: Array) -> Array:
    return loss(params, x[None], y[None])


def functional_step(params: list[Params], x: Array, y: Array, lr: float) -> tuple[list[Params], Array]:
    step = fl.jit(fl.value_and_grad(loss))
    value, grads = step(params, x, y)
    assert_type(value, Array)
    assert_type(grads, list[Params])
    new = tree_map(lambda p, g: p - lr * g, params, grads)  # tree_map: any pytree in, any out
    assert_type(new, Any)
    return new, value


def per_example_grad_norms(params: list[Params], x: Array, y: Array) -> Array:
    per_ex = fl.vmap(fl.grad(per_example_loss), in_axes=(None, 0, 0))
    grads = per_ex(params, x, y)
    assert_type(grads, list[Params])
    sq = sum(jnp.sum(g**2, axis=tuple(range(1, g.ndim))) for g in tree_leaves(grads))
    return jnp.sqrt(jnp.asarray(sq))


def optax_style(params: list[Params], x: Array, y: Array) -> Array:
    opt = optimizers.adam(1e-2)
    state = opt.init(params)
    grads = fl.grad(loss)(params, x, y)
    updates, state = opt.update(grads, state, params)
    params = optimizers.apply_updates(params, updates)
    return loss(params, x, y)


def transforms_of_arrays() -> None:
    def f(x: Array) -> Array:
        return jnp.sum(jnp.sin(x) ** 2)

    x = jnp.linspace(0.0, 1.0, 4)
    assert_type(x, Array)
    assert_type(fl.grad(f)(x), Array)
    assert_type(fl.jacfwd(f)(x), Array)
    assert_type(fl.jacrev(jnp.sin)(x), Array)
    assert_type(fl.hessian(f)(x), Array)
    y, t = fl.jvp(f, (x,), (jnp.ones_like(x),))
    assert_type(y, Array)
    assert_type(t, Array)
    out, vjp_fn = fl.vjp(f, x)
    assert_type(out, Array)
    assert_type(vjp_fn(jnp.ones(())), tuple[Any, ...])
    g = fl.checkpoint(f)
    assert_type(g(x), Array)
    assert_type(fl.stop_gradient(x), Array)

    @fl.jit(static_argnums=1)
    def power(x: Array, n: int) -> Array:
        return x**n

    assert_type(power(x, 3), Array)

    @fl.custom_vjp
    def clip_gradient(x: Array) -> Array:
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -1.0, 1.0),))
    assert_type(clip_gradient(x), Array)
    # a lambda type-checks in both checkers (pyright gives its parameter the Array of
    # grad's first overload; mypy, with the lambda untyped, types the result Any)
    clipped = fl.grad(lambda v: jnp.sum(clip_gradient(v)))(x)
    assert clipped.shape == x.shape


def control_flow(x: Array) -> Array:
    def body(carry: Array, xi: Array) -> tuple[Array, Array]:
        return carry + xi, carry * xi

    total, ys = lax.scan(body, jnp.zeros(()), x)
    assert_type(total, Array)
    assert_type(ys, Array)
    doubled = lax.fori_loop(0, 3, lambda i, v: v * 2.0, x)
    assert_type(doubled, Array)
    def up(v: Array) -> Array:
        return v + 1.0

    def down(v: Array) -> Array:
        return v - 1.0

    branch = lax.cond(x.sum() > 0, up, down, x)
    assert_type(branch, Array)
    assert_type(lax.cond(x.sum() > 0, lambda v: v, lambda v: -v, x), Any)  # lambdas: operands untyped
    return total + doubled.sum() + branch.sum()


def numerics(key: Array) -> Array:
    a = random.normal(key, (3, 3))
    spd = a @ a.T + 3.0 * jnp.eye(3)
    assert_type(jnp.linalg.inv(spd), Array)
    assert_type(jnp.linalg.eigh(spd).eigenvalues, Array)
    u, s, vh = jnp.linalg.svd(spd)
    assert_type(s, Array)
    assert_type(jnp.linalg.svd(spd, compute_uv=False), Array)
    q, r = jnp.linalg.qr(spd)
    assert_type(q, Array)
    assert_type(jnp.linalg.norm(spd), Array)
    spectrum = jnp.fft.rfft(jnp.arange(8.0))
    assert_type(spectrum, Array)
    assert_type(jnp.fft.irfft(spectrum, n=8), Array)
    assert_type(jnp.where(s > 1.0), tuple[Array, ...])
    assert_type(jnp.where(s > 1.0, s, 0.0), Array)
    assert_type(jnp.meshgrid(jnp.arange(2), jnp.arange(3)), list[Array])
    assert_type(jnp.split(jnp.arange(4), 2), list[Array])
    assert_type(jnp.unique(jnp.array([1, 2, 2])), Array)
    assert_type(jnp.allclose(u @ jnp.diag(s) @ vh, spd, atol=1e-4), Array)
    assert_type(stats.norm.logpdf(s), Array)
    assert_type(nn.softmax(s), Array)
    assert_type(lax.stop_gradient(s), Array)
    assert_type(s.astype(jnp.float32), Array)
    return r.sum() + stats.norm.cdf(s).sum()


def torch_style(seed: int) -> float:
    fl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = fl.randn(5, 4)
    y = fl.tensor([0, 1, 2, 1, 0])
    assert_type(x, fl.Tensor)
    loss_fn = nn.CrossEntropyLoss()
    value = 0.0
    for _ in range(2):
        opt.zero_grad()
        out: fl.Tensor = loss_fn(model(x), y)
        out.backward()
        opt.step()
        value = float(out.item())
    return value


def main() -> None:
    key = random.PRNGKey(0)
    k1, k2, k3 = random.split(key, 3)
    params = init_mlp(k1, (4, 8, 3))
    x = random.normal(k2, (6, 4))
    y = random.randint(k3, (6,), 0, 3)
    assert_type(y, Array)
    params, value = functional_step(params, x, y, 0.1)
    assert isinstance(value, Array) and value.shape == ()
    norms = per_example_grad_norms(params, x, y)
    assert norms.shape == (6,)
    assert optax_style(params, x, y).shape == ()
    transforms_of_arrays()
    assert control_flow(jnp.arange(3.0)).shape == ()
    assert numerics(k2).shape == ()
    assert isinstance(torch_style(0), float)


if __name__ == "__main__":
    main()
