"""The command-line layer.

Imported as the program (the `mcalc` script or `python -m mcalc`), it turns off pydantic's plugin
discovery (see `_without_pydantic_plugins`). Ctrl-C is handled by mcalc.interrupt, the package's first
import.
"""

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
    loader = types.ModuleType(name, "pydantic's plugin loader, without plugins (see mcalc.cli)")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]  # the one name pydantic imports from it
    sys.modules[name] = loader


if _running_as_program():
    _without_pydantic_plugins()
