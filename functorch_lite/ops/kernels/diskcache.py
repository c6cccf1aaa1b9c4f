"""The on-disk cache of compiled kernels, and the rules that make it safe to load.

Both kinds of kernel use it: the ones ``jit`` generates (:mod:`.codegen`,
entries ``k<hash>``) and the hand-written ones of ``ops/kernels/`` (decorated
with :func:`~functorch_lite.ops.kernels._njit.njit_cached`, entries
``s<hash>``).  Numba's own cache (``cache=True``, ``NUMBA_CACHE_DIR``, a
package's ``__pycache__``) is never enabled on either.

Everything read from the cache is hostile input: Numba's cache index and
data files are pickles (whoever can write them runs code in the process
that loads them), and a damaged data file can abort a process inside LLVM,
where no ``except`` catches it.  So:

- **Location.** ``$FUNCTORCH_LITE_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/functorch_lite``, else ``~/.cache/functorch_lite``: per
  user, never a shared fallback.  Directories we create are ``0700``.
- **Ownership.** The cache directory (after resolving symbolic links), its
  ``kernels/`` and ``kernels/__pycache__/`` and every entry file must be owned
  by the current user and not writable by group or others; ``kernels/``,
  ``__pycache__/`` and entry files must not be symbolic links (they are
  checked with ``lstat`` and opened with ``O_NOFOLLOW``, then checked again
  with ``fstat`` on the open file), and every directory above the cache must
  be owned by the user or root and, if writable by others, sticky (like
  ``/tmp``).  A directory that fails is refused: kernels are compiled in
  memory only, nothing is read or written there, and one
  :class:`UnsafeCacheWarning` per directory and process says why.  An entry
  file that fails refuses that kernel the same way.
- **Manifest.** Each kernel ``k<hash>`` is ``kernels/k<hash>.py`` (its
  source; for a static kernel ``s<hash>.py``, a comment naming the function,
  the sha256 of its module's file and the environment the entry was made
  for), ``kernels/__pycache__/k<hash>.nbi`` (Numba's index) and
  ``k<hash>.<n>.nbc`` (one per compiled signature), plus our manifest
  ``kernels/k<hash>.manifest.json``: ``{"format": 1, "files": {name: sha256}}``
  over all of them, parsed strictly (bounded size, names of this kernel
  only, lowercase hex digests).  Every file is written to a temporary file
  and renamed into place (``os.replace``); the manifest is rewritten the
  same way after every compile, so a signature compiled later in the
  process is recorded too.  Numba never opens the files itself: the kernel's
  dispatcher gets a :class:`VerifiedCache` that reads each file once,
  checks the bytes against the manifest and only then unpickles those same
  bytes.  A missing or damaged manifest, a missing, extra, changed or
  swapped file: the kernel's Numba files are deleted and it is recompiled.
- **Read-only.** A cache directory that holds valid entries but may not be
  written (mode ``0500``, a read-only mount) is used as it is: valid entries
  load, anything else is compiled in memory and nothing is written.
- **When.** A generated kernel opens its entry when it is built; a static
  kernel when it first compiles (decorating one reads nothing but its
  module's file, to hash it), and again if ``FUNCTORCH_LITE_CACHE_DIR``
  has changed since: importing the library opens no cache (nor imports
  Numba: see :mod:`._njit`).
- **Loading.** A load needs of Numba's start-up only its runtime's symbols
  (:func:`_prepare_load`), not the full context refresh Numba's own cache
  does (every implementation registry, and ``scipy.linalg`` where SciPy is
  installed): a warm process starts 0.15-0.4 s sooner.

Example:
    >>> import os
    >>> os.path.basename(cache_dir()) != ""
    True
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import re
import stat
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _numba() -> Any:
    """The ``numba`` module: imported by the first kernel that compiles or
    loads, never with the library (see :mod:`._njit`)."""
    import numba  # start-up cost: Numba is imported on first kernel use

    return numba


def _numba_version() -> str:
    return str(_numba().__version__)


def _dumps(obj: Any) -> bytes:
    """Numba's own (untyped) serialisation, the same call its cache makes."""
    return bytes(_numba().core.serialize.dumps(obj))


def _rebuild(target_context: Any, *payload: Any) -> Any:
    return _numba().core.compiler.CompileResult._rebuild(target_context, *payload)


MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 1 << 16
MAX_SOURCE_BYTES = 1 << 22
MAX_DATA_BYTES = 1 << 28  # one compiled signature; real ones are well under 1 MiB
MAX_SIGNATURES = 256

_HEX64 = re.compile(r"[0-9a-f]{64}")
# k<hash>: a generated kernel; s<hash>: a static (hand-written) one
_STEM = re.compile(r"[ks][0-9a-f]{32}")


class UnsafeCacheWarning(UserWarning):
    """A kernel cache directory or entry was refused; kernels compile in memory."""


class Refused(Exception):
    """A cache directory or entry that must not be trusted (the message says why)."""


class _Mismatch(Exception):
    """A cache file that does not match the manifest."""


def cache_dir() -> str:
    """The root of the on-disk cache (kernels live in its ``kernels/``).

    Example:
        >>> import os
        >>> os.path.isabs(cache_dir())
        True
    """
    root = os.environ.get("FUNCTORCH_LITE_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(xdg, "functorch_lite")
    return os.path.abspath(root)


# --- ownership checks -------------------------------------------------------------------------


def _uid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _check_owned(st: os.stat_result, path: str) -> None:
    uid = _uid()
    if uid < 0:  # no POSIX ownership to check
        return
    if st.st_uid != uid:
        raise Refused(f"{path} is owned by uid {st.st_uid}, not by the current user (uid {uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Refused(f"{path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})")


def _lstat_owned(path: str, directory: bool) -> os.stat_result:
    """``os.lstat(path)``, refusing a symbolic link, the wrong kind of file,
    and anything :func:`_check_owned` refuses."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise Refused(f"{path} is a symbolic link")
    if not (stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)):
        raise Refused(f"{path} is not a {'directory' if directory else 'regular file'}")
    _check_owned(st, path)
    return st


def _check_dir(path: str) -> bool:
    """Refuse ``path`` unless it is a real directory we own that others cannot
    write; returns whether we may write in it.  The owner-write bit is
    honoured even where the OS would let us write (root): a user who made
    the cache read-only wants it left alone."""
    st = _lstat_owned(path, directory=True)
    return bool(st.st_mode & stat.S_IWUSR) and os.access(path, os.W_OK)


def _check_ancestors(path: str) -> None:
    """Whoever can rename entries of a directory above the cache can swap the
    cache for their own: each must be ours or root's, and sticky if others
    may write it."""
    uid = _uid()
    if uid < 0:
        return
    parent = os.path.dirname(path)
    while True:
        st = os.stat(parent)
        if st.st_uid not in (uid, 0):
            raise Refused(f"{parent} (above the cache) is owned by uid {st.st_uid}, who could replace the cache")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
            raise Refused(f"{parent} (above the cache) is writable by group or others and not sticky "
                          f"(mode {stat.S_IMODE(st.st_mode):04o})")
        up = os.path.dirname(parent)
        if up == parent:
            return
        parent = up


def _subdir(path: str, create: bool) -> bool | None:
    """Check (creating it ``0700`` if allowed) a directory of the cache:
    whether we may write in it, or None when it does not exist."""
    try:
        return _check_dir(path)
    except FileNotFoundError:
        if not create:
            return None
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    return _check_dir(path)


def _read(path: str, limit: int) -> bytes | None:
    """The bytes of an entry file (at most ``limit + 1`` of them), None if it
    does not exist.  Checked on the open file itself, so it cannot be
    swapped between the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Refused(f"{path} is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{path} is not a regular file")
        _check_owned(st, path)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to a private temporary file beside ``path`` and rename
    it into place: readers see the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _sha256(data: bytes) -> str:
    """The sha256 hex digest of ``data`` (for every hash of the kernel caches)."""
    import hashlib  # start-up cost: on first kernel use, not with the library

    return hashlib.sha256(data).hexdigest()


# --- the cache directory -------------------------------------------------------------------------

_warned: set[str] = set()
_warn_lock = threading.Lock()


def _warn_once(root: str, reason: str) -> None:
    with _warn_lock:
        if root in _warned:
            return
        _warned.add(root)
    warnings.warn(
        f"functorch_lite: not using the kernel cache {root}: {reason}. Kernels are compiled in memory "
        "for this process; give the cache to the current user alone (mode 0700, nothing inside "
        "writable by others), or point FUNCTORCH_LITE_CACHE_DIR at such a directory.",
        UnsafeCacheWarning, stacklevel=4)


@dataclass(frozen=True)
class Store:
    """A checked cache directory: ``root`` (resolved), its ``kernels/`` and
    ``kernels/__pycache__/`` (which may not exist when read-only)."""

    root: str
    kernels: str
    pycache: str
    writable: bool


def open_store(root: str | None = None) -> Store | None:
    """The cache directory (``root``, by default :func:`cache_dir`), checked
    and created ``0700`` if missing; None, with one
    :class:`UnsafeCacheWarning` per directory and process, when it is
    refused or unusable.

    Example:
        >>> import os, tempfile, warnings
        >>> d = tempfile.mkdtemp()
        >>> open_store(d).writable
        True
        >>> os.chmod(d, 0o777)
        >>> with warnings.catch_warnings(record=True) as w:
        ...     warnings.simplefilter("always")
        ...     store = open_store(d)
        >>> store is None and "writable by group or others" in str(w[0].message)
        True
        >>> import shutil; shutil.rmtree(d)
    """
    root = os.path.abspath(root) if root is not None else cache_dir()
    try:
        try:
            os.makedirs(root, mode=0o700, exist_ok=True)
        except OSError as e:
            if not os.path.isdir(root):
                raise Refused(f"it cannot be created ({e.strerror or e})") from None
        real = os.path.realpath(root)
        _check_ancestors(real)
        writable = _check_dir(real)
        kernels = os.path.join(real, "kernels")
        pycache = os.path.join(kernels, "__pycache__")
        k_w = _subdir(kernels, writable)
        p_w = _subdir(pycache, bool(k_w)) if k_w is not None else None
        return Store(real, kernels, pycache, bool(writable and k_w and p_w))
    except Refused as e:
        _warn_once(root, str(e))
    except OSError as e:
        _warn_once(root, f"it cannot be used ({e})")
    return None


# --- one kernel's entry --------------------------------------------------------------------------


def _numba_name(name: str, stem: str) -> bool:
    """Whether ``name`` (relative to ``kernels/``) is one of the Numba files of ``stem``."""
    prefix = f"__pycache__/{stem}."
    if not name.startswith(prefix):
        return False
    rest = name[len(prefix):]
    return rest == "nbi" or re.fullmatch(r"[1-9][0-9]{0,5}\.nbc", rest) is not None


def parse_manifest(data: bytes, stem: str) -> dict[str, str] | None:
    """The ``{file name: sha256}`` of a manifest, or None unless it is exactly
    the format we write for ``stem``: a small JSON object, names of that
    kernel's files only, lowercase hex digests.

    Example:
        >>> s = "k" + "0" * 32
        >>> parse_manifest(b'{"format": 1, "files": {"%s.py": "%s"}}' % (s.encode(), b"a" * 64), s)
        {'k00000000000000000000000000000000.py': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
        >>> parse_manifest(b'{"format": 1, "files": {"../../x": "%s"}}' % (b"a" * 64), s) is None
        True
    """
    if len(data) > MAX_MANIFEST_BYTES or not _STEM.fullmatch(stem):
        return None
    import json  # start-up cost: on first kernel use, not with the library

    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or set(obj) != {"format", "files"}:
        return None
    if type(obj["format"]) is not int or obj["format"] != MANIFEST_FORMAT:
        return None
    files = obj["files"]
    if not isinstance(files, dict) or len(files) > MAX_SIGNATURES + 2:
        return None
    out: dict[str, str] = {}
    for name, digest in files.items():
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            return None
        if name != f"{stem}.py" and not _numba_name(name, stem):
            return None
        out[name] = digest
    return out


@dataclass
class Entry:
    """One kernel's files in a :class:`Store`, with the digests they must have.

    Files are named relative to ``kernels/``; ``hashes`` holds the digests
    of the files known good (the manifest, kept in step with every write).
    Everything Numba loads goes through :meth:`load`, which checks the bytes
    it read against ``hashes`` before unpickling them."""

    store: Store
    stem: str
    stamp: str
    writable: bool
    hashes: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def py_path(self) -> str:
        """The kernel module's source file."""
        return os.path.join(self.store.kernels, f"{self.stem}.py")

    @property
    def _index(self) -> str:
        return f"__pycache__/{self.stem}.nbi"

    def _path(self, name: str) -> str:
        return os.path.join(self.store.kernels, name)

    def numba_files(self) -> list[str]:
        """The Numba files of this kernel present on disk (names relative to
        ``kernels/``), each checked like every entry file."""
        try:
            names = os.listdir(self.store.pycache)
        except FileNotFoundError:
            return []
        found = []
        for n in sorted(names):
            name = f"__pycache__/{n}"
            if _numba_name(name, self.stem):
                path = self._path(name)
                _lstat_owned(path, directory=False)
                found.append(name)
        return found

    def _write(self, name: str, data: bytes) -> None:
        _write_atomic(self._path(name), data)
        self.hashes[name] = _sha256(data)

    def write_manifest(self) -> None:
        """Record ``hashes`` (atomically: temporary file, then ``os.replace``)."""
        import json  # start-up cost: on first kernel use, not with the library

        body = {"format": MANIFEST_FORMAT, "files": dict(sorted(self.hashes.items()))}
        _write_atomic(self._path(f"{self.stem}.manifest.json"), json.dumps(body, indent=1).encode())

    def reset(self, source_digest: str | None = None) -> None:
        """Forget (and, if writable, delete) this kernel's Numba files: the
        next compile rebuilds them under a fresh manifest."""
        digest = source_digest or self.hashes.get(f"{self.stem}.py")
        self.hashes = {f"{self.stem}.py": digest} if digest else {}
        if not self.writable:
            return
        try:
            for name in os.listdir(self.store.pycache):
                if name.startswith(f"{self.stem}."):
                    try:
                        os.remove(os.path.join(self.store.pycache, name))
                    except OSError:
                        pass
            self.write_manifest()
        except OSError:
            self.writable = False

    def _verified(self, name: str) -> bytes:
        digest = self.hashes.get(name)
        if digest is None:
            raise _Mismatch(name)
        data = _read(self._path(name), MAX_DATA_BYTES)
        if data is None or _sha256(data) != digest:
            raise _Mismatch(name)
        return data

    def _overloads(self) -> dict[Any, str]:
        if self._index not in self.hashes:
            return {}
        buf = io.BytesIO(self._verified(self._index))
        version = pickle.load(buf)
        if version != _numba_version():
            raise _Mismatch(self._index)
        stamp, overloads = pickle.loads(buf.read())
        if stamp != self.stamp or not isinstance(overloads, dict):
            raise _Mismatch(self._index)
        if not all(isinstance(v, str) and _numba_name(v, self.stem) for v in overloads.values()):
            raise _Mismatch(self._index)
        return overloads

    def load(self, key: Any, rebuild: Callable[[Any], Any]) -> Any:
        """The compiled signature ``key`` rebuilt from verified bytes, or None
        (not cached; or damaged, and then the kernel's files are dropped)."""
        with self.lock:
            try:
                name = self._overloads().get(key)
                if name is None:
                    return None
                return rebuild(pickle.loads(self._verified(name)))
            except Exception:  # unvouched, or verified bytes that still do not load: never retried
                self.reset()
                return None

    def save(self, key: Any, payload: Any) -> None:
        """Store a compiled signature and refresh the manifest; a cache that
        cannot be written stops being written (the kernel still runs)."""
        with self.lock:
            if not self.writable:
                return
            try:
                try:
                    overloads = self._overloads()
                except Exception:
                    self.reset()
                    overloads = {}
                if key not in overloads and len(overloads) >= MAX_SIGNATURES:
                    return
                name = overloads.get(key)
                if name is None:
                    used = set(overloads.values()) | set(self.hashes)
                    name = next(f"__pycache__/{self.stem}.{i}.nbc" for i in range(1, MAX_SIGNATURES + 2)
                                if f"__pycache__/{self.stem}.{i}.nbc" not in used)
                self._write(name, _dumps(payload))
                if overloads.get(key) != name:
                    overloads[key] = name
                    index = pickle.dumps(_numba_version(), protocol=-1) + _dumps((self.stamp, overloads))
                    self._write(self._index, index)
                self.write_manifest()
            except OSError:
                self.writable = False
            except Exception:  # not serialisable: keep it in memory only
                pass


def open_entry(store: Store, stem: str, stamp: str, text: str) -> Entry | None:
    """The checked entry of kernel ``stem`` whose module text is ``text``:
    its source file written if missing or different, its Numba files
    dropped unless the manifest vouches for exactly them.  None: compile in
    memory (the store is read-only and holds no valid source file).  Raises
    :class:`Refused` for an entry file that is not ours, or is a link.

    Example:
        >>> import os, tempfile
        >>> import shutil
        >>> d = tempfile.mkdtemp()
        >>> e = open_entry(open_store(d), "k" + "1" * 32, "stamp", "x = 1\\n")
        >>> sorted(e.hashes), os.path.exists(e.py_path)
        (['k11111111111111111111111111111111.py'], True)
        >>> shutil.rmtree(d)
    """
    if not _STEM.fullmatch(stem):
        raise ValueError(f"bad kernel name {stem!r}")
    want = text.encode("utf-8")
    digest = _sha256(want)
    entry = Entry(store, stem, stamp, store.writable)
    py = f"{stem}.py"
    have = _read(entry.py_path, MAX_SOURCE_BYTES)
    present = entry.numba_files()
    raw = _read(entry._path(f"{stem}.manifest.json"), MAX_MANIFEST_BYTES)
    manifest = parse_manifest(raw, stem) if raw is not None else None
    if have == want and manifest is not None and manifest.get(py) == digest and set(manifest) == {py, *present}:
        entry.hashes = manifest
        return entry
    if not entry.writable:
        if have != want:
            return None
        entry.hashes = {py: digest}  # the unvouched Numba files are never read
        return entry
    try:
        if have != want:
            _write_atomic(entry.py_path, want)
    except OSError:  # e.g. a read-only mount that the mode bits did not show
        return None
    entry.reset(digest)
    return entry


def open_or_warn(stem: str, stamp: str, text: str) -> Entry | None:
    """:func:`open_entry` in the current :func:`cache_dir`; None (compile in
    memory), with one :class:`UnsafeCacheWarning` per directory and process,
    when the directory or the entry is refused or unusable.

    Example:
        >>> import os, shutil, tempfile
        >>> from unittest import mock
        >>> d = tempfile.mkdtemp()
        >>> with mock.patch.dict(os.environ, FUNCTORCH_LITE_CACHE_DIR=d):
        ...     entry = open_or_warn("s" + "2" * 32, "stamp", "# an example\\n")
        >>> entry.store.root == os.path.realpath(d) and entry.writable
        True
        >>> shutil.rmtree(d)
    """
    store = open_store()
    if store is None:
        return None
    try:
        return open_entry(store, stem, stamp, text)
    except Refused as e:
        _warn_once(store.root, str(e))
    except OSError as e:
        _warn_once(store.root, f"it cannot be used ({e})")
    return None


_env_key: str | None = None


def environment_key() -> str:
    """What compiled code depends on besides its source: the Numba,
    llvmlite and Python versions and the host CPU (name and features).

    Example:
        >>> import numba
        >>> numba.__version__ in environment_key()
        True
    """
    global _env_key
    if _env_key is None:
        import llvmlite.binding  # start-up cost: with Numba, on first kernel use

        ll = llvmlite.binding
        _env_key = "|".join([_numba_version(), llvmlite.__version__, ll.get_host_cpu_name(),
                             ll.get_host_cpu_features().flatten(), sys.version.split()[0]])
    return _env_key


# --- the Numba side ------------------------------------------------------------------------------


def _prepare_load(target_context: Any) -> None:
    """What loading compiled code needs of Numba's start-up: its runtime's
    (NRT) functions registered with LLVM, which loaded code calls (Numba's
    C helpers and the math library were registered when the target context
    was made).  Numba's own cache calls ``target_context.refresh()``
    instead, which also imports every implementation registry and, where
    SciPy is installed, ``scipy.linalg`` to look for BLAS: 0.15-0.4 s of a
    warm start that a load does not use.  The first compile still pays it
    (Numba's compiler refreshes both contexts itself)."""
    _numba().core.runtime.nrt.rtsys.initialize(target_context)


class VerifiedCache:
    """A Numba dispatcher cache that reads and writes only through an
    :class:`Entry` (so only verified bytes are unpickled); it replaces the
    ``NullCache`` of a dispatcher decorated without ``cache=True`` (the
    interface of Numba's ``_Cache``, which is not subclassed so that this
    module does not import Numba).

    ``entry`` is the entry itself, or a function called before every load
    and save that returns it (None: compile in memory); the latter opens
    nothing until the kernel first compiles, and follows
    :func:`cache_dir` if it changes."""

    def __init__(self, entry: Entry | Callable[[], Entry | None], py_func: Any) -> None:
        self._entry: Entry | Callable[[], Entry | None] = entry
        self._py_func = py_func
        # the index key hashes the bytecode only (as Numba's does): a closure
        # would need its cell contents hashed too, so it is never cached
        self._enabled = py_func.__closure__ is None
        self._code = _sha256(py_func.__code__.co_code)

    def entry(self) -> Entry | None:
        """The entry loads and saves go through now (None: in memory only)."""
        return self._entry if isinstance(self._entry, Entry) else self._entry()

    @property
    def cache_path(self) -> str:
        if isinstance(self._entry, Entry):
            return self._entry.store.pycache
        return os.path.join(cache_dir(), "kernels", "__pycache__")  # statistics only: opens nothing

    def enable(self) -> None:
        self._enabled = True

    def disable(self) -> None:
        self._enabled = False

    def flush(self) -> None:
        entry = self.entry()
        if entry is not None:
            with entry.lock:
                entry.reset()

    def _index_key(self, sig: Any, codegen: Any) -> Any:
        return (sig, codegen.magic_tuple(), (self._code, _sha256(b"")))

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        if not self._enabled:
            return None
        entry = self.entry()
        if entry is None:
            return None
        _prepare_load(target_context)
        key = self._index_key(sig, target_context.codegen())
        return entry.load(key, lambda payload: _rebuild(target_context, *payload))

    def save_overload(self, sig: Any, cres: Any) -> None:
        if not self._enabled:
            return
        entry = self.entry()
        if entry is None or not entry.writable:
            return
        if any(not x.can_cache for x in cres.lifted) or cres.library.has_dynamic_globals:
            return
        entry.save(self._index_key(sig, cres.codegen), cres._reduce())


def attach(dispatcher: Any, entry: Entry | Callable[[], Entry | None]) -> None:
    """Give a Numba dispatcher (decorated without ``cache=True``) the verified
    disk cache of ``entry`` (see :class:`VerifiedCache`); before its first
    compile.  A plain function (``NUMBA_DISABLE_JIT``) has nothing to cache."""
    if not hasattr(dispatcher, "_cache"):
        return
    if not isinstance(dispatcher._cache, _numba().core.caching.NullCache) or dispatcher.overloads:
        raise ValueError("the kernel must be decorated without cache=True and not compiled yet")
    dispatcher._cache = VerifiedCache(entry, dispatcher.py_func)
