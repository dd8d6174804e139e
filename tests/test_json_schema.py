"""`--format json` against docs/output-schema.json, and plain text whenever stdout is not a terminal.

Every object mcalc prints under --format json (diff, --check, --steps, --at, errors, batch) is
validated against the schema file in the repository, with jsonschema's Draft 2020-12 validator. The
schema forbids keys it does not know, so a new key must be documented there and in the README table.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import on_a_terminal
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from mcalc.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "output-schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def valid(obj: Any) -> Any:
    # validate against the branch the object claims to be, for a message that names the bad key
    branch = "error" if isinstance(obj, dict) and "error" in obj else "derivative"
    sub = Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{branch}"}]})
    errors = sorted(sub.iter_errors(obj), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors) + f"\n{obj}"
    assert VALIDATOR.is_valid(obj)
    return obj


def one_object(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(*args, "--format", "json")
    lines = out.splitlines()
    assert len(lines) == 1, (out, err)
    return code, valid(json.loads(lines[0]))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_rejects_what_the_contract_forbids() -> None:
    _, good = one_object("diff", "tr(A B)", "--wrt", "A")
    for key in ("expression", "wrt", "derivative", "latex", "shape", "variables"):
        broken = {k: v for k, v in good.items() if k != key}
        assert not VALIDATOR.is_valid(broken), key
    assert not VALIDATOR.is_valid({**good, "shape": "m×n"})
    assert not VALIDATOR.is_valid({**good, "undocumented": 1})
    assert not VALIDATOR.is_valid({"error": "x"})  # position is required, null when unknown
    assert not VALIDATOR.is_valid({"error": "x", "position": -1})


DIFF_CASES = [
    ("tr(A B A^T C)", ["A"], []),  # gradient of a scalar by a matrix
    ("x^T B x", ["x"], []),  # gradient by a vector
    ("A x", ["x"], []),  # Jacobian
    ("R^T R", ["R"], []),  # tensor: index and vec forms
    ("A(t) B(t)", ["t"], []),  # by a scalar
    ("x^T A x", ["x", "x"], []),  # second derivative: wrt is a list
    ("logdet(S)", ["S"], ["--symmetric", "S"]),
    ("tr(A B)", ["A"], ["--layout", "numerator"]),
    ("A x", ["x"], ["--layout", "denominator"]),
    ("a^T X b", ["X"], ["--shape", "X=3x4"]),
    ("||y - Φ θ||^2", ["θ"], []),
    ("sum(log(1 + exp(W x)))", ["W"], []),
    ("L", ["θ"], ["--let", "e = y - Φ θ", "--let", "L = ||e||^2", "--steps"]),  # named intermediates
]


@pytest.mark.parametrize(("expr", "wrt", "extra"), DIFF_CASES, ids=[c[0] for c in DIFF_CASES])
def test_diff_objects_match_the_schema(expr: str, wrt: list[str], extra: list[str]) -> None:
    args = ["diff", expr, *[a for v in wrt for a in ("--wrt", v)], *extra]
    code, obj = one_object(*args)
    assert code == 0
    assert obj["expression"] == expr
    assert obj["wrt"] == (wrt[0] if len(wrt) == 1 else wrt)
    assert set(obj["variables"]) >= set(wrt) - {"t"} | ({"t"} if "t" in wrt else set())


def test_a_fixed_shape_appears_as_sizes() -> None:
    _, obj = one_object("diff", "a^T X b", "--wrt", "X", "--shape", "X=3x4")
    assert obj["shape"] == [3, 4] and obj["variables"] == {"a": [3], "X": [3, 4], "b": [4]}


def test_check_object() -> None:
    code, obj = one_object("diff", "tr(A B A^T C)", "--wrt", "A", "--check", "--seed", "7")
    assert code == 0
    assert obj["check"]["passed"] is True and obj["check"]["max_rel_error"] < 1e-6


def test_steps_are_a_list_of_strings() -> None:
    code, obj = one_object("diff", "tr(A B A^T C)", "--wrt", "A", "--steps")
    assert code == 0
    assert all(isinstance(s, str) and s for s in obj["steps"])


AT_CASES = [
    ("logdet(X)", ["X"], ["X=[[2,1],[1,3]]"], [[0.6, -0.2], [-0.2, 0.4]]),
    ("A x", ["x"], ["A=[[1,2,3],[4,5,6]]", "x=[1,1,1]"], [[1, 2, 3], [4, 5, 6]]),
    ("x^T x", ["x"], ["x=[1,2]"], [2, 4]),
    ("x^T A x", ["x", "x"], ["x=[1,2]", "A=[[1,2],[3,4]]"], [[2, 5], [5, 8]]),
    ("c^2", ["c"], ["c=3"], 6),
    (
        "A(t) B(t)", ["t"],
        ["t=1", "A=[[1,2],[3,4]]", "A'=[[1,0],[0,1]]", "B=[[1],[2]]", "B'=[[0],[1]]"],
        [[3], [6]],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("expr", "wrt", "at", "expected"), AT_CASES, ids=[c[0] for c in AT_CASES])
def test_value_objects(expr: str, wrt: list[str], at: list[str], expected: Any) -> None:
    args = ["diff", expr, *[a for v in wrt for a in ("--wrt", v)], *[a for v in at for a in ("--at", v)]]
    if expr == "c^2":
        args += ["--scalar", "c"]
    code, obj = one_object(*args)
    assert code == 0
    np.testing.assert_allclose(np.asarray(obj["value"], dtype=float), np.asarray(expected, dtype=float))
    # value has shape(EXPR) + shape(VAR): as many axes as `shape` has entries
    assert np.asarray(obj["value"]).ndim == len(obj["shape"])


def test_at_values_fix_the_sizes_in_shape() -> None:
    _, obj = one_object("diff", "logdet(X)", "--wrt", "X", "--at", "X=[[2,1],[1,3]]")
    assert obj["shape"] == [2, 2] and obj["variables"] == {"X": [2, 2]}


ERROR_CASES = [
    (["diff", "tr(A B", "--wrt", "A"], 2, 6, "syntax error"),
    (["diff", "A x + B", "--wrt", "x"], 2, 4, "shape error"),
    (["diff", "x^T x"], 2, None, "bad input"),  # no --wrt
    (["diff", "x^T x", "--wrt", "x", "--at", "x=[1,2"], 2, None, "bad input"),
    (["diff", "tr(A B)", "--wrt", "A", "--at", "A=[[1,2]]"], 2, None, "bad input"),  # B missing
    (["diff", "logdet(X)", "--wrt", "X", "--at", "X=[[1,2],[2,4]]"], 1, None, "math error"),  # singular
]


@pytest.mark.parametrize(("args", "code", "position", "category"), ERROR_CASES, ids=lambda v: str(v))
def test_error_objects(args: list[str], code: int, position: int | None, category: str) -> None:
    got, obj = one_object(*args)
    assert got == code
    assert "error" in obj and obj["position"] == position and obj["category"] == category


def test_error_object_position_is_the_0_based_column_of_the_message() -> None:
    _, obj = one_object("diff", "A x + B", "--wrt", "x")
    col = int(re.search(r"col (\d+)", obj["error"]).group(1))  # type: ignore[union-attr]
    assert obj["position"] == col - 1


def test_batch_lines_each_match_the_schema() -> None:
    stdin = "tr(A B) ; A\n# a comment\n\nlogdet(X ; X\nR^T R ; R\nx^T A x ; x, x\n)\n"
    code, out, _ = run("diff", "-", "--format", "json", "--steps", stdin=stdin)
    objs = [valid(json.loads(line)) for line in out.splitlines()]
    assert code == 2
    assert [o["line"] for o in objs] == [1, 4, 5, 6, 7]  # every object, answers and errors alike
    assert objs[2]["kind"] == "tensor" and "index" in objs[2]


def test_readme_documents_every_key_of_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### JSON (`--format json`)", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", section)) | set(re.findall(r'"([a-z_]+)"', section))
    keys = set(SCHEMA["$defs"]["derivative"]["properties"]) | set(SCHEMA["$defs"]["error"]["properties"])
    missing = sorted(keys - documented)
    assert not missing, f"README § JSON does not mention {missing}"


def _readme_examples() -> list[Any]:
    """(command line, documented output lines) of each console example in README § JSON."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### JSON (`--format json`)", 1)[1].split("\n### ", 1)[0]
    examples: list[Any] = []
    for block in re.findall(r"```console\n(.*?)```", section, flags=re.S):
        for chunk in re.split(r"\n(?=\$ )", block.strip()):
            command, *output = chunk.strip().splitlines()
            joined = " ".join(line.strip() for line in output if line.strip())
            # a documented object may continue on the next line; objects start with {"
            objs = [o if o.startswith("{") else "{" + o for o in re.split(r"(?<=\})\s+\{", joined)]
            examples.append(pytest.param(command[2:], objs))
    return examples


@pytest.mark.parametrize(("command", "documented"), _readme_examples())
def test_readme_json_examples_are_real_output(command: str, documented: list[str]) -> None:
    """Each README example, run as written: its output matches, up to the parts elided with `...`."""
    stdin = None
    m = re.match(r"printf '(.*?)' \| (.*)", command)
    if m:
        stdin, command = m.group(1).replace("\\n", "\n"), m.group(2)
    import shlex

    args = shlex.split(command)
    assert args[0] == "mcalc"
    _, out, _ = run(*args[1:], stdin=stdin)
    actual = out.splitlines()
    assert len(actual) == len(documented), out
    for doc, real in zip(documented, actual, strict=True):
        valid(json.loads(real))
        if "..." not in doc:
            assert doc == real
            continue
        for piece in re.split(r"\s*\.\.\.,?\s*", doc):
            piece = piece.strip().strip("{}").strip().rstrip(",")
            if piece:
                assert piece in real, f"{piece!r} not in {real}"


# --------------------------------------------------------------------------------------------------
# plain text: no colour, no box drawing, when stdout is not a terminal or NO_COLOR is set
# --------------------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BOX = re.compile("[\u2500-\u257f]")


def run_process(args: list[str], env: dict[str, str], tty: bool) -> str:
    """Run mcalc as a real process, its stdout a pipe or a pseudo-terminal; return what it printed."""
    full_env = {**os.environ, **env}
    cmd = [sys.executable, "-m", "mcalc", *args]
    if not tty:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=60)
        return proc.stdout
    return on_a_terminal(cmd, full_env, stdin_too=False)[1]


pty_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
NOCOLOR_UNSET = {"NO_COLOR": "", "TERM": "xterm-256color", "COLUMNS": "120"}


def _no_color_env(value: str | None) -> dict[str, str]:
    env = dict(NOCOLOR_UNSET)
    if value is not None:
        env["NO_COLOR"] = value
    return env


@pty_only
def test_a_terminal_gets_styled_output() -> None:
    """The control case: without NO_COLOR a terminal does get colour and a box-drawn table, so the
    plain-output tests below would notice if styling leaked into them."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="120")
    out = run_process(["diff", "tr(A B)", "--wrt", "A"], env, tty=True)
    assert ANSI.search(out), out
    table = run_process(["identities", "det"], env, tty=True)
    assert BOX.search(table), table


@pty_only
def test_on_a_terminal_verdicts_are_coloured_and_prose_wraps_between_words() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="40")
    wrong = run_process(["check", "x^T x", "--wrt", "x", "--claim", "x"], env, tty=True)
    assert "\x1b[1;31m" in wrong, repr(wrong)  # bold red: a wrong answer
    right = run_process(["check", "tr(A B)", "--wrt", "A", "--claim", "B^T"], env, tty=True)
    assert "\x1b[1;32m" in right, repr(right)  # bold green
    plain = ANSI.sub("", wrong).replace("\r", "")
    words = "your answer x is 1/2 × ∂/∂x xᵀx = 2x: a missing factor".split()
    lines = [line.rstrip() for line in plain.splitlines() if line.strip()]
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines), lines  # wrapped by rich, at 40 columns
    assert set(words) <= set(" ".join(lines).split()), lines  # no word cut in two


@pty_only
@pytest.mark.parametrize("args", [["diff", "tr(A B A^T C)", "--wrt", "A", "--steps"], ["identities", "det"]])
def test_no_color_on_a_terminal_gives_plain_text(args: list[str]) -> None:
    out = run_process(args, _no_color_env("1"), tty=True)
    assert not ANSI.search(out) and not BOX.search(out), out
    assert out.strip()


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "tr(A B A^T C)", "--wrt", "A", "--steps", "--check", "--seed", "1"],
        ["diff", "R^T R", "--wrt", "R"],
        ["identities", "det"],
        ["diff", "tr(A B", "--wrt", "A"],
    ],
)
def test_a_pipe_gives_plain_text(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color")
    proc = subprocess.run([sys.executable, "-m", "mcalc", *args], capture_output=True, text=True, env=env, timeout=60)
    both = proc.stdout + proc.stderr
    assert not ANSI.search(both) and not BOX.search(both), both
    assert both.strip()


def test_plain_diff_output_is_in_the_documented_order() -> None:
    code, out, _ = run("diff", "R^T R", "--wrt", "R", "--at", "R=[[1,2],[3,4],[5,6]]", "--check", "--steps")
    assert code == 0
    heads = [line.split(":")[0] if ":" in line[:7] else "equation" for line in out.splitlines()]
    order = ["equation", "shape", "index", "value", "check", "step", "read"]
    seen = list(dict.fromkeys(heads))
    assert seen == order, out
