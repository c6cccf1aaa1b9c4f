"""The compiled-kernel cache of generated kernels: in memory (LRU) and on disk.

:func:`get_kernel` turns a generated kernel's source (:mod:`.fused_source`)
into a :class:`Kernel`, from memory, else from its verified disk-cache entry,
else compiled.  Disk cache (:mod:`.diskcache`, where the rules are): the
module text (the source with ``@njit(cache=False...)``: Numba's own cache is
never enabled) goes to ``<cache dir>/kernels/k<hash>.py`` (hash of the
source, the Numba and llvmlite versions, the CPU name and features, and
fastmath.py's source).  The checked text is compiled and run as the module
(the file is not re-read), and its dispatcher gets a verified cache: Numba's
index and data files are unpickled only after their bytes match the kernel's
sha256 manifest, and any mismatch deletes them and recompiles.  The cache
directory is ``$FUNCTORCH_LITE_CACHE_DIR``, else
``$XDG_CACHE_HOME/functorch_lite``, else ``~/.cache/functorch_lite``; one
that is not the user's own (or that others may write) is refused with one
warning, and kernels are then compiled in memory.

Example:
    >>> sorted(stats())
    ['compiled', 'kernels', 'loaded']
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from functorch_lite.ops.kernels import _njit, diskcache

_FORMAT_VERSION = "2"
_lock = threading.RLock()


def _max_kernels() -> int:
    env = os.environ.get("FUNCTORCH_LITE_MAX_KERNELS", "512")
    try:
        n = int(env)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"FUNCTORCH_LITE_MAX_KERNELS={env!r}: expected a positive integer "
                         "(kernels kept in memory; the default is 512)")
    return n


#: compiled kernels kept in memory, least recently used dropped first
#: (``FUNCTORCH_LITE_MAX_KERNELS``): a process meeting ever new fused
#: structures would otherwise keep ~1 MB of machine code per kernel forever.
#: A dropped kernel still runs for the jit programs holding it; a later
#: :func:`get_kernel` of its source loads it again (disk cache, else compile).
MAX_KERNELS = _max_kernels()
_kernels: OrderedDict[str, Kernel] = OrderedDict()
_env_key: str | None = None

cache_dir = diskcache.cache_dir
#: Numba's own disk cache is never enabled on a generated kernel: ``diskcache`` attaches one
#: that loads only files vouched for by the kernel's manifest
_CACHED, _UNCACHED = "@njit(cache=True", "@njit(cache=False"


def _environment_key() -> str:
    """What compiled code depends on besides its source: the toolchain and
    CPU (:func:`diskcache.environment_key`) and fastmath.py, whose helpers
    generated kernels inline."""
    global _env_key
    if _env_key is None:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "fastmath.py"), "rb") as f:
            fm_hash = diskcache._sha256(f.read())
        _env_key = "|".join([_FORMAT_VERSION, diskcache.environment_key(), fm_hash])
    return _env_key


@dataclass
class Kernel:
    """A compiled generated kernel: ``fn`` is the Numba dispatcher; ``path``
    its module file ("" when compiled in memory only)."""

    source: str
    key: str
    path: str
    fn: Any = None
    module: Any = field(default=None, repr=False)
    entry: diskcache.Entry | None = field(default=None, repr=False)

    def __call__(self, *args: Any) -> Any:
        """Run the kernel (compiling it, or loading it from the verified disk
        cache, for new argument types)."""
        return self.fn(*args)

    def drop_numba_cache(self) -> None:
        """Delete this kernel's Numba cache files (they are rebuilt on the next compile)."""
        if self.entry is not None:
            with self.entry.lock:
                self.entry.reset()

    def compile_stats(self) -> tuple[int, int]:
        """(signatures loaded from the disk cache, signatures compiled)."""
        st = self.fn.stats
        return sum(st.cache_hits.values()), sum(st.cache_misses.values())


def _module_text(source: str, key: str) -> str:
    if source.count(_CACHED) != 1:
        raise ValueError(f"a generated kernel must have exactly one {_CACHED}...) decorator")
    body = source.replace(_CACHED, _UNCACHED)
    body_hash = diskcache._sha256(body.encode())
    return f"# functorch_lite generated kernel\n# key: {key}\n# sha256: {body_hash}\n{body}"


def get_kernel(source: str) -> Kernel:
    """The compiled kernel for ``source`` (a module defining ``kernel``), from
    the in-memory cache, else from its verified disk-cache entry (written
    first if missing or stale), else compiled in memory only (the cache
    refused or read-only: see :mod:`.diskcache`)."""
    k = _kernels.get(source)
    if k is not None:
        # one C call, atomic under the GIL: a hit never waits behind another thread's compile
        try:
            _kernels.move_to_end(source)
        except KeyError:  # evicted meanwhile; ``k`` still runs
            pass
        return k
    with _lock:
        k = _kernels.get(source)
        if k is not None:
            return k
        key = diskcache._sha256((_environment_key() + "\n" + source).encode())
        text = _module_text(source, key)
        entry = diskcache.open_or_warn(f"k{key[:32]}", key, text)
        path = entry.py_path if entry is not None else ""
        # Numba and the extensions generated kernels call (fastmath's overloads), before the exec
        _njit.ensure_numba()
        if "parallel=True" in source:
            _ensure_threading_layer()
        modname = f"functorch_lite_kernel_{key[:32]}"
        module = types.ModuleType(modname)
        module.__file__ = path or f"<functorch_lite kernel {modname}>"
        # registered like any import: Numba finds the module by name when it
        # rebuilds a cached kernel's environment.  The verified text is run,
        # never the file re-read (it could have changed since the check).
        sys.modules[modname] = module
        exec(compile(text, module.__file__, "exec"), module.__dict__)
        if entry is not None:
            diskcache.attach(module.kernel, entry)
        k = Kernel(source, key, path, module.kernel, module, entry)
        _kernels[source] = k
        while len(_kernels) > max(1, MAX_KERNELS):
            _drop(_kernels.popitem(last=False)[1])
        return k


def _ensure_threading_layer() -> None:
    """Numba's ``workqueue`` threading layer unless the user chose one: the
    OpenMP/TBB layers spin-wait, which collapses on a busy 2-core machine
    (DESIGN.md).  Takes effect if no parallel kernel has run yet."""

    config: Any = _njit.ensure_numba().config
    if "NUMBA_THREADING_LAYER" not in os.environ and config.THREADING_LAYER == "default":
        config.THREADING_LAYER = "workqueue"


def _forget(source: str) -> None:
    """Drop a kernel from this process's memory (tests: the next
    :func:`get_kernel` goes to the disk cache again)."""
    with _lock:
        k = _kernels.pop(source, None)
        if k is not None:
            _drop(k)


def _drop(k: Kernel) -> None:
    # its module leaves ``sys.modules`` too, else that would keep it alive
    name = getattr(k.module, "__name__", None)
    if name is not None and sys.modules.get(name) is k.module:
        del sys.modules[name]


def stats() -> dict[str, int]:
    """Counts over this process's kernels: ``kernels`` (distinct sources),
    ``loaded`` (signatures loaded from the disk cache) and ``compiled``.

    Example:
        >>> sorted(stats())
        ['compiled', 'kernels', 'loaded']
    """
    loaded = compiled = 0
    for k in list(_kernels.values()):
        h, m = k.compile_stats()
        loaded += h
        compiled += m
    return {"kernels": len(_kernels), "loaded": loaded, "compiled": compiled}


__all__ = ["Kernel", "get_kernel", "stats", "cache_dir", "MAX_KERNELS"]
