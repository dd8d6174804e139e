"""Field notes (../shared/FIELD-NOTES.md) found still open when every line was run again on main: each with
the input a user typed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import central_gradient, cli, seeded

from mcalc.cli.failures import OTHER_COMMANDS_OPTIONS

SHEET = """# one of each: right, right up to layout, wrong, unusable
tr(A B) ; A ; B^T
tr(A B) ; A ; B
x^T A x ; x ; 2 A x
tr(A B ; A ; B^T
"""


def test_a_homework_sheet_ends_with_how_many_claims_were_right(tmp_path: Path) -> None:
    """A sheet ended with no summary: the last line (stderr, so the rows on stdout stay one per claim)
    counts right, wrong and unusable lines; the exit code is the worst line's, as before."""
    sheet = tmp_path / "sheet.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    run = cli("check", "--file", str(sheet))
    assert run.code == 2  # an unusable line
    assert [row.split("\t")[4] for row in run.stdout.splitlines()] == ["correct", "layout", "missing-term", "error"]
    summary = "summary: 4 lines: 2 right (1 up to layout or convention), 1 wrong, 1 unusable"
    assert run.stderr.splitlines()[-1] == summary


def test_a_sheet_of_right_claims_says_so_and_json_stays_one_object_per_line(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("tr(A B) ; A ; B^T\n", encoding="utf-8")
    plain = cli("check", "--file", str(sheet))
    assert plain.code == 0 and plain.stderr == "summary: 1 line: 1 right, 0 wrong, 0 unusable\n"
    as_json = cli("check", "--file", str(sheet), "--format", "json")
    assert as_json.stderr == ""
    assert [json.loads(line)["verdict"] for line in as_json.stdout.splitlines()] == ["correct"]


def test_a_layout_explanation_for_a_vector_variable_uses_one_index() -> None:
    """`check "a^T x" --claim "a^T"` explained the layouts with ∂f/∂xⱼᵢ, two indices on a vector: a row
    with entry j = ∂f/∂xⱼ, a column with entry i = ∂f/∂xᵢ. A matrix keeps its two indices."""
    vector = cli("check", "x^T A x", "--wrt", "x", "--claim", "x^T (A + A^T)", "--format", "json").json
    assert vector["verdict"] == "layout"
    assert "(a row: entry j = ∂f/∂xⱼ)" in vector["explanation"]
    assert "(a column like x: entry i = ∂f/∂xᵢ)" in vector["explanation"]
    assert "xⱼᵢ" not in vector["explanation"]
    matrix = cli("check", "tr(A B)", "--wrt", "A", "--claim", "B", "--format", "json").json
    assert matrix["verdict"] == "layout" and "entry (i, j) = ∂f/∂Aⱼᵢ" in matrix["explanation"]


# --- the quotient rule as textbooks print it: 1/g (f′ − (f/g) g′) ---------------------------------------


def _rayleigh(x: np.ndarray, a: np.ndarray) -> float:
    return float(x @ a @ x / (x @ x))


def _unit(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x))


def _ratio(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ x / (b @ x))


def _jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Rows follow f (numerator layout, mcalc's for a Jacobian): central differences of each entry."""
    return np.array([central_gradient(lambda y, i=i: f(y)[i], x) for i in range(len(f(x)))])


QUOTIENTS = [
    # (expression, declarations, printed, numpy f of (x, A, b) and whether it is vector-valued)
    ("x^T A x / (x^T x)", [], "(xᵀx)⁻¹ ((A + Aᵀ)x − 2 (xᵀAx) (xᵀx)⁻¹ x)", "rayleigh"),
    ("x^T A x / (x^T x)", ["--symmetric", "A"], "2 (xᵀx)⁻¹ (Ax − (xᵀAx) (xᵀx)⁻¹ x)", "rayleigh"),
    ("a^T x / (b^T x)", [], "(bᵀx)⁻¹ (a − (aᵀx) (bᵀx)⁻¹ b)", "ratio"),
    ("x / norm2(x)", [], "‖x‖⁻¹ (I − ‖x‖⁻² x xᵀ)", "unit"),
]


@pytest.mark.parametrize(("expr", "decl", "printed", "which"), QUOTIENTS)
def test_a_quotient_prints_one_over_g_times_a_difference(expr: str, decl: list[str], printed: str, which: str) -> None:
    """The Rayleigh quotient's gradient printed (xᵀx)⁻¹ (A + Aᵀ) x − 2 (xᵀAx) (xᵀx)⁻² x; the textbook's is
    2/(xᵀx) (Ax − (xᵀAx/xᵀx) x) for a symmetric A: the least power of a scalar every term divides by comes
    out, with a number the terms share. The printed text itself, evaluated by `mcalc eval`, equals central
    differences of numpy code at a random point."""
    run = cli("diff", expr, "--wrt", "x", *decl, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == printed
    rng = np.random.default_rng(seeded("quotient", expr, *decl))
    x, a, b = rng.normal(size=4), rng.normal(size=(4, 4)), rng.normal(size=4)
    if decl:
        a = a + a.T
    if which == "ratio":
        a = rng.normal(size=4)
        expected = central_gradient(lambda y: _ratio(y, a, b), x)
    elif which == "unit":
        expected = _jacobian(lambda y: _unit(y, a), x)
    else:
        expected = central_gradient(lambda y: _rayleigh(y, a), x)
    values = {"x": x, "A": a, "a": a, "b": b}
    at = [f"{n}={json.dumps(values[n].tolist())}" for n in sorted(run.json["variables"])]
    shown = cli("eval", printed, *[a for v in at for a in ("--at", v)], "--format", "json")
    assert shown.code == 0, shown.stdout + shown.stderr
    np.testing.assert_allclose(shown.json["value"], expected, rtol=1e-6, atol=1e-8)


def test_the_hessian_of_log_of_a_quadratic_form_keeps_its_value() -> None:
    """log(xᵀAx) by x twice: (xᵀAx)⁻¹ (A + Aᵀ − (xᵀAx)⁻¹ (A + Aᵀ) x xᵀ (A + Aᵀ)), the printed text against
    second central differences of numpy's log at a point where xᵀAx > 0."""
    printed = "(xᵀAx)⁻¹ (A + Aᵀ − (xᵀAx)⁻¹ (A + Aᵀ) x xᵀ (A + Aᵀ))"
    run = cli("diff", "log(x^T A x)", "--wrt", "x", "--wrt", "x", "--format", "json")
    assert run.json["derivative"] == printed
    rng = np.random.default_rng(seeded("log quadratic hessian"))
    m = rng.normal(size=(3, 3))
    a, x = m @ m.T + 3 * np.eye(3) + 0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)

    def grad(y: np.ndarray) -> np.ndarray:
        return central_gradient(lambda z: float(np.log(z @ a @ z)), y, h=1e-5)

    expected = np.array([central_gradient(lambda y, i=i: grad(y)[i], x, h=1e-4) for i in range(3)])
    at = ["--at", f"x={json.dumps(x.tolist())}", "--at", f"A={json.dumps(a.tolist())}"]
    shown = cli("eval", printed, *at, "--format", "json")
    assert shown.code == 0, shown.stdout + shown.stderr
    np.testing.assert_allclose(shown.json["value"], expected, rtol=1e-5, atol=1e-6)


# --- an option of another command --------------------------------------------------------------------


def _options_of(command: str) -> set[str]:
    import typer.main

    from mcalc.cli.app import app

    group = typer.main.get_command(app)
    return {o for p in group.commands[command].params for o in p.opts}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("command", "option"), sorted(OTHER_COMMANDS_OPTIONS))
def test_an_option_of_the_other_command_names_the_command_that_has_it(command: str, option: str) -> None:
    """`mcalc check … --steps` answered "No such option: --steps; did you mean --help?": it names the command
    that has the option. The table is checked against the commands themselves."""
    other = {"check": "diff", "diff": "check"}[command]
    assert option not in _options_of(command) and option in _options_of(other)
    args = {"check": ["x^T x", "--wrt", "x", "--claim", "2 x"], "diff": ["x^T x", "--wrt", "x"]}[command]
    run = cli(command, *args, option, *(["s.txt"] if option in ("--file", "--claim") else []))
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"error: mcalc {command} has no {option}: ") and f"mcalc {other} " in line
    assert "did you mean" not in line


@pytest.mark.parametrize(
    ("command", "typed", "meant"),
    [("check", "--stepz", "--steps"), ("diff", "--clam", "--claim"), ("diff", "--stepz", "--steps")],
)
def test_a_mistyped_option_is_matched_against_the_other_commands_options_too(
    command: str, typed: str, meant: str
) -> None:
    """`check … --stepz` suggested check's --toeplitz, `diff … --clam` diff's --scalar: the closest option of
    either command is named, and the other command's with where it is (OTHER_COMMANDS_OPTIONS)."""
    args = {"check": ["x^T x", "--wrt", "x", "--claim", "2 x"], "diff": ["x^T x", "--wrt", "x"]}[command]
    run = cli(command, *args, typed)
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert f"No such option: {typed}; did you mean {meant}?" in line
    assert (meant in _options_of(command)) == (f"mcalc {command} has no {meant}" not in line)


def test_the_step_that_collects_a_vectors_terms_is_not_called_a_trace_rule() -> None:
    """`--steps` for xᵀAx merged xᵀAᵀdx + xᵀA dx under trace-linear (tr(X) + tr(Y) = tr(X + Y)), with no
    trace in sight: it is collect-dx; a matrix variable's terms tr(G dX) still merge by trace-linear."""
    vector = cli("diff", "x^T A x", "--wrt", "x", "--steps", "--format", "json").json["steps"]
    assert any(s.startswith("d(xᵀAx) = xᵀAᵀ dx + xᵀA dx = (xᵀAᵀ + xᵀA) dx    [collect-dx: ") for s in vector)
    assert not any("trace-linear" in s for s in vector)
    matrix = cli("diff", "tr(A B A^T C)", "--wrt", "A", "--steps", "--format", "json").json["steps"]
    assert any("[trace-linear: " in s for s in matrix) and not any("collect-dx" in s for s in matrix)
    verified = cli("identities", "collect-dx", "--verify")
    assert verified.code == 0 and "\tok " in verified.stdout


@pytest.mark.parametrize(("expr", "wrt"), [("R^T R", "R"), ("X^-1", "X"), ("A.^2", "A"), ("tanh(W x)", "W")])
def test_the_steps_of_a_tensor_end_on_its_index_form(expr: str, wrt: str) -> None:
    """`--steps` for a tensor ended at the vec form; the `index:` line was never reached. The last step is
    that line, cited as index-form, and the equation, given back as a claim, is judged correct by `mcalc check`
    (index claims are compared numerically, as einsum against mcalc's value)."""
    run = cli("diff", expr, "--wrt", wrt, "--steps", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    body, cited = run.json["steps"][-1].split("    [", 1)
    assert body == run.json["index"] and cited.startswith("index-form: ")
    verdict = cli("check", expr, "--wrt", wrt, "--claim", body, "--format", "json")
    assert verdict.json["verdict"] == "correct", verdict.stdout


@pytest.mark.parametrize(
    ("expr", "left"),
    [
        ("x^T A x / (x^T x)", "∂/∂x ((xᵀAx) (xᵀx)⁻¹) = "),  # was xᵀ A x (xᵀx)⁻¹
        ("x^T A x (x^T x)", "∂/∂x ((xᵀAx) (xᵀx)) = "),  # was xᵀAxxᵀx
        ("tr(A B) (x^T x)", "∂/∂x (tr(AB) (xᵀx)) = "),  # was tr(AB) xᵀ x
        ("-y^T log(softmax(W x))", "∂/∂x (−yᵀ log(softmax(Wx))) = "),  # a number and one product: as before
        ("-(-(x^T x))", "∂/∂x (xᵀx) = "),  # negations merge, as before
        ("-(-(2 (x^T x) y))", "∂/∂x (2 (xᵀx) y) = "),  # a group under negations keeps its parentheses
    ],
)
def test_the_left_side_keeps_a_scalar_product_apart(expr: str, left: str) -> None:
    """The left side showed a quotient as xᵀ A x (xᵀx)⁻¹ and a product of two quadratic forms as xᵀAxxᵀx:
    a scalar product beside other factors keeps its parentheses (render.report.as_read)."""
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith(left), run.stdout


@pytest.mark.parametrize(
    ("expr", "derivative"),
    [
        ("1e-20 x^T x", "2e-20 x"),  # was 1/50000000000000000000 x
        ("2.5e8 x^T x", "5e8 x"),
        ("-3e-7 x^T x", "−6e-7 x"),
        ("x^T x / 1e9", "2e-9 x"),
        ("1e-2 x^T x", "1/50 x"),  # a decimal of two places stays an exact fraction
        ("123456789 x^T x", "246913578x"),  # so does a number of many significant digits
    ],
)
def test_a_power_of_ten_prints_in_e_notation_and_reads_back(expr: str, derivative: str) -> None:
    """`1e-20 x^T x` printed its derivative as 1/50000000000000000000 x (new-user pass): a few significant
    digits times 10⁶ or more, or 10⁻⁶ or less, print as the user typed them, and read back to the same value."""
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0].endswith(f" = {derivative}"), run.stdout
    back = cli("check", expr, "--wrt", "x", "--claim", derivative.replace("−", "-"))
    assert back.code == 0 and back.stdout.startswith("correct"), back.stdout + back.stderr


@pytest.mark.parametrize(
    ("expr", "derivative"),
    [
        ("1e-3 x^T x + c", "0.002 x"),  # was 1/500 x (the before-stop smoke run: 1e-3 should read 0.001)
        ("0.004 x^T x", "0.008 x"),
        ("1.001 x^T x", "2.002 x"),
        ("0.125 x^T x", "1/4 x"),  # halves, quarters and eighths stay fractions
        ("0.01 x^T x", "1/50 x"),  # two places: a fraction, as before
    ],
)
def test_a_decimal_of_three_to_five_places_prints_as_typed_and_reads_back(expr: str, derivative: str) -> None:
    run = cli("diff", expr, "--wrt", "x", "--scalar", "c")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0].endswith(f" = {derivative}"), run.stdout
    back = cli("check", expr, "--wrt", "x", "--scalar", "c", "--claim", derivative)
    assert back.code == 0 and back.stdout.startswith("correct"), back.stdout + back.stderr
