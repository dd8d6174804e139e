"""--install-completion only under a usable HOME (typer made HOME=/nonexistent/x; a failed write: internal error)."""

from __future__ import annotations

import os
from collections.abc import Callable

from mcalc.cli import streams
from mcalc.exits import Exit

BY_HAND = "or install the script by hand (README § Shell completion and man page)"


def checked(main: Callable[[], object], argv: list[str]) -> object:
    """`main()`, or for --install-completion one line (exit 2) if HOME cannot take it or a write fails."""
    words = argv[: argv.index("--")] if "--" in argv else argv  # after --, words are operands
    if not any(w == "--install-completion" or w.startswith("--install-completion=") for w in words):
        return main()
    try:
        if (refusal := home_refusal()) is None:
            return main()
    except OSError as exc:
        if exc.filename is None:  # not a file of the install: stdout (app.py reports it, exit 74)
            raise
        refusal = f"cannot install completion: {exc.strerror or exc}: {exc.filename}; {BY_HAND}"
    streams.say(f"error: {refusal}")
    return Exit.USAGE


def home_refusal() -> str | None:
    home, why = os.environ.get("HOME", ""), None
    if not home:
        why = "HOME is not set; set it to your home directory"
    elif not os.path.isabs(home) or not os.path.isdir(home):
        why = f"HOME={home!r} is not an existing directory; set it to your home directory"
    elif not os.access(home, os.W_OK):
        why = f"HOME={home!r} is not writable"
    return None if why is None else f"cannot install completion: {why}, {BY_HAND}"
