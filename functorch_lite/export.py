"""Export: save a traced program to one versioned file that runs without the
original Python code (TorchScript's idea, done safely: no pickle, nothing in
the file is ever evaluated as code, no user module is imported).

``export(fun, *args)`` traces ``fun`` on example arguments (arrays, Python
scalars or :class:`~functorch_lite.ShapeDtypeStruct`, in pytrees of tuples,
lists, dicts with string keys and ``None``) into an IR program and returns an
:class:`Exported`: its IR text, signature, ``save(path)``/``serialize()``,
and a call that runs the compiled program.  ``load(path_or_bytes)`` gives the
same kind of object back, after checking the whole file.

File layout (all integers little-endian)::

    b"FLEXPORT"                  magic, 8 bytes
    uint32  format version       (FORMAT_VERSION)
    uint64  header length H      (bytes of UTF-8 JSON)
    uint64  buffer length B      (bytes of raw constant data)
    H bytes JSON header          program, signature, pytrees, constant references
    B bytes constant buffers     row-major, little-endian
    32 bytes SHA-256             of everything before it

The JSON program numbers its variables in definition order (inputs, then
constants, then each equation's outputs), names primitives, and encodes
params as ``[name, tagged value]`` pairs (``{"t": "dtype", "v": "float32"}``,
``{"t": "tuple", "v": [...]}``, ``{"t": "program", "v": {...}}``...).
Loading treats the file as hostile data: nothing in it is evaluated as code
(no pickle, no ``eval``, no import), and it validates everything -- lengths,
checksum, JSON shape, primitive names, every param against the primitive's
expected param types (integers that are not booleans, tuples of integers,
dtype names from the supported set, nested programs checked recursively),
dtypes, variable references, buffer bounds, element counts -- and re-runs
every equation's shape rule on the declared input types to check the declared
output types, so a hostile file raises :class:`ExportFormatError` (a
``ValueError``) instead of reaching a kernel.  ``debug_print`` format strings
must pass :func:`functorch_lite.debug.check_format` (plain fields only, no
attribute or index access, width and precision at most 1000).

Resource limits (keywords of :func:`load`; exceeding one raises
:class:`ExportLimitError`, an :class:`ExportFormatError`):

- ``max_header_bytes`` (default 16 MiB): the JSON header, checked from the
  fixed-size prefix before it is read or parsed;
- ``max_bytes`` (default 1 GiB): the buffer section and the file itself are
  checked before they are read; all constant data the loader allocates
  (constants and literals of every sub-program together) is counted from the
  header before each allocation; and every array the program declares
  (inputs, intermediates, outputs) must fit in it on its own;
- ``max_elements`` (default ``2**31``): elements of any one array;
- ``max_steps`` (default None: no limit): iterations of any one run of a
  ``while_loop``/``fori_loop``/``scan`` in the loaded program; running it
  raises :class:`LoopLimitError` when a loop would go further.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> exp = fl.export.export(lambda x: jnp.sin(x) * 2.0, fl.ShapeDtypeStruct((3,), "float32"))
    >>> again = fl.export.load(exp.serialize())
    >>> again(jnp.zeros(3)).tolist()
    [0.0, 0.0, 0.0]
    >>> print(again)
    { lambda ; a:f32[3] . let
        b:f32[3] = sin a
        c:f32[3] = mul b 2.0:f32[3]
      in (c) }
"""

from __future__ import annotations

import inspect
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite import container, core, dtypes, tree
from functorch_lite.array import Array, Storage, contiguous_strides
from functorch_lite.core import Primitive, ShapedArray, Tracer
from functorch_lite.numpy._util import asarray
from functorch_lite.ops.params import DTYPE_NAMES, INT_LIMIT, MAX_NDIM, ParamSpec
from functorch_lite.ops.tables import param_checks, param_types, subprogram_inputs
from functorch_lite.transforms import compiler
from functorch_lite.transforms import control_flow as cf
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, eval_program, pretty
from functorch_lite.transforms.staging import ShapeDtypeStruct, aval_of_arg, trace_to_program

__all__ = [
    "Exported", "ExportFormatError", "ExportLimitError", "LoopLimitError", "export", "load", "deserialize",
    "FORMAT_VERSION", "SUPPORTED_VERSIONS", "MAGIC", "DEFAULT_MAX_ELEMENTS", "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_HEADER_BYTES",
]

MAGIC = b"FLEXPORT"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
DEFAULT_MAX_ELEMENTS = 2**31
DEFAULT_MAX_BYTES = 2**30
DEFAULT_MAX_HEADER_BYTES = 16 * 2**20

_PREFIX = container.PREFIX  # magic, version, header length, buffer length
_DIGEST = container.DIGEST
_ALIGN = 16
_MAX_NDIM = MAX_NDIM
_MAX_DEPTH = 48  # nesting of params, pytrees and sub-programs together
_INT_LIMIT = INT_LIMIT
_DTYPE_NAMES = DTYPE_NAMES
_PRODUCER = "functorch_lite"


class ExportFormatError(ValueError):
    """A file or byte string is not a valid functorch_lite export (corrupt,
    truncated, of another version, or hostile).

    Example:
        >>> import functorch_lite as fl
        >>> try:
        ...     fl.export.load(b"")
        ... except fl.export.ExportFormatError as e:
        ...     print(str(e)[:46])
        not a functorch_lite export: the data is empty
    """


class ExportLimitError(ExportFormatError):
    """A file exceeds a resource limit given to :func:`load` (``max_bytes``,
    ``max_header_bytes``, ``max_elements``); pass a larger limit if the file
    is trusted.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> data = fl.export.export(lambda x: x + jnp.arange(100.0), jnp.ones(100)).serialize()
        >>> try:
        ...     fl.export.load(data, max_bytes=100)
        ... except fl.export.ExportLimitError as e:
        ...     print(str(e)[:58])
        the export's buffer section claims to be 400 bytes, more t
    """


_FORMAT = container.ContainerFormat(MAGIC, SUPPORTED_VERSIONS, "export", ExportFormatError, ExportLimitError)

#: Raised while running a loaded program when one run of a loop (``while_loop``,
#: ``fori_loop``, ``scan``) would take more iterations than the ``max_steps``
#: given to :func:`load`, called directly or under ``jit``, ``vmap`` or ``grad``
#: (the budget is a param of the loop equations, which the loops' rules pass
#: on; the class lives with the loops, in ``transforms.control_flow``).
LoopLimitError = cf.LoopLimitError


# =====================================================================================
# Exported
# =====================================================================================


class Exported:
    """A serialisable traced program with its signature; call it like the
    original function (positional dynamic arguments only).

    Attributes: ``in_avals``/``out_avals`` (tuples of ``ShapedArray``),
    ``in_tree``/``out_tree`` (pytree structures), ``ir_text`` (also
    ``str(exported)``), ``program``, ``fun_name``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> e = fl.export.export(lambda d: {"s": d["x"] + d["y"]}, {"x": jnp.ones(2), "y": 1.0})
        >>> e.in_tree, [a.str_short() for a in e.in_avals]
        (PyTreeDef(({'x': *, 'y': *},)), ['f32[2]', 'f32[]'])
        >>> e({"x": jnp.ones(2), "y": 2.0})["s"].tolist()
        [3.0, 3.0]
    """

    def __init__(self, program: Program, in_tree: tree.PyTreeDef, out_tree: tree.PyTreeDef,
                 fun_name: str = "fun") -> None:
        if in_tree.num_leaves != len(program.invars):
            raise ValueError(f"in_tree has {in_tree.num_leaves} leaves but the program takes "
                             f"{len(program.invars)} inputs")
        if out_tree.num_leaves != len(program.outs):
            raise ValueError(f"out_tree has {out_tree.num_leaves} leaves but the program returns "
                             f"{len(program.outs)} outputs")
        self.program = program
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.fun_name = fun_name
        # what runs: ``program`` itself, or a copy whose loops count their steps (load's max_steps)
        self._run_program = program
        self._executable: compiler.Executable | None = None

    @property
    def in_avals(self) -> tuple[ShapedArray, ...]:
        return tuple(self.program.in_avals)

    @property
    def out_avals(self) -> tuple[ShapedArray, ...]:
        return tuple(self.program.out_avals)

    @property
    def ir_text(self) -> str:
        """The program in the library's IR text form."""
        return pretty(self.program)

    def __str__(self) -> str:
        return self.ir_text

    def __repr__(self) -> str:
        ins = ", ".join(a.str_short() for a in self.in_avals)
        outs = ", ".join(a.str_short() for a in self.out_avals)
        return f"Exported({self.fun_name}: ({ins}) -> ({outs}))"

    # --- serialisation --------------------------------------------------------------
    def serialize(self) -> bytes:
        """The whole export as bytes (see the module docstring for the layout)."""
        return _serialize(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`serialize` to ``path`` (atomically: a temp file, then rename)."""
        data = self.serialize()
        tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    # --- running ----------------------------------------------------------------------
    def __call__(self, *args: Any) -> Any:
        leaves, treedef = tree.flatten(args)
        if treedef != self.in_tree:
            raise TypeError(
                f"exported function {self.fun_name!r} takes arguments of structure {self.in_tree}, "
                f"got {treedef}"
            )
        vals = [_check_arg(x, aval, i, self.fun_name) for i, (x, aval) in enumerate(zip(leaves, self.in_avals))]
        if any(isinstance(v, Tracer) for v in vals):
            # inside grad/vmap/jit: evaluate by binding, so the transform sees every primitive
            outs = eval_program(self._run_program, vals)
        else:
            if self._executable is None:
                from functorch_lite.transforms import fusion  # start-up cost: the fusion back end, on first run

                self._executable = fusion.lower_with_fusion(compiler.optimize(self._run_program))
            outs = self._executable.run(vals)
        return tree.unflatten(self.out_tree, outs)


def _check_arg(x: Any, aval: ShapedArray, i: int, name: str) -> Any:
    if isinstance(x, (Array, Tracer)):
        arr: Any = x
    elif isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        have = dtypes.scalar_dtype(x)
        if _KIND_RANK[have.kind] > _KIND_RANK[aval.dtype.kind]:
            raise TypeError(
                f"exported function {name!r}: argument leaf {i} must be {aval.str_short()}, got the Python "
                f"{type(x).__name__} {x!r}; pass an array of dtype {aval.dtype}"
            )

        try:
            arr = asarray(np.asarray(x, dtype=aval.dtype))
        except (OverflowError, ValueError):
            raise TypeError(
                f"exported function {name!r}: argument leaf {i} must be {aval.str_short()}; {x!r} does not fit"
            ) from None
    elif isinstance(x, (np.ndarray, np.generic)):
        arr = asarray(x)
    else:
        raise TypeError(
            f"exported function {name!r}: argument leaf {i} must be an array {aval.str_short()}, "
            f"got {type(x).__name__}"
        )
    if tuple(arr.shape) != aval.shape or arr.dtype != aval.dtype:
        raise TypeError(
            f"exported function {name!r}: argument leaf {i} must be {aval.str_short()}, got "
            f"{core.short_dtype(arr.dtype)}[{','.join(map(str, arr.shape))}]; the exported program is "
            "specialised to its example shapes and dtypes (export again for others, or cast with .astype)"
        )
    return arr


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


# =====================================================================================
# export
# =====================================================================================


def export(fun: Callable[..., Any], *args: Any, static_argnums: int | Sequence[int] = ()) -> Exported:
    """Trace ``fun`` on example arguments (arrays, scalars or
    :class:`~functorch_lite.ShapeDtypeStruct`, in pytrees) into an
    :class:`Exported`.  Static arguments (``static_argnums``) are baked in;
    the exported function takes the remaining arguments.  Transformed
    functions (``grad``, ``vmap``, ``jit``...) export like any other.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> e = fl.export.export(fl.grad(lambda x: jnp.sum(x * x)), jnp.ones(3))
        >>> e(jnp.arange(3.0)).tolist()
        [0.0, 2.0, 4.0]
        >>> e2 = fl.export.export(lambda x, n: x ** n, jnp.ones(2), 3, static_argnums=1)
        >>> e2(jnp.full(2, 2.0)).tolist()
        [8.0, 8.0]
    """
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    n = len(args)
    statics = tuple(s % n if -n <= s < n else s for s in statics)
    for s in statics:
        if not 0 <= s < n:
            raise ValueError(f"export: static_argnums {static_argnums} out of range for {n} arguments")
    dyn_idx = [i for i in range(n) if i not in statics]

    def flat_fun(*dargs: Any) -> Any:
        full = list(args)
        for i, a in zip(dyn_idx, dargs):
            full[i] = a
        return fun(*full)

    leaves, in_tree = tree.flatten(tuple(args[i] for i in dyn_idx), is_leaf=lambda x: isinstance(x, ShapeDtypeStruct))
    _tree_to_json(in_tree, "the arguments")  # refuse custom pytree nodes before tracing
    avals = [_aval_of_example(x, i) for i, x in enumerate(leaves)]
    program, out_tree = trace_to_program(flat_fun, avals, in_tree)
    _tree_to_json(out_tree, "the outputs")
    program = compiler.optimize(program)
    name = getattr(fun, "__name__", None) or type(fun).__name__
    exp = Exported(program, in_tree, out_tree, str(name)[:200])
    _encode_program(program, _BufferWriter(dry=True), 0)  # refuse unserialisable params now, not at save
    try:  # what load would refuse is refused now, not when someone loads the file
        _check_program_params(program)
    except ExportFormatError as e:
        raise ValueError(f"export: the traced program cannot be exported: {e}") from None
    return exp


def _aval_of_example(x: Any, i: int) -> ShapedArray:
    if isinstance(x, (ShapeDtypeStruct, Tracer, Array, bool, int, float, complex, np.ndarray, np.generic)):
        return aval_of_arg(x)
    raise TypeError(
        f"export: argument leaf {i} is a {type(x).__name__}; pass arrays, Python scalars or "
        "ShapeDtypeStruct (or mark the argument static with static_argnums)"
    )


# --- pytrees ---------------------------------------------------------------------------


def _tree_to_json(t: tree.PyTreeDef, what: str, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise TypeError(f"export: the pytree of {what} is nested deeper than {_MAX_DEPTH} levels")
    kind = t.kind
    if kind is None:
        return "*"
    kids = [_tree_to_json(c, what, depth + 1) for c in t.children]
    if kind is tuple:
        return {"tuple": kids}
    if kind is list:
        return {"list": kids}
    if kind is type(None):
        return {"none": []}
    if kind is dict or kind is OrderedDict:
        keys = list(t.aux)  # type: ignore[call-overload]
        if not all(isinstance(k, str) for k in keys):
            raise TypeError(
                f"export: a dict in {what} has non-string keys {keys!r}; only string keys can be saved"
            )
        return {"dict" if kind is dict else "odict": [[k, c] for k, c in zip(keys, kids)]}
    name = getattr(kind, "__qualname__", repr(kind))
    raise TypeError(
        f"export: {what} contain a {name} node (a namedtuple or a registered custom pytree type); "
        "an exported file cannot rebuild user classes without their code, so only tuple, list, "
        "dict (string keys) and None containers are allowed: convert it to a dict or tuple"
    )


def _tree_from_json(obj: Any, where: str, depth: int) -> tree.PyTreeDef:
    if depth > _MAX_DEPTH:
        raise ExportFormatError(f"{where}: pytree nested deeper than {_MAX_DEPTH} levels")
    if obj == "*":
        return tree.PyTreeDef(None, None, ())
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ExportFormatError(f"{where}: a pytree node must be \"*\" or a one-key object, got {_short(obj)}")
    ((kind, val),) = obj.items()
    if not isinstance(val, list):
        raise ExportFormatError(f"{where}: pytree node {kind!r} needs a list")
    if kind in ("tuple", "list"):
        kids = tuple(_tree_from_json(c, where, depth + 1) for c in val)
        return tree.PyTreeDef(tuple if kind == "tuple" else list, None, kids)
    if kind == "none":
        if val:
            raise ExportFormatError(f"{where}: a None pytree node has no children")
        return tree.PyTreeDef(type(None), None, ())
    if kind in ("dict", "odict"):
        keys = []
        kids_l = []
        for item in val:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ExportFormatError(f"{where}: dict pytree entries must be [string key, node]")
            keys.append(item[0])
            kids_l.append(_tree_from_json(item[1], where, depth + 1))
        if len(set(keys)) != len(keys):
            raise ExportFormatError(f"{where}: dict pytree has duplicate keys")
        if kind == "dict" and keys != sorted(keys):
            raise ExportFormatError(f"{where}: dict pytree keys must be sorted")
        return tree.PyTreeDef(dict if kind == "dict" else OrderedDict, tuple(keys), tuple(kids_l))
    raise ExportFormatError(f"{where}: unknown pytree node kind {_short(kind)}; known: tuple, list, dict, odict, none")


# --- program encoding ------------------------------------------------------------------


class _BufferWriter:
    """Collects constant buffers (``dry``: only checks, copies no data)."""

    def __init__(self, dry: bool = False) -> None:
        self.dry = dry
        self.chunks: list[bytes] = []
        self.size = 0
        self.seen: dict[int, dict[str, Any]] = {}

    def add(self, arr: Array) -> dict[str, Any]:
        ref = self.seen.get(id(arr))
        if ref is not None:
            return ref
        if arr.dtype.name not in _DTYPE_NAMES:
            raise TypeError(f"export: a program constant has the unsupported dtype {arr.dtype}")
        nbytes = arr.size * arr.dtype.itemsize
        pad = (-self.size) % _ALIGN
        if not self.dry:
            le = arr.dtype.newbyteorder("<")
            data = np.ascontiguousarray(arr._numpy()).astype(le, copy=False).tobytes(order="C")
            assert len(data) == nbytes
            self.chunks.append(b"\0" * pad)
            self.chunks.append(data)
        self.size += pad
        ref = {"offset": self.size, "nbytes": nbytes, "shape": list(arr.shape), "dtype": arr.dtype.name,
               "weak": bool(arr.weak_type)}
        self.size += nbytes
        self.seen[id(arr)] = ref
        return ref


def _aval_json(a: ShapedArray) -> dict[str, Any]:
    return {"shape": list(a.shape), "dtype": a.dtype.name, "weak": bool(a.weak_type)}


def _literal_json(lit: Literal) -> dict[str, Any]:
    val = lit.val
    dt = val.dtype
    one = val._numpy().reshape(-1)[:1] if val.size else np.zeros(1, dt)
    raw = np.asarray(one, dtype=dt.newbyteorder("<")).tobytes()
    return {"lit": {"shape": list(val.shape), "dtype": dt.name, "weak": bool(val.weak_type), "hex": raw.hex()}}


def _encode_program(p: Program, buf: _BufferWriter, depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise TypeError(f"export: sub-programs nested deeper than {_MAX_DEPTH} levels")
    index: dict[int, int] = {}

    def define(v: Var) -> None:
        index[id(v)] = len(index)

    def atom(a: Atom, where: str) -> Any:
        if isinstance(a, Literal):
            return _literal_json(a)
        i = index.get(id(a))
        if i is None:
            raise TypeError(f"export: {where} uses a variable {a!r} that is not defined in its program "
                            "(sub-programs must be closed)")
        return i

    for v in p.invars:
        define(v)
    consts = []
    for v, c in zip(p.constvars, p.consts):
        if not isinstance(c, Array):
            raise TypeError(f"export: a program constant is a {type(c).__name__}, not an Array")
        consts.append(buf.add(c))
        define(v)
    eqns = []
    for k, e in enumerate(p.eqns):
        name = e.prim.name
        if core.PRIMITIVES.get(name) is not e.prim:
            raise TypeError(f"export: primitive {name!r} is not registered in core.PRIMITIVES, "
                            "so a loader could not find it")
        where = f"equation {k} ({name})"
        ins = [atom(a, where) for a in e.inputs]
        # a list of [name, value] pairs keeps the params' order (the JSON keys are sorted)
        params = [[pk, _encode_param(pv, buf, f"{where} param {pk!r}", depth + 1)] for pk, pv in e.params.items()]
        for v in e.outvars:
            define(v)
        eqns.append({"prim": name, "in": ins, "params": params, "out": [_aval_json(v.aval) for v in e.outvars]})
    outs = [atom(a, "the program outputs") for a in p.outs]
    return {"invars": [_aval_json(v.aval) for v in p.invars], "consts": consts, "eqns": eqns, "outs": outs}


def _encode_param(v: Any, buf: _BufferWriter, where: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise TypeError(f"export: {where} is nested deeper than {_MAX_DEPTH} levels")
    if v is None:
        return {"t": "none"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        if not -_INT_LIMIT <= v < _INT_LIMIT:
            raise TypeError(f"export: {where} = {v} does not fit in 64 bits")
        return {"t": "int", "v": int(v)}
    if isinstance(v, float):
        return {"t": "float", "v": float(v).hex()}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, np.dtype):
        if v.name not in _DTYPE_NAMES or _DTYPE_NAMES[v.name] != v:
            raise TypeError(f"export: {where} is the unsupported dtype {v}")
        return {"t": "dtype", "v": v.name}
    if isinstance(v, Program):
        return {"t": "program", "v": _encode_program(v, buf, depth + 1)}
    if type(v) is tuple:
        return {"t": "tuple", "v": [_encode_param(x, buf, where, depth + 1) for x in v]}
    raise TypeError(
        f"export: {where} is a {type(v).__name__} ({_short(v)}); exportable params are None, bool, int, "
        "float, str, dtype, Program and tuples of those"
    )


def _serialize(e: Exported) -> bytes:
    buf = _BufferWriter()
    program = _encode_program(e.program, buf, 0)
    header = {
        "format": "functorch_lite.export",
        "producer": _PRODUCER,
        "name": e.fun_name,
        "in_tree": _tree_to_json(e.in_tree, "the arguments"),
        "out_tree": _tree_to_json(e.out_tree, "the outputs"),
        "out_avals": [_aval_json(a) for a in e.out_avals],
        "program": program,
    }
    return _pack(header, b"".join(buf.chunks))


def _pack(header: Any, buffers: bytes | memoryview, version: int = FORMAT_VERSION) -> bytes:
    """Assemble a container (also used by the tests to build hostile files)."""
    return container.pack(_FORMAT, header, buffers, version)


# =====================================================================================
# load
# =====================================================================================


def load(source: str | os.PathLike[str] | bytes | bytearray | memoryview, *,
         max_elements: int = DEFAULT_MAX_ELEMENTS, max_bytes: int = DEFAULT_MAX_BYTES,
         max_steps: int | None = None, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> Exported:
    """Load an export from a path or from bytes, validating all of it.

    Raises :class:`ExportFormatError` (a ``ValueError``) for anything that is
    not a well-formed, self-consistent export of a supported version, and
    :class:`ExportLimitError` (a subclass) when the file exceeds a limit:
    the JSON header may hold ``max_header_bytes``; the buffer section, all
    constant data together and each array the program declares may hold
    ``max_bytes`` (all checked before anything is allocated); any array may
    hold ``max_elements`` elements.  With ``max_steps``, each run of a loop
    in the loaded program may take at most that many iterations (running it
    raises :class:`LoopLimitError` beyond).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> data = fl.export.export(jnp.cumsum, jnp.ones(4, dtype="int32")).serialize()
        >>> fl.export.load(data)(jnp.arange(4, dtype="int32")).tolist()
        [0, 1, 3, 6]
        >>> try:
        ...     fl.export.load(data, max_header_bytes=100)
        ... except fl.export.ExportLimitError as e:
        ...     print(str(e).split(", ")[1].split(" (")[0])
        more than max_header_bytes=100
    """
    lim = _Limits(max_elements, max_bytes, max_header_bytes, max_steps)
    data = container.read_source(_FORMAT, source, lim)
    return _deserialize(data, lim)


def deserialize(data: bytes, *, max_elements: int = DEFAULT_MAX_ELEMENTS, max_bytes: int = DEFAULT_MAX_BYTES,
                max_steps: int | None = None, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> Exported:
    """Like :func:`load`, from bytes.

    Example:
        >>> try:
        ...     deserialize(MAGIC + b"\\x01")
        ... except ExportFormatError as e:
        ...     print(e)
        not a functorch_lite export: 9 bytes is shorter than the 60-byte minimum (empty or truncated file)
    """
    return load(data, max_elements=max_elements, max_bytes=max_bytes, max_steps=max_steps,
                max_header_bytes=max_header_bytes)


def _deserialize(data: bytes, lim: _Limits) -> Exported:
    header, buffers = _unpack(data, lim)
    try:
        exp = _decode(header, buffers, lim)
    except RecursionError:
        raise ExportFormatError("the export header is nested too deeply") from None
    if lim.max_steps is not None:
        exp._run_program = _with_loop_budget(exp.program, lim.max_steps)
    return exp


def _unpack(data: bytes, lim: _Limits | None = None) -> tuple[Any, memoryview]:
    """Check the container (magic, version, lengths, limits, checksum) and
    parse the JSON header; the buffer section comes back as a read-only view."""
    return container.unpack(_FORMAT, data, lim or _Limits())


_short = container.short


_V = container.Validator(ExportFormatError)
_obj, _list, _int, _bool, _str, _dtype = _V.obj, _V.items, _V.integer, _V.boolean, _V.string, _V.dtype


class _Limits(container.Limits):
    """The resource limits of one load (the container's, plus a loop step budget)."""

    def __init__(self, max_elements: int = DEFAULT_MAX_ELEMENTS, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES, max_steps: int | None = None) -> None:
        super().__init__(_FORMAT, max_elements, max_bytes, max_header_bytes)
        self.max_steps = None if max_steps is None else container.limit_arg(max_steps, "max_steps", 0)


def _shape(x: Any, where: str, lim: _Limits) -> tuple[int, ...]:
    dims = _list(x, f"{where} shape")
    if len(dims) > _MAX_NDIM:
        raise ExportFormatError(f"{where}: {len(dims)} dimensions, more than the {_MAX_NDIM} allowed")
    out = []
    total = 1
    for d in dims:
        di = _int(d, f"{where} shape", 0, lim.max_elements)
        total *= di
        out.append(di)
    if total > lim.max_elements:
        raise ExportLimitError(
            f"{where}: shape {tuple(out)} has {total} elements, more than the limit of {lim.max_elements} "
            "(pass a larger max_elements to load if this file is trusted)"
        )
    return tuple(out)


def _check_size(a: ShapedArray, where: str, lim: _Limits) -> None:
    """Check an abstract value computed by a shape rule (its dtype, dims and size)."""
    dt = a.dtype
    if not isinstance(dt, np.dtype) or _DTYPE_NAMES.get(dt.name) != dt:
        raise ExportFormatError(f"{where}: the shape rule produced the unsupported dtype {_short(dt)}")
    if not isinstance(a.shape, tuple) or len(a.shape) > _MAX_NDIM:
        raise ExportFormatError(f"{where}: the shape rule produced the bad shape {_short(a.shape)}")
    for d in a.shape:
        if type(d) is not int or d < 0:
            raise ExportFormatError(f"{where}: bad dimension {_short(d)} in {_short(a.shape)}")
    lim.check_array(a.shape, dt, where)


def _aval(x: Any, where: str, lim: _Limits) -> ShapedArray:
    o = _obj(x, where, ("shape", "dtype", "weak"))
    shape = _shape(o["shape"], where, lim)
    dt = _dtype(o["dtype"], where)
    lim.check_array(shape, dt, where)
    return ShapedArray(shape, dt, _bool(o["weak"], where))


def _same_aval(a: ShapedArray, b: ShapedArray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.weak_type == b.weak_type


def _check_bools(arr: np.ndarray[Any, Any], where: str) -> None:
    if arr.dtype == np.bool_ and arr.size and int(arr.view(np.uint8).max()) > 1:
        raise ExportFormatError(f"{where}: boolean data holds bytes other than 0 and 1")


def _decode_literal(x: Any, where: str, lim: _Limits) -> Literal:
    o = _obj(x, where, ("shape", "dtype", "weak", "hex"))
    shape = _shape(o["shape"], where, lim)
    dt = _dtype(o["dtype"], where)
    weak = _bool(o["weak"], where)
    h = _str(o["hex"], where)
    if len(h) != 2 * dt.itemsize:
        raise ExportFormatError(f"{where}: a {dt.name} literal needs {dt.itemsize} bytes, got {len(h) / 2:g}")
    try:
        raw = bytes.fromhex(h)
    except ValueError:
        raise ExportFormatError(f"{where}: literal bytes are not valid hex") from None
    if len(raw) != dt.itemsize:
        raise ExportFormatError(f"{where}: a {dt.name} literal needs {dt.itemsize} bytes, got {len(raw)}")
    lim.charge(dt.itemsize, where)
    one = np.frombuffer(raw, dtype=dt.newbyteorder("<")).astype(dt)
    _check_bools(one, where)
    # one stored element, broadcast to the literal's shape by zero strides
    return Literal(Array(Storage(one), shape, (0,) * len(shape), 0, weak))


def _decode_const(x: Any, where: str, buffers: memoryview, lim: _Limits) -> Array:
    o = _obj(x, where, ("offset", "nbytes", "shape", "dtype", "weak"))
    shape = _shape(o["shape"], where, lim)
    dt = _dtype(o["dtype"], where)
    weak = _bool(o["weak"], where)
    off = _int(o["offset"], f"{where} offset", 0)
    nbytes = _int(o["nbytes"], f"{where} nbytes", 0)
    count = 1
    for d in shape:
        count *= d
    if nbytes != count * dt.itemsize:
        raise ExportFormatError(
            f"{where}: nbytes {nbytes} does not match shape {shape} x {dt.itemsize}-byte {dt.name} "
            f"= {count * dt.itemsize}"
        )
    if off + nbytes > len(buffers):
        raise ExportFormatError(
            f"{where}: bytes [{off}, {off + nbytes}) lie outside the {len(buffers)}-byte buffer section"
        )
    lim.charge(nbytes, where)  # before the copy below allocates them
    flat = np.frombuffer(buffers, dtype=dt.newbyteorder("<"), count=count, offset=off).astype(dt) if count \
        else np.zeros(0, dt)
    _check_bools(flat, where)
    return Array(Storage(flat), shape, contiguous_strides(shape), 0, weak)


def _decode(header: Any, buffers: memoryview, lim: _Limits) -> Exported:
    h = _obj(header, "export header", ("format", "producer", "name", "in_tree", "out_tree", "out_avals", "program"))
    if h["format"] != "functorch_lite.export":
        raise ExportFormatError(f"export header: format is {_short(h['format'])}, not 'functorch_lite.export'")
    _str(h["producer"], "export header producer")
    name = _str(h["name"], "export header name")
    program = _decode_program(h["program"], "program", buffers, lim, 0)
    in_tree = _tree_from_json(h["in_tree"], "in_tree", 0)
    out_tree = _tree_from_json(h["out_tree"], "out_tree", 0)
    if in_tree.num_leaves != len(program.invars):
        raise ExportFormatError(f"in_tree has {in_tree.num_leaves} leaves but the program takes "
                                f"{len(program.invars)} inputs")
    if out_tree.num_leaves != len(program.outs):
        raise ExportFormatError(f"out_tree has {out_tree.num_leaves} leaves but the program returns "
                                f"{len(program.outs)} outputs")
    declared = [_aval(a, f"out_avals[{i}]", lim) for i, a in enumerate(_list(h["out_avals"], "out_avals"))]
    actual = program.out_avals
    if len(declared) != len(actual) or not all(_same_aval(a, b) for a, b in zip(declared, actual)):
        raise ExportFormatError(
            f"out_avals {[a.str_short() for a in declared]} do not match the program's outputs "
            f"{[a.str_short() for a in actual]}"
        )
    return Exported(program, in_tree, out_tree, name)


# primitives declared by functorch_lite.distributed (above this module), named for a clear error
# when a program using them is loaded before that package is imported
_COLLECTIVES = frozenset({"all_reduce", "reduce", "broadcast", "all_gather", "reduce_scatter", "send", "recv"})


def _decode_program(x: Any, where: str, buffers: memoryview, lim: _Limits, depth: int) -> Program:
    if depth > _MAX_DEPTH:
        raise ExportFormatError(f"{where}: programs nested deeper than {_MAX_DEPTH} levels")
    o = _obj(x, where, ("invars", "consts", "eqns", "outs"))
    env: list[Var] = []
    invars = []
    for i, a in enumerate(_list(o["invars"], f"{where} invars")):
        v = Var(_aval(a, f"{where} input {i}", lim))
        invars.append(v)
        env.append(v)
    constvars, consts = [], []
    for i, c in enumerate(_list(o["consts"], f"{where} consts")):
        arr = _decode_const(c, f"{where} constant {i}", buffers, lim)
        v = Var(ShapedArray(arr.shape, arr.dtype, arr.weak_type))
        constvars.append(v)
        consts.append(arr)
        env.append(v)

    def atom(a: Any, w: str) -> Atom:
        if type(a) is int:
            if not 0 <= a < len(env):
                raise ExportFormatError(
                    f"{w} refers to variable {a}, but only variables 0..{len(env) - 1} are defined at that "
                    "point (variables are numbered in definition order; no use before definition)"
                )
            return env[a]
        if isinstance(a, dict) and set(a) == {"lit"}:
            return _decode_literal(a["lit"], f"{w} literal", lim)
        raise ExportFormatError(f"{w}: an operand must be a variable number or {{\"lit\": ...}}, got {_short(a)}")

    eqns = []
    for k, e in enumerate(_list(o["eqns"], f"{where} eqns")):
        eo = _obj(e, f"{where} equation {k}", ("prim", "in", "params", "out"))
        pname = _str(eo["prim"], f"{where} equation {k} prim")
        w = f"{where} equation {k} ({_short(pname)})"
        prim = core.PRIMITIVES.get(pname)
        if prim is None:
            if pname in _COLLECTIVES:
                raise ExportFormatError(
                    f"{w}: the program contains the collective {pname!r}, which needs an initialised communicator: "
                    "import functorch_lite.distributed and call distributed.init() in every process before loading it"
                )
            raise ExportFormatError(
                f"{w}: unknown primitive {pname!r} (not one of this library's {len(core.PRIMITIVES)} primitives; "
                "the file may come from a newer version)"
            )
        if prim.impl is None or prim.abstract_eval is None:
            raise ExportFormatError(f"{w}: primitive {pname!r} cannot run from a file (no impl/shape rule)")
        ins = [atom(a, f"{w} input {i}") for i, a in enumerate(_list(eo["in"], f"{w} inputs"))]
        params: dict[str, Any] = {}
        for item in _list(eo["params"], f"{w} params"):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ExportFormatError(f"{w}: each param must be a [name, value] pair, got {_short(item)}")
            pk, pv = item
            if not pk.isidentifier() or len(pk) > 100 or pk in params:
                raise ExportFormatError(f"{w}: bad or repeated param name {_short(pk)}")
            params[pk] = _decode_param(pv, f"{w} param {pk!r}", buffers, lim, depth + 1)
        declared = [_aval(a, f"{w} output {i}", lim) for i, a in enumerate(_list(eo["out"], f"{w} outputs"))]
        _check_params(prim, params, len(ins), w)
        _check_subprograms(prim, [a.aval for a in ins], params, w)
        try:
            res = prim.abstract_eval(*[a.aval for a in ins], **params)
        except RecursionError:
            raise
        except Exception as err:  # the shape rule rejected the operands/params: a bad file
            raise ExportFormatError(f"{w}: the shape rule rejects this equation: {type(err).__name__}: {err}") \
                from None
        got = list(res) if prim.multiple_results else [res]
        if not all(isinstance(g, ShapedArray) for g in got):
            raise ExportFormatError(f"{w}: the shape rule returned {_short(res)}, not abstract values")
        for i, g in enumerate(got):
            _check_size(g, f"{w} output {i}", lim)
        if len(got) != len(declared) or not all(_same_aval(a, b) for a, b in zip(got, declared)):
            raise ExportFormatError(
                f"{w}: declared outputs {[a.str_short() for a in declared]} do not match what the shape rule "
                f"computes from the inputs: {[g.str_short() for g in got]}"
                + ("" if all(a.weak_type == b.weak_type for a, b in zip(got, declared)) else " (weak types differ)")
            )
        outvars = [Var(a) for a in declared]
        env.extend(outvars)
        eqns.append(Eqn(prim, ins, params, outvars))
    outs = [atom(a, f"{where} output {i}") for i, a in enumerate(_list(o["outs"], f"{where} outs"))]
    return Program(invars, constvars, consts, eqns, outs)


def _decode_param(x: Any, where: str, buffers: memoryview, lim: _Limits, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ExportFormatError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(x, dict) or "t" not in x:
        raise ExportFormatError(f"{where}: a param must be a tagged object {{\"t\": ..., \"v\": ...}}, got {_short(x)}")
    t = x["t"]
    if t == "none":
        _obj(x, where, ("t",))
        return None
    o = _obj(x, where, ("t", "v"))
    v = o["v"]
    if t == "bool":
        return _bool(v, where)
    if t == "int":
        return _int(v, where)
    if t == "float":
        s = _str(v, where)
        try:
            return float.fromhex(s)
        except (ValueError, OverflowError):
            raise ExportFormatError(f"{where}: {_short(s)} is not a hex float") from None
    if t == "str":
        return _str(v, where)
    if t == "dtype":
        return _dtype(v, where)
    if t == "tuple":
        return tuple(_decode_param(i, where, buffers, lim, depth + 1) for i in _list(v, where))
    if t == "program":
        return _decode_program(v, f"{where} sub-program", buffers, lim, depth + 1)
    raise ExportFormatError(
        f"{where}: unsupported param type tag {_short(t)}; "
        "supported: none, bool, int, float, str, dtype, tuple, program"
    )


# --- sub-program signatures ---------------------------------------------------------------
#
# A control-flow primitive runs its sub-programs on (some of) its operands.  Each
# sub-program was checked on its own declared inputs; the primitive's
# ``subprogram_inputs`` row (beside it, in transforms/control_flow.py) says what it
# will actually pass them, so a hostile file cannot declare one shape and be fed
# another.  A primitive carrying sub-programs without such a row is refused.


def _iter_programs(v: Any) -> list[Program]:
    if isinstance(v, Program):
        return [v]
    if isinstance(v, tuple):
        return [p for x in v for p in _iter_programs(x)]
    return []


def _check_subprograms(prim: Primitive, ins: list[ShapedArray], params: dict[str, Any], w: str) -> None:
    if not any(_iter_programs(v) for v in params.values()):
        return
    rule = subprogram_inputs.get(prim)
    if rule is None:
        raise ExportFormatError(
            f"{w}: primitive {prim.name!r} carries sub-programs, but export does not know which operands feed "
            "them, so it cannot check them (give the primitive a row in ops.tables.subprogram_inputs)"
        )
    try:
        pairs = rule(ins, params)
    except (KeyError, TypeError, ValueError) as err:
        raise ExportFormatError(f"{w}: bad control-flow params: {type(err).__name__}: {err}") from None
    for label, prog, expected in pairs:
        declared = prog.in_avals
        if len(declared) != len(expected) or any(
            a.shape != b.shape or a.dtype != b.dtype for a, b in zip(declared, expected)
        ):
            raise ExportFormatError(
                f"{w}: {label} declares inputs {[a.str_short() for a in declared]} but the primitive passes it "
                f"{[a.str_short() for a in expected]}"
            )


# --- param types ------------------------------------------------------------------------------
#
# An allow-list: each primitive's ``param_types`` row (beside it in ops/, specs
# from ops/params.py) names the params it takes and the type each must have.
# The generic decoder has already checked the JSON tags; this checks that nothing
# of a wrong type reaches a shape rule or a kernel.  A primitive without a row
# takes no params.  tests/test_export_safety.py checks the rows against every
# primitive's shape-rule signature, so a new param cannot be forgotten.


def _check_params(prim: Primitive, params: dict[str, Any], n_inputs: int, w: str) -> None:
    """Check an equation's params against the allow-list of its primitive."""
    expected: dict[str, ParamSpec] = param_types.get(prim) or {}
    unknown = sorted(set(params) - set(expected))
    if unknown:
        raise ExportFormatError(
            f"{w}: unexpected param(s) {unknown} (primitive {prim.name!r} takes "
            f"{sorted(expected) if expected else 'no params'})"
        )
    for key, spec in expected.items():
        if key not in params:
            if spec.required:
                raise ExportFormatError(f"{w}: missing param {key!r} ({spec.what})")
            continue
        v = params[key]
        if not spec.ok(v):
            raise ExportFormatError(f"{w}: param {key!r} must be {spec.what}, got {_short(v)}")
    check = param_checks.get(prim)
    if check is not None:
        try:
            check(params, n_inputs)
        except ValueError as e:
            raise ExportFormatError(f"{w}: {e}") from None


def _check_program_params(p: Program, depth: int = 0) -> None:
    """:func:`_check_params` over a whole in-memory program and its sub-programs."""
    for k, e in enumerate(p.eqns):
        w = f"equation {k} ({e.prim.name})" + (f" of a sub-program at depth {depth}" if depth else "")
        _check_params(e.prim, e.params, len(e.inputs), w)
        for v in e.params.values():
            for sub in _iter_programs(v):
                _check_program_params(sub, depth + 1)


def _param_names(prim: Primitive) -> tuple[set[str], set[str]]:
    """The keyword params of a primitive's shape rule: (all, those with defaults)
    (used by the tests to keep the ``param_types`` rows complete)."""
    if prim.abstract_eval is None:
        return set(), set()
    sig = inspect.signature(prim.abstract_eval)
    kw = [q for q in sig.parameters.values() if q.kind is inspect.Parameter.KEYWORD_ONLY]
    return {q.name for q in kw}, {q.name for q in kw if q.default is not inspect.Parameter.empty}


# --- loop step budget -------------------------------------------------------------------------
#
# With load(..., max_steps=n) the program that runs is a copy whose while/scan
# equations (sub-programs included) carry the param max_steps=n: their impls
# count iterations, and their jvp, transpose and batch rules pass the param on
# to the loops they build, so the budget holds under jit, vmap and grad.  The
# count is per run of a loop, so nested loops may run up to n**depth steps.


def _with_loop_budget(program: Program, max_steps: int) -> Program:
    loops = (cf.while_p, cf.scan_p)

    def param(v: Any) -> Any:
        if isinstance(v, Program):
            return rewrite(v)
        if type(v) is tuple:
            return tuple(param(x) for x in v)
        return v

    def rewrite(p: Program) -> Program:
        eqns = []
        for e in p.eqns:
            params = {k: param(v) for k, v in e.params.items()}
            if e.prim in loops:
                params["max_steps"] = max_steps
            eqns.append(Eqn(e.prim, e.inputs, params, e.outvars))
        return Program(p.invars, p.constvars, p.consts, eqns, p.outs)

    return rewrite(program)
