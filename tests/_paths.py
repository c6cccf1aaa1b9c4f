"""Paths the tests need, wherever their file sits under tests/."""

from pathlib import Path

#: the repository root (the folder holding pyproject.toml)
REPO = Path(__file__).resolve().parent.parent
