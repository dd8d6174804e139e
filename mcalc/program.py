"""What the process does when it starts as the `mcalc` program (the script or `python -m mcalc`), before
the CLI imports typer, pydantic and rich; `start()` is called by mcalc/cli/__init__.py.

- pydantic's plugin discovery is turned off (see `_without_pydantic_plugins`).
- `protect_leading_minus()`: an expression that starts with - is not taken for an option.
- `default_sigpipe()` (a real run, not a test's CliRunner): `mcalc … | head` ends quietly, like other
  Unix tools.
Imported as a library (the test suite, `import mcalc`), pydantic stays as it is. Ctrl-C is
mcalc.interrupt's, the package's first import. What reaches into typer's internals is mcalc/cli/typer_adapter.py;
`leave()`: how a run ends (os._exit, without the interpreter's teardown).
"""

from __future__ import annotations

import os
import signal
import sys
import types
from collections.abc import Mapping
from typing import Any, NoReturn

from mcalc.interrupt import _running_as_program


def _no_plugins() -> tuple[()]:
    return ()


def _without_pydantic_plugins() -> None:
    """typer converts every option through a pydantic TypeAdapter, and pydantic's first adapter looks for
    plugins among the entry points of every installed distribution: that imports importlib.metadata (with
    email, zipfile, csv, calendar, socket) and reads each dist-info directory, about 60 ms of CPU, a quarter
    of mcalc's whole start-up and more than its own modules. mcalc registers no pydantic plugin and wants
    none observing its option parsing, so the program (never a library user) gets pydantic's loader with no
    plugins, which is what PYDANTIC_DISABLE_PLUGINS=__all__ does, minus the imports."""
    name = "pydantic.plugin._loader"
    if name in sys.modules:
        return
    loader = types.ModuleType(name, "pydantic's plugin loader, without plugins (see mcalc.program)")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]  # the one name pydantic imports from it
    sys.modules[name] = loader


def start() -> None:
    if _running_as_program():
        _without_pydantic_plugins()


def default_sigpipe() -> None:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def protect_leading_minus(commands: Mapping[str, Any], argv: list[str]) -> list[str]:
    """`mcalc diff "-x^T A x" --wrt x`: an expression that starts with '-' is not an option. Move it
    behind `--` so the parser takes it as the EXPR argument (each command has one positional)."""
    if not argv or "--" in argv:
        return argv
    cmd = commands.get(argv[0])
    if cmd is None:
        return argv
    takes_value: dict[str, bool] = {"-h": False, "--help": False}
    for p in cmd.params:
        if p.param_type_name == "option":
            for name in (*p.opts, *p.secondary_opts):
                takes_value[name] = not getattr(p, "is_flag", False) and not getattr(p, "count", False)
    i = 1
    while i < len(argv):
        tok = argv[i]
        if tok in takes_value:
            i += 2 if takes_value[tok] else 1
            continue
        # --wrtt is a mistyped option (click suggests --wrt); ---x and -(x) are expressions
        name = tok[2:].partition("=")[0]
        looks_like_option = (
            (tok.startswith("--") and name[:1].isalpha() and name.replace("-", "").isalnum())
            or tok[:2] in takes_value
            or tok == "-"
        )
        if tok.startswith("-") and not looks_like_option:
            return argv[:i] + argv[i + 1 :] + ["--", tok]
        i += 1
    return argv


def leave(code: int, real_run: bool) -> NoReturn:
    """Leave with `code`: an in-process run (CliRunner, the tests, the interactive session's lines) by
    SystemExit; a real run by os._exit once its output is flushed. os._exit skips the interpreter's teardown,
    which frees every module, cached tree and interned node one by one: about 12 ms of a 200 ms `mcalc diff`,
    and 0.05 s after a 3,000-term sum. mcalc registers no atexit hook and writes no file that a finaliser
    would close; Ctrl-C leaves the same way (mcalc.interrupt). The program's path only: a library call never
    ends the process."""
    if not real_run:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # already reported by streams.finish, or a closed stream
            pass
    os._exit(code)
