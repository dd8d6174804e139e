"""`mcalc check EXPR --wrt VAR --claim ANSWER` and `mcalc check --file SHEET`: every verdict produced
by a real wrong (or right) claim a student could write, with the diagnosis a teaching assistant
would give, exit 0 for right and 1 for wrong, and the method (symbolic or numeric) stated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import seeded
from typer.testing import CliRunner

from mcalc.cli.app import app
from mcalc.cli.commands import Decl
from mcalc.cli.homework import LABELS, Verdict, diagnose, expand_terms, parse_sheet_line
from mcalc.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def mcalc(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def claim(expr: str, wrt: str, answer: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run the command twice: JSON for the fields, text for the one line a student reads."""
    args = ["check", expr, *[a for w in wrt.split(";") for a in ("--wrt", w)], "--claim", answer, *extra]
    code, out, err = mcalc(*args, "--format", "json", "--seed", "3")
    assert err == "", err
    text_code, text, _ = mcalc(*args, "--seed", "3")
    assert text_code == code and len(text.splitlines()) == 1
    return code, json.loads(out), text.strip()


def verdict(expr: str, wrt: list[str], answer: str, **decl: list[str]) -> Verdict:
    return diagnose(expr, wrt, answer, Decl(**decl).build(), seed=seeded("diagnose"))


# --- the issue's cases ---


def test_tr_ab_claimed_b_is_right_up_to_layout_and_names_both_conventions() -> None:
    code, obj, text = claim("tr(A B)", "A", "B")
    assert code == 0 and obj["verdict"] == "layout" and obj["correct"] is True
    assert obj["expected"] == "Bᵀ"
    assert "numerator layout" in obj["explanation"] and "denominator layout" in obj["explanation"]
    assert text.startswith("correct up to layout: B is the transpose of mcalc's ∂/∂A = Bᵀ")


def test_quadratic_form_claimed_2ax_names_the_missing_term_and_the_symmetric_case() -> None:
    code, obj, text = claim("x^T A x", "x", "2 A x")
    assert code == 1 and obj["verdict"] == "missing-term" and obj["correct"] is False
    assert obj["details"]["missing"] == ["Aᵀx"]
    assert obj["details"]["right_when_symmetric"] == ["A"]
    assert "2Ax is right only when A is symmetric" in text
    assert "missing Aᵀx" in text and "(A + Aᵀ)x = Ax + Aᵀx" in text
    assert text.startswith("wrong (missing term): ")


def test_quadratic_form_claimed_2ax_is_right_when_a_is_declared_symmetric() -> None:
    code, obj, text = claim("x^T A x", "x", "2 A x", "--symmetric", "A")
    assert code == 0 and obj["verdict"] == "correct" and obj["method"] == "symbolic"
    assert text == "correct: 2Ax is ∂/∂x xᵀAx (equal as expressions) [symbolic]"


def test_logdet_claimed_inverse_is_the_transpose() -> None:
    code, obj, text = claim("logdet(X)", "X", "X^-1")
    assert code == 0 and obj["verdict"] == "layout" and obj["expected"] == "X⁻ᵀ"
    assert "X⁻¹ is the transpose of mcalc's ∂/∂X = X⁻ᵀ" in text
    assert obj["details"]["layout"] == {"mcalc": "denominator layout", "claim": "numerator layout"}


def test_squared_norm_claimed_x_misses_the_factor_2() -> None:
    code, obj, text = claim("||x||^2", "x", "x")
    assert code == 1 and obj["verdict"] == "factor" and obj["details"]["factor"] == "1/2"
    assert "a missing factor 2 from the square" in text and "2x" in text


def test_bilinear_form_claimed_b_a_transpose_is_the_transpose() -> None:
    code, obj, _ = claim("a^T X b", "X", "b a^T")
    assert code == 0 and obj["verdict"] == "layout" and obj["expected"] == "abᵀ"
    assert obj["shape"] == ["m", "n"] and obj["claim_shape"] == ["n", "m"]
    assert obj["display_shape"] == "m×n" and obj["claim_display_shape"] == "n×m"


# --- every other verdict, each from a real claim ---


@pytest.mark.parametrize(
    ("expr", "wrt", "answer", "decl", "want", "method"),
    [
        ("tr(A B)", "A", "B^T", (), "correct", "symbolic"),
        ("(x - A s)^T W (x - A s)", "s", "-2 A^T W (x - A s)", ("--symmetric", "W"), "correct", "symbolic"),
        ("norm2(x)", "x", "x ./ sqrt(x^T x)", (), "correct", "numeric"),  # not provable by rewriting
        ("tr(X^-1)", "X", "-(X^2)^-T", (), "correct", "numeric"),
        ("tr(A)", "X", "0", (), "correct", "symbolic"),  # X does not occur: the derivative is 0
        ("x^T A x", "x;x", "A + A^T", (), "correct", "symbolic"),  # a Hessian
        ("A(t) B(t)", "t", "A′(t) B(t) + A(t) B′(t)", (), "correct", "symbolic"),  # functions of t
        ("inv(A(t))", "t", "-inv(A(t)) A′(t) inv(A(t))", (), "correct", "symbolic"),
        ("A x", "x", "A^T", (), "layout", "symbolic"),  # a Jacobian in denominator layout
        ("x^T A x", "x", "x^T (A + A^T)", (), "layout", "symbolic"),  # a row: numerator layout
        ("B C", "B", "C ⊗ I", (), "layout", "symbolic"),  # a vec Jacobian transposed; I sized by context
        ("det(X)", "X", "det(X) X^-1", (), "layout", "symbolic"),
        ("tr(A B)", "A", "B A", (), "wrong-shape", "symbolic"),  # n×n for m×n
        ("tr(A)", "X", "A", (), "wrong-shape", "symbolic"),
        ("x^T A x", "x", "A x", (), "missing-term", "symbolic"),
        ("A(t) B(t)", "t", "A′(t) B(t)", (), "missing-term", "symbolic"),
        ("inv(A(t))", "t", "inv(A(t)) A′(t) inv(A(t))", (), "factor", "symbolic"),
        ("x^T A x", "x", "x^T A", (), "missing-term", "symbolic"),  # a row, and a term missing
        ("tr(X^T A X)", "X", "2 A X", (), "missing-term", "symbolic"),
        ("x^T A x", "x", "A x + A^T x + x", (), "extra-term", "symbolic"),
        ("x^T A x", "x", "2 A x + A^T x", (), "extra-term", "symbolic"),  # a term counted twice
        ("tr(A X)", "X", "A^T + A", (), "extra-term", "symbolic"),
        ("x^T x", "x", "x^T", (), "factor", "symbolic"),  # a row, and half of it
        ("a^T X^-1 b", "X", "X^-T a b^T X^-T", (), "factor", "symbolic"),  # the sign
        ("tr(2 X)", "X", "I", (), "factor", "symbolic"),
        ("a^T X^-1 b", "X", "-X^-1 a b^T X^-1", (), "wrong", "symbolic"),  # X⁻¹ for X⁻ᵀ
        ("||y - Φ θ||^2", "θ", "2 Φ^T Φ θ + 2 Φ^T y", (), "wrong", "symbolic"),  # the sign of one term
        ("tr(A B)", "A", "A", (), "wrong", "numeric"),
        ("B C", "B", "kron(I, C^T)", (), "wrong", "numeric"),  # Kronecker factors swapped
    ],
)
def test_each_verdict_from_a_real_claim(
    expr: str, wrt: str, answer: str, decl: tuple[str, ...], want: str, method: str
) -> None:
    code, obj, text = claim(expr, wrt, answer, *decl)
    assert obj["verdict"] == want, text
    assert obj["method"] == method, text
    assert code == (0 if want in ("correct", "layout") else 1)
    assert text.startswith(LABELS[want] + ": ")
    assert text.endswith("[symbolic]") if method == "symbolic" else "[numeric: 3 random points" in text


def test_the_diagnoses_name_what_is_wrong() -> None:
    assert "missing Aᵀx" in verdict("x^T A x", ["x"], "A x").explanation
    assert "missing Ax" in verdict("x^T A x", ["x"], "A^T x").explanation
    v = verdict("x^T A x", ["x"], "A x + A^T x + x")
    assert v.explanation.startswith("x does not belong") and v.details["extra"] == ["x"]
    v = verdict("x^T A x", ["x"], "2 A x + A^T x")
    assert "counted twice" in v.explanation and v.details["doubled"] == ["Ax"]
    v = verdict("||y - Φ θ||^2 + λ θ^T θ", ["θ"], "2 Φ^T (Φ θ - y) + λ θ", scalar=["λ"])
    assert v.verdict == "wrong" and v.details["scaled"] == {"2λθ": "1/2"}
    assert "the term 2λθ appears as λθ (a missing factor 2)" in v.explanation
    v = verdict("tr(A B A^T C)", ["A"], "C A B + C A B^T")
    assert v.details["in_place_of"] == {"missing": ["CᵀABᵀ"], "instead": ["CABᵀ"]}
    assert v.explanation.startswith("CAB + CABᵀ is right only when C is symmetric; your answer has CABᵀ where")
    v = verdict("tr(A B A^T C)", ["A"], "2 C A B")
    assert v.details["right_when_symmetric"] == ["B", "C"] and "missing CᵀABᵀ" in v.explanation
    v = verdict("||y - Φ θ||^2", ["θ"], "2 Φ^T Φ θ + 2 Φ^T y")
    assert v.details["wrong_sign"] == ["−2Φᵀy"] and "wrong sign" in v.explanation
    v = verdict("a^T X^-1 b", ["X"], "-X^-1 a b^T X^-1")
    assert v.details["transposed"] == ["X"] and "has X where the derivative has Xᵀ" in v.explanation
    v = verdict("a^T X^-1 b", ["X"], "X^-T a b^T X^-T")
    assert v.explanation.startswith("the sign is wrong")
    v = verdict("x^T x", ["x"], "x^T")
    assert v.details["read_transposed"] is True and "numerator layout" in v.explanation
    assert "1/2" in v.explanation and "missing factor 2" in v.explanation
    v = verdict("tr(A B)", ["A"], "B A")
    assert "n×n" in v.explanation and "m×n" in v.explanation and v.claim_shape == "n×n"
    v = verdict("tr(2 X)", ["X"], "I")
    assert v.details["factor"] == "1/2"
    v = verdict("x^T A x", ["x", "x"], "2 A")
    assert v.verdict == "missing-term" and "∂²/∂x²" in v.explanation and v.details["right_when_symmetric"] == ["A"]


def test_a_zero_claim_and_the_diagonal_of_an_elementwise_jacobian() -> None:
    v = verdict("x^T A x", ["x"], "0")
    assert v.verdict == "wrong" and v.explanation.startswith("your answer is 0, but ∂/∂x xᵀAx = (A + Aᵀ)x")
    v = verdict("exp(x)", ["x"], "exp(x)")
    assert v.verdict == "wrong-shape" and v.details["diagonal"] is True
    assert "your answer is its diagonal" in v.explanation and "diag(exp(x))" in v.explanation
    v = verdict("exp(x)", ["x"], "2 exp(x)")
    assert v.verdict == "wrong-shape" and "diagonal" not in v.details


def test_a_claim_with_an_unknown_name_or_bad_syntax_is_bad_input() -> None:
    code, out, err = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "C")
    assert code == 2 and out == "" and err == "error: the claim uses C, which does not occur in tr(A B)\n"
    code, _, err = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "B^T +")
    assert code == 2 and err.startswith("error: in the claim") and len(err.splitlines()) == 1
    code, out, _ = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "C", "--format", "json")
    assert code == 2 and json.loads(out)["category"] == "bad input"
    code, _, err = mcalc("check", "tr(A B)", "--wrt", "A")
    assert code == 2 and err.startswith("error: mcalc check needs --claim ANSWER:")
    code, _, err = mcalc("check", "tr(A B)", "--claim", "B")
    assert code == 2 and err.startswith("error: mcalc check needs --wrt VAR:")
    code, _, err = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "B", "--file", str(FIXTURES / "sheet.txt"))
    assert code == 2 and "not both" in err
    with pytest.raises(InputError, match="empty"):
        verdict("tr(A B)", ["A"], "  ")


def test_the_verdict_is_repeatable_with_seed() -> None:
    first = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "A", "--seed", "5", "--format", "json")
    again = mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "A", "--seed", "5", "--format", "json")
    assert first == again and json.loads(first[1])["points"] == 3


def test_terms_are_expanded_and_collected() -> None:
    from mcalc import pipeline
    from mcalc.render.printer import render_text
    from mcalc.simplify import Simplifier

    tree, env, _ = pipeline.prepare("(A + A^T) x + 2 A x - A x")
    terms = expand_terms(tree, Simplifier(env))
    assert {render_text(t): str(c) for t, c in terms.items()} == {"Ax": "2", "Aᵀx": "1"}


# --- the homework sheet ---


def test_sheet_prints_one_tab_separated_row_per_line_and_exits_1_when_a_claim_is_wrong() -> None:
    code, out, err = mcalc("check", "--file", str(FIXTURES / "sheet.txt"), "--seed", "0")
    assert code == 1 and err == "summary: 11 lines: 6 right (3 up to layout or convention), 5 wrong, 0 unusable\n"
    rows = [line.split("\t") for line in out.splitlines()]
    assert all(len(r) == 6 for r in rows)
    got = {r[0]: r[4] for r in rows}
    assert got == {
        "4": "correct", "5": "layout", "6": "missing-term", "7": "correct", "8": "layout", "9": "factor",
        "10": "layout", "11": "extra-term", "12": "wrong-shape", "13": "wrong", "14": "correct",
    }  # fmt: skip
    by_line = {r[0]: r for r in rows}
    assert by_line["7"][2] == "x (--symmetric A)"  # per-line declarations are shown
    assert "missing Aᵀx" in by_line["6"][5] and by_line["6"][5].endswith("[symbolic]")


def test_sheet_in_json_lines() -> None:
    code, out, _ = mcalc("check", "--file", str(FIXTURES / "sheet.txt"), "--format", "json", "--seed", "0")
    assert code == 1
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["line"] for o in objs] == list(range(4, 15))
    assert {o["verdict"] for o in objs} == {
        "correct", "layout", "missing-term", "factor", "extra-term", "wrong-shape", "wrong"
    }  # fmt: skip
    assert all({"expression", "wrt", "claim", "verdict", "correct", "explanation", "method"} <= o.keys() for o in objs)
    assert objs[-1]["wrt"] == ["x", "x"]


def test_a_sheet_of_right_answers_exits_0() -> None:
    code, out, _ = mcalc("check", "--file", str(FIXTURES / "hw_all_right.txt"))
    assert code == 0
    assert [r.split("\t")[4] for r in out.splitlines()] == ["correct", "layout", "correct", "correct"]


def test_a_sheet_with_an_unusable_line_reports_it_in_its_row_and_exits_2() -> None:
    code, out, _ = mcalc("check", "--file", str(FIXTURES / "hw_bad_line.txt"))
    assert code == 2
    rows = [r.split("\t") for r in out.splitlines()]
    assert [r[4] for r in rows] == ["correct", "error", "error"]
    assert "expected ')'" in rows[1][5] and "EXPR ; VAR ; CLAIM" in rows[2][5]
    code, out, _ = mcalc("check", "--file", str(FIXTURES / "hw_bad_line.txt"), "--format", "json")
    objs = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and objs[1]["position"] == 6 and objs[1]["category"] == "syntax error"


def test_a_missing_or_empty_sheet_is_bad_input(tmp_path: Path) -> None:
    code, _, err = mcalc("check", "--file", str(tmp_path / "nope.txt"))
    assert code == 2 and err.startswith("error: cannot read") and len(err.splitlines()) == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n", encoding="utf-8")
    code, _, err = mcalc("check", "--file", str(empty))
    assert code == 2 and "no lines" in err


def test_sheet_line_parsing() -> None:
    assert parse_sheet_line("x^T A x ; x, x ; A + A^T") == ("x^T A x", ["x", "x"], "A + A^T", {})
    got = parse_sheet_line("x^T A x ; x ; 2 A x ; --symmetric A --shape x=3")
    assert got[3] == {"symmetric": ["A"], "shape": ["x=3"]}
    with pytest.raises(InputError, match="unknown option"):
        parse_sheet_line("x ; x ; x ; --wrt x")
    with pytest.raises(InputError, match="EXPR ; VAR ; CLAIM"):
        parse_sheet_line("x ; ; x")


def test_sheet_is_a_rich_table_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mcalc import budget
    from mcalc.cli import console
    from mcalc.cli.homework import check_file

    monkeypatch.setattr(console, "_styled", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")
    try:
        code = check_file(str(FIXTURES / "hw_all_right.txt"), Decl(), None, 0)
    finally:
        budget.stop()  # check_file gives each line a clock, which the command (guarded) stops: so does the test
    out = capsys.readouterr().out
    assert code == 0
    assert "homework:" in out and "┏" in out and "│" in out and "\t" not in out
    assert "correct" in out and "layout" in out


def test_a_claim_may_be_written_as_mcalc_prints_a_tensor_derivative() -> None:
    v = verdict("R^T R", ["R"], "(Rᵀ ⊗ I) Kₘₙ + I ⊗ Rᵀ")
    assert v.verdict == "correct"
