"""Help and errors: examples in every help screen (and they run), one-line errors with the documented exit
codes and a "did you mean", never a traceback."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from helpers import load_tool
from typer.main import get_command
from typer.testing import CliRunner

from mcalc import __version__
from mcalc.cli import app as app_module
from mcalc.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["diff", "check", "eval", "shape", "identities", "repl"]


def mcalc(*args: str, **kw: object) -> typer.testing.Result:
    return CliRunner().invoke(app, list(args), prog_name="mcalc", env={"COLUMNS": "80", "NO_COLOR": "1"}, **kw)  # type: ignore[arg-type]


def test_every_command_is_covered_here() -> None:
    group = get_command(app)
    assert group.list_commands(typer.Context(group)) == COMMANDS


def _examples(help_text: str) -> list[str]:
    lines = help_text.splitlines()
    start = lines.index("  Examples:")
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        out.append(line.strip())
    return out


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_examples_unwrapped(command: str | None) -> None:
    result = mcalc(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.output
    examples = _examples(result.stdout)
    assert len(examples) >= (3 if command in (None, "diff", "check", "identities") else 2)
    for example in examples:
        # each example is one whole, copy-pasteable line (click's \b blocks are not re-wrapped)
        assert example.startswith(("mcalc ", "printf ")), example
        assert shlex.split(example, comments=True), example
    if command:
        assert all(f"mcalc {command}" in e for e in examples)
    assert "Usage: mcalc" in result.stdout


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_the_examples_in_the_help_run(command: str | None) -> None:
    """Every example that needs no file runs and succeeds (`printf '…' | mcalc …` with the printf's text as input)."""
    examples = _examples(mcalc(*([command] if command else []), "--help").stdout)
    ran = 0
    for example in examples:
        words = shlex.split(example, comments=True)
        piped = None
        if words[0] == "printf" and words[2:4] == ["|", "mcalc"]:
            piped, words = words[1].replace("\\n", "\n"), words[3:]
        if words[0] != "mcalc" or "--file" in words or "--verify" in words or any(w.endswith(".npz") for w in words):
            continue
        if words == ["mcalc", "repl"] and piped is None:  # a session at a terminal: tests/test_repl.py types into one
            continue
        result = mcalc(*words[1:], input=piped)
        assert result.exit_code == 0, f"{example}: {result.output}"
        assert result.stdout.strip(), example
        ran += 1
    assert ran >= 1


def test_help_is_short_option_h_too() -> None:
    assert mcalc("-h").stdout == mcalc("--help").stdout
    assert mcalc("diff", "-h").exit_code == 0


def test_version() -> None:
    result = mcalc("--version")
    assert (result.exit_code, result.stdout) == (0, f"mcalc {__version__}\n")


def _one_line_error(result: typer.testing.Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_unknown_option_suggests_the_closest() -> None:
    line = _one_line_error(mcalc("diff", "x", "--wrtt", "x"), 2)
    assert "--wrtt" in line and "did you mean --wrt?" in line
    assert "mcalc diff --help" in line
    assert "did you mean --format?" in _one_line_error(mcalc("diff", "x", "--wrt", "x", "--fromat", "json"), 2)


def test_unknown_command_suggests_the_closest() -> None:
    line = _one_line_error(mcalc("dif", "x", "--wrt", "x"), 2)
    assert "Did you mean 'diff'?" in line


@pytest.mark.parametrize(
    "args",
    [
        ["diff"],  # missing EXPR
        ["diff", "x", "--wrt"],  # option without its value
        ["diff", "x", "--wrt", "x", "--format", "yaml"],  # not a choice
        ["diff", "x", "--wrt", "x", "--layout", "sideways"],
        ["diff", "x", "--wrt", "x", "--seed", "many"],  # not an int
        ["diff", "x", "y", "--wrt", "x"],  # extra argument
        ["--bogus"],
        ["diff", "tr(A B", "--wrt", "A"],  # syntax error
        ["diff", "A B", "--wrt", "A", "--shape", "A=2x3", "--shape", "B=2x2"],  # shape mismatch
        ["diff", "x", "--wrt", "x", "--at", "/nonexistent/values.npz"],  # unreadable file
        ["check", "tr(A B)", "--wrt", "A"],  # no claim
    ],
)
def test_usage_and_input_errors_are_one_line_with_exit_2(args: list[str]) -> None:
    line = _one_line_error(mcalc(*args), 2)
    assert "Value error," not in line  # typer's pydantic prefix is dropped


def test_math_error_is_one_line_with_exit_1() -> None:
    _one_line_error(mcalc("diff", "logdet(X)", "--wrt", "X", "--at", "X=[[1,1],[1,1]]"), 1)


def test_a_wrong_claim_exits_1() -> None:
    result = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "2 B")
    assert result.exit_code == 1
    assert "wrong" in result.stdout


def test_usage_error_with_json_output_is_a_json_object() -> None:
    result = mcalc("diff", "x", "--wrt", "x", "--format", "json", "--bogus")
    assert result.exit_code == 2 and result.stderr == ""
    obj = json.loads(result.stdout)
    assert obj["position"] is None and "--bogus" in obj["error"]


def test_no_arguments_prints_help_on_stderr_with_exit_2() -> None:
    result = mcalc()
    assert result.exit_code == 2 and result.stdout == ""
    assert "Usage: mcalc" in result.stderr and "Examples:" in result.stderr


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcalc.cli import commands

    def boom(*args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(commands, "run_shape", boom)
    line = _one_line_error(mcalc("shape", "x"), 1)
    assert "internal error" in line and "boom" in line
    result = mcalc("shape", "x", "--debug")
    assert isinstance(result.exception, RuntimeError)  # re-raised: python prints the traceback


def test_python_dash_m_is_the_same_program_named_mcalc() -> None:
    out = subprocess.run([sys.executable, "-m", "mcalc", "diff", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: mcalc diff ")
    out = subprocess.run([sys.executable, "-m", "mcalc", "dif"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "mcalc --help" in out.stderr


def test_docs_cli_md_is_in_sync() -> None:
    expected = load_tool("regen").cli_markdown()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == expected, (
        "docs/cli.md is stale: run python tools/regen.py"
    )


def test_the_app_module_stays_a_thin_declaration_layer() -> None:
    source = Path(app_module.__file__).read_text(encoding="utf-8")
    top_level_imports = [
        line for line in source.splitlines() if line.startswith(("import ", "from ")) and "__future__" not in line
    ]
    for line in top_level_imports:
        assert not any(heavy in line for heavy in ("numpy", "sympy", "rich", "mcalc.cli.commands")), line


def test_a_closed_pipe_ends_mcalc_quietly() -> None:
    """`mcalc … | head -1`: no "internal error: BrokenPipeError", no traceback (SIGPIPE as other tools)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcalc", "diff", "x^T A x", "--wrt", "x", "--format", "numpy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before mcalc writes anything
    with proc:
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert err == ""
    assert code in (-13, 141, 1)  # killed by SIGPIPE (POSIX), or typer's quiet exit 1 elsewhere
