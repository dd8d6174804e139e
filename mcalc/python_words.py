"""mcalc's messages as a Python user reads them: the fix phrased as a keyword argument, not a CLI flag.

The engine's messages name the command line's options (`declare c a scalar: --scalar c`); from Python the
same fix is `scalar="c"`. One table, applied to the whole one-line message (`McalcError.one_line()`) where
an error leaves the Python API.
"""

from __future__ import annotations

import re

# (what the command line says, what Python says), tried in order: quoted values first, then NAME=VALUE
# options, then plain names, then bare flags
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r'--let "(\w+) ?= ?([^"]*)"', r'let={"\1": "\2"}'),
        (r'--(function|elementwise) "([^"]*)"', r'\1="\2"'),
        (r"--shape ([^\s=,;:`)]+)=([^\s,;:`)]+)", r'shape={"\1": "\2"}'),
        (r"--at NAME=JSON or --at FILE\.npz", "values as keyword arguments, NAME=<array>"),
        (r"--at ([^\s=,;:`)]+)=(JSON|\.\.\.|[^\s,;:`)]+)", r"\1=<array>"),
        (r"--at (VALUES|FILE\.npz|values)", r"NAME=<array>"),
        (
            r"--(scalar|vector|matrix|symmetric|diagonal|toeplitz|function|elementwise|wrt|layout) "
            r"(?!(?:and|or|is|has|to|the|a|of)\b)"
            r"([^\s,;:`)\"']+)",
            r'\1="\2"',
        ),
        (r"--format numpy", "Derivative.numpy_source"),
        (r"--format sympy", "Derivative.to_sympy()"),
        (r"--check", "Derivative.check()"),
        (r"--at\b", "values (NAME=<array>)"),
        (r"--(scalar|vector|matrix|symmetric|diagonal|toeplitz|shape|let|function|elementwise|wrt|layout)\b", r"\1="),
    )
)


def python_phrasing(text: str) -> str:
    """`…; declare it: --scalar c` → `…; declare it: scalar="c"`."""
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text
