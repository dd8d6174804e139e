"""Issue 23 item 3: the commutation matrix, unvec and 𝟙 as input. K is written as mcalc prints it (`Kₘₙ`,
`K[m,n]` with --ascii) or as books do (`K_{m,n}`, `K_{mn}`, and in a claim `K_mn` or a bare `K` where the
expression has no such name), sized by the dimensions its subscripts name; `unvec(v)` takes its shape from v's
length; and every derivative mcalc prints with K, vec, unvec, ⊗ or 𝟙 reads back as a claim judged correct."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import cli, golden_cases, seeded

import mcalc
from mcalc import pipeline
from mcalc.shapes import Declarations, bind_sizes

TOKENS = ("K", "vec", "unvec", "⊗", "𝟙")
DECLARATIONS = ("scalar", "vector", "matrix", "symmetric", "shape")


def _vec(m: np.ndarray) -> np.ndarray:
    return m.reshape(-1, order="F")


def _commutation(m: int, n: int) -> np.ndarray:
    """K with K vec(M) = vec(Mᵀ) for an m×n M, built entry by entry."""
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0  # vec(Mᵀ)[i·n + j] = M[i, j] = vec(M)[j·m + i]
    return k


@pytest.mark.parametrize("spelling", ["Kₘₙ", "K[m,n]", "K_{m,n}", "K_{mn}", "K_mn", "K"])
def test_every_spelling_of_the_commutation_matrix_is_read_in_a_claim(spelling: str) -> None:
    claim = f"(R^T ⊗ I) {spelling} + I ⊗ R^T"
    v = mcalc.check_claim("R^T R", "R", claim, seed=seeded("K spelling", spelling))
    assert v.verdict == "correct", v.line()
    if spelling in ("K_mn", "K"):  # names today: the reading is said
        assert any("commutation matrix K_{m,n}" in w for w in v.warnings), v.warnings


def test_the_commutation_matrix_of_the_other_order_is_wrong_and_a_bare_k_names_its_reading() -> None:
    wrong = mcalc.check_claim("R^T R", "R", "(R^T ⊗ I) K_{n,m} + I ⊗ R^T", seed=seeded("K order"))
    assert wrong.verdict == "wrong" and "Kₙₘ" in wrong.explanation and "Kₘₙ" in wrong.explanation
    run = cli("check", "R^T R", "--wrt", "R", "--claim", "(R^T ⊗ I) K + I ⊗ R^T")
    assert run.code == 0 and run.stdout.startswith("correct: (Rᵀ ⊗ I) Kₘₙ + I ⊗ Rᵀ is ∂/∂R RᵀR")
    assert "K is read as the commutation matrix K_{m,n}" in run.stderr
    assert "K_{n,m} has the same size: write K_{n,m} if you meant that one" in run.stderr


def test_a_matrix_named_k_stays_a_matrix_and_a_subscript_that_is_no_dimension_is_refused() -> None:
    mine = mcalc.check_claim("K^T K", "K", "(K^T ⊗ I) K_{m,n} + I ⊗ K^T", seed=seeded("user K"))
    assert mine.verdict == "correct"
    assert any("though the expression has a matrix K" in w for w in mine.warnings), mine.warnings
    assert mcalc.check_claim("x^T K x", "x", "(K + K^T) x").verdict == "correct"  # K the user's matrix
    run = cli("check", "R^T R", "--wrt", "R", "--claim", "(R^T ⊗ I) K_{m,q} + I ⊗ R^T")
    assert run.code == 2
    assert run.stderr.startswith("error: in the claim at col 11: K with the subscript q: q is not a dimension")
    assert "(its dimensions are m, n)" in run.stderr


def test_the_commutation_matrix_read_as_input_has_the_value_of_independent_numpy_code() -> None:
    """`K[m,n] vec(X)` is vec(Xᵀ) (the defining property), with K sized by X's dimensions."""
    tree, env, _ = pipeline.prepare("K[m,n] vec(X)", Declarations())
    x = np.random.default_rng(seeded("K value")).standard_normal((3, 5))
    bind_sizes(env, {"X": x.shape})
    got = np.asarray(pipeline.evaluate_expression(tree, env, {"X": x}), dtype=float).reshape(-1)
    np.testing.assert_allclose(got, _vec(x.T), rtol=1e-12)
    np.testing.assert_allclose(_commutation(3, 5) @ _vec(x), _vec(x.T), rtol=1e-12)  # the oracle itself
    np.testing.assert_allclose(got, _commutation(3, 5) @ _vec(x), rtol=1e-12)


def test_unvec_takes_its_shape_from_its_argument_or_is_refused_naming_what_is_missing() -> None:
    right = mcalc.check_claim("vec(P)^T B vec(P)", "P", "unvec(B vec(P)) + unvec(B^T vec(P))")
    assert right.verdict == "correct", right.line()
    half = mcalc.check_claim("vec(P)^T B vec(P)", "P", "unvec(B vec(P))", seed=seeded("unvec half"))
    assert half.verdict == "missing-term" and "unvec(Bᵀ vec(P))" in half.explanation
    run = cli("check", "x^T x", "--wrt", "x", "--claim", "unvec(x)")
    assert run.code == 2
    assert "unvec(x): the shape of the matrix is not known: the length of x is not a product" in run.stderr
    assert "in the claim" in run.stderr
    # its value: unvec(vec(P)) is P, against numpy
    tree, env, _ = pipeline.prepare("unvec(2 vec(P))", Declarations())
    p = np.random.default_rng(seeded("unvec value")).standard_normal((2, 4))
    bind_sizes(env, {"P": p.shape})
    np.testing.assert_allclose(pipeline.evaluate_expression(tree, env, {"P": p}), 2 * p, rtol=1e-12)


def test_a_bare_ones_vector_claimed_takes_the_derivative_s_size() -> None:
    assert mcalc.check_claim("sum(x)", "x", "𝟙").verdict == "correct"
    assert mcalc.check_claim("x^T A x + sum(x)", "x", "(A + A^T) x + 𝟙").verdict == "correct"
    assert mcalc.check_claim("sum(x)", "x", "2 𝟙").verdict == "factor"


def _golden_with_tokens() -> list[tuple[str, list[str], list[str]]]:
    out = []
    for name in ("diff.txt", "textbook.txt"):
        for case in golden_cases(name):
            if case.input is None or case.get("xfail") is not None or not case.all("wrt"):
                continue
            if not any(tok in line for line in case.expected for tok in TOKENS):
                continue
            flags = []
            for key in DECLARATIONS:
                for value in case.all(key):
                    for item in value.split(";"):
                        flags += [f"--{key}", item.strip()]
            out.append((case.input, case.all("wrt"), flags))
    return out


GOLDEN = _golden_with_tokens()


@pytest.mark.parametrize("ascii_form", [[], ["--ascii"]], ids=["unicode", "ascii"])
def test_every_golden_derivative_with_k_vec_unvec_kron_or_ones_reads_back_as_a_correct_claim(
    ascii_form: list[str],
) -> None:
    assert len(GOLDEN) >= 20, len(GOLDEN)
    derivatives = []
    for expr, wrt, flags in GOLDEN:
        by = [a for w in wrt for a in ("--wrt", w)]
        printed = cli("diff", expr, *by, *flags, *ascii_form, "--format", "json")
        assert printed.code == 0, printed.stderr
        derivative = json.loads(printed.stdout)["derivative"]
        run = cli("check", expr, *by, *flags, "--claim", derivative, "--seed", str(seeded("golden K", expr)))
        assert run.code == 0 and run.stdout.startswith("correct"), f"{expr} {wrt} {flags}\n{derivative}\n{run.stdout}"
        derivatives.append(derivative)
    # the cases cover the printed forms (unvec, vec(…) and 𝟙 in a derivative: test_properties' regression test)
    for tok in ("K[m,n]", "kron(") if ascii_form else ("Kₘₙ", "⊗"):
        assert any(tok in d for d in derivatives), tok


def _catalogue_witnesses() -> list[tuple[str, str]]:
    """The identities catalogue's witnesses (`mcalc identities`) of one derivative."""
    from mcalc.identities import CASE_WITNESSES, WITNESSES

    return [(expr, wrt[0]) for expr, wrt in {**WITNESSES, **CASE_WITNESSES}.values() if len(wrt) == 1]


VEC_FORMS = [
    ("kron(A, B)", "A"), ("kron(A, B)", "B"), ("vec(X)", "X"), ("A X B", "X"), ("X^T X", "X"), ("inv(A)", "A"),
    # an I beside K or vec, whose size its context does not fix on reading: printed Iₙ, I_{mn} (it was a bare I,
    # and `mcalc check` judged mcalc's own answer wrong, showing two identical texts)
    ("kron(X, X)", "X"), ("kron(A, I)", "A"), ("kron(I, X)", "X"), ("kron(A, X)", "X"), ("kron(X, A)", "X"),
    ("kron(x, I)", "x"), ("kron(kron(A, B), C)", "B"), ("kron(A, kron(B, C))", "C"), ("kron(X^T, X)", "X"),
    ("vec(X^T)", "X"), ("vec(X X^T)", "X"), ("unvec(vec(X B)) A", "X"), ("vec(P)^T B vec(P)", "P"),
    ("unvec(K[m,n] vec(X))", "X"), ("K[m,n] vec(X B)", "X"), ("sum(kron(X, X) .* B)", "X"),
    ("sum(A X)", "X"), ("diag(x) A", "x"), ("diag(diag(X))", "X"),
    # beside one sized I, every I prints its size: (Aᵀ ⊗ I)(Iₙ ⊗ Kₚₘ ⊗ Iₚ) read its first I apart
    ("kron(X, I) A", "X"), ("A kron(I, X)", "X"), ("kron(x, I) A", "x"), ("diag(vec(X)) kron(X, X)", "X"),
    *_catalogue_witnesses(),
]  # fmt: skip


@pytest.mark.parametrize(("expr", "var"), VEC_FORMS)
@pytest.mark.parametrize("ascii_form", [False, True], ids=["unicode", "ascii"])
def test_a_vec_form_with_identities_sized_by_context_reads_back(expr: str, var: str, ascii_form: bool) -> None:
    """`(I ⊗ K[q,m] ⊗ I) (I ⊗ vec(B))` for ∂vec(A ⊗ B)/∂vec(A): the I's sizes come from the products they stand
    in (a·q·m·b = u·q·p: b = p, u = a·m) and from the derivative's shape (a = n); `I` claimed for
    ∂vec(X)/∂vec(X) is I of size m·n. Where the context does not fix them (∂vec(X ⊗ X)/∂vec(X)) the sizes are
    printed, `(Iₙ ⊗ Kₙₘ ⊗ Iₘ) (Iₘₙ ⊗ vec(X) + vec(X) ⊗ Iₘₙ)`, and read back as the dimensions they name."""
    text = mcalc.Session(ascii=ascii_form).diff(expr, var).text
    v = mcalc.check_claim(expr, var, text, seed=seeded("vec form", expr, var))
    assert v.verdict == "correct", f"{text}: {v.line()}"


def _kron_jacobian(f: Any, x: np.ndarray) -> np.ndarray:
    """∂vec(f(X))/∂vec(X) of a function linear in each copy of X, column by column: f is numpy code
    (np.kron), never mcalc's; a bilinear f's directional derivative is exact in central differences."""
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        step = e.reshape(x.shape, order="F")
        cols.append(_vec(f(x + step) - f(x - step)) / 2.0)
    return np.stack(cols, axis=1)


@pytest.mark.parametrize(
    ("expr", "var", "shapes", "f"),
    [
        ("kron(X, X)", "X", {"X": (2, 3)}, lambda v, x: np.kron(x, x)),
        ("kron(A, X)", "X", {"A": (3, 2), "X": (2, 4)}, lambda v, x: np.kron(v["A"], x)),
        ("kron(A, I)", "A", {"A": (2, 3)}, lambda v, x: np.kron(x, np.eye(3))),
        ("kron(I, X)", "X", {"X": (3, 2)}, lambda v, x: np.kron(np.eye(2), x)),
    ],
)
def test_a_printed_kronecker_jacobian_read_back_has_the_value_of_numpy_kron(
    expr: str, var: str, shapes: dict[str, tuple[int, int]], f: Any
) -> None:
    """The printed answer (Unicode and ASCII), read back as `mcalc check` reads a claim, evaluated at a point
    (sizes 2×3 and so on, the expression's own I of size 3 or 2), against the Jacobian of numpy's np.kron."""
    from mcalc.claims.sizing import size_identities

    rng = np.random.default_rng(seeded("kron read back", expr))
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    eye = {"kron(A, I)": 3, "kron(I, X)": 2}.get(expr)
    want = _kron_jacobian(lambda x: f(values, x), values[var])
    for ascii_form in (False, True):
        text = mcalc.Session(ascii=ascii_form).diff(expr, var).text
        tree, env, (claim,) = pipeline.prepare(expr, Declarations(), extra=(text,), wrt=(var,), claim_k=True)
        res = pipeline.differentiate_tree(expr, tree, env, [var])
        claim = size_identities(env, claim, res.final.result)
        bind_sizes(env, {k: v.shape for k, v in values.items()})
        if eye is not None:  # the expression's I: its size, which no variable fixes, bound by name
            env.sizes[str(env.resolve(env.shape(tree)[0])[-1])] = eye
        got = np.asarray(pipeline.evaluate_expression(claim, env, values), dtype=float)
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-12, atol=1e-12, err_msg=text)


def test_a_claim_written_as_the_answer_with_its_identities_sized_otherwise_never_shows_two_identical_texts() -> None:
    """`(I ⊗ Kₙₘ ⊗ I) (I ⊗ vec(X) + vec(X) ⊗ I)`, as mcalc printed ∂vec(X ⊗ X)/∂vec(X) before the sizes were
    printed, read its I's with sizes of its own (new dimensions p, q): `mcalc check` said it was not itself,
    two identical texts. Now the claim as read and the answer are shown with every size, with what differs
    and how to write it; the answer as printed is correct."""
    run = cli("check", "kron(X, X)", "--wrt", "X", "--claim", "(I ⊗ Kₙₘ ⊗ I) (I ⊗ vec(X) + vec(X) ⊗ I)", "--seed", "3")
    assert run.code == 1 and run.stdout.startswith("wrong: "), run.stdout + run.stderr
    read, rest = run.stdout.removeprefix("wrong: ").split(" is not ∂/∂X X ⊗ X = ", 1)
    answer = rest.split(" (they differ", 1)[0]
    assert read != answer and answer == "(Iₙ ⊗ Kₙₘ ⊗ Iₘ) (Iₘₙ ⊗ vec(X) + vec(X) ⊗ Iₘₙ)", run.stdout
    assert "its I were read with other sizes" in run.stdout and "write each size" in run.stdout
    right = cli("check", "kron(X, X)", "--wrt", "X", "--claim", answer)
    assert right.code == 0 and right.stdout.startswith("correct"), right.stdout


@pytest.mark.parametrize(
    ("claim", "col"),
    [("(Iₙ ⊗ Kₙₘ ⊗ Iₘ) (Iₘ ⊗ vec(X) + vec(X) ⊗ Iₘₙ)", 30), ("(I_n ⊗ K[n,m] ⊗ I_m) (I_{m} ⊗ vec(X))", 22)],
)
def test_an_identity_size_that_disagrees_with_its_context_is_refused_in_one_line_with_its_position(
    claim: str, col: int
) -> None:
    run = cli("check", "kron(X, X)", "--wrt", "X", "--claim", claim)
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"error: in the claim at col {col}: dimension mismatch"), run.stderr


def test_a_sized_identity_names_the_expression_s_dimension() -> None:
    """`I_n`, `Iₙ`, `I_{n}` are of the size the `read:` line calls n; `I_{mn}` of size m·n; `tr(I_k)`, where no
    dimension is called k, is sized by its context as before."""
    for spelled in ("I_n", "Iₙ", "I_{n}", "eye(n)"):
        run = cli("shape", f"X {spelled}")
        assert run.code == 0 and run.stdout.startswith(f"X {spelled} : m×n"), run.stdout
    run = cli("shape", "kron(X, X) + I_{m·n}", "--shape", "X=mxn")
    assert run.stderr == "error: dimension mismatch in a sum at col 12: kron(X, X) is m·m×n·n, I_{m·n} is m·n×m·n\n"
    run = cli("shape", "kron(X, X^T) K[m,n] + Iₘₙ")
    assert run.code == 0 and run.stdout.startswith("kron(X, X^T) K[m,n] + Iₘₙ : m·n×m·n"), run.stdout + run.stderr
    run = cli("diff", "x^T x tr(I_k)", "--wrt", "x")
    assert run.code == 0 and run.stdout.startswith("∂/∂x (xᵀ x tr(I)) = 2 tr(I) x"), run.stdout


@pytest.mark.parametrize(
    ("expr", "var", "flags"),
    [
        ("kron(A, I_3)", "A", []),
        ("kron(X, X)", "X", ["--shape", "X=2x3"]),
        ("kron(X, A)", "X", ["--shape", "A=4x5"]),
        ("kron(X, I)", "X", ["--shape", "X=2x3"]),
        ("X^T X", "X", ["--shape", "X=2x3"]),
    ],
)
@pytest.mark.parametrize("ascii_form", [[], ["--ascii"]], ids=["unicode", "ascii"])
def test_a_vec_form_with_numeric_sizes_reads_back(expr: str, var: str, flags: list[str], ascii_form: list[str]) -> None:
    """With a number among the sizes, K is printed K[3,2] (K₃₂ read back as a matrix named K_32, K₃ₘ not at
    all), and products of sizes with numbers unify by their value (3·3·m·n = 9·m·n, 2·m = 6)."""
    printed = cli("diff", expr, "--wrt", var, *flags, *ascii_form, "--format", "json")
    assert printed.code == 0, printed.stderr
    derivative = json.loads(printed.stdout)["derivative"]
    run = cli("check", expr, "--wrt", var, *flags, "--claim", derivative, "--seed", str(seeded("numeric K", expr)))
    assert run.code == 0 and run.stdout.startswith("correct"), f"{derivative}\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("ascii_form", [[], ["--ascii"]], ids=["unicode", "ascii"])
def test_a_vec_form_over_dimensions_named_with_digits_reads_back(ascii_form: list[str]) -> None:
    """--shape X=n1xn2: the size n2 of an I is printed I_{n2} (Iₙ₂ was printed, and refused on reading:
    'unexpected character ₙ'), and the answer read back is the derivative."""
    flags = ["--shape", "X=n1xn2"]
    printed = cli("diff", "kron(X, X)", "--wrt", "X", *flags, *ascii_form, "--format", "json")
    assert printed.code == 0, printed.stderr
    derivative = json.loads(printed.stdout)["derivative"]
    assert "I_{n2}" in derivative and "ₙ₂" not in derivative
    run = cli("check", "kron(X, X)", "--wrt", "X", *flags, "--claim", derivative, "--seed", "1")
    assert run.code == 0 and run.stdout.startswith("correct"), f"{derivative}\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize(("expr", "col"), [("I_{2·0} x", 1), ("kron(I_3, A) I_{0·2}", 14), ("I_{1234567890·m} x", 1)])
def test_a_number_in_a_sized_identity_s_product_is_held_to_the_identity_s_rule(expr: str, col: int) -> None:
    """I_{2·0} was an identity of size 0 (x vector (0), printed I₀, refused on reading back), and beside
    I_3 ⊗ A an internal ZeroDivisionError; each number of a product is now held to I_0's rule, in one line."""
    run = cli("diff", expr, "--wrt", "A" if "A" in expr else "x")
    assert run.code == 2 and run.stdout == "", run.stdout
    assert run.stderr == f"error: an identity's size must be a positive integer of at most 9 digits at col {col}\n"
