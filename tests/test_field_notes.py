"""What users ran into beyond the open issues (../shared/FIELD-NOTES.md), each with the input they typed.

Numbers are checked against independent numpy code where the item is about a value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import central_gradient, cli, seeded

BOM = "\ufeff".encode()


def test_a_byte_order_mark_on_standard_input_is_not_part_of_the_expression() -> None:
    run = cli("diff", "-", "--format", "json", stdin=BOM + b"x^T x ; x\n")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == "2x"


def test_a_homework_sheet_saved_by_notepad_reads_from_its_first_line(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_bytes(BOM + b"tr(A B) ; A ; B^T\r\n")
    run = cli("check", "--file", str(sheet), "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["line"] == 1 and run.json["verdict"] == "correct"


def test_check_file_dash_reads_the_sheet_from_standard_input() -> None:
    sheet = b"tr(A B) ; A ; B^T\nx^T x ; x ; x\n"
    run = cli("check", "--file", "-", "--format", "json", stdin=sheet)
    verdicts = [line for line in run.stdout.splitlines() if line.strip()]
    assert run.code == 1  # the second claim misses the factor 2
    import json

    objs = [json.loads(v) for v in verdicts]
    assert [o["line"] for o in objs] == [1, 2]
    assert [o["correct"] for o in objs] == [True, False]


@pytest.mark.parametrize("command", [["diff", "-x^T x", "--wrt", "x"], ["eval", "-x^T x"]])
def test_values_never_show_a_signed_zero(command: list[str]) -> None:
    """−2x at x = 0 is [0, 0], not [-0.0, -0.0]; and the value is still right."""
    run = cli(*command, "--at", "x=[0, 0]", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert "-0.0" not in run.stdout
    x = np.zeros(2)
    expected = -2 * x if command[0] == "diff" else -(x @ x)
    np.testing.assert_allclose(run.json["value"], expected)


@pytest.mark.parametrize(
    ("expr", "wrt", "claim", "label"),
    [
        ("x^T A x", ["x", "x"], "A + A^T", "∂²/∂x²"),
        ("x^T A y", ["x", "y"], "A", "∂²/∂x∂y"),
        ("t^3", ["t", "t"], "6 t", "d²/dt²"),
    ],
)
def test_second_derivatives_are_labelled_alike_in_diff_and_check(
    expr: str, wrt: list[str], claim: str, label: str
) -> None:
    wrt_args = [a for w in wrt for a in ("--wrt", w)]
    scalar = ["--scalar", "t"] if "t" in wrt else []
    diff = cli("diff", expr, *wrt_args, *scalar, "--format", "json")
    check = cli("check", expr, *wrt_args, *scalar, "--claim", claim, "--format", "json")
    assert diff.json["equation"].startswith(label + " ")
    assert label in check.json["explanation"], check.json["explanation"]


def test_second_derivative_labels_in_ascii_and_latex() -> None:
    ascii_ = cli("diff", "x^T A y", "--wrt", "x", "--wrt", "y", "--ascii")
    assert ascii_.stdout.startswith("d^2/dx dy (x^T A y) = A")
    latex = cli("diff", "x^T A x", "--wrt", "x", "--wrt", "x", "--format", "latex")
    assert latex.stdout.startswith(r"\frac{\partial^{2}}{\partial x^{2}}")


def test_declarations_and_values_for_absent_names_are_warned_about() -> None:
    run = cli("diff", "x^T x", "--wrt", "x", "--scalar", "lamda", "--at", "x=[1, 2]", "--at", "q=3", "--format", "json")
    assert run.code == 0
    assert run.json["warnings"] == [
        "lamda is declared but does not occur in the expression",
        "--at q: q does not occur in the expression; its value is not used",
    ]
    np.testing.assert_allclose(run.json["value"], [2.0, 4.0])


def test_values_of_the_derivatives_of_a_function_of_t_are_not_warned_about() -> None:
    run = cli(
        "diff", "A(t) B(t)", "--wrt", "t", "--format", "json",
        "--at", "t=1", "--at", "A=[[1, 2], [3, 4]]", "--at", "A'=[[1, 0], [0, 1]]",
        "--at", "B=[[0, 1], [1, 0]]", "--at", "B'=[[2, 0], [0, 2]]",
    )  # fmt: skip
    assert run.code == 0, run.stdout
    assert not [w for w in run.json["warnings"] if "does not occur" in w]
    a, da, b, db = np.array([[1, 2], [3, 4]]), np.eye(2), np.array([[0, 1], [1, 0]]), 2 * np.eye(2)
    np.testing.assert_allclose(run.json["value"], da @ b + a @ db)


def test_a_seed_without_check_is_warned_about() -> None:
    run = cli("diff", "x^T x", "--wrt", "x", "--seed", "3", "--format", "json")
    assert run.code == 0 and run.json["warnings"] == ["--seed has no effect without --check"]
    assert cli("diff", "x^T x", "--wrt", "x", "--seed", "3", "--check", "--format", "json").json["warnings"] == []


@pytest.mark.parametrize("args", [["-f(t)", "--wrt", "t"], ["-w", "--wrt", "w"]])
def test_an_expression_taken_for_an_option_points_to_the_double_dash(args: list[str]) -> None:
    run = cli("diff", *args)
    assert run.code == 2
    assert "after '--'" in run.stderr and run.stderr.count("\n") == 1
    assert cli("diff", "--wrt", args[-1], "--", args[0]).code == 0


def test_subscript_digits_name_the_same_variable_as_an_underscore() -> None:
    """x₁ is x_1 (the error used to mention a '_' the user never typed); the value is checked."""
    run = cli(
        "diff", "x₁^T A x₁", "--wrt", "x₁", "--format", "json", "--at", "x_1=[1, 2]", "--at", "A=[[1, 2], [3, 4]]"
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == cli("diff", "x_1^T A x_1", "--wrt", "x_1", "--format", "json").json["derivative"]
    a, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])
    np.testing.assert_allclose(run.json["value"], (a + a.T) @ x)


@pytest.mark.parametrize(("expr", "word"), [("log1p(x)", "log1p"), ("atan2(y, x)", "atan2")])
def test_a_word_with_digits_before_parentheses_is_an_unknown_function(expr: str, word: str) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 2
    assert f"unknown function '{word}' at col 1" in run.stderr


def test_with_values_the_shape_line_gives_sizes() -> None:
    run = cli("diff", "A x", "--wrt", "A", "--at", "x=[1, 2]", "--at", "A=[[1, 2], [3, 4], [5, 6]]", "--format", "json")
    assert run.code == 0
    assert run.json["display_shape"] == "3×(3×2)" and run.json["shape"] == [3, 3, 2]
    expected = np.einsum("ik,l->ikl", np.eye(3), np.array([1.0, 2.0]))  # ∂(Ax)_i/∂A_kl = δ_ik x_l
    np.testing.assert_allclose(run.json["value"], expected)
    text = cli("diff", "x^T x", "--wrt", "x", "--at", "x=[1, 2]")
    assert "shape: 2 (vector)" in text.stdout.splitlines()
    assert "shape: m (vector)" in cli("diff", "x^T x", "--wrt", "x").stdout.splitlines()


@pytest.mark.parametrize(("expr", "derivative"), [("--x^T x", "2x"), ("---x", "−I"), ("-(x^T x)", "−2x")])
def test_an_expression_of_leading_minus_signs_is_not_taken_for_an_option(expr: str, derivative: str) -> None:
    run = cli("diff", expr, "--wrt", "x", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == derivative


def test_a_mistyped_option_is_still_an_option() -> None:
    run = cli("diff", "x", "--wrtt", "x")
    assert run.code == 2 and "did you mean --wrt?" in run.stderr


def test_ascii_steps_spell_every_arrow() -> None:
    run = cli("diff", "e^T e", "--wrt", "e", "--steps", "--ascii")
    assert run.code == 0
    assert "<U+" not in run.stdout and "=>" in run.stdout
    assert run.stdout.isascii()


def test_ascii_is_one_runs_choice_not_the_processs() -> None:
    import mcalc

    assert cli("diff", "x^T A x", "--wrt", "x", "--ascii").stdout.startswith("d/dx (x^T A x)")
    assert mcalc.diff("x^T A x", "x").text == "(A + Aᵀ)x"  # the API after an --ascii run: Unicode again


@pytest.mark.parametrize(
    ("expr", "claim", "words", "factor"),
    [
        ("det(X)", "X^-T", "a missing factor det(X)", "det(X)"),
        ("det(X)", "det(X)^2 X^-T", "an extra factor det(X)", "det(X)"),
    ],
)
def test_a_claim_off_by_a_scalar_function_names_the_factor(expr: str, claim: str, words: str, factor: str) -> None:
    """det(X) by X claimed X⁻ᵀ: 'missing factor det(X)', not 'they differ at random points'."""
    run = cli("check", expr, "--wrt", "X", "--claim", claim, "--format", "json")
    assert run.code == 1
    assert run.json["verdict"] == "factor" and run.json["explanation"].startswith(words)
    assert run.json["label"] == "wrong (factor)"
    assert run.json["details"]["factor"] == factor
    # the diagnosis is true: at a point, finite differences of numpy's det are det(X) X⁻ᵀ, not the claim
    rng = np.random.default_rng(seeded("det-factor"))
    x = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    h = 1e-6
    grad = np.array([[(np.linalg.det(x + h * e) - np.linalg.det(x - h * e)) / (2 * h) for e in basis] for basis in
                     [[np.eye(3)[[i]].T @ np.eye(3)[[j]] for j in range(3)] for i in range(3)]])  # fmt: skip
    np.testing.assert_allclose(grad, np.linalg.det(x) * np.linalg.inv(x).T, rtol=1e-6)
    assert not np.allclose(grad, np.linalg.inv(x).T)


def test_an_npz_that_is_not_a_zip_gets_its_own_message(tmp_path: Path) -> None:
    """zipfile.is_zipfile leaves the file at its end: numpy then read nothing (EOFError for every file)."""
    plain = tmp_path / "plain.npz"
    with plain.open("wb") as fh:
        np.save(fh, np.eye(2))
    run = cli("eval", "inv(X)", "--at", str(plain))
    assert run.code == 2 and "is one array, not an .npz archive of named arrays" in run.stderr
    text = tmp_path / "text.npz"
    text.write_text("hello")
    run = cli("eval", "inv(X)", "--at", str(text))
    assert run.code == 2 and "EOFError" not in run.stderr
    good = tmp_path / "good.npz"
    np.savez(good, X=np.array([[2.0, 1.0], [1.0, 3.0]]))
    run = cli("eval", "inv(X)", "--at", str(good), "--format", "json")
    np.testing.assert_allclose(run.json["value"], np.linalg.inv([[2.0, 1.0], [1.0, 3.0]]))


def test_a_batch_line_carries_its_own_declarations() -> None:
    """`diff -` lines take declarations after a second `;`, as homework sheets do; each line's own."""
    import json

    batch = b'c x ; x ; --scalar c\nc x ; x\n||e||^2 ; theta ; --let "e = y - Phi theta"\nx ; x ; --bogus 1\n'
    run = cli("diff", "-", "--format", "json", stdin=batch)
    objs = [json.loads(line) for line in run.stdout.splitlines()]
    assert objs[0]["derivative"] == "cI" and objs[0]["reading"]["c"]["kind"] == "scalar"
    assert "--scalar c" in objs[1]["error"]  # the declaration was line 1's own: here c is a vector
    assert objs[2]["derivative"] == "−2Φᵀe" and objs[2]["wrt"] == "θ"
    assert "unknown option '--bogus'" in objs[3]["error"]
    assert run.code == 2
    valued = cli("diff", "-", "--format", "json", "--at", "x=[1, 2]", "--at", "c=3", stdin=b"c x ; x ; --scalar c\n")
    np.testing.assert_allclose(json.loads(valued.stdout)["value"], 3 * np.eye(2))  # ∂(c x)/∂x = c I at c = 3


def test_a_claim_that_only_fits_square_sizes_does_not_make_them_square() -> None:
    """`1/2 ||W x - t||^2` by W claimed `(W x - t)^T x`: that claim has a shape only if W is square, and
    read together with it W was reported m×m; the verdict now says so and keeps W m×n."""
    run = cli("check", "1/2 ||W x - t||^2", "--wrt", "W", "--claim", "(W x - t)^T x", "--format", "json")
    assert run.code == 1
    assert run.json["verdict"] == "wrong-shape" and run.json["shape"] == ["m", "n"]
    assert "has a shape only if m = n" in run.json["explanation"] and run.json["expected"] == "(Wx − t)xᵀ"
    # the expected answer is right for a non-square W: finite differences of numpy at a 3×2 W
    rng = np.random.default_rng(seeded("square-claim"))
    w, x, t = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(3)
    f = lambda w_: 0.5 * np.sum((w_ @ x - t) ** 2)  # noqa: E731
    grad = central_gradient(f, w)
    np.testing.assert_allclose(grad, np.outer(w @ x - t, x), rtol=1e-6)
    ok = cli("check", "1/2 ||W x - t||^2", "--wrt", "W", "--claim", "(W x - t) x^T", "--format", "json")
    assert ok.code == 0 and ok.json["verdict"] == "correct"


@pytest.mark.parametrize(
    ("expr", "wrt", "declarations", "derivative"),
    [
        ("log(abs(det(X)))", "X", [], "X⁻ᵀ"),  # the book's answer, not det(X) |det X|⁻¹ sign(det X) X⁻ᵀ
        ("x abs(x)", "x", ["--scalar", "x"], "2 abs(x)"),
    ],
)
def test_a_quantity_times_its_sign_is_its_absolute_value(
    expr: str, wrt: str, declarations: list[str], derivative: str
) -> None:
    r = cli("diff", expr, "--wrt", wrt, *declarations, "--check", "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json["derivative"] == derivative
    assert r.json["check"]["passed"]


def test_steps_for_a_squared_norm_go_straight_to_two_e_transpose_de() -> None:
    """The slides' d‖e‖² = 2eᵀde, one line, with no ‖e‖ ‖e‖⁻¹ that vanishes between lines."""
    run = cli("diff", "||e||^2", "--wrt", "e", "--steps")
    assert run.code == 0, run.stdout + run.stderr
    steps = [line for line in run.stdout.splitlines() if line.startswith("step:")]
    assert steps[0].startswith("step: d(‖e‖²) = 2 eᵀ de    [d-norm-power: ")
    assert "‖e‖⁻¹" not in run.stdout


@pytest.mark.parametrize(("power", "wrt_kind"), [("2", "x"), ("3", "X"), ("-1", "x"), ("1/2", "X"), ("4", "X")])
def test_a_power_of_a_euclidean_norm_has_the_gradient_of_finite_differences(power: str, wrt_kind: str) -> None:
    """p ‖X − B‖ᵖ⁻² (X − B), against central differences of numpy's norm (independent code)."""
    rng = np.random.default_rng(seeded(power, wrt_kind))
    shape = (4,) if wrt_kind == "x" else (3, 2)
    x, b = rng.standard_normal(shape), rng.standard_normal(shape)
    name = wrt_kind
    run = cli(
        "diff", f"||{name} - B||^({power})", "--wrt", name, "--format", "json",
        "--at", f"{name}={json.dumps(x.tolist())}", "--at", f"B={json.dumps(b.tolist())}",
    )  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    p = float(fraction_value(power))

    def f(v: np.ndarray) -> float:
        return float(np.linalg.norm(v - b) ** p)

    fd = central_gradient(f, x)
    np.testing.assert_allclose(np.asarray(run.json["value"]).reshape(shape), fd, rtol=1e-6, atol=1e-8)


def fraction_value(text: str) -> float:
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)
