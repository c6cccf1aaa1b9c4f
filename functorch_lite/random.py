"""``functorch_lite.random``: functional, splittable random numbers (``jax.random``).

There is no hidden generator state.  A *key* is either a typed key array
(:func:`key`, JAX's new-style keys: dtype ``key<fry>``, shape ``()`` per
key) or a raw uint32 array of shape ``(2,)`` (:func:`PRNGKey`, JAX's raw
keys, with the same two words as JAX's); every function takes both, and
``split``/``fold_in`` return the kind they were given.  Raw keys may also
be NumPy or JAX uint32 arrays, or int32 arrays holding the words' bit
patterns (the library's raw keys before it had uint32, kept working for
saved programs and user code).  Every sampler
is a pure function of its key, so the same key
always gives the same values, in any process, and ``split``/``fold_in``
derive fresh independent keys.  Never reuse a key for two draws you want
independent: split it.

Everything is built from one primitive, Threefry-2x32
(:mod:`functorch_lite.ops.prng`), plus :mod:`functorch_lite.numpy` ops, so the
samplers work under ``grad`` (no gradient flows into keys; ``uniform``,
``normal``, ``truncated_normal``... are differentiable in their float
parameters), ``vmap`` (a batch of keys gives independent streams) and ``jit``.

Bits follow JAX's default scheme (``jax_threefry_partitionable=True``):
element ``i`` (row-major) of ``bits(key, shape)`` hashes the counter
``(i >> 32, i & 0xFFFFFFFF)``; ``split(key, n)[i]`` and ``fold_in(key, i)``
are both the hash of ``(0, i)``.  Keys (``PRNGKey``, ``key_data``: uint32,
in either 64-bit mode), ``split``, ``fold_in``, ``bits`` (unsigned dtypes),
``uniform`` on [0, 1), ``bernoulli``, ``permutation``, ``randint`` (8-, 16- and
32-bit dtypes) and ``choice`` without replacement or ``p`` give the same
values and dtypes as ``jax.random``; ``uniform`` on other bounds,
``normal`` (inversion: ``sqrt(2) * erfinv(u)``), ``gumbel``,
``exponential``, ``categorical`` and ``truncated_normal`` use the same
formulas, and agree to float rounding (XLA fuses multiply-adds and has its
own ``log``/``erf_inv``).

Example:
    >>> from functorch_lite import random
    >>> key = random.key(0)
    >>> k1, k2 = random.split(key)
    >>> x = random.uniform(k1, (3,))
    >>> x.shape, bool(((x >= 0) & (x < 1)).all())
    ((3,), True)
    >>> bool((random.uniform(k1, (3,)) == x).all())
    True
"""

# The public face of functorch_lite._random_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite._random_impl import (
    PRNGKey as PRNGKey,
)
from functorch_lite._random_impl import (
    PRNGKeyArray as PRNGKeyArray,
)
from functorch_lite._random_impl import (
    bernoulli as bernoulli,
)
from functorch_lite._random_impl import (
    bits as bits,
)
from functorch_lite._random_impl import (
    categorical as categorical,
)
from functorch_lite._random_impl import (
    choice as choice,
)
from functorch_lite._random_impl import (
    exponential as exponential,
)
from functorch_lite._random_impl import (
    fold_in as fold_in,
)
from functorch_lite._random_impl import (
    gumbel as gumbel,
)
from functorch_lite._random_impl import (
    key as key,
)
from functorch_lite._random_impl import (
    key_data as key_data,
)
from functorch_lite._random_impl import (
    key_impl as key_impl,
)
from functorch_lite._random_impl import (
    normal as normal,
)
from functorch_lite._random_impl import (
    permutation as permutation,
)
from functorch_lite._random_impl import (
    randint as randint,
)
from functorch_lite._random_impl import (
    random_bits as random_bits,
)
from functorch_lite._random_impl import (
    split as split,
)
from functorch_lite._random_impl import (
    truncated_normal as truncated_normal,
)
from functorch_lite._random_impl import (
    uniform as uniform,
)
from functorch_lite._random_impl import (
    wrap_key_data as wrap_key_data,
)

__all__ = [
    "key", "PRNGKey", "PRNGKeyArray", "key_data", "wrap_key_data", "key_impl", "split", "fold_in", "bits",
    "random_bits", "uniform", "normal", "truncated_normal", "bernoulli", "categorical", "gumbel",
    "exponential", "randint", "permutation", "choice",
]
