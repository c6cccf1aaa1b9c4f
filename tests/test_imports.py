
"""Imports point one way (DESIGN.md, "Layers").

The test reads every module of the package with ``ast`` (nothing is
imported), builds the graph of imports between the package's modules and
fails on:

- an import from a lower layer to a higher one (``LAYERS`` mirrors the
  diagram in DESIGN.md; module-level and in-function imports alike);
- a cycle among module-level imports;
- an import inside a function body that ``IN_FUNCTION_ALLOWED`` does not
  list with its reason, or whose line has no comment saying why; an entry
  that no longer matches an import fails too, so the list only shrinks.

An in-function import listed as "cycle, to break" may point up (that is the
cycle); the list is the remaining debt.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import functorch_lite

PACKAGE = "functorch_lite"
ROOT = Path(functorch_lite.__file__).parent

# Module-name prefix -> layer (higher number = higher layer); the longest
# matching prefix wins.  A module may import from its own layer or below.
# The numbered gaps order the modules of ``numpy/`` among themselves: each
# builds on the ones listed before it.
_NUMPY_ORDER = ("_util", "_manipulation", "_pad_modes", "_elementwise", "_creation", "_reductions",
                "_indexing", "_sorting", "_linalg", "_rearrange", "_linalg_api", "linalg", "_scalar_types",
                "_methods")
LAYERS: dict[str, int] = {
    "functorch_lite.dtypes": 0,
    "functorch_lite.container": 0,
    "functorch_lite.device": 0,
    "functorch_lite.tree": 0,
    "functorch_lite._tree_impl": 0,
    "functorch_lite.tree_util": 0,
    "functorch_lite.array": 0,
    "functorch_lite.core": 0,
    "functorch_lite.ops.kernels": 10,
    "functorch_lite.ops": 20,
    **{f"functorch_lite.numpy.{m}": 30 + i for i, m in enumerate(_NUMPY_ORDER)},
    "functorch_lite.numpy": 30 + len(_NUMPY_ORDER),  # the package: re-exports
    "functorch_lite.random": 50,  # the public face of _random_impl
    "functorch_lite._random_impl": 50,
    "functorch_lite.errors": 50,  # gathers the exceptions of core/array/numpy (jax.errors)
    "functorch_lite.optimizers": 50,
    "functorch_lite._optimizers_impl": 50,
    "functorch_lite.placement": 50,
    "functorch_lite.scipy": 50,
    "functorch_lite.transforms": 60,
    # jit's back end, pass below pass: the IR and rewrite tables, the optimiser, then fusion's
    # passes (partition, describe, schedule, plan, run) and the lowering driver
    "functorch_lite.transforms.ir": 52,
    "functorch_lite.transforms.patterns": 52,
    "functorch_lite.transforms.compiler": 53,
    "functorch_lite.transforms.product_layout": 54,  # fusion's pass 0: rewrites before partitioning
    "functorch_lite.transforms.product_update": 54,
    "functorch_lite.transforms.gather_onehot": 54,
    "functorch_lite.transforms.fusion_partition": 54,
    "functorch_lite.transforms.fusion_group": 55,
    "functorch_lite.transforms.fusion_schedule": 55,
    "functorch_lite.transforms.fusion_plan": 56,
    "functorch_lite.transforms.fusion_runner": 57,
    "functorch_lite.transforms.fusion": 58,
    "functorch_lite.debug": 70,
    "functorch_lite.lax": 70,
    "functorch_lite.test_util": 70,
    "functorch_lite.export": 70,
    "functorch_lite.nn": 75,  # the stateful layer (DESIGN.md), once it lands
    "functorch_lite.optim": 75,
    "functorch_lite._autograd_impl": 75,
    "functorch_lite.autograd": 75,  # the tape's front end (grad, backward, Function)
    "functorch_lite._func_impl": 76,
    "functorch_lite.func": 76,  # torch.func: the transforms for tensors and modules (functional_call)
    "functorch_lite.stateful": 74,  # Tensor, factories, grad modes: below nn/optim, above the functional core
    "functorch_lite.distributed": 79,  # data parallelism: collectives, DDP (uses nn, serialization)
    "functorch_lite.serialization": 78,
    "functorch_lite.safetensors": 78,
    "functorch_lite.demo": 80,
    "functorch_lite": 80,
}

# Reasons an import may stay inside a function body.  Every entry of
# IN_FUNCTION_ALLOWED starts with one of these.
REASON_KINDS = ("optional dependency", "start-up cost", "cycle, to break")

# "importing.module:function -> imported.module": reason.
IN_FUNCTION_ALLOWED: dict[str, str] = {
    "functorch_lite.distributed._comm:_load_mpi -> mpi4py":
        "optional dependency: mpi4py (the mpi extra); importing mpi4py.MPI starts MPI, which only init() may do",
    # Numba (~0.3 s) is imported by the first kernel use, not with the library (ops/kernels/_njit.py)
    "functorch_lite.ops.kernels._njit:ensure_numba -> numba": "start-up cost: Numba, on first kernel use",
    "functorch_lite.ops.kernels.diskcache:_numba -> numba": "start-up cost: Numba, on first kernel use",
    "functorch_lite.ops.kernels.diskcache:environment_key -> llvmlite.binding":
        "start-up cost: llvmlite (with Numba), on first kernel use",
    "functorch_lite.ops.kernels.fastmath:_register -> numba": "start-up cost: Numba's extensions, on first kernel use",
    "functorch_lite.ops.kernels.fastmath:_register -> llvmlite.ir":
        "start-up cost: llvmlite (with Numba), on first kernel use",
    # what `import functorch_lite` does not need, loaded by the first use (tests/test_startup.py)
    "functorch_lite.ops.kernels._njit:_file_hash -> functorch_lite.ops.kernels.diskcache":
        "start-up cost: the kernel disk cache (and its hashlib, json), on first kernel use",
    "functorch_lite.ops.kernels._njit:_StaticEntry.__call__ -> functorch_lite.ops.kernels.diskcache":
        "start-up cost: the kernel disk cache, on first kernel use",
    "functorch_lite.ops.kernels._njit:_build -> functorch_lite.ops.kernels.diskcache":
        "start-up cost: the kernel disk cache, on first kernel use",
    "functorch_lite.ops.kernels.diskcache:_sha256 -> hashlib":
        "start-up cost: hashlib (OpenSSL, ~3 ms), on first kernel use",
    "functorch_lite.ops.kernels.diskcache:parse_manifest -> json": "start-up cost: json, on first kernel use",
    "functorch_lite.ops.kernels.diskcache:Entry.write_manifest -> json": "start-up cost: json, on first kernel use",
    "functorch_lite.ops.kernels.blas_update:_load -> ctypes":
        "start-up cost: ctypes, on the first weight update folded into a product",
    "functorch_lite.container:pack -> hashlib": "start-up cost: hashlib (OpenSSL, ~3 ms), on first save/export",
    "functorch_lite.container:pack -> json": "start-up cost: json, on first save/export",
    "functorch_lite.container:unpack -> hashlib": "start-up cost: hashlib (OpenSSL, ~3 ms), on first load",
    "functorch_lite.container:parse_json -> json": "start-up cost: json, on first load",
    "functorch_lite.safetensors:save -> json": "start-up cost: json, on first save",
    "functorch_lite.debug:_renumber -> string": "start-up cost: string (compiles a regex), on first debug print",
    "functorch_lite.ops.debug:check_format -> string":
        "start-up cost: string (compiles a regex), on first debug print",
    "functorch_lite.transforms.jit:JitFunction._compile -> functorch_lite.transforms.fusion":
        "start-up cost: the fusion back end (code generation, kernel cache), on first jit lowering",
    "functorch_lite.export:Exported.__call__ -> functorch_lite.transforms.fusion":
        "start-up cost: the fusion back end (code generation, kernel cache), on first run",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    function: str | None  # enclosing function (dotted), None at module level
    commented: bool  # the import's line carries a comment (why it is where it is)


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    # ``from pkg import submodule`` imports the submodule.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _edges() -> list[Edge]:
    modules = _modules()
    known = set(modules)
    edges: list[Edge] = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, function: str | None, scope: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    name = getattr(child, "name", "<lambda>")
                    qual = f"{scope}.{name}" if scope else name
                    visit(child, qual, qual)
                elif isinstance(child, ast.ClassDef):
                    qual = f"{scope}.{child.name}" if scope else child.name
                    visit(child, function, qual)
                elif isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(child, module, is_package, known):
                        commented = "#" in lines[child.lineno - 1]
                        edges.append(Edge(module, target, child.lineno, function, commented))
                else:
                    visit(child, function, scope)

        source = path.read_text()
        lines = source.splitlines()
        visit(ast.parse(source, str(path)), None, "")
    return edges


def _placed_by(module: str) -> list[str]:
    # The package's own entry places only its __init__, so a new module
    # must be placed explicitly.
    return [p for p in LAYERS if module == p or (p != PACKAGE and module.startswith(p + "."))]


def _layer(module: str) -> int:
    return LAYERS[max(_placed_by(module), key=len)]


def _key(e: Edge) -> str:
    return f"{e.source}:{e.function} -> {e.target}"


def _internal(edges: list[Edge]) -> list[Edge]:
    return [e for e in edges if e.target == PACKAGE or e.target.startswith(PACKAGE + ".")]


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in _modules() if not _placed_by(m)]
    assert not unplaced, f"place these modules in LAYERS (and DESIGN.md): {unplaced}"


def test_imports_point_down() -> None:
    debt = {k for k, why in IN_FUNCTION_ALLOWED.items() if why.startswith("cycle, to break")}
    upward = [
        f"{e.source}:{e.line} (layer {_layer(e.source)}) imports {e.target} "
        f"(layer {_layer(e.target)})"
        for e in _internal(_edges())
        if e.target != PACKAGE and _layer(e.target) > _layer(e.source) and _key(e) not in debt
    ]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


def test_no_cycle_among_module_level_imports() -> None:
    graph: dict[str, set[str]] = {}
    for e in _internal(_edges()):
        # A package's __init__ only re-exports; ``from pkg import x`` inside
        # the package is not an edge to the facade.
        if e.function is None and e.source != e.target and e.target != PACKAGE:
            graph.setdefault(e.source, set()).add(e.target)
    cycle = _find_cycle(graph)
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle or [])


def test_in_function_imports_are_listed_with_a_reason() -> None:
    found = {_key(e): e for e in _edges() if e.function is not None}
    unlisted = [f"{k}  (line {e.line})" for k, e in sorted(found.items())
                if k not in IN_FUNCTION_ALLOWED]
    assert not unlisted, (
        "move these imports to the top of their module, or list them in "
        "IN_FUNCTION_ALLOWED with their reason:\n" + "\n".join(unlisted))
    stale = sorted(set(IN_FUNCTION_ALLOWED) - set(found))
    assert not stale, f"these allowed in-function imports are gone; drop them: {stale}"
    unexplained = [k for k, why in IN_FUNCTION_ALLOWED.items() if not why.startswith(REASON_KINDS)]
    assert not unexplained, f"each entry's reason starts with one of {REASON_KINDS}: {unexplained}"
    silent = [f"{e.source}:{e.line}" for e in found.values() if not e.commented]
    assert not silent, f"an in-function import carries a comment saying why: {silent}"


def test_the_checks_see_what_they_claim() -> None:
    # Guards against a walker that silently finds nothing.
    edges = _internal(_edges())
    assert any(e.source == "functorch_lite.core" and e.target == "functorch_lite.array"
               and e.function is None for e in edges)
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}}) is None
    assert _layer("functorch_lite.ops.kernels.codegen") < _layer("functorch_lite.ops.shape_ops")
    assert _layer("functorch_lite.numpy._util") < _layer("functorch_lite.numpy._sorting")
    assert _layer("functorch_lite.numpy") < _layer("functorch_lite.transforms.ad")
    assert not _placed_by("functorch_lite.unplaced_module")


def test_test_folders_do_not_shadow_real_packages() -> None:
    """tests/ mirrors the package, but a folder named like a real package
    (``tests/numpy``) would shadow it for any script run from tests/ (the
    bad-input corpus runs its worker that way): such folders get a suffix."""
    import importlib.util

    tests_dir = Path(__file__).resolve().parent
    for sub in tests_dir.iterdir():
        if sub.is_dir() and (sub / "__init__.py").exists():
            assert importlib.util.find_spec(sub.name) is None or sub.name == "tests", (
                f"tests/{sub.name}/ shadows the installed package {sub.name!r}; name it {sub.name}_api/")
