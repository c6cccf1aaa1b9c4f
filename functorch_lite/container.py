"""The validated file container shared by exported programs and saved data.

Layout: an 8-byte magic, a little-endian ``uint32`` version, the header and
buffer lengths (``uint64`` each), a UTF-8 JSON header, the raw buffer
section, and a SHA-256 of everything before it.  Reading trusts nothing: a
path must be a regular file (opened without blocking, so a FIFO cannot hang
the reader), the sizes are checked against the caller's limits before
anything is read or allocated, the checksum is verified before the header is
parsed, and the JSON may hold no duplicate keys, no ``NaN``/``Infinity``
constants and no nesting deep enough to exhaust the stack.

:class:`Validator` holds the small checks every decoder of a header needs
(an object with exactly these keys, a bounded int, a supported dtype...),
bound to the format's exception class.

Example:
    >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
    >>> data = pack(fmt, {"x": 1}, b"abc")
    >>> header, buffers = unpack(fmt, data, Limits(fmt))
    >>> header, bytes(buffers)
    ({'x': 1}, b'abc')
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import dtypes

PREFIX = struct.Struct("<8sIQQ")  # magic, version, header length, buffer length
DIGEST = 32
DEFAULT_MAX_ELEMENTS = 2**31
DEFAULT_MAX_BYTES = 2**30
DEFAULT_MAX_HEADER_BYTES = 16 * 2**20
INT_LIMIT = 2**63
MAX_STR = 4096
DTYPE_NAMES: dict[str, np.dtype[Any]] = {d.name: d for d in dtypes.SUPPORTED}


class ContainerFormat:
    """One file format in the container: its magic, the versions this library
    reads, what to call it in messages, and its two exception classes.

    Example:
        >>> ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError).noun
        'demo file'
    """

    __slots__ = ("magic", "versions", "noun", "format_error", "limit_error")

    def __init__(self, magic: bytes, versions: frozenset[int], noun: str, format_error: type[ValueError],
                 limit_error: type[ValueError]) -> None:
        self.magic = magic
        self.versions = versions
        self.noun = noun
        self.format_error = format_error
        self.limit_error = limit_error


def limit_arg(x: Any, name: str, lo: int) -> int:
    """A limit passed to a loader: an int ``>= lo``.

    Example:
        >>> limit_arg(5, "max_bytes", 0)
        5
    """
    if type(x) is not int or x < lo:
        raise ValueError(f"load: {name} must be an integer >= {lo}, got {x!r}")
    return x


class Limits:
    """The resource limits of one load, and the data bytes allocated so far.

    Example:
        >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
        >>> Limits(fmt, max_bytes=10).max_file_size()
        16777286
    """

    def __init__(self, fmt: ContainerFormat, max_elements: int = DEFAULT_MAX_ELEMENTS,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> None:
        self.fmt = fmt
        self.max_elements = limit_arg(max_elements, "max_elements", 0)
        self.max_bytes = limit_arg(max_bytes, "max_bytes", 0)
        self.max_header_bytes = limit_arg(max_header_bytes, "max_header_bytes", 0)
        self.allocated = 0

    def max_file_size(self) -> int:
        return PREFIX.size + self.max_header_bytes + self.max_bytes + DIGEST

    def check_file_size(self, n: int) -> None:
        if n > self.max_file_size():
            raise self.fmt.limit_error(
                f"the {self.fmt.noun} is {n} bytes, more than the {self.max_file_size()} bytes that "
                f"max_header_bytes={self.max_header_bytes} and max_bytes={self.max_bytes} allow "
                "(pass larger limits to load if this file is trusted)"
            )

    def charge(self, nbytes: int, where: str) -> None:
        """Count ``nbytes`` of data before allocating them."""
        self.allocated += nbytes
        if self.allocated > self.max_bytes:
            raise self.fmt.limit_error(
                f"{where}: {nbytes} bytes of constant data ({self.allocated} in all so far) is more than "
                f"max_bytes={self.max_bytes} (pass a larger max_bytes to load if this file is trusted)"
            )

    def check_array(self, shape: tuple[int, ...], dt: np.dtype[Any], where: str) -> None:
        """One array of this shape and dtype must fit both limits."""
        total = 1
        for d in shape:
            total *= d
        if total > self.max_elements:
            raise self.fmt.limit_error(
                f"{where}: shape {shape} has {total} elements, more than the limit of {self.max_elements} "
                "(pass a larger max_elements to load if this file is trusted)"
            )
        if total * dt.itemsize > self.max_bytes:
            raise self.fmt.limit_error(
                f"{where}: a {dt.name}{list(shape)} array takes {total * dt.itemsize} bytes, more than "
                f"max_bytes={self.max_bytes} (pass a larger max_bytes to load if this file is trusted)"
            )


def pack(fmt: ContainerFormat, header: Any, buffers: bytes | memoryview, version: int = 1) -> bytes:
    """Assemble a container (also used by the tests to build hostile files).

    Example:
        >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
        >>> len(pack(fmt, {}, b""))
        62
    """
    import hashlib  # start-up cost: hashlib and json load on first save/export, not with the library
    import json  # start-up cost: as above

    hb = json.dumps(header, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")
    body = PREFIX.pack(fmt.magic, version, len(hb), len(buffers)) + hb + buffers
    return body + hashlib.sha256(body).digest()


def read_source(fmt: ContainerFormat, source: Any, lim: Limits) -> bytes:
    """The bytes of ``source`` (a path or bytes-like), within the limits.

    Example:
        >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
        >>> read_source(fmt, b"abc", Limits(fmt))
        b'abc'
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        lim.check_file_size(memoryview(source).nbytes)
        return bytes(source)  # a private copy: a caller's bytearray cannot change between checks and use
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load takes a path or bytes, got {type(source).__name__}")
    # non-blocking open: opening a FIFO for reading would otherwise wait for a writer forever
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fmt.format_error(
                f"{os.fspath(source)!r} is not a regular file (a device, FIFO or socket could feed endless data)"
            )
        lim.check_file_size(st.st_size)
        os.set_blocking(fd, True)
        # one byte more than the size we checked: a file that grows meanwhile is caught below
        data = f.read(st.st_size + 1)
    lim.check_file_size(len(data))
    return data


def unpack(fmt: ContainerFormat, data: bytes, lim: Limits) -> tuple[Any, memoryview]:
    """Check the container (magic, version, lengths, limits, checksum) and
    parse the JSON header; the buffer section comes back as a read-only view.

    Example:
        >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
        >>> try:
        ...     unpack(fmt, b"", Limits(fmt))
        ... except ValueError as e:
        ...     print(e)
        not a functorch_lite demo file: the data is empty
    """
    import hashlib  # start-up cost: loaded on first load, not with the library

    mv = memoryview(data).toreadonly()
    n, noun, err = mv.nbytes, fmt.noun, fmt.format_error
    if n == 0:
        raise err(f"not a functorch_lite {noun}: the data is empty")
    if n < len(fmt.magic) or mv[: len(fmt.magic)] != fmt.magic:
        raise err(f"not a functorch_lite {noun}: it does not start with the magic bytes {fmt.magic!r} "
                  f"(starts with {bytes(mv[:8])!r})")
    minimum = PREFIX.size + DIGEST
    if n < minimum:
        raise err(f"not a functorch_lite {noun}: {n} bytes is shorter than the {minimum}-byte minimum "
                  "(empty or truncated file)")
    _, version, hlen, blen = PREFIX.unpack_from(mv, 0)
    if version not in fmt.versions:
        raise err(f"unsupported functorch_lite {noun} format version {version}; this library reads "
                  f"version(s) {sorted(fmt.versions)} (write it again with this library's version)")
    if hlen > lim.max_header_bytes:
        raise fmt.limit_error(f"the {noun} header claims to be {hlen} bytes, more than max_header_bytes="
                              f"{lim.max_header_bytes} (pass a larger max_header_bytes to load if this file is "
                              "trusted)")
    if blen > lim.max_bytes:
        raise fmt.limit_error(f"the {noun}'s buffer section claims to be {blen} bytes, more than max_bytes="
                              f"{lim.max_bytes} (pass a larger max_bytes to load if this file is trusted)")
    expected = PREFIX.size + hlen + blen + DIGEST
    if n < expected:
        raise err(f"truncated functorch_lite {noun}: expected {expected} bytes, got {n}")
    if n > expected:
        raise err(f"corrupt functorch_lite {noun}: {n - expected} unexpected trailing bytes "
                  f"(expected {expected} bytes)")
    if hashlib.sha256(mv[: n - DIGEST]).digest() != bytes(mv[n - DIGEST:]):
        raise err(f"corrupt functorch_lite {noun}: SHA-256 checksum mismatch (the file was modified or damaged)")
    hstart = PREFIX.size
    return parse_json(fmt, bytes(mv[hstart: hstart + hlen])), mv[hstart + hlen: hstart + hlen + blen]


def parse_json(fmt: ContainerFormat, raw: bytes) -> Any:
    """A JSON header: no duplicate keys, no NaN/Infinity, bounded nesting.

    Example:
        >>> fmt = ContainerFormat(b"FLDEMO\\0\\0", frozenset({1}), "demo file", ValueError, ValueError)
        >>> parse_json(fmt, b'{"a": [1, 2]}')
        {'a': [1, 2]}
    """
    import json  # start-up cost: loaded on first load, not with the library

    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except RecursionError:
        raise fmt.format_error(f"malformed {fmt.noun} header: JSON nested too deeply") from None
    except (ValueError, TypeError) as e:
        raise fmt.format_error(f"malformed {fmt.noun} header: invalid JSON ({e})") from None


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def short(x: Any) -> str:
    """``repr(x)``, cut to 80 characters for messages.

    Example:
        >>> short("x" * 100)[-5:]
        'xx...'
    """
    s = repr(x)
    return s if len(s) <= 80 else s[:77] + "..."


class Validator:
    """The checks of a decoded JSON header, raising the format's error class.

    Example:
        >>> v = Validator(ValueError)
        >>> v.integer(3, "count", 0, 5), v.dtype("float32", "x").name
        (3, 'float32')
    """

    def __init__(self, error: type[ValueError]) -> None:
        self.error = error

    def obj(self, x: Any, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, Any]:
        if not isinstance(x, dict):
            raise self.error(f"{where}: expected a JSON object, got {short(x)}")
        missing = [k for k in required if k not in x]
        if missing:
            raise self.error(f"{where}: missing key(s) {missing}")
        extra = [k for k in x if k not in required and k not in optional]
        if extra:
            raise self.error(f"{where}: unknown key(s) {[short(k) for k in extra]}")
        return x

    def items(self, x: Any, where: str) -> list[Any]:
        if not isinstance(x, list):
            raise self.error(f"{where}: expected a JSON list, got {short(x)}")
        return x

    def integer(self, x: Any, where: str, lo: int = -INT_LIMIT, hi: int = INT_LIMIT - 1) -> int:
        if type(x) is not int:
            raise self.error(f"{where}: expected an integer, got {short(x)}")
        if not lo <= x <= hi:
            raise self.error(f"{where}: {x} is out of range [{lo}, {hi}]")
        return x

    def boolean(self, x: Any, where: str) -> bool:
        if type(x) is not bool:
            raise self.error(f"{where}: expected true/false, got {short(x)}")
        return x

    def string(self, x: Any, where: str) -> str:
        if not isinstance(x, str):
            raise self.error(f"{where}: expected a string, got {short(x)}")
        if len(x) > MAX_STR:
            raise self.error(f"{where}: string longer than {MAX_STR} characters")
        return x

    def dtype(self, x: Any, where: str) -> np.dtype[Any]:
        if not isinstance(x, str) or x not in DTYPE_NAMES:
            raise self.error(f"{where}: dtype {short(x)} is not supported; supported: {sorted(DTYPE_NAMES)}")
        return DTYPE_NAMES[x]


__all__ = ["ContainerFormat", "Limits", "Validator", "pack", "unpack", "read_source", "parse_json", "limit_arg",
           "PREFIX", "DIGEST", "short"]
