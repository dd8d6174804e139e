"""Issue 24 items 1, 2, 4 (pinv), 6, 7, 9: eigenvalues and eigenvectors, singular values, the spectral and
nuclear norms, pinv and prod.

Every derivative is compared with central finite differences of independent numpy code written here (its own
eigh / eig / svd / pinv calls and its own sign convention, never mcalc's evaluator), along random directions
(symmetric ones for a symmetric variable), at random sizes under three seeds, through `.value()`, the exported
function (`to_function`, the `--format numpy` code) and `--check`; Hessians by second differences. Then the
refusals where no derivative exists, the reading line's rule, the printers, claims and `mcalc identities`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from helpers import cli, seeded

import mcalc

SEEDS = (1, 2, 3)
Values = Mapping[str, np.ndarray]


# --- the oracle: numpy written here, with the conventions the README states --------------------------------


def signed(v: np.ndarray) -> np.ndarray:
    """The entry of largest magnitude positive (the first such on a tie)."""
    i = int(np.argmax(np.abs(v) >= np.abs(v).max() * (1 - 1e-9)))
    return v if v[i] > 0 else -v


def sym_eig(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh((s + s.T) / 2)


def lam_general(x: np.ndarray, which: int) -> float:
    lam = np.linalg.eigvals(x)
    assert np.abs(lam.imag).max() < 1e-9, "the oracle's point must have a real spectrum"
    return float(np.sort(lam.real)[which])


def singular_values(x: np.ndarray) -> np.ndarray:
    return np.linalg.svd(x, compute_uv=False)


ORACLES: dict[str, Callable[[Values], Any]] = {
    "lambda_max(S)": lambda v: sym_eig(v["S"])[0][-1],
    "lambda_min(S)": lambda v: sym_eig(v["S"])[0][0],
    "a^T eig(S)": lambda v: v["a"] @ sym_eig(v["S"])[0],
    "a^T eigvec_max(S)": lambda v: v["a"] @ signed(sym_eig(v["S"])[1][:, -1]),
    "a^T eigvec_min(S)": lambda v: v["a"] @ signed(sym_eig(v["S"])[1][:, 0]),
    "lambda_max(X)": lambda v: lam_general(v["X"], -1),
    "λ_min(X)": lambda v: lam_general(v["X"], 0),
    "a^T eig(X)": lambda v: v["a"] @ np.sort(np.linalg.eigvals(v["X"]).real),
    "sigma_max(X)": lambda v: singular_values(v["X"])[0],
    "σ_min(X)": lambda v: singular_values(v["X"])[-1],
    "||X||_2": lambda v: np.linalg.norm(v["X"], 2),
    "||X||_*": lambda v: singular_values(v["X"]).sum(),
    "a^T svd(X)": lambda v: v["a"] @ singular_values(v["X"]),
    "a^T pinv(X) b": lambda v: v["a"] @ np.linalg.pinv(v["X"]) @ v["b"],
    "tr(pinv(X) A)": lambda v: np.trace(np.linalg.pinv(v["X"]) @ v["A"]),
    "prod(x)": lambda v: np.prod(v["x"]),
    "lambda_max(B^T B + x x^T)": lambda v: sym_eig(v["B"].T @ v["B"] + np.outer(v["x"], v["x"]))[0][-1],
    "sigma_max(A X B)": lambda v: singular_values(v["A"] @ v["X"] @ v["B"])[0],
    "log(lambda_max(S)) + ||X||_*^2": lambda v: np.log(sym_eig(v["S"])[0][-1]) + singular_values(v["X"]).sum() ** 2,
    "lambda_max(S + x x^T)": lambda v: sym_eig(v["S"] + np.outer(v["x"], v["x"]))[0][-1],
}


# --- random points where every derivative exists --------------------------------------------------------------


def spread_symmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    """Q diag(λ) Qᵀ with eigenvalues at least 0.3 apart (and positive, for log λ_max)."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = 1.0 + 0.6 * np.arange(n) + 0.3 * rng.random(n)
    return q @ np.diag(lam) @ q.T


def real_spectrum(rng: np.random.Generator, n: int) -> np.ndarray:
    """P diag(λ) P⁻¹, not symmetric, with real eigenvalues apart."""
    p = np.eye(n) + 0.4 * rng.standard_normal((n, n)) / np.sqrt(n)
    return p @ np.diag(1.0 + 0.7 * np.arange(n) + 0.2 * rng.random(n)) @ np.linalg.inv(p)


@dataclass(frozen=True)
class Case:
    expr: str
    wrt: tuple[str, ...]
    sizes: Callable[[np.random.Generator], dict[str, tuple[int, ...]]]
    symmetric: tuple[str, ...] = ()
    general: tuple[str, ...] = ()  # square, not symmetric, with a real spectrum
    shape: dict[str, str] = field(default_factory=dict)  # declared sizes (svd needs min(m, n) known)


def _n(rng: np.random.Generator) -> int:
    return int(rng.integers(2, 6))


def _mn(rng: np.random.Generator) -> tuple[int, int]:
    m, n = rng.choice(np.arange(2, 7), size=2, replace=False)
    return int(m), int(n)


def square(*names: str, vectors: tuple[str, ...] = ()) -> Callable[[np.random.Generator], dict[str, tuple[int, ...]]]:
    def sizes(rng: np.random.Generator) -> dict[str, tuple[int, ...]]:
        n = _n(rng)
        return {**dict.fromkeys(names, (n, n)), **dict.fromkeys(vectors, (n,))}

    return sizes


def rectangular(rng: np.random.Generator) -> dict[str, tuple[int, ...]]:
    m, n = _mn(rng)
    return {"X": (m, n), "a": (n,), "b": (m,), "A": (m, n)}


def chained(rng: np.random.Generator) -> dict[str, tuple[int, ...]]:
    p, m, n, q = (int(k) for k in rng.integers(2, 6, size=4))
    return {"A": (p, m), "X": (m, n), "B": (n, q)}


def gram(rng: np.random.Generator) -> dict[str, tuple[int, ...]]:
    n = _n(rng)
    return {"B": (n + 1, n), "x": (n,)}


FIRST = [
    Case("lambda_max(S)", ("S",), square("S"), symmetric=("S",)),
    Case("lambda_min(S)", ("S",), square("S"), symmetric=("S",)),
    Case("a^T eig(S)", ("S",), square("S", vectors=("a",)), symmetric=("S",)),
    Case("a^T eigvec_max(S)", ("S",), square("S", vectors=("a",)), symmetric=("S",)),
    Case("a^T eigvec_min(S)", ("S",), square("S", vectors=("a",)), symmetric=("S",)),
    Case("lambda_max(X)", ("X",), square("X"), general=("X",)),
    Case("λ_min(X)", ("X",), square("X"), general=("X",)),
    Case("a^T eig(X)", ("X",), square("X", vectors=("a",)), general=("X",)),
    Case("sigma_max(X)", ("X",), rectangular),
    Case("σ_min(X)", ("X",), rectangular),
    Case("||X||_2", ("X",), rectangular),
    Case("||X||_*", ("X",), rectangular),
    Case("a^T svd(X)", ("X",), square("X", vectors=("a",)), shape={"X": "n×n"}),  # min(n, n) = n: known
    Case("a^T pinv(X) b", ("X",), rectangular),
    Case("tr(pinv(X) A)", ("X",), lambda rng: {"X": (rng.integers(2, 4), rng.integers(4, 7)), "A": (0, 0)}),
    Case("prod(x)", ("x",), lambda rng: {"x": (_n(rng) + 1,)}),
    Case("lambda_max(B^T B + x x^T)", ("x",), gram),
    Case("sigma_max(A X B)", ("X",), chained),
    Case("log(lambda_max(S)) + ||X||_*^2", ("S",), lambda rng: {"S": (3, 3), "X": (4, 2)}, symmetric=("S",)),
]
SECOND = [
    Case("lambda_max(S)", ("S", "S"), square("S"), symmetric=("S",)),
    Case("lambda_max(S + x x^T)", ("x", "x"), square("S", vectors=("x",)), symmetric=("S",)),
    Case("||X||_*", ("X", "X"), square("X"), shape={"X": "n×n"}),
    Case("||X||_*", ("X", "X"), rectangular, shape={"X": "4x2"}),
    Case("a^T pinv(X) b", ("X", "X"), rectangular),
    Case("prod(x)", ("x", "x"), lambda rng: {"x": (4,)}),
    Case("sigma_max(X)", ("X", "X"), rectangular),
    Case("||X||_2", ("X", "X"), rectangular),
    Case("σ_min(X)", ("X", "X"), rectangular),
]


def make_values(case: Case, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sizes = case.sizes(rng)
    if case.shape and "×" not in case.shape.get("X", ""):  # declared sizes win
        sizes.update({k: tuple(int(d) for d in v.split("x")) for k, v in case.shape.items()})
        if "X" in case.shape:
            m, n = sizes["X"]
            sizes.update({"a": (n,), "b": (m,)})
    if sizes.get("A") == (0, 0):  # tr(pinv(X) A): A shaped like X
        sizes["A"] = sizes["X"]
    values: dict[str, np.ndarray] = {}
    for name, shape in sizes.items():
        if name in case.symmetric:
            values[name] = spread_symmetric(rng, shape[0])
        elif name in case.general:
            values[name] = real_spectrum(rng, shape[0])
        else:
            values[name] = rng.standard_normal(shape) + (0.5 if name == "x" and case.expr.startswith("prod") else 0)
    return values


def direction(case: Case, var: str, values: Values, rng: np.random.Generator) -> np.ndarray:
    d = rng.standard_normal(values[var].shape)
    return (d + d.T) / 2 if var in case.symmetric else d


def along(f: Callable[[Values], Any], values: Values, var: str, d: np.ndarray, h: float) -> float:
    plus, minus = dict(values), dict(values)
    plus[var], minus[var] = values[var] + h * d, values[var] - h * d
    return float((f(plus) - f(minus)) / (2 * h))


def contract(value: np.ndarray, *directions: np.ndarray) -> float:
    """⟨value, d₁ ⊗ d₂ ⊗ …⟩: the directional derivative the contract's layout-free value gives."""
    out = np.asarray(value, dtype=float)
    for d in directions:
        out = np.tensordot(out, d, axes=d.ndim) if out.ndim > d.ndim else np.tensordot(out, d, axes=d.ndim)
    return float(out)


def expected(case: Case, values: Values, ds: list[np.ndarray]) -> float:
    f = ORACLES[case.expr]
    if len(case.wrt) == 1:
        return along(f, values, case.wrt[0], ds[0], 1e-6)
    inner = case.wrt[0]
    return along(lambda v: along(f, v, inner, ds[0], 1e-4), values, case.wrt[1], ds[1], 1e-4)


def derivative(case: Case) -> mcalc.Derivative:
    decl: dict[str, Any] = {}
    if case.symmetric:
        decl["symmetric"] = list(case.symmetric)
    if case.shape:
        decl["shape"] = dict(case.shape)
    return mcalc.diff(case.expr, list(case.wrt), **decl)


def _ids(case: Case) -> str:
    return f"{case.expr} by {','.join(case.wrt)}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", FIRST + SECOND, ids=[_ids(c) for c in FIRST + SECOND])
def test_value_and_exported_function_match_differences_of_numpy(case: Case, seed: int) -> None:
    rng = np.random.default_rng(seeded("spectral", case.expr, *case.wrt, seed))
    values = make_values(case, rng)
    d = derivative(case)
    ds = [direction(case, var, values, rng) for var in case.wrt]
    want = expected(case, values, ds)
    assert abs(want) > 1e-6, f"{case.expr}: a zero directional derivative checks nothing"
    tol = 1e-5 if len(case.wrt) == 1 else 2e-4
    arrays = {k: v for k, v in values.items() if k in d.variables}
    got = contract(d.value(**arrays), *reversed(ds)) if len(ds) > 1 else contract(d.value(**arrays), ds[0])
    assert abs(got - want) <= tol * max(1.0, abs(want)), (case.expr, got, want)
    exported = d.to_function()(*(arrays[name] for name in d.variables))
    assert abs(contract(exported, *reversed(ds)) - want) <= tol * max(1.0, abs(want)), (case.expr, "to_function")


@pytest.mark.parametrize("case", FIRST + SECOND, ids=[_ids(c) for c in FIRST + SECOND])
def test_check_passes_drawing_points_where_the_derivative_exists(case: Case) -> None:
    result = derivative(case).check(seed=seeded("spectral-check", case.expr))
    assert result.passed and not result.inconclusive, result


# --- where there is no derivative: one line, exit 1 --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["lambda_max(S)", "--wrt", "S", "--symmetric", "S", "--at", "S=[[2,0],[0,2]]"],
         "lambda_max(S) has no derivative at the values given: S has a repeated largest eigenvalue (2 and 2)"),
        (["a^T eig(S)", "--wrt", "S", "--symmetric", "S", "--at", "S=[[1,0,0],[0,3,0],[0,0,3]]", "--at", "a=[1,2,3]"],
         "S has a repeated eigenvalue (3 and 3)"),
        (["sigma_max(X)", "--wrt", "X", "--at", "X=[[1,0],[0,1],[0,0]]"], "X has a repeated largest singular value"),
        (["||X||_*", "--wrt", "X", "--at", "X=[[1,2],[2,4]]"], "X has rank 1, less than 2: not full rank"),
        (["a^T pinv(X) b", "--wrt", "X", "--at", "X=[[1,2],[2,4],[0,0]]", "--at", "a=[1,1]", "--at", "b=[1,1,1]"],
         "pinv(X) has no derivative at the values given: X has rank 1"),
        (["lambda_max(X)", "--wrt", "X", "--at", "X=[[0,1],[-1,0]]"], "X has complex eigenvalues"),
        (["prod(x)", "--wrt", "x", "--at", "x=[0,1,2]"], "is undefined at the values given, as x has an entry 0"),
    ],
)  # fmt: skip
def test_no_derivative_at_the_point_is_said_in_one_line(args: list[str], says: str) -> None:
    run = cli("diff", *args)
    assert run.code == 1 and says in run.stderr and len(run.stderr.strip().splitlines()) == 1, run


def test_the_value_itself_exists_at_a_repeated_eigenvalue() -> None:
    run = cli("eval", "lambda_max(S) + ||X||_2", "--at", "S=[[2,0],[0,2]]", "--at", "X=[[3,0],[0,3]]")
    assert run.code == 0 and float(run.stdout) == pytest.approx(5.0), run


def test_svd_of_unknown_sizes_is_refused_with_the_spellings_that_need_none() -> None:
    run = cli("diff", "a^T svd(X)", "--wrt", "X")
    assert run.code == 2 and "min(m, n) rows or columns" in run.stderr and "σ_max" in run.stderr, run
    run = cli("diff", "a^T svd(X)", "--wrt", "X", "--shape", "X=4x3")
    assert run.code == 0 and "svd_u(X)" in run.stdout, run


def test_an_eigenvector_of_a_matrix_not_known_symmetric_is_refused_naming_the_declaration() -> None:
    run = cli("diff", "a^T eigvec_max(X)", "--wrt", "X")
    assert run.code == 2 and "declare it with --symmetric" in run.stderr, run


# --- what is read, and how it is printed -------------------------------------------------------------------


def test_the_reading_line_says_which_rule_an_eigenvalue_took() -> None:
    sym = cli("diff", "lambda_max(S)", "--wrt", "S", "--symmetric", "S")
    assert sym.stdout.splitlines()[-1] == "read: S matrix (m×m); λ_max(S) by the symmetric rule dλ = vᵀ dS v", sym
    general = cli("diff", "lambda_max(X)", "--wrt", "X", "--format", "json")
    obj = json.loads(general.stdout)
    assert obj["derivative"] == "eigvec_left_max(X) eigvec_max(X)ᵀ" and obj["warnings"] == []
    assert obj["rules"] == [
        "λ_max(X) by the general rule dλ = wᵀ dX u (u, w right and left eigenvectors, wᵀu = 1; --symmetric for vᵀ dX v)"
    ]
    # a symmetric expression needs no declaration
    gram_rule = cli("diff", "lambda_max(B^T B)", "--wrt", "B", "--format", "json")
    assert "by the symmetric rule" in json.loads(gram_rule.stdout)["rules"][0], gram_rule


@pytest.mark.parametrize(
    ("expr", "text", "ascii", "latex"),
    [
        ("λ_max(S)", "λ_max(S)", "lambda_max(S)", r"\lambda_{\max}\left(S\right)"),
        ("sigma_min(X)", "σ_min(X)", "sigma_min(X)", r"\sigma_{\min}\left(X\right)"),
        ("||X||_2", "‖X‖₂", "||X||_2", r"\left\|X\right\|_2"),
        ("‖X‖_*", "‖X‖_*", "||X||_*", r"\left\|X\right\|_*"),
        ("pinv(X)", "pinv(X)", "pinv(X)", r"{\left(X\right)^{+}}"),
        ("prod(x)", "prod(x)", "prod(x)", r"\operatorname{prod}\left(x\right)"),
    ],
)
def test_printers_and_spellings_that_read_back(expr: str, text: str, ascii: str, latex: str) -> None:
    obj = json.loads(cli("diff", expr, "--wrt", "t", "--scalar", "t", "--format", "json").stdout)
    assert obj["equation"].endswith(f"∂/∂t {text} = 0") or text in obj["equation"], obj
    assert latex in obj["equation_latex"], obj
    plain = cli("diff", expr, "--wrt", "t", "--scalar", "t", "--ascii").stdout
    assert ascii in plain, plain
    again = cli("shape", ascii)  # the ASCII spelling reads back
    assert again.code == 0, again


def test_sum_and_product_of_the_eigenvalues_are_the_trace_and_the_determinant() -> None:
    obj = json.loads(cli("diff", "sum(eig(X)) + prod(eig(X))", "--wrt", "X", "--format", "json").stdout)
    assert obj["derivative"] == "I + det(X) X⁻ᵀ", obj


def test_a_vector_norm_keeps_its_meaning_and_a_frobenius_norm_is_not_taken_for_the_spectral_one() -> None:
    obj = json.loads(cli("diff", "||x||_2 + ||X||_F + ||X||_2", "--wrt", "X", "--format", "json").stdout)
    assert obj["derivative"] == "‖X‖⁻¹ X + singvec_left_max(X) singvec_right_max(X)ᵀ", obj


def test_numpy_code_runs_standalone_and_sympy_export_refuses_in_one_line() -> None:
    code = cli("diff", "lambda_max(S) + a^T pinv(X) b", "--wrt", "S", "--symmetric", "S", "--format", "numpy")
    namespace: dict[str, Any] = {}
    exec(compile(code.stdout, "<mcalc numpy>", "exec"), namespace)  # noqa: S102 - mcalc's own output, in a test
    rng = np.random.default_rng(seeded("spectral numpy code"))
    s = spread_symmetric(rng, 3)
    x, a, b = rng.standard_normal((2, 4)), rng.standard_normal(2), rng.standard_normal(4)
    g = namespace["grad"](s, a, x, b)
    v = signed(sym_eig(s)[1][:, -1])
    assert np.allclose(g, np.outer(v, v))
    sympy = cli("diff", "lambda_max(S)", "--wrt", "S", "--format", "sympy")
    assert sympy.code == 2 and "no SymPy form" in sympy.stderr and len(sympy.stderr.splitlines()) == 1, sympy


# --- claims ----------------------------------------------------------------------------------------------------


def test_claims_are_judged_with_the_diagnoses_that_matter_here() -> None:
    right = cli("check", "lambda_max(S)", "--wrt", "S", "--symmetric", "S", "--claim", "eigvec_max(S) eigvec_max(S)^T")
    assert right.code == 0, right
    general = cli("check", "lambda_max(X)", "--wrt", "X", "--claim", "eigvec_max(X) eigvec_max(X)^T")
    assert general.code == 1 and "symmetric" in general.stdout + general.stderr, general
    assert "is right only when X is symmetric (declare --symmetric X" in general.stdout, general
    sign = cli("check", "x^T eigvec_max(S) + x^T b", "--wrt", "x", "--symmetric", "S", "--claim", "b - eigvec_max(S)")
    assert sign.code == 1 and "right with the sign of eigvec_max(S) flipped" in sign.stdout, sign
    missing = cli("check", "a^T eigvec_max(S)", "--wrt", "S", "--symmetric", "S", "--claim", "-eigvec_max(S) a^T")
    assert missing.code == 1 and "has no (λI − S)⁺" in missing.stdout, missing
    # λ_max(S) I − S in a claim: its I is sized at each random point (it failed to broadcast at the first one)
    typed = "1/2 (pinv(lambda_max(S) I - S) a eigvec_max(S)^T + eigvec_max(S) a^T pinv(lambda_max(S) I - S))"
    right = cli("check", "a^T eigvec_max(S)", "--wrt", "S", "--symmetric", "S", "--claim", typed)
    assert right.code == 0, right


# --- mcalc identities ------------------------------------------------------------------------------------------


def test_identities_lists_and_verifies_each_new_rule_with_its_source() -> None:
    run = cli("identities", "--format", "json", "--verify", "d-columnwise")
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    by_name = {r["operator"]: r for r in rows if r["kind"] == "function"}
    for name in ("eig", "λ_max", "λ_min", "eigvec_max", "svd", "σ_max", "spectral_norm", "nuclear_norm", "pinv",
                 "polar", "eigvecs", "prod"):  # fmt: skip
        assert name in by_name, sorted(by_name)
        assert by_name[name]["verify"]["passed"], by_name[name]
    assert by_name["polar"]["verify"]["witness"].startswith("∂²/∂x∂x")  # the Hessian of ‖·‖_*
    assert "Golub & Pereyra" in by_name["pinv"]["reference"]
    assert "M&N ch. 8 §8-9" in by_name["λ_max"]["reference"] and "MC eq. 67" in by_name["λ_max"]["reference"]
