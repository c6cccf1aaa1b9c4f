"""The public modules declare their namespace with ``__all__``, and it holds
only the API: no module imported for the implementation (``np``, ``math``),
no ``typing`` object (``Any``, ``TypeVar``s), no name that does not exist.

``__all__`` is what ``from m import *`` gives and what type checkers treat as
exported (under ``mypy --strict`` an imported name outside ``__all__`` is not
an attribute of the module), so this is the check that implementation
imports do not leak into the API.  A subpackage of the module itself
(``functorch_lite.numpy.linalg`` in ``functorch_lite.numpy``) is API.
"""

from __future__ import annotations

import importlib
import types
import typing

import pytest

PUBLIC_MODULES = [
    "functorch_lite",
    "functorch_lite.numpy",
    "functorch_lite.numpy.linalg",
    "functorch_lite.numpy.fft",
    "functorch_lite.lax",
    "functorch_lite.lax.linalg",
    "functorch_lite.random",
    "functorch_lite.nn",
    "functorch_lite.nn.functional",
    "functorch_lite.nn.initializers",
    "functorch_lite.scipy",
    "functorch_lite.scipy.special",
    "functorch_lite.scipy.stats",
    "functorch_lite.scipy.linalg",
    "functorch_lite.tree",
    "functorch_lite.tree_util",
    "functorch_lite.optimizers",
    "functorch_lite.optim",
]

# JAX's public type aliases for key paths (jax.tree_util.KeyEntry, KeyPath)
TYPE_ALIASES = {"KeyEntry", "KeyPath"}


def _is_typing_object(obj: object) -> bool:
    if obj is typing.Any or isinstance(obj, (typing.TypeVar, typing.ParamSpec)):
        return True
    module = getattr(obj, "__module__", None)
    if module in ("typing", "typing_extensions", "collections.abc", "abc"):
        return True
    return isinstance(obj, types.GenericAlias)  # tuple[Any, ...] and the like


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_module_declares_all(name: str) -> None:
    mod = importlib.import_module(name)
    assert isinstance(getattr(mod, "__all__", None), list), f"{name} has no __all__ list"
    problems = []
    for n in mod.__all__:
        try:
            obj = getattr(mod, n)
        except AttributeError:
            problems.append(f"{n}: listed but not defined")
            continue
        if isinstance(obj, types.ModuleType) and obj.__name__ != f"{name}.{n}":
            problems.append(f"{n}: the module {obj.__name__}, not a subpackage of {name}")
        if n not in TYPE_ALIASES and _is_typing_object(obj):
            problems.append(f"{n}: a typing object ({obj!r})")
    assert not problems, f"{name}.__all__: " + "; ".join(problems)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_star_import_gives_only_the_api(name: str) -> None:
    ns: dict[str, object] = {}
    exec(f"from {name} import *", ns)  # noqa: S102 - the import statement under test
    ns.pop("__builtins__", None)
    leaked = sorted(n for n, v in ns.items() if n not in TYPE_ALIASES and (
        _is_typing_object(v) or (isinstance(v, types.ModuleType) and not v.__name__.startswith("functorch_lite."))))
    assert not leaked, f"from {name} import * brings in {leaked}"


def test_numpy_all_lists_every_function() -> None:
    # functorch_lite.numpy is assembled from its private modules' __all__s: a
    # function added to one of them is public, a function defined elsewhere
    # must be added by name
    import functorch_lite.numpy as jnp

    public = {n for n, v in vars(jnp).items() if not n.startswith("_") and callable(v)
              and not isinstance(v, type) and getattr(v, "__module__", "").startswith("functorch_lite.numpy")}
    missing = sorted(public - set(jnp.__all__))
    assert not missing, f"functions of functorch_lite.numpy missing from its __all__: {missing}"


def test_top_level_has_no_implementation_names() -> None:
    import functorch_lite as fl

    assert not hasattr(fl, "importlib") and not hasattr(fl, "Any")


FACADES = [m for m in PUBLIC_MODULES if m not in ("functorch_lite", "functorch_lite.nn", "functorch_lite.scipy",
                                                  "functorch_lite.optim", "functorch_lite.lax")]


@pytest.mark.parametrize("name", FACADES + ["functorch_lite.func", "functorch_lite.autograd"])
def test_public_module_has_no_other_public_attribute(name: str) -> None:
    # the facades (DESIGN.md, Conventions): nothing public but __all__ -- no `jnp.linalg.np`,
    # no `random.Any`; a subpackage of the module itself is API
    mod = importlib.import_module(name)
    extra = [n for n in dir(mod) if not n.startswith("_") and n not in mod.__all__
             and not (isinstance(getattr(mod, n), types.ModuleType)
                      and getattr(mod, n).__name__.startswith(name + "."))]
    assert not extra, f"{name} has public attributes outside __all__: {extra}"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_lists_each_name_once(name: str) -> None:
    names = importlib.import_module(name).__all__
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
