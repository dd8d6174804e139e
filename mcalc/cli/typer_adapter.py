"""The one module that reaches into typer's private internals (issue 22), each reach for what it buys; a
typer without the internal leaves mcalc working as plain typer does, only slower or with typer's own message.

- `McalcTyper` (Typer.registered_commands, swapped for the run): typer builds only the command the command
  line names. Building the click command tree took 3.7–4.0 ms of CPU with all five commands and 1.3–1.5 ms
  with diff alone (best, first quartile and median of 25 fresh processes each): about 2.5 ms of a plain
  `mcalc diff`, whose whole run is about 120 ms of CPU.
- `usage_error_kind()` (typer._click.exceptions): which usage error click raised, for mcalc's one-line
  messages (bare `mcalc` shows the help; a mistyped option gets "did you mean"). No time; the wording.

- `NO_DETECTION`: typer 0.29 ignores a shell named after --install-completion or --show-completion and asks
  the parent process (`mcalc --show-completion zsh` from bash printed bash's script; under sh: "Shell sh is not
  supported"); with typer's own switch set, the options take the name. No time; the shell the user named.

Dropped: one pydantic adapter shared by the options of one plain type (typer._coercion.AdapterRuntimeParam):
about 1.5 ms of diff's 52 ms of runtime parameters (40 fresh processes), under the 2 ms such a reach must buy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer

NO_DETECTION = "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"
COMPLETION_FLAGS, SHELLS = {"--install-completion", "--show-completion"}, {"bash", "zsh", "fish", "powershell", "pwsh"}


def names_a_shell(argv: list[str]) -> bool:
    """`--install-completion zsh` or `--show-completion=fish` before any `--`."""
    words = [t for w in (argv[: argv.index("--")] if "--" in argv else argv) for t in w.split("=", 1)]
    return any(a in COMPLETION_FLAGS and b in SHELLS for a, b in zip(words, words[1:], strict=False))


def commands_to_build(registered: Sequence[Any], first: list[str]) -> list[Any]:
    """Of typer's registered commands, the ones to build: only the one the first argument names exactly
    (`mcalc diff …`). Typer makes every command's options from its signature before it parses anything.
    Anything else (`mcalc --help`, a mistyped command, tab completion, the interactive session, which runs
    every command) gets them all, so listings and suggestions stay complete."""
    if first and first != ["repl"] and not os.environ.get("_MCALC_COMPLETE"):
        for info in registered:
            if info.callback is not None and (info.name or info.callback.__name__).replace("_", "-") == first[0]:
                return [info]
    return list(registered)


class McalcTyper(typer.Typer):
    """Typer, building only the command that the command line names (`commands_to_build`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        everything = self.registered_commands
        if not args:
            self.registered_commands = commands_to_build(everything, sys.argv[1:2])
            if names_a_shell(sys.argv[1:]):
                os.environ[NO_DETECTION] = "1"
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.registered_commands = everything


def usage_error_kind(exc: Exception) -> str:
    """ "no-args" for bare `mcalc` (click shows the help), "no-such-option" for a mistyped option with
    suggestions (`exc.possibilities`), "" for any other usage error."""
    from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption

    if isinstance(exc, NoArgsIsHelpError):
        return "no-args"
    if isinstance(exc, NoSuchOption) and exc.possibilities:
        return "no-such-option"
    return ""
