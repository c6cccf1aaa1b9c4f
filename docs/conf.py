"""Sphinx configuration for the functorch_lite documentation.

Build (warnings are errors, output outside the repository)::

    python3 -m sphinx -W -b html docs /tmp/functorch_lite_docs

``tests/test_docs.py`` runs that build and every ```python block of every
page; ``docs/README.md`` gives the convention the pages follow.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import types
from typing import Any

from docutils import nodes  # type: ignore[import-untyped]
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# the package from this checkout, whether or not it is installed
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import functorch_lite  # noqa: E402

project = "functorch_lite"
author = "functorch_lite contributors"
copyright = "the functorch_lite contributors"  # noqa: A001 (Sphinx's name)
release = functorch_lite.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# README.md describes the conventions of this folder; it is not a page
exclude_patterns = ["_build", "README.md", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "alabaster"
# the figures in _static/ are images of the pages, which Sphinx copies itself
html_title = "functorch_lite"

# the docstrings write "Example:" sections (Google style) with doctests under them
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

# no warning is suppressed: a docstring whose markup breaks the build is fixed in the docstring
suppress_warnings: list[str] = []


def public_names(module: types.ModuleType) -> list[str]:
    """The names a module offers: its ``__all__``, else what ``dir`` shows
    without underscores, submodules and ``__future__`` features."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    keep = []
    for n in names:
        obj = getattr(module, n, None)
        if isinstance(obj, types.ModuleType) or type(obj).__name__ == "_Feature":
            continue
        keep.append(n)
    return keep


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _first_paragraph(obj: Any) -> str:
    # the whole first paragraph, never a cut sentence: inline markup cannot span paragraphs, so
    # the summary is valid reStructuredText whatever the docstring's first sentence holds
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n", 1)[0].strip()
    # "text::" introduces a literal block that the summary leaves out; "text:" is what it means
    return first[:-1] if first.endswith("::") else first


def _canonical(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


# canonical names of the classes described so far in this build (reset when a build starts; the
# reason the extension declares itself not parallel-safe)
_DOCUMENTED_CLASSES: set[str] = set()


def _reset_documented(app: Sphinx) -> None:
    _DOCUMENTED_CLASSES.clear()


class PublicAPI(SphinxDirective):
    """``{fl-api} module``: a summary table (each name with its docstring's
    first paragraph), then every public function,
    class and constant of ``module`` with its docstring.

    Options: ``:members: Class, ...`` documents those classes with their
    members; ``:skip: name, ...`` leaves names out.  A class already
    documented on an earlier page (under any name) is listed with
    ``:no-index:``, so that Sphinx sees one description per object; a second
    name for an object on the same page, and objects that are NumPy's own
    (re-exported unchanged), are named in a sentence instead."""

    required_arguments = 1
    option_spec = {
        "members": lambda s: [w.strip() for w in s.split(",") if w.strip()],
        "skip": lambda s: [w.strip() for w in s.split(",") if w.strip()],
    }

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        module = importlib.import_module(modname)
        with_members = set(self.options.get("members", []))
        skip = set(self.options.get("skip", []))
        documented = _DOCUMENTED_CLASSES
        names: list[str] = []
        aliases: list[tuple[str, str]] = []
        foreign: list[tuple[str, str]] = []
        first_name: dict[int, str] = {}
        for n in public_names(module):
            if n in skip:
                continue
            obj = getattr(module, n)
            origin = str(getattr(obj, "__module__", "functorch_lite"))
            if not origin.startswith("functorch_lite"):
                foreign.append((n, origin))
            elif _kind(obj) != "data" and id(obj) in first_name:
                aliases.append((n, first_name[id(obj)]))
            else:
                first_name.setdefault(id(obj), n)
                names.append(n)
        lines = [f".. currentmodule:: {modname}", "", ".. list-table::", "   :widths: 30 70", ""]
        for n in names:
            obj = getattr(module, n)
            role = {"class": "class", "function": "func", "data": "data"}[_kind(obj)]
            summary = _first_paragraph(obj) if _kind(obj) != "data" else repr(obj)
            summary_lines = summary.splitlines() or [""]
            lines.append(f"   * - :{role}:`{n}`")
            lines.append(f"     - {summary_lines[0]}")
            lines += [f"       {line}" for line in summary_lines[1:]]
        lines.append("")
        if aliases:
            said = ", ".join(f"``{a}`` is :obj:`{b}`" for a, b in aliases)
            lines += [f"Other names: {said}.", ""]
        if foreign:
            said = ", ".join(f"``{a}`` (``{origin}``'s own)" for a, origin in foreign)
            lines += [f"Re-exported unchanged: {said}.", ""]
        for n in names:
            obj = getattr(module, n)
            kind = _kind(obj)
            if kind == "data":
                # a constant's docstring would be its type's ("Convert a string or number to a
                # floating point number..."): describe it by its value instead
                lines += [f".. py:data:: {n}", f"   :value: {obj!r}", ""]
                continue
            lines.append(f".. auto{kind}:: {modname}.{n}")
            if kind == "class":
                if n in with_members:
                    lines += ["   :members:", "   :inherited-members:"]
                if _canonical(obj) in documented:
                    lines.append("   :no-index:")
                documented.add(_canonical(obj))
            lines.append("")
        # the pages are MyST Markdown, autodoc writes reStructuredText: hand it over in eval-rst
        fence = "`" * 5
        return self.parse_text_to_nodes("\n".join([fence + "{eval-rst}", *lines, fence]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("fl-api", PublicAPI)
    app.connect("builder-inited", _reset_documented)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
