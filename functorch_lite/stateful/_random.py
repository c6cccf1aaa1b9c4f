"""Random number generators with PyTorch's interface over the library's
counter-based PRNG (``functorch_lite.random``): each draw folds a counter
into the seed's key, so a seed gives the same stream in every run (not the
same numbers as PyTorch's Mersenne Twister).

Example:
    >>> import functorch_lite as fl
    >>> _ = fl.manual_seed(0); a = fl.rand(3)
    >>> _ = fl.manual_seed(0); b = fl.rand(3)
    >>> a.tolist() == b.tolist()
    True
"""

from __future__ import annotations

import os
import threading
from typing import Any

import functorch_lite.random as jr
from functorch_lite.array import Array, strict_index

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    """A PRNG state (``torch.Generator``); factories take ``generator=``.

    Example:
        >>> import functorch_lite as fl
        >>> g = fl.Generator().manual_seed(3)
        >>> fl.randn(2, generator=g).shape
        functorch_lite.Size([2])
    """

    def __init__(self, device: str = "cpu") -> None:
        self._lock = threading.Lock()
        self._seed = _DEFAULT_SEED
        self._counter = 0

    def manual_seed(self, seed: Any) -> Generator:
        """Restart the stream from ``seed`` (any int, taken modulo 2**64)."""
        s = strict_index(seed, "manual_seed: seed") % (1 << 64)
        with self._lock:
            self._seed = s
            self._counter = 0
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def get_state(self) -> tuple[int, int]:
        with self._lock:
            return self._seed, self._counter

    def set_state(self, state: tuple[int, int]) -> None:
        seed, counter = state
        with self._lock:
            self._seed, self._counter = strict_index(seed, "seed") % (1 << 64), strict_index(counter, "counter")

    def next_key(self) -> Array:
        """A fresh key for one draw (thread-safe: each caller gets its own)."""
        with self._lock:
            seed, n = self._seed, self._counter
            self._counter += 1
        hi, lo = seed >> 32, seed & 0xFFFFFFFF
        key = jr.fold_in(jr.fold_in(jr.PRNGKey(lo), hi), n)
        assert isinstance(key, Array)
        return key


default_generator = Generator()


def manual_seed(seed: Any) -> Generator:
    """Seed the default generator (process-wide, as PyTorch).

    Example:
        >>> import functorch_lite as fl
        >>> fl.manual_seed(42).initial_seed()
        42
    """
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def seed() -> int:
    """Reseed the default generator nondeterministically."""
    return default_generator.seed()


class _VmapRandomness(threading.local):
    """The ``randomness`` modes of the ``func.vmap`` calls running on this thread."""

    def __init__(self) -> None:
        self.modes: list[str] = []


vmap_randomness = _VmapRandomness()


def key_for(generator: Generator | None) -> Array:
    modes = vmap_randomness.modes
    if modes and modes[-1] == "error":
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use the 'same' "
            "randomness flag on vmap (every example draws the same values) or perform the randomness operation "
            "out of vmap"
        )
    g = default_generator if generator is None else generator
    if not isinstance(g, Generator):
        raise TypeError(f"generator must be a functorch_lite.Generator, got {type(g).__name__}")
    return g.next_key()
