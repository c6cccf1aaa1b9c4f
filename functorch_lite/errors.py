"""The library's exceptions, where JAX users look for them (``jax.errors``).

Each is also reachable where it is raised; this module gathers them so that
``except functorch_lite.errors.ConcretizationTypeError`` (what JAX code
writes as ``except jax.errors.ConcretizationTypeError``) works unchanged.

The hierarchy is JAX's: ``TracerBoolConversionError`` derives from
``ConcretizationTypeError``, which derives from ``TypeError``, as do
``TracerArrayConversionError`` and ``UnexpectedTracerError``;
``NonConcreteBooleanIndexError`` is an ``IndexError``.  One difference, a
superset: ``TracerIntegerConversionError`` derives from
``ConcretizationTypeError`` here (JAX derives it from ``TypeError`` directly),
so a clause catching either still catches it.

When they are raised: Python control flow and conversions (``if``,
``bool``/``int``/``float``, ``.item()``, ``range``) work on the values of
``grad``/``jvp``/``vjp`` at concrete inputs, as in JAX; under ``jit`` and
``vmap`` there is no single concrete value, and the message names the ``lax``
primitive to use instead.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import errors
    >>> def f(x):
    ...     return x if x > 0 else -x
    >>> float(fl.grad(f)(-2.0))
    -1.0
    >>> try:
    ...     fl.jit(f)(-2.0)
    ... except errors.ConcretizationTypeError as e:
    ...     print(type(e).__name__)
    TracerBoolConversionError
"""

from functorch_lite.array import ViewBoundsError
from functorch_lite.core import (
    ConcretizationTypeError,
    LeakedTracerError,
    MissingRuleError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
)
from functorch_lite.numpy._indexing import NonConcreteBooleanIndexError

__all__ = [
    "ConcretizationTypeError", "NonConcreteBooleanIndexError", "TracerArrayConversionError",
    "TracerBoolConversionError", "TracerIntegerConversionError", "UnexpectedTracerError",
    "LeakedTracerError", "MissingRuleError", "ViewBoundsError",
]
