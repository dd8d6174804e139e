"""Generate completions/ (bash, zsh, fish) from the typer app, through typer's own `_MCALC_COMPLETE=source_<shell>`.

The scripts are thin shims that call `mcalc` again on every TAB, so they change only when the program
name or typer's templates change; the sync test (tests/test_completions.py) regenerates them in-process.

    python tools/regen.py          # rewrite completions/ (and everything else derived from the app)
    python tools/regen.py --check  # exit 1 if a committed file is stale

A generator only: regen.py imports it, writes and checks (this module imports no other tool, so the two no
longer import each other).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {"bash": "completions/mcalc.bash", "zsh": "completions/_mcalc", "fish": "completions/mcalc.fish"}


def completion_script(shell: str) -> str:
    """The completion script for one shell, as `_MCALC_COMPLETE=source_<shell> mcalc` prints it."""
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    result = CliRunner().invoke(app, [], prog_name="mcalc", env={"_MCALC_COMPLETE": f"source_{shell}"})
    if result.exit_code != 0 or not result.stdout.strip():
        raise RuntimeError(f"typer printed no {shell} completion script (exit {result.exit_code}): {result.output}")
    # zsh needs `#compdef mcalc` on line 1 of a file in $fpath: drop typer's leading blank line.
    text = result.stdout.lstrip("\n").rstrip() + "\n"
    if shell == "zsh":
        text = _zsh_autoload(text)
    return text


# typer's zsh script only registers the function (`compdef`), so when zsh autoloads the file from $fpath the
# first TAB of a session completes nothing (measured with zsh 5.9). Register, and complete when autoloaded.
_ZSH_REGISTER = "compdef _mcalc_completion mcalc\n"
_ZSH_EITHER = """compdef _mcalc_completion mcalc

# Autoloaded from $fpath (the installed file), this file is the body of _mcalc: complete this first TAB too.
if [[ ${funcstack[1]} == _mcalc ]]; then
  _mcalc_completion "$@"
fi
"""


def _zsh_autoload(text: str) -> str:
    if not text.endswith(_ZSH_REGISTER):
        raise RuntimeError("typer's zsh completion template changed; update tools/gen_completions.py")
    return text[: -len(_ZSH_REGISTER)] + _ZSH_EITHER


def generate() -> dict[str, str]:
    """Relative path -> content, for every completion file."""
    return {path: completion_script(shell) for shell, path in FILES.items()}
