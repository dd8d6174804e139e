"""The house rules, run by the suite so CI enforces them: `ruff check`, `ruff format --check` and
`mypy --strict` clean on the package, tests, benchmarks and tools (ruff and mypy are in the test extra)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ["mcalc", "tests", "bench", "tools"]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *TREES, "docs"],  # docs: the example notebook's code (its layout is Jupyter's)
        ["ruff", "format", "--check", *TREES],
        ["mypy"],  # files and --strict from pyproject.toml
    ],
    ids=["ruff check", "ruff format", "mypy --strict"],
)
def test_the_tree_is_clean(command: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
