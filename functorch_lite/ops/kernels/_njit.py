"""Lazy ``njit`` for the hand-written kernels: Numba is imported on first
kernel use, not when the library is imported, and the compiled code is
cached on disk only through the verified per-user cache of :mod:`.diskcache`.

**Lazy.** ``import numba`` costs ~0.3 s, more than NumPy's whole import, and
most programs (or a test process, or ``python -c "import functorch_lite"``)
never need most kernels.  :func:`njit` and :func:`njit_cached` therefore
return a :class:`LazyDispatcher`: a stand-in that holds the Python function
and its options.  Its first call (or the first look at any dispatcher
attribute, e.g. ``.stats``) runs :func:`ensure_numba` -- import Numba, run
the hooks modules registered with :func:`on_numba_init` (``fastmath``'s
``@intrinsic``/``@overload`` extensions, which must exist before the first
compile that uses them) -- then decorates the function with
``numba.njit`` and forwards every later call to that dispatcher.  Both
steps run under one lock, so two threads making their first kernel call at
once get one Numba start-up and one dispatcher per kernel.  Once Numba is
loaded, decorating returns a real dispatcher at once.

Kernel bodies name other kernels as globals.  Numba types such a global
through ``typeof``, which this module teaches to see through a stand-in
(it types as its dispatcher, built on demand), and the always-inline pass
reads only ``targetoptions`` and ``py_func``, which a stand-in forwards.
When a stand-in is built it also replaces itself in its own module's
namespace, so calls from that module's Python code reach the dispatcher
directly; callers elsewhere go through one forwarding call.

**Cache.** Numba's own ``cache=True`` would put the compiled code under
``NUMBA_CACHE_DIR`` (often a shared ``/tmp`` directory), else beside the
package, else in ``~/.cache/numba``, and unpickle its index there with no
check of who wrote it.  A kernel decorated with ``njit(cache=True)`` or
:func:`njit_cached` is compiled with Numba's ``cache=False`` and its
dispatcher gets a :class:`~.diskcache.VerifiedCache`: the entry
``s<hash>`` in :func:`~.diskcache.cache_dir`, named from the sha256 of the
defining module's file, the function's qualified name and the Numba/
llvmlite/Python/CPU environment, loaded only after its files match the
entry's manifest.

Decorating costs no disk access besides reading the module's file once (the
file that was just imported, so an edit made later in the process cannot
be mistaken for the compiled code; its sha256 is taken on first kernel use,
which keeps ``hashlib`` out of the library's import); the cache directory is
opened when the kernel first compiles, again whenever ``FUNCTORCH_LITE_CACHE_DIR`` has
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

import functools
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:  # imported by the first kernel use: nothing of it runs before
    from functorch_lite.ops.kernels import diskcache

_F = TypeVar("_F", bound=Callable[..., Any])

_FORMAT_VERSION = "1"  # bump to orphan every static entry (e.g. a change in what is cached)

#: sha256 of each kernel module's file, taken on first use from its bytes read at import
_file_hashes: dict[str, str] = {}
#: the bytes of a kernel module's file as it was imported, until its hash is taken
_file_bytes: dict[str, bytes] = {}
#: guards both (not ``_lock``: a thread importing a kernel module must not wait for Numba's start-up)
_files_lock = threading.Lock()

# --- Numba, imported on first use -------------------------------------------------------------------

#: guards Numba's start-up and every stand-in's build (re-entrant: a hook may decorate)
_lock = threading.RLock()
#: the numba module once :func:`ensure_numba` has finished (read without the lock: set last)
_numba: Any = None
#: set while :func:`ensure_numba` runs, so that the starting thread can re-enter it
_starting: Any = None
_hooks: list[Callable[[], None]] = []


def numba_loaded() -> bool:
    """Whether :func:`ensure_numba` has run (no kernel has needed Numba otherwise).

    Example:
        >>> _ = ensure_numba()
        >>> numba_loaded()
        True
    """
    return _numba is not None


def on_numba_init(hook: Callable[[], None]) -> None:
    """Run ``hook`` once Numba is imported, before any kernel is built or
    compiled (at once if that has happened already).  For Numba extensions
    (``@overload``, ``@intrinsic``, typeof rules) that kernels rely on.

    Example:
        >>> seen = []
        >>> on_numba_init(lambda: seen.append("ready"))
        >>> _ = ensure_numba()
        >>> seen
        ['ready']
    """
    with _lock:
        if _numba is None and _starting is None:
            _hooks.append(hook)
            return
    hook()


def ensure_numba() -> Any:
    """Import Numba and run the :func:`on_numba_init` hooks, once per process
    (thread-safe); returns the ``numba`` module.

    Example:
        >>> ensure_numba().__name__
        'numba'
    """
    global _numba, _starting
    if _numba is not None:
        return _numba
    with _lock:
        if _numba is not None:
            return _numba
        if _starting is not None:  # re-entered from a hook in this thread
            return _starting
        import numba  # start-up cost: the reason this module exists (~0.3 s, on first kernel use)

        _starting = numba
        typeof_impl = numba.core.typing.typeof.typeof_impl

        @typeof_impl.register(LazyDispatcher)
        def _typeof_lazy(val: LazyDispatcher, c: Any) -> Any:
            return typeof_impl(val.dispatcher(), c)

        try:
            while _hooks:
                _hooks.pop(0)()
        finally:
            _starting = None
        compiler_lock: Any = numba.core.compiler_lock.global_compiler_lock
        if compiler_lock.is_locked():
            # a compile of the caller's own @njit code reached a stand-in first: the
            # extensions just registered must be known to the typing context it already
            # refreshed (the next compile would refresh it anyway)
            numba.core.registry.cpu_target.typing_context.refresh()
        _numba = numba
        return numba


def _module_file(module_name: str) -> str | None:
    """The file a module was imported from, its bytes read now, once per file
    (None: no file, e.g. ``python -c``, or unreadable); :func:`_file_hash`
    hashes them later."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return None
    with _files_lock:
        if path not in _file_hashes and path not in _file_bytes:
            try:
                with open(path, "rb") as f:
                    _file_bytes[path] = f.read()
            except OSError:
                return None
    return path


def _file_hash(path: str) -> str:
    """sha256 of the bytes :func:`_module_file` read (taken once, then the bytes are dropped)."""
    from functorch_lite.ops.kernels import diskcache  # start-up cost: the disk cache, on first kernel use

    with _files_lock:
        digest = _file_hashes.get(path)
        if digest is None:
            digest = _file_hashes[path] = diskcache._sha256(_file_bytes.pop(path))
        return digest


class _StaticEntry:
    """Finds (once per cache directory) the verified entry of one static kernel."""

    def __init__(self, py_func: Any) -> None:
        self._name = f"{py_func.__module__}:{py_func.__qualname__}"
        self._module_file = _module_file(py_func.__module__)
        self._entries: dict[str, diskcache.Entry | None] = {}
        self._lock = threading.Lock()

    def __call__(self) -> diskcache.Entry | None:
        if self._module_file is None:
            return None
        from functorch_lite.ops.kernels import diskcache  # start-up cost: the disk cache, on first kernel use

        module_hash = _file_hash(self._module_file)
        root = diskcache.cache_dir()
        with self._lock:
            if root not in self._entries:
                key = diskcache._sha256("\n".join(
                    [_FORMAT_VERSION, diskcache.environment_key(), module_hash, self._name]).encode())
                text = (f"# functorch_lite static kernel {self._name}: the Numba files beside this one\n"
                        f"# module sha256: {module_hash}\n"
                        f"# environment: {diskcache.environment_key()}\n"
                        f"# key: {key}\n")
                self._entries[root] = diskcache.open_or_warn(f"s{key[:32]}", key, text)
            return self._entries[root]


def _build(fn: Callable[..., Any], options: dict[str, Any], entry: _StaticEntry | None) -> Any:
    numba = ensure_numba()
    dispatcher = numba.njit(cache=False, **options)(fn)
    if entry is not None:
        from functorch_lite.ops.kernels import diskcache  # start-up cost: the disk cache, on first kernel use

        diskcache.attach(dispatcher, entry)
    return dispatcher


class LazyDispatcher:
    """A kernel whose Numba dispatcher is made on first use (see the module
    docstring); calls and attribute reads are forwarded to it.

    Example:
        >>> import numpy as np
        >>> @njit()
        ... def inc(x):
        ...     return x + 1
        >>> inc(np.int64(1)), inc.py_func.__name__
        (2, 'inc')
    """

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any], entry: _StaticEntry | None) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self._lazy_options = options
        self._lazy_entry = entry
        self._lazy_dispatcher: Any = None
        # the first call builds; later calls go straight to the dispatcher
        self._lazy_target: Callable[..., Any] = self._first_call

    def dispatcher(self) -> Any:
        """The Numba dispatcher (made now if it does not exist yet)."""
        d = self._lazy_dispatcher
        if d is not None:
            return d
        with _lock:
            if self._lazy_dispatcher is None:
                d = _build(self.py_func, self._lazy_options, self._lazy_entry)
                self._lazy_dispatcher = d
                self._lazy_target = d
                # the defining module's own calls need no forwarding from now on
                namespace = self.py_func.__globals__
                if namespace.get(self.py_func.__name__) is self:
                    namespace[self.py_func.__name__] = d
            return self._lazy_dispatcher

    def _first_call(self, *args: Any, **kwargs: Any) -> Any:
        return self.dispatcher()(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._lazy_target(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes the stand-in lacks: those of the dispatcher
        if name.startswith("_lazy_") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self) -> str:
        state = "built" if self._lazy_dispatcher is not None else "not built yet"
        return f"<lazy Numba kernel {self.py_func.__module__}.{self.py_func.__qualname__} ({state})>"


def _decorator(options: dict[str, Any], cached: bool) -> Callable[[Callable[..., Any]], Any]:
    def decorate(fn: Callable[..., Any]) -> Any:
        entry = _StaticEntry(fn) if cached else None
        if _numba is not None:
            return _build(fn, options, entry)
        return LazyDispatcher(fn, options, entry)

    return decorate


def njit(cache: bool = False, **options: Any) -> Callable[[_F], _F]:
    """``numba.njit(**options)``, made on first use; ``cache=True`` caches
    through the verified per-user disk cache (never Numba's own).  For the
    always-inlined helpers (``inline="always"``) nothing is cached: they are
    compiled into their callers.

    Example:
        >>> @njit(inline="always")
        ... def sq(v):
        ...     return v * v
        >>> @njit(cache=True)
        ... def norm2(a, b):
        ...     return sq(a) + sq(b)
        >>> norm2(3.0, 4.0)
        25.0
    """
    # typed as the function itself: a kernel is called like the function it compiles
    return cast(Callable[[_F], _F], _decorator(options, cache))


def njit_cached(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(**options)`` with the verified per-user disk cache
    (never Numba's own: ``cache`` is not an option here), made on first use.

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
    return _decorator(options, True)
