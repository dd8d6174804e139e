"""Batch mode: `mcalc diff -` reads one expression per line from standard input.

`#` comments and blank lines are skipped; `EXPR ; VAR` names its own variable (otherwise --wrt applies);
one result per line; a bad line reports its line number and the rest go on; the exit code says whether
any line failed. The example of issue 5 runs as a real process with a real pipe.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mcalc.cli.app import app


def run(args: list[str], stdin: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def json_lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_issue_example_gives_two_json_lines_through_a_pipe() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mcalc", "diff", "-", "--format", "json"],
        input="tr(A B) ; A\nlogdet(X) ; X\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert (first["expression"], first["wrt"], first["derivative"]) == ("tr(A B)", "A", "Bᵀ")
    assert (second["expression"], second["wrt"], second["derivative"]) == ("logdet(X)", "X", "X⁻ᵀ")
    assert proc.stderr == ""


def test_comments_and_blank_lines_are_skipped_and_wrt_applies_to_lines_without_a_variable() -> None:
    stdin = "# gradients of a quadratic form\n\nx^T A x\n   \n  # indented comment\nA x\nx^T B y ; y\n"
    code, out, err = run(["diff", "-", "--wrt", "x", "--format", "json"], stdin)
    assert code == 0, err
    objs = json_lines(out)
    assert [(o["expression"], o["wrt"]) for o in objs] == [("x^T A x", "x"), ("A x", "x"), ("x^T B y", "y")]
    assert [o["derivative"] for o in objs] == ["(A + Aᵀ)x", "A", "Bᵀx"]


def test_a_bad_line_reports_its_line_number_and_the_rest_go_on() -> None:
    stdin = "tr(A B) ; A\n# comment\ntr(A B ; A\n\nlogdet(X) ; X\nfoo(X) ; X\n"
    code, out, err = run(["diff", "-", "--format", "json"], stdin)
    assert code == 2
    objs = json_lines(out)
    assert len(objs) == 4
    assert objs[0]["derivative"] == "Bᵀ"
    assert objs[1]["line"] == 3 and objs[1]["position"] == 6 and objs[1]["expression"] == "tr(A B"
    assert objs[1]["category"] == "syntax error"
    assert objs[2]["derivative"] == "X⁻ᵀ"
    assert objs[3]["line"] == 6 and objs[3]["position"] == 0 and "foo" in str(objs[3]["error"])
    assert "error" not in objs[0] and "error" not in objs[2]


def blocks(stdout: str) -> list[list[str]]:
    """Text batch output: blocks of lines, each ended by a blank line."""
    assert stdout.endswith("\n\n") or not stdout, stdout
    return [b.splitlines() for b in stdout.split("\n\n") if b]


def test_bad_lines_in_text_mode_answer_in_their_place() -> None:
    """One block per input line, in input order: a failed line is an `error:` block where its answer would
    be, so the output never shifts against the input; nothing on stderr."""
    code, out, err = run(["diff", "-"], "tr(A B) ; A\nfoo(X) ; X\nlogdet(X) ; X\n")
    assert code == 2 and err == ""
    first, second, third = blocks(out)
    assert first[:2] == ["line 1: tr(A B)", "∂/∂A tr(AB) = Bᵀ"]
    assert second[0] == "line 2: foo(X)" and second[1].startswith("error: unknown function 'foo'")
    assert len(second) == 2
    assert third[:2] == ["line 3: logdet(X)", "∂/∂X logdet(X) = X⁻ᵀ"]


@pytest.mark.parametrize(
    ("stdin", "code"),
    [
        ("tr(A B) ; A\nlogdet(X) ; X\n", 0),
        ("tr(A B) ; A\nlogdet(X ; X\n", 2),  # bad input
        ("# only a comment\n\n", 0),  # nothing to do is not a failure
        ("x^T x\n", 2),  # no variable on the line and no --wrt
    ],
)
def test_exit_code_says_whether_any_line_failed(stdin: str, code: int) -> None:
    got, out, err = run(["diff", "-", "--format", "json"], stdin)
    assert got == code, (out, err)


def test_a_failed_check_in_one_line_gives_exit_code_1_and_the_others_still_print() -> None:
    # a check that passes everywhere: the exit code reflects every line, not only the last
    code, out, err = run(["diff", "-", "--format", "json", "--check", "--seed", "3"], "tr(A B) ; A\nx^T x ; x\n")
    assert code == 0, err
    assert [o["check"]["passed"] for o in json_lines(out)] == [True, True]


def test_line_numbers_count_comment_and_blank_lines() -> None:
    stdin = "\n\n# a\n# b\nx^T x ; x\n\n)\n"
    code, out, _ = run(["diff", "-", "--format", "json"], stdin)
    objs = json_lines(out)
    assert code == 2
    assert objs[0]["derivative"] == "2x"
    assert objs[1]["line"] == 7 and objs[1]["position"] == 0


def test_a_line_may_name_two_variables_for_a_second_derivative() -> None:
    code, out, err = run(["diff", "-", "--format", "json"], "x^T A x ; x, x\n")
    assert code == 0, err
    (obj,) = json_lines(out)
    assert obj["wrt"] == ["x", "x"] and obj["derivative"] == "A + Aᵀ"


def test_text_batch_prints_one_block_per_line_like_the_single_output() -> None:
    """Each block is the single-expression text output (equation, shape, index, value, steps, reading)
    under a `line N: EXPR` header; line numbers count comments and blank lines."""
    stdin = "tr(A B) ; A\n# a comment\n\nB C ; B\n"
    code, out, err = run(["diff", "-", "--format", "text", "--steps"], stdin)
    assert code == 0, err
    first, second = blocks(out)
    _, single, _ = run(["diff", "tr(A B)", "--wrt", "A", "--format", "text", "--steps"], "")
    assert first == ["line 1: tr(A B)", *single.splitlines()]
    assert second[0] == "line 4: B C" and second[2].startswith("shape: ") and second[3].startswith("index: ")
    assert any(line.startswith("step: ") for line in second)


def test_text_batch_blocks_show_the_at_values() -> None:
    code, out, err = run(["diff", "-", "--wrt", "x", "--at", "x=[1,2]", "--at", "A=[[1,2],[3,4]]"], "x^T A x\n)\n")
    assert code == 2, err
    ok, bad = blocks(out)
    assert ok[:4] == ["line 1: x^T A x", "∂/∂x (xᵀAx) = (A + Aᵀ)x", "shape: 2 (vector)", "value: [12.0, 21.0]"]
    assert bad == ["line 2: )", "error: expected an operand, found ')' at col 1"]


def test_a_long_batch_line_is_shortened_in_its_header() -> None:
    expr = " + ".join(["x^T x"] * 100)
    code, out, _ = run(["diff", "-", "--wrt", "x", "--format", "text"], expr + "\n")
    (block,) = blocks(out)
    assert code == 0 and block[0] == f"line 1: {expr[:200]}… ({len(expr):,} characters)"
