"""Issue 17: powers with an expression for the exponent (`x.^t`, `2.^x`, `x.^y`, `(xᵀx)^p`) and the matrix
power `X^k` by a declared scalar k, whose derivatives are finite sums ∑_{r=0}^{k−1} (Matrix Cookbook eqs. 91,
122, 123).

Every case is compared with central finite differences of its own numpy spelling (tests/helpers.py): the
API's value, the generated `--format numpy` code, the SymPy export evaluated by SymPy, and the CLI's `--at`
through JSON; X^k at several whole k. Text, LaTeX, ASCII and `--steps` are checked on the printed forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import sympy
from helpers import cli, depth, finite_difference, save_npz, seeded
from test_latex import mathtext_error
from test_sympy_export import sizes_of, spell_out

import mcalc


@dataclass(frozen=True)
class Case:
    expr: str
    wrt: str
    f: Callable[[dict[str, Any]], Any]  # the function in numpy, independent of mcalc
    kinds: dict[str, tuple[int, ...]]  # name → shape of its value
    scalars: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    text: str = ""  # the printed derivative, when it is a form the issue names

    @property
    def id(self) -> str:
        return f"{self.expr} ; {self.wrt}"


CASES = [
    Case("x .^ t", "t", lambda v: v["x"] ** v["t"], {"x": (3,), "t": ()}, ("t",), ("x",), "x.^t ⊙ log(x)"),
    Case("x .^ t", "x", lambda v: v["x"] ** v["t"], {"x": (3,), "t": ()}, ("t",), ("x",), "diag(t x.^(t − 1))"),
    Case("sum(x .^ t)", "x", lambda v: np.sum(v["x"] ** v["t"]), {"x": (4,), "t": ()}, ("t",), ("x",), "t x.^(t − 1)"),
    Case("sum(2 .^ x)", "x", lambda v: np.sum(2.0 ** v["x"]), {"x": (3,)}, text="log(2) 2.^x"),
    Case("sum(x .^ y)", "x", lambda v: np.sum(v["x"] ** v["y"]), {"x": (3,), "y": (3,)}, (), ("x",)),
    Case("sum(x .^ y)", "y", lambda v: np.sum(v["x"] ** v["y"]), {"x": (3,), "y": (3,)}, (), ("x",), "x.^y ⊙ log(x)"),
    Case(
        "a^T (X .^ t) b",
        "X",
        lambda v: v["a"] @ (v["X"] ** v["t"]) @ v["b"],
        {"a": (2,), "X": (2, 3), "b": (3,), "t": ()},
        ("t",),
        ("X",),
    ),
    Case(
        "(x^T x)^p", "x", lambda v: (v["x"] @ v["x"]) ** v["p"], {"x": (3,), "p": ()}, ("p",), (), "2 p (xᵀx)^(p − 1) x"
    ),
    Case("(x^T x)^p", "p", lambda v: (v["x"] @ v["x"]) ** v["p"], {"x": (3,), "p": ()}, ("p",), (), "log(xᵀx) (xᵀx)^p"),
    Case(
        "sum(exp(A x) .^ c)",
        "x",
        lambda v: np.sum(np.exp(v["A"] @ v["x"]) ** v["c"]),
        {"A": (2, 3), "x": (3,), "c": ()},
        ("c",),
    ),
    Case("x .^ (t + 1)", "t", lambda v: v["x"] ** (v["t"] + 1), {"x": (3,), "t": ()}, ("t",), ("x",)),
]
POWER_CASES = [  # X^k by X, at k = 1, 2, 3, 4
    Case(
        "a^T X^k b",
        "X",
        lambda v: v["a"] @ np.linalg.matrix_power(v["X"], int(v["k"])) @ v["b"],
        {"a": (3,), "X": (3, 3), "b": (3,), "k": ()},
        ("k",),
        (),
        "∑_{r=0}^{k−1} (X^r)ᵀ a bᵀ (X^(k − 1 − r))ᵀ",
    ),
    Case(
        "tr(X^k)",
        "X",
        lambda v: np.trace(np.linalg.matrix_power(v["X"], int(v["k"]))),
        {"X": (3, 3), "k": ()},
        ("k",),
        (),
        "k (X^(k − 1))ᵀ",
    ),
    Case(
        "tr(A X^k)",
        "X",
        lambda v: np.trace(v["A"] @ np.linalg.matrix_power(v["X"], int(v["k"]))),
        {"A": (3, 3), "X": (3, 3), "k": ()},
        ("k",),
        (),
        "∑_{r=0}^{k−1} (X^r)ᵀ Aᵀ (X^(k − 1 − r))ᵀ",
    ),
    Case("X^k", "X", lambda v: np.linalg.matrix_power(v["X"], int(v["k"])), {"X": (2, 2), "k": ()}, ("k",)),
    Case(  # field notes: the sum over r of (Xʳ)ᵀ (Xᵏ)⁻ᵀ (Xᵏ⁻¹⁻ʳ)ᵀ is k X⁻ᵀ (powers of X commute)
        "det(X^k)",
        "X",
        lambda v: np.linalg.det(np.linalg.matrix_power(v["X"], int(v["k"]))),
        {"X": (3, 3), "k": ()},
        ("k",),
        (),
        "k det(X^k) X⁻ᵀ",
    ),
    Case(
        "logdet(X^k)",
        "X",
        lambda v: np.log(np.linalg.det(np.linalg.matrix_power(v["X"], int(v["k"])))),
        {"X": (3, 3), "k": ()},
        ("k",),
        (),
        "kX⁻ᵀ",
    ),
    Case(
        "a^T X^-k b",
        "X",
        lambda v: v["a"] @ np.linalg.inv(np.linalg.matrix_power(v["X"], int(v["k"]))) @ v["b"],
        {"a": (3,), "X": (3, 3), "b": (3,), "k": ()},
        ("k",),
    ),
    Case(
        "tr(X^k X^T)",
        "X",
        lambda v: np.trace(np.linalg.matrix_power(v["X"], int(v["k"])) @ v["X"].T),
        {"X": (3, 3), "k": ()},
        ("k",),
    ),
]


def point(case: Case, rng: np.random.Generator, k: int = 3) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, shape in case.kinds.items():
        if name == "k":
            values[name] = np.asarray(float(k))
        elif name in case.positive or not shape:
            values[name] = rng.uniform(0.5, 1.5, size=shape)
        elif len(shape) == 2 and shape[0] == shape[1]:
            values[name] = np.eye(shape[0]) + 0.3 * rng.standard_normal(shape) / np.sqrt(shape[0])
        else:
            values[name] = rng.standard_normal(shape)
    return values


def sympy_value(d: mcalc.Derivative, values: dict[str, Any]) -> np.ndarray:
    """SymPy evaluates its own expression: sizes, numbers and matrices substituted (k as an integer), doit()."""
    expr = d.to_sympy()
    sizes = sizes_of({k: list(v) for k, v in d.variables.items()}, values)
    expr = expr.subs({s: sizes[s.name] for s in expr.atoms(sympy.Symbol) if s.is_integer and s.name in sizes})
    table: dict[Any, Any] = {}
    for m in expr.atoms(sympy.MatrixSymbol):
        table[m] = sympy.ImmutableMatrix(np.asarray(values[m.name], dtype=float).reshape(m.shape))
    for s in expr.free_symbols:
        if isinstance(s, sympy.Symbol) and s.name in values:
            v = float(values[s.name])
            table[s] = sympy.Integer(int(v)) if s.name == "k" else sympy.Float(v)
    out = spell_out(expr.xreplace(table).doit()).doit()
    if getattr(out, "is_Matrix", False):
        return np.array(out.as_explicit().evalf().tolist(), dtype=float)
    return np.asarray(float(out.evalf()))


def check_every_path(case: Case, values: dict[str, Any], tmp_path: Any) -> mcalc.Derivative:
    d = mcalc.diff(case.expr, case.wrt, scalar=list(case.scalars))
    want = finite_difference(case.f, values, [case.wrt])
    got = d.value(**values)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{case.id}: value")
    code = d.to_function()(**values)
    np.testing.assert_allclose(code, want, rtol=1e-5, atol=1e-6, err_msg=f"{case.id}: generated numpy")
    if "∑" not in d.text:  # SymPy spells a sum out entry by entry: seconds per case (one test below)
        sym = sympy_value(d, values)
        np.testing.assert_allclose(sym.reshape(want.shape, order="F"), want, rtol=1e-5, atol=1e-6, err_msg="sympy")
    args = ["diff", case.expr, "--wrt", case.wrt, *(a for s in case.scalars for a in ("--scalar", s))]
    run = cli(*args, "--at", str(save_npz(tmp_path / "v.npz", values)), "--format", "json", "--steps")
    assert run.code == 0, run.stdout + run.stderr
    np.testing.assert_allclose(np.asarray(run.json["value"]), want, rtol=1e-5, atol=1e-6, err_msg="--at")
    assert run.json["steps"] and mathtext_error(run.json["equation_latex"], image=False) is None
    return d


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_symbolic_exponent_matches_finite_differences_in_every_output(case: Case, tmp_path: Any) -> None:
    values = point(case, np.random.default_rng(seeded("symbolic power", case.id)))
    d = check_every_path(case, values, tmp_path)
    if case.text:
        assert d.text == case.text


@pytest.mark.parametrize("case", POWER_CASES, ids=[c.id for c in POWER_CASES])
def test_a_matrix_power_by_k_matches_finite_differences_at_several_k(case: Case, tmp_path: Any) -> None:
    rng = np.random.default_rng(seeded("matrix power", case.id))
    d = check_every_path(case, point(case, rng, 3), tmp_path)  # every output at k = 3
    for k in (1, 2, 4):  # the value at other k
        values = point(case, rng, k)
        want = finite_difference(case.f, values, [case.wrt])
        np.testing.assert_allclose(d.value(**values), want, rtol=1e-5, atol=1e-6, err_msg=f"{case.id} at k = {k}")
    if case.text:
        assert d.text == case.text


def test_the_sympy_export_of_a_sum_over_an_index() -> None:
    """∑_{r=0}^{k−1} (Xʳ)ᵀ abᵀ (Xᵏ⁻¹⁻ʳ)ᵀ as a FunctionMatrix of scalar Sums; evaluated by SymPy (about 5 s,
    so under MCALC_DEEP_TESTS=1 only) and compared with finite differences."""
    case = POWER_CASES[0]
    d = mcalc.diff(case.expr, case.wrt, scalar="k")
    expr = d.to_sympy()
    assert isinstance(expr, sympy.FunctionMatrix)
    (total,) = expr.atoms(sympy.Sum)
    assert (sympy.Symbol("r", integer=True, nonnegative=True), 0) == total.limits[-1][:2]
    if depth(0, 1):
        values = point(
            Case(case.expr, case.wrt, case.f, {"a": (2,), "X": (2, 2), "b": (2,), "k": ()}, ("k",)),
            np.random.default_rng(seeded("sympy sum")),
            2,
        )
        want = finite_difference(case.f, values, ["X"])
        np.testing.assert_allclose(sympy_value(d, values).reshape(want.shape, order="F"), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("expr", "wrt", "scalars", "rule"),
    [("sum(x .^ t)", "t", "t", "d-element-power-of"), ("(x^T x)^p", "p", "p", "d-power-of"),
     ("a^T X^k b", "X", "k", "d-power-of")],
)  # fmt: skip
def test_check_passes_and_steps_cite_the_rule(expr: str, wrt: str, scalars: str, rule: str) -> None:
    run = cli("diff", expr, "--wrt", wrt, "--scalar", scalars, "--check", "--steps", "--seed", "3")
    assert run.code == 0, run.stdout + run.stderr
    assert "check: passed" in run.stdout and f"[{rule}:" in run.stdout


@pytest.mark.parametrize("case", [CASES[0], POWER_CASES[0]], ids=lambda c: c.id)
def test_every_latex_step_renders(case: Case) -> None:
    run = cli("diff", case.expr, "--wrt", case.wrt, "--scalar", ",".join(case.scalars), "--steps", "--format", "latex")
    assert run.code == 0, run.stdout + run.stderr
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    assert len(lines) >= 3
    for line in lines:
        assert mathtext_error(line.strip().strip("$"), image=False) is None, line


def test_the_sum_prints_in_text_ascii_latex_and_numpy() -> None:
    args = ("diff", "a^T X^k b", "--wrt", "X", "--scalar", "k")
    assert "∑_{r=0}^{k−1} (X^r)ᵀ a bᵀ (X^(k − 1 − r))ᵀ" in cli(*args).stdout
    assert "sum_{r=0}^{k-1} (X^r)^T a b^T (X^(k - 1 - r))^T" in cli(*args, "--ascii").stdout
    latex = cli(*args, "--format", "latex").stdout
    assert r"\sum_{r=0}^{k-1} \left(X^{r}\right)^{\top} a b^{\top} \left(X^{k - 1 - r}\right)^{\top}" in latex
    assert "for r in range(" in cli(*args, "--format", "numpy").stdout
    assert r"\log\left(x\right)" in cli("diff", "x.^t", "--wrt", "t", "--scalar", "t", "--format", "latex").stdout


def test_a_sum_index_avoids_the_names_of_the_expression() -> None:
    assert mcalc.diff("r^T X^k b", "X", scalar="k").text.startswith("∑_{s=0}^{k−1}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sum(x.^t)", "--wrt", "t", "--scalar", "t", "--at", "x=[1,-2]", "--at", "t=2"),
         "x must be positive under a power with a symbolic exponent"),
        (("(x^T x - 3)^p", "--wrt", "p", "--scalar", "p", "--at", "x=[1,1]", "--at", "p=0.5"),
         "must be positive under a power with a symbolic exponent"),
        (("a^T X^k b", "--wrt", "X", "--scalar", "k", "--at", "k=2.5", "--at", "X=[[1,2],[3,4]]", "--at", "a=[1,0]",
          "--at", "b=[0,1]"), "k must be a positive whole number in the matrix power X^k; it is 2.5"),
        (("a^T X^k b", "--wrt", "X", "--scalar", "k", "--at", "k=0", "--at", "X=[[1,2],[3,4]]", "--at", "a=[1,0]",
          "--at", "b=[0,1]"), "k must be a positive whole number"),
    ],
)  # fmt: skip
def test_values_outside_the_domain_are_refused_in_one_line(args: tuple[str, ...], message: str) -> None:
    run = cli("diff", *args)
    assert run.code == 1
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("X^k", "--wrt", "k", "--scalar", "k"), "no derivative by k"),
        (("X^y", "--wrt", "X", "--vector", "y"), "the exponent of a power must be a scalar"),
        (("x^k", "--wrt", "x", "--scalar", "k"), "power of a vector"),
    ],
)
def test_what_has_no_meaning_is_refused_in_one_line(args: tuple[str, ...], message: str) -> None:
    run = cli("diff", *args)
    assert run.code == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_an_exponent_of_a_power_is_a_scalar_by_use() -> None:
    d = mcalc.diff("tr(X^k)", "X")
    assert d.text == "k (X^(k − 1))ᵀ" and d.variables["k"] == ()
    run = cli("diff", "tr(X^k)", "--wrt", "X", "--format", "json")
    assert run.json["warnings"] == [
        "k is read as a scalar: it is the exponent of a power (--vector k reads it as a vector)"
    ]


def test_the_identities_list_the_rules_with_their_sources() -> None:
    run = cli("identities", "power-of")
    assert run.code == 0
    assert "MC eqs. 91, 122-123" in run.stdout and "d-element-power-of" in run.stdout


def test_a_claim_with_a_symbolic_power_is_judged() -> None:
    args = ("check", "tr(X^k)", "--wrt", "X", "--scalar", "k", "--claim")
    right = cli(*args, "k (X^(k-1))^T")
    assert right.code == 0 and right.stdout.startswith("correct:"), right.stdout + right.stderr
    wrong = cli(*args, "k X^k")
    assert wrong.code == 1 and wrong.stdout.startswith("wrong"), wrong.stdout + wrong.stderr


def test_a_claim_that_subtracts_a_number_is_read() -> None:
    """`- 1` in a claim was a product of one factor after flattening: an internal error when printed."""
    run = cli("check", "x^T x", "--wrt", "x", "--claim", "2 x + x - 1 + 1")
    assert run.code == 1 and "wrong" in run.stdout, run.stdout + run.stderr


def test_a_sum_of_a_million_terms_is_refused_not_looped() -> None:
    at = ("--at", "k=1000000", "--at", "X=[[0.5,0.1],[0.1,0.5]]", "--at", "a=[1,0]", "--at", "b=[0,1]")
    run = cli("diff", "a^T X^k b", "--wrt", "X", "--scalar", "k", *at)
    assert run.code == 2 and "mcalc evaluates at most 10,000" in run.stderr, run.stderr
    assert cli("diff", "tr(X^k)", "--wrt", "X", "--scalar", "k", *at[:4]).code == 0  # a closed form: no sum


def test_numerator_layout_moves_the_transpose_into_the_sum() -> None:
    run = cli("diff", "a^T X^k b", "--wrt", "X", "--scalar", "k", "--layout", "numerator", "--check", "--seed", "2")
    assert run.code == 0 and "check: passed" in run.stdout, run.stdout + run.stderr
    assert run.stdout.startswith(
        "∂/∂Xᵀ (aᵀ X^k b) = ∑_{r=0}^{k−1} X^(k − 1 − r) b aᵀ X^r\n"
    )  # the label follows the layout
