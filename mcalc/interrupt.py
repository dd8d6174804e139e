"""Ctrl-C at any moment of a run of the program: exit 130, no traceback.

mcalc/__init__.py imports this module before anything else, so the handler is in place before errors,
typer, pydantic and rich load: an interrupt during start-up is as quiet as one during a long batch.
Imported as a library (the test suite, `import mcalc` in a notebook), it leaves the interpreter's handler
alone.
"""

import os
import signal
import sys
import time

from mcalc.exits import Exit

EXIT_INTERRUPTED: int = Exit.INTERRUPTED  # mcalc.exits
# When the program started (this is its first import), for the time budget; None when imported as a library
PROGRAM_STARTED: float | None = None


def _interrupted(signum: int, frame: object) -> None:
    # os._exit: no KeyboardInterrupt to unwind through imports, click or numpy, hence no traceback.
    # Batch answers are flushed as each is printed, so nothing already answered is lost.
    os._exit(EXIT_INTERRUPTED)


def _running_as_program() -> bool:
    # `python -m mcalc`: the package is imported before runpy makes mcalc.__main__ the __main__ module
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" in argv[:-1] and argv[argv.index("-m") + 1] == "mcalc":
        return True
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "mcalc.__main__":
        return True
    script = os.path.basename(getattr(main, "__file__", None) or "")
    return script.removesuffix(".exe").removesuffix("-script.py") == "mcalc"


if _running_as_program():
    PROGRAM_STARTED = time.monotonic()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
