"""``njit_cached``: ``numba.njit`` for the hand-written kernels, cached on
disk only through the verified per-user cache of :mod:`.diskcache`.

Numba's own ``cache=True`` would put the compiled code under
``NUMBA_CACHE_DIR`` (often a shared ``/tmp`` directory), else beside the
package, else in ``~/.cache/numba``, and unpickle its index there with no
check of who wrote it.  A kernel decorated with :func:`njit_cached` is
compiled with ``cache=False`` and its dispatcher gets a
:class:`~.diskcache.VerifiedCache`: the entry ``s<hash>`` in
:func:`~.diskcache.cache_dir`, named from the sha256 of the defining
module's file, the function's qualified name and the Numba/llvmlite/
Python/CPU environment, loaded only after its files match the entry's
manifest.

Decorating costs no disk access besides hashing the module's file once (the
file that was just imported, so an edit made later in the process cannot
be mistaken for the compiled code); the cache directory is opened when the
kernel first compiles, again whenever ``FUNCTORCH_LITE_CACHE_DIR`` has
changed since.  A kernel whose compiled code also depends on jitted
functions of *another* module must not be cached this way (that module's
source is not part of the entry's name); none of the kernels do.

Example:
    >>> import numpy as np
    >>> @njit_cached()
    ... def twice(x):
    ...     return 2 * x
    >>> twice(np.arange(3)).tolist()
    [0, 2, 4]
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable
from typing import Any

import numba

from functorch_lite.ops.kernels import diskcache

_FORMAT_VERSION = "1"  # bump to orphan every static entry (e.g. a change in what is cached)

_file_hashes: dict[str, str] = {}


def _module_hash(module_name: str) -> str | None:
    """sha256 of the file a module was imported from (None: no file, e.g.
    ``python -c``), read once per file."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return None
    digest = _file_hashes.get(path)
    if digest is None:
        try:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            return None
        _file_hashes[path] = digest
    return digest


class _StaticEntry:
    """Finds (once per cache directory) the verified entry of one static kernel."""

    def __init__(self, py_func: Any) -> None:
        self._name = f"{py_func.__module__}:{py_func.__qualname__}"
        self._module_hash = _module_hash(py_func.__module__)
        self._entries: dict[str, diskcache.Entry | None] = {}
        self._lock = threading.Lock()

    def __call__(self) -> diskcache.Entry | None:
        if self._module_hash is None:
            return None
        root = diskcache.cache_dir()
        with self._lock:
            if root not in self._entries:
                key = hashlib.sha256("\n".join(
                    [_FORMAT_VERSION, diskcache.environment_key(), self._module_hash, self._name]).encode()).hexdigest()
                text = (f"# functorch_lite static kernel {self._name}: the Numba files beside this one\n"
                        f"# module sha256: {self._module_hash}\n"
                        f"# environment: {diskcache.environment_key()}\n"
                        f"# key: {key}\n")
                self._entries[root] = diskcache.open_or_warn(f"s{key[:32]}", key, text)
            return self._entries[root]


def njit_cached(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(**options)`` with the verified per-user disk cache
    (never Numba's own: ``cache`` is not an option here).

    Example:
        >>> import numpy as np
        >>> @njit_cached(inline="always")
        ... def add(a, b):
        ...     return a + b
        >>> @njit_cached()
        ... def total(x):
        ...     s = 0.0
        ...     for v in x:
        ...         s = add(s, v)
        ...     return s
        >>> total(np.ones(4))
        4.0
    """
    if "cache" in options:
        raise TypeError("njit_cached caches through functorch_lite's verified disk cache; do not pass cache=")

    def decorate(fn: Callable[..., Any]) -> Any:
        dispatcher = numba.njit(cache=False, **options)(fn)
        diskcache.attach(dispatcher, _StaticEntry(fn))
        return dispatcher

    return decorate
