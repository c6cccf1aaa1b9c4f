"""functorch_lite.func: functional_call and the transforms on tensors
(torch.func), the tape against the transforms, and a jitted training step
through functional_call against the eager loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn.functional as F
import functorch_lite.numpy as jnp
from functorch_lite import func, nn, optim, tree
from functorch_lite.stateful import TracedTensor

RNG = np.random.default_rng(0)


def _mlp(seed: int = 0) -> nn.Module:
    fl.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))


def _data(n: int = 6) -> tuple[Any, Any]:
    x = fl.tensor(RNG.standard_normal((n, 5)).astype(np.float32))
    y = fl.tensor(RNG.integers(0, 3, n))
    return x, y


# --- functional_call ---------------------------------------------------------------------------

def test_functional_call_uses_given_values_and_restores_module() -> None:
    m = _mlp()
    x, _ = _data()
    before = {k: v for k, v in m.named_parameters()}
    zeros = {k: fl.zeros_like(v) for k, v in before.items()}
    out = func.functional_call(m, zeros, (x,))
    assert out.tolist() == [[0.0] * 3] * 6
    assert all(p is before[k] for k, p in m.named_parameters())
    np.testing.assert_allclose(func.functional_call(m, {}, x).numpy(force=True), m(x).numpy(force=True))


def test_functional_call_partial_tuple_of_dicts_and_kwargs() -> None:
    m = nn.Linear(2, 1)
    x = fl.tensor([[1.0, 2.0]])
    w = {"weight": fl.tensor([[1.0, 1.0]])}
    b = {"bias": fl.tensor([10.0])}
    assert func.functional_call(m, (w, b), (x,)).tolist() == [[13.0]]
    assert func.functional_call(m, (w, b), (), {"input": x}).tolist() == [[13.0]]
    partial = func.functional_call(m, w, (x,)).item()
    assert partial == pytest.approx(3.0 + m.bias.item())


def test_functional_call_errors() -> None:
    m = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        func.functional_call(m, ({"bias": fl.zeros(1)}, {"bias": fl.zeros(1)}), fl.ones(1, 2))
    with pytest.raises(ValueError, match="no parameter or buffer"):
        func.functional_call(m, {"wieght": fl.zeros(1, 2)}, fl.ones(1, 2))
    with pytest.raises(RuntimeError, match="missing keys"):
        func.functional_call(m, {"bias": fl.zeros(1)}, fl.ones(1, 2), strict=True)
    with pytest.raises(TypeError, match="nn.Module"):
        func.functional_call(lambda x: x, {}, fl.ones(1))  # type: ignore[arg-type]
    # the module is restored after an exception inside forward
    w = m.weight
    with pytest.raises(RuntimeError):
        func.functional_call(m, {"weight": fl.zeros(3, 3)}, fl.ones(1, 2))
    assert m.weight is w


def test_functional_call_tied_weights() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x: Any) -> Any:
            return self.b(self.a(x))

    m = Tied()
    x = fl.ones(1, 2)
    out = func.functional_call(m, {"a.weight": 2 * fl.eye(2)}, (x,))
    assert out.tolist() == [[4.0, 4.0]]  # both uses take the given value
    untied = func.functional_call(m, {"a.weight": 2 * fl.eye(2)}, (x,), tie_weights=False)
    assert untied.tolist() != out.tolist() or bool((m.a.weight == 2 * fl.eye(2)).all())
    with pytest.raises(ValueError, match="tied"):
        func.functional_call(m, {"a.weight": fl.eye(2), "b.weight": 2 * fl.eye(2)}, (x,))


def test_functional_call_buffers_update_in_place_on_given_tensors() -> None:
    bn = nn.BatchNorm1d(3)
    x = fl.tensor(RNG.standard_normal((8, 3)).astype(np.float32))
    mean, var = fl.zeros(3), fl.ones(3)
    func.functional_call(bn, {"running_mean": mean, "running_var": var}, (x,))
    np.testing.assert_allclose(mean.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-5, atol=1e-6)
    assert bn.running_mean.tolist() == [0.0, 0.0, 0.0]  # the module's own buffer untouched


def test_functional_call_with_arrays_returns_arrays_and_composes_with_core_transforms() -> None:
    m = _mlp()
    x, y = _data()
    params = {k: v.detach().array() for k, v in m.named_parameters()}

    def loss(p: Any, xa: Any, ya: Any) -> Any:
        logits = func.functional_call(m, p, (xa,))
        return -jnp.mean(jnp.take_along_axis(fl.nn.log_softmax(logits, axis=1), ya[:, None], axis=1))

    out = func.functional_call(m, params, (x.array(),))
    assert isinstance(out, fl.Array)
    g_core = fl.grad(loss)(params, x.array(), y.array())
    g_jit = fl.jit(fl.grad(loss))(params, x.array(), y.array())
    F.cross_entropy(m(x), y).backward()
    for k, p in m.named_parameters():  # the tape and the transforms read the same rules
        np.testing.assert_allclose(np.asarray(g_core[k]), p.grad.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(g_jit[k]), p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_per_example_grads_vmap_of_grad_match_a_loop() -> None:
    m = _mlp()
    x, y = _data(4)
    params = {k: v.detach() for k, v in m.named_parameters()}

    def loss(p: Any, xi: Any, yi: Any) -> Any:
        return F.cross_entropy(func.functional_call(m, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    per = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(4):
        m.zero_grad()
        F.cross_entropy(m(x[i:i + 1]), y[i:i + 1]).backward()
        for k, p in m.named_parameters():
            np.testing.assert_allclose(per[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_ensemble_with_stack_module_state_matches_each_model() -> None:
    models = [_mlp(s) for s in range(3)]
    params, buffers = func.stack_module_state(models)
    assert params["0.weight"].requires_grad and params["0.weight"].is_leaf
    x, _ = _data()
    out = func.vmap(lambda p, b, xx: func.functional_call(models[0], (p, b), (xx,)), in_dims=(0, 0, None))(
        params, buffers, x)
    for i, mdl in enumerate(models):
        np.testing.assert_allclose(out[i].numpy(), mdl(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="one class"):
        func.stack_module_state([nn.Linear(1, 1), nn.Tanh()])


# --- the transforms on tensors -----------------------------------------------------------------

def test_tensor_transforms_match_the_core_ones() -> None:
    x = fl.tensor([0.3, -1.2, 2.0], dtype=fl.float64)
    xa = x.array()

    def f_t(t: Any) -> Any:
        return (t.sin() * t.exp()).sum()

    def f_a(a: Any) -> Any:
        return jnp.sum(jnp.sin(a) * jnp.exp(a))

    np.testing.assert_allclose(func.grad(f_t)(x).numpy(), np.asarray(fl.grad(f_a)(xa)))
    np.testing.assert_allclose(func.hessian(f_t)(x).numpy(), np.asarray(fl.hessian(f_a)(xa)))
    np.testing.assert_allclose(func.jacrev(lambda t: t.sin() * t)(x).numpy(),
                               func.jacfwd(lambda t: t.sin() * t)(x).numpy())
    g, v = func.grad_and_value(f_t)(x)
    assert v.item() == pytest.approx(float(f_a(xa)))
    out, tangent = func.jvp(lambda t: t.sin(), (x,), (fl.ones_like(x),))
    np.testing.assert_allclose(tangent.numpy(), np.cos(x.numpy()))
    out, fn = func.vjp(lambda t: t * t, x)
    (ct,) = fn(fl.ones_like(x))
    np.testing.assert_allclose(ct.numpy(), 2 * x.numpy())
    aux_g, aux = func.grad(lambda t: (f_t(t), t.detach() * 2), has_aux=True)(x)
    np.testing.assert_allclose(aux.numpy(), 2 * x.numpy())
    with pytest.raises(RuntimeError, match="tuples"):
        func.jvp(lambda t: t, x, x)


def test_grad_of_grad_and_argnums() -> None:
    g2 = func.grad(func.grad(lambda t: t ** 4))(fl.tensor(2.0, dtype=fl.float64))
    assert g2.item() == pytest.approx(48.0)
    ga, gb = func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(fl.tensor([1.0, 2.0]), fl.tensor([3.0, 4.0]))
    assert ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]


def test_traced_tensor_inplace_rebinds_and_views_refuse_writes() -> None:
    def f(t: Any) -> Any:
        u = t.clone()
        u.mul_(3).add_(1)
        u[0] = 0.0
        return u.sum()

    g = func.grad(f)(fl.tensor([1.0, 2.0, 3.0]))
    assert g.tolist() == [0.0, 3.0, 3.0]

    def writes_view(t: Any) -> Any:
        v = t[1:]
        v.add_(1)
        return t.sum()

    with pytest.raises(RuntimeError, match="view of a traced tensor"):
        func.grad(writes_view)(fl.tensor([1.0, 2.0]))

    def reads_storage(t: Any) -> Any:
        t.data_ptr()
        return t.sum()

    with pytest.raises(RuntimeError, match="no storage"):
        func.grad(reads_storage)(fl.tensor([1.0]))
    seen: list[Any] = []
    func.vmap(lambda t: seen.append(t) or t)(fl.ones(2, 3))
    assert isinstance(seen[0], TracedTensor) and seen[0].shape == (3,)
    assert "TracedTensor" in repr(seen[0])


def test_vmap_randomness_modes() -> None:
    drop = nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match="randomness"):
        func.vmap(drop)(fl.ones(2, 4))
    out = func.vmap(drop, randomness="same")(fl.ones(2, 4))
    assert out.shape == (2, 4)
    with pytest.raises(NotImplementedError, match="different"):
        func.vmap(drop, randomness="different")
    drop.eval()
    assert func.vmap(drop)(fl.ones(2, 4)).tolist() == [[1.0] * 4] * 2


def test_tape_ignores_traced_values_but_keeps_working_outside() -> None:
    m = nn.Linear(2, 1)  # its bias requires grad and is not given: the transform owns the traced op
    g = func.grad(lambda w: func.functional_call(m, {"weight": w}, (fl.ones(1, 2),)).sum())(fl.zeros(1, 2))
    assert g.tolist() == [[1.0, 1.0]]
    assert m.bias.grad is None
    m(fl.ones(1, 2)).sum().backward()
    assert m.bias.grad is not None and m.bias.grad.tolist() == [1.0]


# --- a training step: eager (optim.SGD) == jit through functional_call --------------------------

def _eager_losses(steps: int, lr: float) -> tuple[list[float], dict[str, np.ndarray[Any, Any]]]:
    m = _mlp(3)
    x, y = _DATA
    opt = optim.SGD(m.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, {k: v.detach().numpy() for k, v in m.named_parameters()}


_DATA = _data(16)


def test_jit_training_step_through_functional_call_matches_eager_loop() -> None:
    steps, lr = 20, 0.1
    eager, final = _eager_losses(steps, lr)
    m = _mlp(3)
    params = {k: v.detach().array() for k, v in m.named_parameters()}
    bufs = tree.map(jnp.zeros_like, params)
    x, y = (t.array() for t in _DATA)

    def loss_fn(p: Any) -> Any:
        logits = func.functional_call(m, p, (x,))
        return -jnp.mean(jnp.take_along_axis(fl.nn.log_softmax(logits, axis=1), y[:, None], axis=1))

    @fl.jit
    def step(p: Any, b: Any) -> Any:
        loss, g = fl.value_and_grad(loss_fn)(p)
        b = tree.map(lambda bi, gi: 0.9 * bi + gi, b, g)  # PyTorch's SGD momentum (dampening 0)
        return tree.map(lambda pi, bi: pi - lr * bi, p, b), b, loss

    losses = []
    for _ in range(steps):
        params, bufs, loss = step(params, bufs)
        losses.append(float(loss))
    np.testing.assert_allclose(losses, eager, rtol=1e-4, atol=1e-6)
    for k in final:
        np.testing.assert_allclose(np.asarray(params[k]), final[k], rtol=1e-4, atol=1e-5)


# --- against torch.func (compare extra) ---------------------------------------------------------

def test_against_torch_func() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    m = _mlp(5)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    with torch.no_grad():
        for (_, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy().copy()))
    x, y = _data(4)
    tx, ty = torch.from_numpy(x.numpy().copy()), torch.from_numpy(y.numpy().copy())
    params = {k: v.detach() for k, v in m.named_parameters()}
    tparams = {k: v.detach() for k, v in tm.named_parameters()}

    def loss(p: Any, xi: Any, yi: Any) -> Any:
        return F.cross_entropy(func.functional_call(m, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    def tloss(p: Any, xi: Any, yi: Any) -> Any:
        return torch.nn.functional.cross_entropy(torch.func.functional_call(tm, p, (xi.unsqueeze(0),)),
                                                 yi.unsqueeze(0))

    per = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    tper = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(tparams, tx, ty)
    for k in per:
        np.testing.assert_allclose(per[k].numpy(), tper[k].numpy(), rtol=1e-4, atol=1e-6)
