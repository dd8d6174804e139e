"""What the process does when it starts as the `mcalc` program (the script or `python -m mcalc`), before
the CLI imports typer, pydantic and rich; `start()` is called by mcalc/cli/__init__.py.

- pydantic's plugin discovery is turned off (see `_without_pydantic_plugins`).
- `default_sigpipe()` (a real run, not a test's CliRunner): `mcalc … | head` ends quietly, like other
  Unix tools.
Imported as a library (the test suite, `import mcalc`), pydantic stays as it is. Ctrl-C is
mcalc.interrupt's, the package's first import.
"""

from __future__ import annotations

import signal
import sys
import types

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
