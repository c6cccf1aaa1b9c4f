"""The documentation builds with warnings as errors, and every example in it runs.

Convention (docs/README.md): every fenced ```python block of a page runs, in
page order, in one namespace per page (a later block uses the names of the
earlier ones), in a fresh interpreter with the library's defaults.  A
```text block that follows a ```python block, with only blank lines between,
is that block's printed output, compared exactly (trailing spaces and blank
lines at the end aside).  A block that raises fails the page.  Blocks that
must not run are fenced with another language (```bash, ```console), and a
Python fragment that cannot run on its own is a ```{code-block} python
directive.

``python3 tests/test_docs.py docs/page.md`` runs one page as the test does;
with ``--show`` it prints each block's output instead of comparing it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
# the pages whose examples run: every Markdown page under docs/ (README.md is the folder's notes)
PAGES = sorted(p for p in DOCS.rglob("*.md") if p.name != "README.md" and "_build" not in p.parts)

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


@dataclass
class Block:
    """One fenced block: its info string's first word, its text and its first line."""

    lang: str
    code: str
    line: int
    output: str | None = None  # the ```text block right after a ```python block


def parse_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order, each ``python``
    block with the ``text`` block that follows it as its output.

    Example:
        >>> page = "```python\\nprint(1)\\n```\\n\\n```text\\n1\\n```\\n"
        >>> [(b.lang, b.code, b.output) for b in parse_blocks(page)]
        [('python', 'print(1)\\n', '1\\n')]
    """
    lines = text.splitlines(keepends=True)
    blocks: list[Block] = []
    last_end = -2  # index of the closing fence of the last block
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i].rstrip("\n"))
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        lang = (m["info"].split() or [""])[0]
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close and set(close) == {fence[0]} and len(close) >= len(fence):
                break
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        code = "".join(body)
        between = lines[last_end + 1:i]
        follows = bool(blocks) and blocks[-1].lang == "python" and blocks[-1].output is None \
            and all(not b.strip() for b in between)
        if lang == "text" and follows:
            blocks[-1].output = code
        else:
            blocks.append(Block(lang, code, i + 1))
        last_end = j
        i = j + 1
    return blocks


def _normalise(out: str) -> str:
    return "\n".join(line.rstrip() for line in out.strip("\n").splitlines())


def run_page(path: Path, verbose: bool = False, check: bool = True) -> int:
    """Run the ```python blocks of ``path`` in one namespace; return the
    number of blocks run.  Raises AssertionError at the first block whose
    output differs from its ```text block, and re-raises what a block raises."""
    blocks = [b for b in parse_blocks(path.read_text()) if b.lang == "python"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    for b in blocks:
        buf = io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(buf):
                exec(compile(b.code, f"{path.name}:{b.line}", "exec"), namespace)
        except BaseException:
            sys.stdout.write(buf.getvalue())
            sys.stderr.write(f"{path.name}:{b.line}: the block raised\n")
            raise
        if verbose:
            print(f"--- {path.name}:{b.line} ({time.perf_counter() - start:.2f} s)")
            print(buf.getvalue(), end="")
        if check and b.output is not None and _normalise(buf.getvalue()) != _normalise(b.output):
            raise AssertionError(
                f"{path.name}:{b.line}: printed output differs from the page\n"
                f"--- the page shows:\n{b.output}--- the block printed:\n{buf.getvalue()}"
            )
    return len(blocks)


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # the pages show the library's defaults: 64-bit mode off, whatever the caller's shell says
    env.pop("FUNCTORCH_LITE_ENABLE_X64", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _has_python(page: Path) -> bool:
    return any(b.lang == "python" for b in parse_blocks(page.read_text()))


# the pages with examples (the API pages are generated from docstrings, whose examples are doctests)
EXAMPLE_PAGES = [p for p in PAGES if _has_python(p)]


class _Build:
    """``sphinx-build -W`` started in the background, so that it runs on the
    second core while the pages' examples run on the first."""

    def __init__(self, tmp: Path) -> None:
        self.out = tmp / "html"
        self.log = (tmp / "sphinx.log").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
             "-d", str(tmp / "doctrees"), str(DOCS), str(self.out)],
            cwd=tmp, env=_subprocess_env(), stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )

    def wait(self, timeout: float) -> tuple[int, str]:
        rc = self.proc.wait(timeout=timeout)
        self.log.seek(0)
        return rc, self.log.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def docs_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Build | None]:
    if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_parser") is None:
        yield None
        return
    build = _Build(tmp_path_factory.mktemp("docs_build"))
    yield build
    build.close()
    shutil.rmtree(build.out, ignore_errors=True)


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=[str(p.relative_to(DOCS)) for p in EXAMPLE_PAGES])
def test_page_examples_run(page: Path, tmp_path: Path, docs_build: _Build | None) -> None:
    """Each page's examples, in a fresh interpreter (the library's defaults, not
    the test suite's 64-bit mode) whose working directory is a temporary one,
    since examples save files.  (``docs_build`` only starts the build early.)"""
    r = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(page)],
        cwd=tmp_path, env=_subprocess_env(), capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, (
        f"{page.name}: an example failed (docs/README.md: a fragment that cannot run on its own is a "
        f"```{{code-block}} python directive, not a ```python block)\n{r.stdout[-4000:]}\n{r.stderr[-6000:]}"
    )


def test_every_python_block_is_parsed() -> None:
    """A fence the parser misreads would silently skip examples: the count of
    ```python openings in the raw text must equal the parsed python blocks."""
    for page in PAGES:
        text = page.read_text()
        opened = len(re.findall(r"^ {0,3}```python\s*$", text, flags=re.M))
        assert opened == sum(b.lang == "python" for b in parse_blocks(text)), page.name


def test_output_blocks_follow_python_blocks() -> None:
    """The convention is checkable: every ```text block right after a ```python
    block is taken as its output, so the parser must pair them."""
    page = "```python\nprint('a')\n```\n\n```text\na\n```\n\nprose\n\n```text\nnot output\n```\n"
    blocks = parse_blocks(page)
    assert [(b.lang, b.output) for b in blocks] == [("python", "a\n"), ("text", None)]


def test_a_wrong_output_block_fails(tmp_path: Path) -> None:
    """The check is honest: a page whose output block is wrong, or whose
    block raises, fails."""
    wrong = tmp_path / "wrong.md"
    wrong.write_text("```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n")
    with pytest.raises(AssertionError, match="printed output differs"):
        run_page(wrong)
    raises = tmp_path / "raises.md"
    raises.write_text("```python\nx = 1\n```\n\n```python\n1 / 0\n```\n")
    with pytest.raises(ZeroDivisionError), contextlib.redirect_stderr(io.StringIO()):
        run_page(raises)


def test_docs_build_without_warnings(docs_build: _Build | None) -> None:
    """``sphinx-build -W``: a broken reference, a docstring with bad markup or
    a page outside the table of contents fails the build."""
    if docs_build is None:
        pytest.skip("sphinx and myst-parser are not installed (pip install -e '.[docs]')")
    rc, log = docs_build.wait(timeout=600)
    assert rc == 0, log[-8000:]
    for page in PAGES:
        html = docs_build.out / page.relative_to(DOCS).with_suffix(".html")
        assert html.is_file(), f"{page} was not built"
    # the API reference really holds the docstrings (a silently empty autodoc would pass -W)
    assert (docs_build.out / "api" / "numpy.html").read_text().count('class="sig sig-object py"') > 100


if __name__ == "__main__":
    # --show: print every block's output and do not compare (to write a page's output blocks)
    show = "--show" in sys.argv
    n = 0
    for arg in sys.argv[1:]:
        if arg != "--show":
            n += run_page(Path(arg).resolve(), verbose=show, check=not show)
    print(f"{n} python blocks ran")
