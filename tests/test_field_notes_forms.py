"""Field notes on printed forms and messages (../shared/FIELD-NOTES.md): each with the input a user typed.

Every changed printed form is also checked for its numbers: through `--at` against finite differences of
numpy code written here, and read back as a claim (`mcalc check --claim TEXT`), which mcalc judges at
random points."""

from __future__ import annotations

import random

import pytest
from helpers import cli, seeded

# --- shape errors name the user's sizes -------------------------------------------------------------

_ATOMS = ("A", "B", "x", "y", "I", "K", "kron(A,B)", "kron(x,y)", "A B", "vec(A)", "diag(x)", "ones", "A^T")
_ATOMS += ("vec(A B)", "kron(A, I)", "kron(I, B)", "K_{m,n}", "I_3", "x^T", "ones^T", "tr(A)")
_OPS = (" + ", " ", " .* ", " - ")


def _sources(count: int) -> list[str]:
    rng = random.Random(seeded("shape errors"))
    out = []
    for _ in range(count):
        parts = [rng.choice(_ATOMS) for _ in range(rng.choice((2, 3, 3, 4)))]
        src = parts[0]
        for p in parts[1:]:
            src = src + rng.choice(_OPS) + p
            if rng.random() < 0.3:
                src = f"({src})"
        out.append(src)
    return out


def test_shape_errors_never_show_internal_size_names() -> None:
    """`kron(A,B) x K_{m,n}` said `K_{m,n} is ?6·?7×?6·?7`, and `kron(A,B) + A` (m = m·p) "expression nested
    too deeply"; products of Kronecker products and K in 400 random mixes: each is answered or refused with
    a dimension mismatch that names only letters the read line uses."""
    from mcalc import pipeline
    from mcalc.errors import McalcError
    from mcalc.shapes import Declarations

    refused = 0
    for src in _sources(400):
        try:
            pipeline.prepare(src, Declarations())
        except McalcError as exc:
            refused += 1
            text = str(exc)
            assert "?" not in text and "nested too deeply" not in text, f"{src}: {text}"
    assert refused > 100  # the mixes are mostly ill-shaped: the messages were looked at


# --- --format numpy takes only the arguments it reads ---------------------------------------------------


def _generated(args: list[str]) -> dict[str, object]:
    run = cli("diff", *args, "--format", "numpy")
    assert run.code == 0, run.stdout + run.stderr
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(run.stdout, "<mcalc --format numpy>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    return namespace


@pytest.mark.parametrize("order", [1, 2])
def test_numpy_code_of_functions_of_t_takes_no_unused_t(order: int) -> None:
    """`A(t) B(t)` by t took `t`, which no line reads: the functions take A, dA_dt, B, dB_dt (and the second
    derivatives by t twice). The derivative against central differences of A(t) B(t), with A(t) and B(t)
    polynomials in t written here."""
    import inspect

    import numpy as np

    ns = _generated(["A(t) B(t)", *["--wrt", "t"] * order])
    fn = ns["derivative"]
    assert callable(fn)
    params = list(inspect.signature(fn).parameters)
    wanted = ["A", "dA_dt", "B", "dB_dt"] if order == 1 else ["A", "dA_dt", "d2A_dt2", "B", "dB_dt", "d2B_dt2"]
    assert params == wanted
    rng = np.random.default_rng(seeded("numpy t", order))
    a0, a1, a2 = (rng.standard_normal((3, 2)) for _ in range(3))
    b0, b1, b2 = (rng.standard_normal((2, 4)) for _ in range(3))

    def a(t: float) -> np.ndarray:
        return a0 + t * a1 + t**2 * a2

    def b(t: float) -> np.ndarray:
        return b0 + t * b1 + t**2 * b2

    t, h = 0.3, 1e-4
    values = {"A": a(t), "dA_dt": a1 + 2 * t * a2, "d2A_dt2": 2 * a2, "B": b(t), "dB_dt": b1 + 2 * t * b2}
    values["d2B_dt2"] = 2 * b2
    got = np.asarray(fn(**{p: values[p] for p in params}))  # type: ignore[operator]
    if order == 1:
        want = (a(t + h) @ b(t + h) - a(t - h) @ b(t - h)) / (2 * h)
    else:
        want = (a(t + h) @ b(t + h) - 2 * a(t) @ b(t) + a(t - h) @ b(t - h)) / h**2
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_numpy_code_keeps_a_t_that_it_reads() -> None:
    """`t A(t)` reads t itself: t stays a parameter."""
    import inspect

    ns = _generated(["t A(t)", "--wrt", "t"])
    assert callable(ns["derivative"])
    assert list(inspect.signature(ns["derivative"]).parameters) == ["t", "A", "dA_dt"]  # type: ignore[arg-type]


# --- vec Jacobians through diag(diag(·)) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "wrt", "printed"),
    [
        ("diag(diag(X))", "X", "diag(vec(I))"),
        ("diag(diag(x))", "x", "I"),
        ("diag(diag(X)) y", "X", "(yᵀ ⊗ I) diag(vec(I))"),
    ],
)
def test_diag_of_diag_has_the_textbook_jacobian(expr: str, wrt: str, printed: str) -> None:
    """`diag(diag(X))` by X printed `diag(vec(I)) (𝟙 ⊗ I) (𝟙ᵀ ⊗ I) diag(vec(I))`, and diag(diag(x)) by x
    `(𝟙ᵀ ⊗ I) diag(vec(I))² (𝟙 ⊗ I)`; the printed form, judged by `mcalc check` against finite differences."""
    run = cli("diff", expr, "--wrt", wrt, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == printed
    check = cli("check", expr, "--wrt", wrt, "--claim", printed, "--format", "json")
    assert check.json["verdict"] == "correct", check.stdout


# --- Kronecker products of Kronecker products --------------------------------------------------------


def _kron_point(rng: object) -> dict[str, object]:
    import numpy as np

    assert isinstance(rng, np.random.Generator)
    shapes = {"A": (2, 3), "B": (3, 2), "C": (2, 2), "D": (2, 3)}
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


@pytest.mark.parametrize(
    ("expr", "wrt", "numpy_src", "printed"),
    [
        # each I beside a K or a vec prints its size, which its context does not fix on reading (mcalc check)
        ("kron(kron(A,B),C)", "A", "kron(kron(A, B), C)", "(Iₙ ⊗ K[qs,m] ⊗ Iₚᵣ) (Iₘₙ ⊗ vec(B ⊗ C))"),
        ("kron(A,kron(B,C))", "A", "kron(A, kron(B, C))", "(Iₙ ⊗ K[qs,m] ⊗ Iₚᵣ) (Iₘₙ ⊗ vec(B ⊗ C))"),
        ("kron(A,kron(B,C))", "C", "kron(A, kron(B, C))", "(I_{nq} ⊗ K[s,mp] ⊗ Iᵣ) (vec(A ⊗ B) ⊗ Iᵣₛ)"),
        ("kron(kron(A,B),C)", "B", "kron(kron(A, B), C)", None),
    ],
)
def test_kronecker_products_associate_one_way(expr: str, wrt: str, numpy_src: str, printed: str | None) -> None:
    """`kron(kron(A,B),C)` by A printed four factors where `kron(A,kron(B,C))` printed two: both are A ⊗ B ⊗ C
    now, by A with one permutation and vec(B ⊗ C). The value (too large for --check's sizes) at small sizes
    against central differences of numpy's np.kron."""
    import numpy as np
    from helpers import finite_difference, numpy_function

    import mcalc

    d = mcalc.diff(expr, wrt)
    if printed is not None:  # by A the same form whichever grouping was typed
        assert d.text == printed
    point = _kron_point(np.random.default_rng(seeded("kron", expr, wrt)))
    values = {k: point[k] for k in ("A", "B", "C")}
    want = finite_difference(numpy_function(numpy_src), values, [wrt])
    np.testing.assert_allclose(d.value(**values), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("expr", "wrt", "printed"),
    [
        ("tr(kron(A,B) kron(C,D))", "A", "tr(BD) Cᵀ"),
        ("kron(A,B) kron(C,D) x", "x", "(AC) ⊗ (BD)"),
    ],
)
def test_the_mixed_product_rule(expr: str, wrt: str, printed: str) -> None:
    """(A ⊗ B)(C ⊗ D) = AC ⊗ BD where the shapes allow: tr(kron(A,B) kron(C,D)) by A printed
    unvec((I ⊗ vec(B)ᵀ) (I ⊗ K[m,q] ⊗ I) vec(Cᵀ ⊗ Dᵀ)), now tr(BD) Cᵀ; judged by `mcalc check`."""
    run = cli("diff", expr, "--wrt", wrt, "--check", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == printed
    assert run.json["check"]["passed"], run.json["check"]
    check = cli("check", expr, "--wrt", wrt, "--claim", printed, "--format", "json")
    assert check.json["verdict"] == "correct", check.stdout


# --- a matrix and its transpose: A + Aᵀ ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["x^T (A + A^T) x", "--wrt", "x"], "2(A + Aᵀ)x"),
        (["tr(C A (B + B^T))", "--wrt", "C"], "(B + Bᵀ)Aᵀ"),
        (["x^T B x", "--wrt", "x", "--layout", "numerator"], "xᵀ(B + Bᵀ)"),
        (["log(x^T A x)", "--wrt", "x", "--wrt", "x"], "(xᵀAx)⁻¹ (A + Aᵀ − (xᵀAx)⁻¹ (A + Aᵀ) x xᵀ (A + Aᵀ))"),
    ],
)
def test_a_matrix_plus_its_transpose_is_written_a_plus_a_transpose(args: list[str], printed: str) -> None:
    """`x^T (A + A^T) x` by x printed `2(Aᵀ + A)x` (the transpose of A + Aᵀ pushed down to the leaves); the
    sum reads A + Aᵀ wherever it stands, and the printed form is judged right by `mcalc check`."""
    run = cli("diff", *args, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == printed
    check = cli("check", *args, "--claim", printed, "--format", "json")
    assert check.json["verdict"] == "correct", check.stdout
