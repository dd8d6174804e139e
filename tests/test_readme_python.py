"""The README's ```python blocks run as one doctest, in order, sharing their names (README § Python)."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text: str) -> str:
    """The README with everything outside ```python blocks blanked, so doctest reports README line numbers."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        fence = line.strip()
        if fence == "```python" or (inside and fence == "```"):
            inside = fence == "```python"
            out.append("")
            continue
        out.append(line if inside else "")
    return "\n".join(out)


def test_the_readme_python_examples_run() -> None:
    text = python_blocks(README.read_text(encoding="utf-8"))
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    assert len(test.examples) >= 20, "the Python section lost its examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
