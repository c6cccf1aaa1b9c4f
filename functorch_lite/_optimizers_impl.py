"""The implementation behind :mod:`functorch_lite.optimizers`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from functorch_lite import numpy as jnp
from functorch_lite import tree
from functorch_lite.array import Array

Schedule = Callable[[Any], Any]
ScalarOrSchedule = float | Schedule


class _Init(Protocol):
    def __call__(self, params: Any) -> Any: ...


class _Update(Protocol):
    def __call__(self, updates: Any, state: Any, params: Any = None) -> tuple[Any, Any]: ...


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(updates, state, params=None) ->
    (updates, state)``: an optimizer, or one step of one.

    Example:
        >>> t = scale(2.0)
        >>> t.update({"a": jnp.array(1.5)}, t.init(None))[0]["a"].item()
        3.0
    """

    init: _Init
    update: _Update


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none."""


class TraceState(NamedTuple):
    trace: Any


class ScaleByAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByRmsState(NamedTuple):
    nu: Any


class ScaleByRStdDevState(NamedTuple):
    mu: Any
    nu: Any


class ScaleByRssState(NamedTuple):
    sum_of_squares: Any


class ScaleByScheduleState(NamedTuple):
    count: Any


def _map(f: Callable[..., Any], t: Any, *rest: Any) -> Any:
    return tree.tree_map(f, t, *rest)


def _zeros_like(params: Any) -> Any:
    return _map(jnp.zeros_like, params)


def _full_like(params: Any, value: float) -> Any:
    return _map(lambda p: jnp.full_like(p, value), params)


def _count0() -> Array:
    return jnp.zeros((), jnp.int32)


def update_moment(g: Any, m: Any, decay: float, order: int) -> Any:
    """The moving average ``decay * m + (1 - decay) * g**order`` leaf by leaf
    (optax's ``update_moment``; the PyTorch-style ``optim`` classes use it too).

    Example:
        >>> update_moment(jnp.array(2.0), jnp.array(1.0), 0.5, 2).item()
        2.5
    """
    return _map(lambda gi, mi: (1 - decay) * (gi if order == 1 else gi * gi) + decay * mi, g, m)


def _bias_corrected(m: Any, decay: float, count: Any) -> Any:
    def one(x: Any) -> Any:
        return x / (1 - decay ** count.astype(x.dtype))
    return _map(one, m)


def _increment(count: Any) -> Any:
    # saturates instead of wrapping to a negative count after 2**31 - 1 steps, as optax
    limit = jnp.iinfo(count.dtype).max
    return jnp.where(count < limit, count + 1, limit)


def apply_updates(params: Any, updates: Any) -> Any:
    """``params + updates`` leaf by leaf, keeping each parameter's dtype.

    Example:
        >>> apply_updates({"w": jnp.array([1.0])}, {"w": jnp.array([0.5])})["w"].tolist()
        [1.5]
    """
    return _map(lambda p, u: jnp.asarray(p + u).astype(jnp.asarray(p).dtype), params, updates)


def global_norm(updates: Any) -> Array:
    """The l2 norm of all leaves together: ``sqrt(sum of squares)``.

    Example:
        >>> global_norm({"a": jnp.array([3.0]), "b": jnp.array([4.0])}).item()
        5.0
    """
    leaves = tree.tree_leaves(updates)
    total = sum((jnp.sum(x * x) for x in leaves), jnp.zeros((), jnp.float32))
    norm: Array = jnp.sqrt(total)
    return norm


# --- building blocks -------------------------------------------------------------------------


def identity() -> GradientTransformation:
    """Leaves the updates as they are.

    Example:
        >>> identity().update(1.0, EmptyState())
        (1.0, EmptyState())
    """
    return GradientTransformation(lambda params: EmptyState(), lambda updates, state, params=None: (updates, state))


def scale(step_size: float) -> GradientTransformation:
    """Multiplies every update by ``step_size``.

    Example:
        >>> scale(-1.0).update(jnp.array(2.0), EmptyState())[0].item()
        -2.0
    """
    return GradientTransformation(lambda params: EmptyState(),
                                  lambda updates, state, params=None: (_map(lambda g: step_size * g, updates), state))


def scale_by_schedule(step_size_fn: Schedule) -> GradientTransformation:
    """Multiplies the updates by ``step_size_fn(count)``, count = updates done before.

    Example:
        >>> t = scale_by_schedule(lambda n: n + 1.0)
        >>> u, s = t.update(jnp.array(1.0), t.init(None))
        >>> u2, s = t.update(jnp.array(1.0), s)
        >>> u.item(), u2.item()
        (1.0, 2.0)
    """

    def update(updates: Any, state: ScaleByScheduleState, params: Any = None) -> tuple[Any, Any]:
        step = jnp.asarray(step_size_fn(state.count))
        scaled = _map(lambda g: step.astype(g.dtype) * g, updates)
        return scaled, ScaleByScheduleState(_increment(state.count))

    return GradientTransformation(lambda params: ScaleByScheduleState(_count0()), update)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule, *, flip_sign: bool = True) -> GradientTransformation:
    """Multiplies by ``-learning_rate`` (a number or a schedule of the step count).

    Example:
        >>> round(scale_by_learning_rate(0.1).update(jnp.array(2.0), EmptyState())[0].item(), 6)
        -0.2
    """
    sign = -1 if flip_sign else 1
    if callable(learning_rate):
        lr = learning_rate
        return scale_by_schedule(lambda count: sign * lr(count))
    return scale(sign * learning_rate)


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``t = g + decay * t``; the update is ``t`` (or ``g + decay * t`` with Nesterov).

    Example:
        >>> t = trace(0.5)
        >>> u, s = t.update(jnp.array(1.0), t.init(jnp.array(0.0)))
        >>> t.update(jnp.array(1.0), s)[0].item()
        1.5
    """

    def update(updates: Any, state: TraceState, params: Any = None) -> tuple[Any, Any]:
        new_trace = _map(lambda g, t: g + decay * t, updates, state.trace)
        out = _map(lambda g, t: g + decay * t, updates, new_trace) if nesterov else new_trace
        return out, TraceState(new_trace)

    return GradientTransformation(lambda params: TraceState(_zeros_like(params)), update)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  eps_root: float = 0.0) -> GradientTransformation:
    """Adam's rescaling: bias-corrected ``mu / (sqrt(nu + eps_root) + eps)``.

    Example:
        >>> t = scale_by_adam()
        >>> round(t.update(jnp.array(3.0), t.init(jnp.array(0.0)))[0].item(), 4)
        1.0
    """

    def update(updates: Any, state: ScaleByAdamState, params: Any = None) -> tuple[Any, Any]:
        mu = update_moment(updates, state.mu, b1, 1)
        nu = update_moment(updates, state.nu, b2, 2)
        count = _increment(state.count)
        mu_hat, nu_hat = _bias_corrected(mu, b1, count), _bias_corrected(nu, b2, count)
        out = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        return out, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(
        lambda params: ScaleByAdamState(_count0(), _zeros_like(params), _zeros_like(params)), update)


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0) -> GradientTransformation:
    """RMSprop's rescaling: ``g / sqrt(nu + eps)``, ``nu`` the moving mean of ``g**2``.

    Example:
        >>> t = scale_by_rms(decay=0.0, eps=0.0)
        >>> t.update(jnp.array(-4.0), t.init(jnp.array(0.0)))[0].item()
        -1.0
    """

    def update(updates: Any, state: ScaleByRmsState, params: Any = None) -> tuple[Any, Any]:
        nu = update_moment(updates, state.nu, decay, 2)
        return _map(lambda g, n: g / jnp.sqrt(n + eps), updates, nu), ScaleByRmsState(nu)

    return GradientTransformation(lambda params: ScaleByRmsState(_full_like(params, initial_scale)), update)


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0) -> GradientTransformation:
    """Centered RMSprop: ``g / sqrt(nu - mu**2 + eps)``.

    Example:
        >>> t = scale_by_stddev(decay=0.5, eps=0.0)
        >>> t.update(jnp.array(2.0), t.init(jnp.array(0.0)))[0].item()
        2.0
    """

    def update(updates: Any, state: ScaleByRStdDevState, params: Any = None) -> tuple[Any, Any]:
        mu = update_moment(updates, state.mu, decay, 1)
        nu = update_moment(updates, state.nu, decay, 2)
        out = _map(lambda g, m, n: g / jnp.sqrt(n - m * m + eps), updates, mu, nu)
        return out, ScaleByRStdDevState(mu, nu)

    return GradientTransformation(
        lambda params: ScaleByRStdDevState(_zeros_like(params), _full_like(params, initial_scale)), update)


def scale_by_rss(initial_accumulator_value: float = 0.1, eps: float = 1e-7) -> GradientTransformation:
    """Adagrad's rescaling: ``g / sqrt(sum of g**2 so far + eps)`` (0 where the sum is 0).

    Example:
        >>> t = scale_by_rss(initial_accumulator_value=0.0, eps=0.0)
        >>> t.update(jnp.array(2.0), t.init(jnp.array(0.0)))[0].item()
        1.0
    """

    def update(updates: Any, state: ScaleByRssState, params: Any = None) -> tuple[Any, Any]:
        acc = _map(lambda g, t: g * g + t, updates, state.sum_of_squares)
        out = _map(lambda g, t: jnp.where(t > 0, g / jnp.sqrt(t + eps), 0.0).astype(g.dtype), updates, acc)
        return out, ScaleByRssState(acc)

    return GradientTransformation(
        lambda params: ScaleByRssState(_full_like(params, initial_accumulator_value)), update)


def add_decayed_weights(weight_decay: float = 0.0) -> GradientTransformation:
    """Adds ``weight_decay * params`` to the updates (decoupled weight decay).

    Example:
        >>> add_decayed_weights(0.5).update(jnp.array(1.0), EmptyState(), jnp.array(4.0))[0].item()
        3.0
    """

    def update(updates: Any, state: EmptyState, params: Any = None) -> tuple[Any, Any]:
        if params is None:
            raise ValueError("add_decayed_weights needs the params: call update(grads, state, params)")
        return _map(lambda g, p: g + weight_decay * p, updates, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scales all updates together so that their global norm is at most ``max_norm``.

    Example:
        >>> u, _ = clip_by_global_norm(1.0).update({"a": jnp.array([3.0, 4.0])}, EmptyState())
        >>> [round(v, 4) for v in u["a"].tolist()]
        [0.6, 0.8]
    """

    def update(updates: Any, state: EmptyState, params: Any = None) -> tuple[Any, Any]:
        norm = global_norm(updates)
        keep = norm < max_norm
        return _map(lambda t: jnp.where(keep, t, (t / norm.astype(t.dtype)) * max_norm), updates), state

    return GradientTransformation(lambda params: EmptyState(), update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Applies ``transforms`` one after the other; the state is the tuple of theirs.

    Example:
        >>> t = chain(scale(2.0), scale(3.0))
        >>> t.update(jnp.array(1.0), t.init(None))[0].item()
        6.0
    """

    def init(params: Any) -> tuple[Any, ...]:
        return tuple(t.init(params) for t in transforms)

    def update(updates: Any, state: tuple[Any, ...], params: Any = None) -> tuple[Any, Any]:
        if len(state) != len(transforms):
            raise ValueError(f"chain of {len(transforms)} transformations got a state of {len(state)}")
        new = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new.append(s)
        return updates, tuple(new)

    return GradientTransformation(init, update)


# --- optimizers ---------------------------------------------------------------------------------


def sgd(learning_rate: ScalarOrSchedule, momentum: float | None = None,
        nesterov: bool = False) -> GradientTransformation:
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Example:
        >>> opt = sgd(0.1)
        >>> round(opt.update(jnp.array(2.0), opt.init(jnp.array(0.0)))[0].item(), 6)
        -0.2
    """
    steps = [] if momentum is None else [trace(momentum, nesterov)]
    return chain(*steps, scale_by_learning_rate(learning_rate))


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0) -> GradientTransformation:
    """Adam (Kingma & Ba), with optax's defaults.

    Example:
        >>> opt = adam(0.1)
        >>> round(opt.update(jnp.array(5.0), opt.init(jnp.array(0.0)))[0].item(), 5)
        -0.1
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def adamw(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, weight_decay: float = 1e-4) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter), optax's defaults.

    Example:
        >>> opt = adamw(0.1, weight_decay=0.5)
        >>> p = jnp.array(2.0)
        >>> round(opt.update(jnp.array(5.0), opt.init(p), p)[0].item(), 5)
        -0.2
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root), add_decayed_weights(weight_decay),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: ScalarOrSchedule, decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
            centered: bool = False, momentum: float | None = None,
            nesterov: bool = False) -> GradientTransformation:
    """RMSprop (optax's form: ``eps`` inside the square root), optionally centered.

    Example:
        >>> opt = rmsprop(0.1, decay=0.0, eps=0.0)
        >>> round(opt.update(jnp.array(5.0), opt.init(jnp.array(0.0)))[0].item(), 5)
        -0.1
    """
    rescale = (scale_by_stddev if centered else scale_by_rms)(decay, eps, initial_scale)
    steps = [rescale, scale_by_learning_rate(learning_rate)]
    if momentum is not None:
        steps.append(trace(momentum, nesterov))
    return chain(*steps)


def adagrad(learning_rate: ScalarOrSchedule, initial_accumulator_value: float = 0.1,
            eps: float = 1e-7) -> GradientTransformation:
    """Adagrad (Duchi et al.), with optax's defaults.

    Example:
        >>> opt = adagrad(1.0, initial_accumulator_value=0.0, eps=0.0)
        >>> opt.update(jnp.array(3.0), opt.init(jnp.array(0.0)))[0].item()
        -1.0
    """
    return chain(scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate(learning_rate))


# --- schedules ----------------------------------------------------------------------------------


def constant_schedule(value: float) -> Schedule:
    """``value`` at every step.

    Example:
        >>> constant_schedule(0.5)(100)
        0.5
    """
    return lambda count: value


def polynomial_schedule(init_value: float, end_value: float, power: float, transition_steps: int,
                        transition_begin: int = 0) -> Schedule:
    """From ``init_value`` to ``end_value`` as ``(1 - t/T)**power`` over ``transition_steps``.

    Example:
        >>> s = polynomial_schedule(1.0, 0.01, 2, 100, transition_begin=5)
        >>> [round(float(s(n)), 4) for n in (0, 5, 6, 104, 105)]
        [1.0, 1.0, 0.9803, 0.0101, 0.01]
    """
    if transition_steps <= 0:
        return constant_schedule(init_value)
    begin = max(transition_begin, 0)

    def schedule(count: Any) -> Any:
        t = jnp.clip(jnp.asarray(count) - begin, 0, transition_steps)
        frac = 1 - t / transition_steps
        return (init_value - end_value) * frac**power + end_value

    return schedule


def linear_schedule(init_value: float, end_value: float, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """Linear from ``init_value`` to ``end_value`` over ``transition_steps``.

    Example:
        >>> [float(linear_schedule(1.0, 0.0, 4)(n)) for n in (0, 2, 9)]
        [1.0, 0.5, 0.0]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(init_value: float, transition_steps: int, decay_rate: float, transition_begin: int = 0,
                      staircase: bool = False, end_value: float | None = None) -> Schedule:
    """``init_value * decay_rate ** ((t - begin) / transition_steps)``, optionally stepwise and bounded.

    Example:
        >>> s = exponential_decay(1.0, 10, 0.5, staircase=True)
        >>> [float(s(n)) for n in (0, 9, 10, 25)]
        [1.0, 1.0, 0.5, 0.25]
    """
    if transition_steps <= 0 or decay_rate == 0:
        return constant_schedule(init_value)
    begin = max(transition_begin, 0)

    def schedule(count: Any) -> Any:
        t = jnp.asarray(count) - begin
        p = t / transition_steps
        if staircase:
            p = jnp.floor(p)
        value = jnp.where(t <= 0, init_value, init_value * jnp.power(decay_rate, p))
        if end_value is not None:
            value = (jnp.maximum if decay_rate < 1.0 else jnp.minimum)(value, end_value)
        return value

    return schedule


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> Schedule:
    """Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    Example:
        >>> s = cosine_decay_schedule(1.0, 10)
        >>> [round(float(s(n)), 4) for n in (0, 5, 10, 20)]
        [1.0, 0.5, 0.0, 0.0]
    """
    if not decay_steps > 0:
        raise ValueError(f"cosine_decay_schedule needs positive decay_steps, got {decay_steps}")

    def schedule(count: Any) -> Any:
        t = jnp.minimum(jnp.array(count, dtype=jnp.float32), float(decay_steps))
        cosine = 0.5 * (1 + jnp.cos(math.pi * t / decay_steps))
        return init_value * ((1 - alpha) * cosine**exponent + alpha)

    return schedule


def join_schedules(schedules: list[Schedule], boundaries: list[int]) -> Schedule:
    """``schedules[i]`` from ``boundaries[i-1]`` on, called with the steps since that boundary.

    Example:
        >>> s = join_schedules([constant_schedule(1.0), lambda n: n], [3])
        >>> [float(s(n)) for n in (0, 2, 3, 5)]
        [1.0, 1.0, 0.0, 2.0]
    """
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(f"join_schedules: {len(schedules)} schedules need {len(schedules) - 1} boundaries, "
                         f"got {len(boundaries)}")

    def schedule(count: Any) -> Any:
        count = jnp.asarray(count)
        out = jnp.asarray(schedules[0](count))
        for b, s in zip(boundaries, schedules[1:]):
            out = jnp.where(count < b, out, s(count - b))
        return out

    return schedule


def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int, decay_steps: int,
                                 end_value: float = 0.0, exponent: float = 1.0) -> Schedule:
    """Linear warm-up from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``
    (``decay_steps`` counts the warm-up too).

    Example:
        >>> s = warmup_cosine_decay_schedule(0.0, 1.0, 2, 6)
        >>> [round(float(s(n)), 4) for n in (0, 1, 2, 4, 6)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)],
        [warmup_steps])


def piecewise_constant_schedule(init_value: float, boundaries_and_scales: dict[int, float] | None = None) -> Schedule:
    """``init_value`` times every ``scale`` whose boundary step has been reached.

    Example:
        >>> s = piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.1})
        >>> [round(float(s(n)), 4) for n in (50, 150, 250)]
        [1.0, 0.1, 0.01]
    """
    items = sorted((boundaries_and_scales or {}).items())
    if any(sc < 0 for _, sc in items):
        raise ValueError("piecewise_constant_schedule expects non-negative scale factors")

    def schedule(count: Any) -> Any:
        count = jnp.asarray(count)
        v = jnp.array(init_value, dtype=jnp.float32)
        for boundary, sc in items:
            v = jnp.where(count < boundary, v, v * sc)
        return v

    return schedule


__all__ = [
    "GradientTransformation", "EmptyState", "TraceState", "ScaleByAdamState", "ScaleByRmsState",
    "ScaleByRStdDevState", "ScaleByRssState", "ScaleByScheduleState",
    "apply_updates", "global_norm", "update_moment", "identity", "scale", "scale_by_schedule", "scale_by_learning_rate",
    "trace", "scale_by_adam", "scale_by_rms", "scale_by_stddev", "scale_by_rss", "add_decayed_weights",
    "clip_by_global_norm", "chain", "sgd", "adam", "adamw", "rmsprop", "adagrad",
    "constant_schedule", "polynomial_schedule", "linear_schedule", "exponential_decay",
    "cosine_decay_schedule", "join_schedules", "warmup_cosine_decay_schedule", "piecewise_constant_schedule",
]
