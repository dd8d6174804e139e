"""One output contract across commands (issue 16): every command either prints a --format or refuses it
(exit 2, one line naming what it does print), from the one table `mcalc.cli.app.FORMATS`; and JSON `shape`
is a list of dimensions in every command, each object valid against docs/output-schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli
from jsonschema import Draft202012Validator

from mcalc.cli.app import FORMATS, Command
from mcalc.view import Format

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "output-schema.json").read_text(encoding="utf-8"))

# one ordinary invocation of each command
INVOCATION: dict[Command, list[str]] = {
    Command.diff: ["diff", "tr(A B)", "--wrt", "A"],
    Command.check: ["check", "tr(A B)", "--wrt", "A", "--claim", "B^T"],
    Command.eval: ["eval", "x^T x", "--at", "x=[1,2]"],
    Command.shape: ["shape", "a^T X b"],
    Command.identities: ["identities", "logdet"],
}


def test_every_command_is_in_the_table() -> None:
    assert set(FORMATS) == set(Command) == set(INVOCATION)
    assert all(Format.TEXT in f and Format.JSON in f for f in FORMATS.values())


@pytest.mark.parametrize(
    ("command", "fmt"), [(c, f) for c in Command for f in Format], ids=lambda v: getattr(v, "value", v)
)
def test_a_format_is_printed_or_refused(command: Command, fmt: Format) -> None:
    run = cli(*INVOCATION[command], "--format", fmt.value)
    if fmt in FORMATS[command]:
        assert run.code == 0, run.stdout + run.stderr
        assert run.stdout.strip()
        return
    assert run.code == 2 and run.stdout == "", run.stdout
    supported = ", ".join(f.value for f in FORMATS[command])
    assert run.stderr.strip().splitlines() == [
        f"error: Invalid value for --format: mcalc {command.value} does not print {fmt.value}; it prints "
        f"{supported} (see 'mcalc {command.value} --help')"
    ]


@pytest.mark.parametrize("command", list(Command), ids=str)
def test_help_lists_exactly_the_formats_a_command_prints(command: Command) -> None:
    """check, eval, shape and identities once advertised all seven formats and accepted two."""
    run = cli(command.value, "--help")
    assert run.code == 0
    listed = "<" + "|".join(f.value for f in FORMATS[command]) + ">"
    assert f"--format {listed}" in " ".join(run.stdout.split()), run.stdout


@pytest.mark.parametrize(
    ("args", "shape"),
    [
        (["diff", "x^T A x", "--wrt", "x"], ["m"]),
        (["check", "x^T A x", "--wrt", "x", "--claim", "2 A x"], ["m"]),
        (["check", "tr(A B)", "--wrt", "A", "--claim", "B"], ["m", "n"]),
        (["check", "x^T x", "--wrt", "x", "--claim", "2 x^T"], ["m"]),  # the claim is a row: [1, m]
        (["shape", "a^T X b"], []),
        (["shape", "x^T A"], [1, "n"]),
        (["shape", "A B", "--shape", "A=3x4"], [3, "m"]),
    ],
)
def test_json_shape_is_a_list_in_every_command(args: list[str], shape: list[object]) -> None:
    run = cli(*args, "--format", "json")
    obj = run.json
    assert obj["shape"] == shape, obj
    errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(obj)]
    assert not errors, (errors, obj)
    if args[0] == "check" and args[-1] == "2 x^T":
        assert obj["claim_shape"] == [1, "m"] and obj["verdict"] == "layout"


def test_a_homework_sheet_line_is_a_valid_claim_object(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("tr(A B) ; A ; B^T\nx^T x ; x ; x\n", encoding="utf-8")
    run = cli("check", "--file", str(sheet), "--format", "json")
    objs = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["verdict"] for o in objs] == ["correct", "factor"] and run.code == 1
    for obj in objs:
        assert not list(Draft202012Validator(SCHEMA).iter_errors(obj)), obj
