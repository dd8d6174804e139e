"""The command-line layer.

Imported as the program (the `mcalc` script or `python -m mcalc`), this package first makes Ctrl-C end
the run at once with exit 130 and no traceback: the handler is in place before app.py imports typer,
pydantic and rich, so an interrupt during start-up is as quiet as one during a long batch. Imported
as a library (the test suite, `import mcalc`), it leaves the interpreter's handler alone.

As the program it also turns off pydantic's plugin discovery (see `_without_pydantic_plugins`).
"""

import os
import signal
import sys
import types

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for an interrupted command


def _interrupted(signum: int, frame: object) -> None:
    # os._exit: no KeyboardInterrupt to unwind through imports, click or numpy, hence no traceback.
    # Batch answers are flushed as each is printed, so nothing already answered is lost.
    os._exit(EXIT_INTERRUPTED)


def _running_as_program() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "mcalc.__main__":
        return True
    script = os.path.basename(getattr(main, "__file__", None) or "")
    return script.removesuffix(".exe").removesuffix("-script.py") == "mcalc"


if _running_as_program() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted)


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
