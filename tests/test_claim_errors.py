"""An error in the claim of `mcalc check` says "in the claim" and quotes the claim's own text at the claim's
own column (issue 23 item 6): in text, in JSON (`position` the claim's column, `"in": "claim"`), on a sheet's
line (`check --file`) and in Python (`mcalc.check_claim`, `.where == "claim"`). Before, `--claim "A x x"`
for `x^T A x` said "at col 5: x^T is a vector of length m, A is …": the claim's column, the expression's
text, and no word of which input it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import mcalc
from mcalc.cli.app import app

EXPR, CLAIM = "x^T A x", "A x x"


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def test_a_shape_error_in_the_claim_quotes_the_claim_at_its_column() -> None:
    code, out, err = run("check", EXPR, "--wrt", "x", "--claim", CLAIM)
    assert code == 2 and out == ""
    assert err == (
        "error: in the claim at col 5: dimension mismatch in a product: A x is a vector of length m, "
        "x is a vector of length m\n"
    )
    # the quoted pieces are the claim's own text at that column
    assert CLAIM[4] == "x" and CLAIM[:3] == "A x"


def test_json_says_the_position_is_in_the_claim() -> None:
    code, out, _ = run("check", EXPR, "--wrt", "x", "--claim", CLAIM, "--format", "json")
    obj = json.loads(out)
    assert code == 2 and obj["position"] == 4 and obj["in"] == "claim" and obj["category"] == "shape error"
    assert obj["error"].startswith("in the claim at col 5:")


def test_an_error_in_the_expression_says_so_in_json() -> None:
    code, out, _ = run("diff", "A x x", "--wrt", "x", "--format", "json")
    obj = json.loads(out)
    assert code == 2 and obj["position"] == 4 and obj["in"] == "expression"
    code, out, _ = run("check", "A x x", "--wrt", "x", "--claim", "A", "--format", "json")
    obj = json.loads(out)
    assert code == 2 and obj["in"] == "expression" and not obj["error"].startswith("in the claim")


def test_no_position_no_in() -> None:
    code, out, _ = run("check", "tr(A B)", "--wrt", "A", "--claim", "C", "--format", "json")
    obj = json.loads(out)
    assert code == 2 and obj["position"] is None and "in" not in obj


@pytest.mark.parametrize(
    ("claim", "column", "quoted"),
    [
        ("B^T +", 6, "expected an operand"),  # a syntax error
        ("(B^T", 5, "expected ')'"),
        ("B^T + b", 5, "B^T is m×n, b is a vector"),  # a shape error quoting the claim's pieces
    ],
)
def test_syntax_and_shape_errors_in_the_claim(claim: str, column: int, quoted: str) -> None:
    code, out, err = run("check", "tr(A B)", "--wrt", "A", "--claim", claim)
    assert code == 2 and err.startswith(f"error: in the claim at col {column}:") and quoted in err, err
    assert len(err.splitlines()) == 1


def _sheet(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "sheet.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_sheet_line_says_in_the_claim(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path, f"{EXPR} ; x ; {CLAIM}", "A x x ; x ; A")
    code, out, _ = run("check", "--file", str(sheet), "--format", "json")
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 2
    assert first["in"] == "claim" and first["position"] == 4 and first["error"].startswith("in the claim at col 5")
    assert "A x is a vector" in first["error"]
    assert second["in"] == "expression" and second["position"] == 4
    code, out, _ = run("check", "--file", str(sheet))
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0][4] == "error" and rows[0][5].startswith("in the claim at col 5: dimension mismatch")


def test_check_claim_in_python() -> None:
    with pytest.raises(mcalc.ShapeError) as caught:
        mcalc.check_claim(EXPR, "x", CLAIM)
    exc: Any = caught.value
    assert exc.where == "claim" and exc.position == 4
    assert exc.one_line().startswith("in the claim at col 5: dimension mismatch in a product: A x is")
    with pytest.raises(mcalc.ShapeError) as caught:
        mcalc.diff("A x x", "x")
    assert caught.value.where is None and caught.value.position == 4
