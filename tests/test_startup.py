"""Start-up: help, usage errors and tab completion never load numpy, sympy, scipy or matplotlib.

Every TAB in a shell starts mcalc once, so this is what keeps completion and `--help` fast. Wall-clock
numbers are in bench/startup.py, not here (timings are flaky on shared CI machines).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = {"numpy", "sympy", "matplotlib", "scipy"}

# Runs the app the way the console script does and reports what got imported (even on SystemExit).
WRAPPER = """
import sys
import mcalc.cli.app
mcalc.program.leave = lambda code, real_run: sys.exit(code)  # os._exit would skip the report below
from mcalc.cli.app import app
try:
    app(prog_name="mcalc")
finally:
    sys.stderr.write("\\nMODULES " + " ".join(sorted(m for m in sys.modules if "." not in m)) + "\\n")
"""


def loaded(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        timeout=60,
    )
    last = out.stderr.rstrip().splitlines()[-1]
    assert last.startswith("MODULES "), out.stderr
    return set(last.split()[1:])


def test_importing_the_cli_loads_no_heavy_module() -> None:
    code = "import sys, mcalc.cli.app; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    modules = {m.split(".")[0] for m in out.stdout.split()}
    assert not modules & (HEAVY | {"rich"}), sorted(modules & (HEAVY | {"rich"}))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["diff", "--help"],
        ["--version"],
        ["diff", "x", "--wrtt", "x"],  # a usage error
        [],  # no arguments: help on stderr
    ],
)
def test_help_and_usage_errors_load_no_heavy_module(args: list[str]) -> None:
    modules = loaded(args)
    assert "typer" in modules  # the wrapper did run the app
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_tab_completion_loads_no_heavy_module() -> None:
    env = {"_MCALC_COMPLETE": "complete_bash", "COMP_WORDS": 'mcalc diff "tr(A B)" --wrt ', "COMP_CWORD": "4"}
    assert not loaded([], env) & HEAVY


def test_the_real_entry_point_help_loads_no_heavy_module() -> None:
    """`python -m mcalc --help` (the same code path as the console script), seen by -X importtime."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mcalc", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "Usage: mcalc" in out.stdout, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "typer" in imported
    assert not imported & HEAVY, sorted(imported & HEAVY)


def test_a_plain_diff_loads_neither_numpy_nor_pydantic_plugins() -> None:
    """`mcalc diff "tr(A B A^T C)" --wrt A`, the start-up benchmark's command, as the program runs it: no
    numpy or sympy (no numbers are asked for), and no importlib.metadata, which pydantic's plugin search
    would import (about 60 ms; mcalc.cli turns that search off for the program)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mcalc", "diff", "tr(A B A^T C)", "--wrt", "A"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.startswith("∂/∂A tr(ABAᵀC) = "), out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "typer" in imported and "mcalc.pipeline" in imported
    unwanted = HEAVY | {"importlib.metadata", "prompt_toolkit"}  # prompt_toolkit: the interactive session's only
    assert not imported & unwanted, sorted(imported & unwanted)


def test_the_session_imports_prompt_toolkit_only_at_a_terminal() -> None:
    """`mcalc repl < file` is a script: it answers its lines without loading the terminal library."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "mcalc", "repl"], input='shape "x"\n',
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("x : m×1"), done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "mcalc.cli.repl" in imported and "prompt_toolkit" not in imported


def test_only_the_named_command_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mcalc diff …` builds diff's options alone; whatever else the command line holds (no command, a
    mistyped one, an option, tab completion) builds them all, so help and suggestions list every command."""
    from mcalc.cli.app import app
    from mcalc.cli.typer_adapter import commands_to_build

    everything = app.registered_commands
    names = [info.callback.__name__ for info in everything if info.callback is not None]
    assert [i.callback.__name__ for i in commands_to_build(everything, ["diff"]) if i.callback] == ["diff"]
    assert [i.name for i in commands_to_build(everything, ["check"])] == ["check"]
    for first in ([], ["dif"], ["--help"], ["-V"], ["DIFF"], ["repl"]):  # the session runs every command
        assert [i.callback.__name__ for i in commands_to_build(everything, first) if i.callback] == names
    monkeypatch.setenv("_MCALC_COMPLETE", "bash_complete")
    assert len(commands_to_build(everything, ["diff"])) == len(everything)


def test_format_and_layout_parse_to_the_one_enums() -> None:
    """--format and --layout arrive as mcalc.view's Format and Layout (each command's choices from its table)."""
    import typer.main

    from mcalc.cli.app import app
    from mcalc.view import Format, Layout

    diff = typer.main.get_command(app).commands["diff"]  # type: ignore[attr-defined]
    params = {p.name: p.get_runtime_param() for p in diff.params}
    assert params["fmt"].adapter.validate_python("json") is Format.JSON
    assert params["layout"].adapter.validate_python("numerator") is Layout.NUMERATOR
    assert params["at"].adapter.validate_python(("x=[1]",)) == ["x=[1]"]
