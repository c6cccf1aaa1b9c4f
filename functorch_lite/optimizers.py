"""``functorch_lite.optimizers``: functional optimizers over pytrees (optax's role).

An optimizer is a :class:`GradientTransformation`: a pair of pure functions
``init(params) -> state`` and ``update(grads, state, params=None) ->
(updates, state)``.  States are pytrees of arrays (NamedTuples), so a whole
training step, optimizer included, runs under ``jit``; nothing is mutated.
``apply_updates(params, updates)`` adds the updates.  Building blocks
(``scale_by_adam``, ``trace``, ``add_decayed_weights``,
``clip_by_global_norm``, ``scale_by_learning_rate``...) compose with
``chain``; the named optimizers (``sgd``, ``adam``, ``adamw``, ``rmsprop``,
``adagrad``) are such chains.  The formulas, defaults and step counting are
optax's, so a JAX user's values carry over: moments are
``decay * m + (1 - decay) * g``, Adam's bias correction divides by
``1 - b**t`` with ``t`` counting from 1, and a learning-rate schedule is
called with the number of updates done before this one (0 first).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import optimizers as optim
    >>> params = {"w": jnp.array([1.0, -2.0])}
    >>> opt = optim.adam(learning_rate=0.1)
    >>> state = opt.init(params)
    >>> loss = lambda p: jnp.sum(p["w"] ** 2)
    >>> for _ in range(3):
    ...     grads = fl.grad(loss)(params)
    ...     updates, state = opt.update(grads, state, params)
    ...     params = optim.apply_updates(params, updates)
    >>> [round(v, 4) for v in params["w"].tolist()]
    [0.7016, -1.7006]
"""

# The public face of functorch_lite._optimizers_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite._optimizers_impl import (
    EmptyState as EmptyState,
)
from functorch_lite._optimizers_impl import (
    GradientTransformation as GradientTransformation,
)
from functorch_lite._optimizers_impl import (
    ScaleByAdamState as ScaleByAdamState,
)
from functorch_lite._optimizers_impl import (
    ScaleByRmsState as ScaleByRmsState,
)
from functorch_lite._optimizers_impl import (
    ScaleByRssState as ScaleByRssState,
)
from functorch_lite._optimizers_impl import (
    ScaleByRStdDevState as ScaleByRStdDevState,
)
from functorch_lite._optimizers_impl import (
    ScaleByScheduleState as ScaleByScheduleState,
)
from functorch_lite._optimizers_impl import (
    TraceState as TraceState,
)
from functorch_lite._optimizers_impl import (
    adagrad as adagrad,
)
from functorch_lite._optimizers_impl import (
    adam as adam,
)
from functorch_lite._optimizers_impl import (
    adamw as adamw,
)
from functorch_lite._optimizers_impl import (
    add_decayed_weights as add_decayed_weights,
)
from functorch_lite._optimizers_impl import (
    apply_updates as apply_updates,
)
from functorch_lite._optimizers_impl import (
    chain as chain,
)
from functorch_lite._optimizers_impl import (
    clip_by_global_norm as clip_by_global_norm,
)
from functorch_lite._optimizers_impl import (
    constant_schedule as constant_schedule,
)
from functorch_lite._optimizers_impl import (
    cosine_decay_schedule as cosine_decay_schedule,
)
from functorch_lite._optimizers_impl import (
    exponential_decay as exponential_decay,
)
from functorch_lite._optimizers_impl import (
    global_norm as global_norm,
)
from functorch_lite._optimizers_impl import (
    identity as identity,
)
from functorch_lite._optimizers_impl import (
    join_schedules as join_schedules,
)
from functorch_lite._optimizers_impl import (
    linear_schedule as linear_schedule,
)
from functorch_lite._optimizers_impl import (
    piecewise_constant_schedule as piecewise_constant_schedule,
)
from functorch_lite._optimizers_impl import (
    polynomial_schedule as polynomial_schedule,
)
from functorch_lite._optimizers_impl import (
    rmsprop as rmsprop,
)
from functorch_lite._optimizers_impl import (
    scale as scale,
)
from functorch_lite._optimizers_impl import (
    scale_by_adam as scale_by_adam,
)
from functorch_lite._optimizers_impl import (
    scale_by_learning_rate as scale_by_learning_rate,
)
from functorch_lite._optimizers_impl import (
    scale_by_rms as scale_by_rms,
)
from functorch_lite._optimizers_impl import (
    scale_by_rss as scale_by_rss,
)
from functorch_lite._optimizers_impl import (
    scale_by_schedule as scale_by_schedule,
)
from functorch_lite._optimizers_impl import (
    scale_by_stddev as scale_by_stddev,
)
from functorch_lite._optimizers_impl import (
    sgd as sgd,
)
from functorch_lite._optimizers_impl import (
    trace as trace,
)
from functorch_lite._optimizers_impl import (
    update_moment as update_moment,
)
from functorch_lite._optimizers_impl import (
    warmup_cosine_decay_schedule as warmup_cosine_decay_schedule,
)

__all__ = [
    "GradientTransformation", "EmptyState", "TraceState", "ScaleByAdamState", "ScaleByRmsState",
    "ScaleByRStdDevState", "ScaleByRssState", "ScaleByScheduleState", "apply_updates", "global_norm",
    "update_moment", "identity", "scale", "scale_by_schedule", "scale_by_learning_rate", "trace",
    "scale_by_adam", "scale_by_rms", "scale_by_stddev", "scale_by_rss", "add_decayed_weights",
    "clip_by_global_norm", "chain", "sgd", "adam", "adamw", "rmsprop", "adagrad", "constant_schedule",
    "polynomial_schedule", "linear_schedule", "exponential_decay", "cosine_decay_schedule", "join_schedules",
    "warmup_cosine_decay_schedule", "piecewise_constant_schedule",
]
