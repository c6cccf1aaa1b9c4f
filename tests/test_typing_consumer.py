"""The public API's types, as a user's type checker sees them.

``tests/typing/consumer.py`` is research code (an MLP trained with
``jit(value_and_grad(loss))``, per-example gradients with ``vmap``, PRNG
keys, pytrees, linalg/fft, control flow, the PyTorch-style loop) whose
``assert_type`` calls state what ``mypy --strict`` must infer; running it
checks that the values agree with those types.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = ROOT / "tests" / "typing" / "consumer.py"


def test_consumer_type_checks_clean_under_mypy_strict() -> None:
    pytest.importorskip("mypy")
    # a fixed cache directory: a warm run takes ~3 s, a cold one ~10 s.  The
    # package's modules are read for their types but their own errors are not
    # reported (follow-imports=silent), as for an installed package: the
    # package itself is checked by CI's `mypy --strict functorch_lite`
    cache = Path(tempfile.gettempdir()) / "functorch_lite_mypy_consumer"
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary",
         "--hide-error-context", f"--cache-dir={cache}", str(CONSUMER.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0 and not proc.stdout.strip(), (
        f"mypy --strict reports on tests/typing/consumer.py (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    )


def test_consumer_type_checks_clean_under_pyright() -> None:
    # optional: pyright needs Node.js; run when a `pyright` or `basedpyright` executable
    # is on PATH (e.g. `pip install basedpyright`), in its standard mode
    exe = shutil.which("pyright") or shutil.which("basedpyright")
    if exe is None:
        pytest.skip("neither pyright nor basedpyright is installed")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "pyrightconfig.json"
        config.write_text('{"typeCheckingMode": "standard", "pythonVersion": "3.11"}')
        proc = subprocess.run([exe, "--pythonpath", sys.executable, "--project", str(config), str(CONSUMER)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"pyright reports on tests/typing/consumer.py:\n{proc.stdout}{proc.stderr}"


def test_consumer_runs() -> None:
    spec = importlib.util.spec_from_file_location("functorch_lite_typing_consumer", CONSUMER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
