"""Issue 17: any number of `--wrt` — third and higher derivatives, and second derivatives of tensor-valued
first derivatives (the Hessian of a matrix-valued function), mixed orders (`--wrt x --wrt A --wrt x`).

Every value is checked through the contract (`--at … --format json`, shape(EXPR) + one copy of
shape(VAR) per `--wrt`) against nested central differences of the numpy function itself, and for the
issue's examples also against differences of an independent numpy gradient or a closed form in numpy
(einsum), so a wrong convention of axes cannot pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, check_numeric, cli, finite_difference, make_point, numpy_function, save_npz, seeded

import mcalc

# (expr, wrt, numpy of the expression, extra args); small sizes keep nested differences cheap
HIGHER = [
    ("x^T x", "x,x,x", "x @ x", ()),
    ("(x^T x)^2", "x,x,x", "(x @ x)**2", ()),
    ("det(X)", "X,X,X", "det(X)", ()),
    ("tr(X^3)", "X,X,X", "tr(X @ X @ X)", ()),
    ("sum(exp(A x))", "x,x,x", "sum(exp(A @ x))", ()),
    ("sum(exp(A x))", "A,x,x", "sum(exp(A @ x))", ()),
    ("x^T A x", "x,x,x", "x @ A @ x", ()),
    ("(x^T A x)^2", "x,A,x", "(x @ A @ x)**2", ()),
    ("(x^T A x)^2", "A,x,x", "(x @ A @ x)**2", ()),
    ("(x^T x)^2", "x,x,x,x", "(x @ x)**2", ()),
    ("logdet(S)", "S,S,S", "logdet(S)", ("--symmetric", "S")),
    ("logsumexp(x)", "x,x,x", "np.log(np.sum(np.exp(x)))", ()),
    ("y^T log(softmax(x))", "x,x,x", "y @ np.log(np.exp(x) / np.sum(np.exp(x)))", ()),
    # second derivatives of a tensor-valued first derivative (refused before issue 17)
    ("X^T X", "X,X", "X.T @ X", ()),
    ("x x^T", "x,x", "outer(x, x)", ()),
    ("X^-1", "X,X", "inv(X)", ()),
    ("det(X) X", "X,X", "det(X) * X", ()),
    ("sin(A x)", "x,x", "sin(A @ x)", ()),
]
ZERO = {"x^T x", "x^T A x", "X^T X"}  # the third derivative of a quadratic is 0 (and XᵀX's Hessian is constant)


@pytest.mark.parametrize(("expr", "wrt", "src", "extra"), HIGHER, ids=[f"{c[0]} ; {c[1]}" for c in HIGHER])
def test_value_and_index_form_match_nested_differences(expr: str, wrt: str, src: str, extra: tuple[str, ...]) -> None:
    """`value` (the vec forms' numbers) against nested central differences of numpy at sizes 3 and 2; the
    printed index form, evaluated term by term with einsum, against `value`."""
    from mcalc import pipeline
    from mcalc.calculus.index_terms import index_form
    from mcalc.numeric.check import bind_values
    from mcalc.shapes import Declarations
    from mcalc.simplify import Simplifier

    names = wrt.split(",")
    rng = np.random.default_rng(seeded("higher", expr, wrt))
    symmetric = frozenset(extra[1:])
    first = cli("diff", expr, *[a for n in names for a in ("--wrt", n)], *extra, "--format", "json")
    assert first.code == 0, first.stdout + first.stderr
    point = make_point(first.json["variables"], rng, symmetric=symmetric, sizes=(2, 3))
    tree, env, _ = pipeline.prepare(expr, Declarations(symmetric=symmetric), wrt=tuple(names))
    result = pipeline.differentiate_tree(expr, tree, env, names)
    value = pipeline.value_at(result, point.mcalc)
    expected = finite_difference(numpy_function(src), point.numpy, names, symmetric)
    assert_close(value, expected, rtol=1e-4, what=f"{expr} by {names} (sizes {point.sizes})")
    if expr in ZERO and len(names) == 3:
        assert not np.any(value), f"{expr}: the third derivative is 0"
        return
    values = bind_values(env, point.mcalc, list(env.kinds), [result.tree])
    form = index_form(result.stages[0].function, names, env, Simplifier(env))
    assert form.terms, f"{expr}: the index form has no terms"
    assert_close(_index_value(form, env, values, value.shape), value, rtol=1e-9, what=f"index form of {expr}")
    # the vec form's own numbers agree (from the third order on, `value` is evaluated from the index terms)
    from mcalc.numeric.evaluate import evaluate

    vec = np.asarray(evaluate(result.final.result, env, values), dtype=float).reshape(value.shape, order="F")
    assert_close(vec, value, rtol=1e-9, what=f"vec form of {expr}")


def test_the_contract_value_through_the_cli(tmp_path: Path) -> None:
    """The same through `--at FILE.npz --format json`: `shape` and `value` of shape(EXPR) + shape(VAR)ⁿ."""
    rng = np.random.default_rng(seeded("cli3"))
    value = _value_at_small_point("(x^T A x)^2", ["x", "A", "x"], "(x @ A @ x)**2", rng, tmp_path)
    assert value.shape == (3, 3, 3, 3)


def _value_at_small_point(
    expr: str, names: list[str], src: str, rng: np.random.Generator, tmp_path: Path, extra: tuple[str, ...] = ()
) -> np.ndarray:
    """Like helpers.check_numeric, with sizes 2 and 3 (nested differences cost numel(X)ᵏ evaluations)."""
    wrt_args = [a for v in names for a in ("--wrt", v)]
    base = ["diff", expr, *wrt_args, *extra, "--format", "json"]
    first = cli(*base)
    assert first.code == 0, first.stdout + first.stderr
    point = make_point(first.json["variables"], rng, sizes=(3, 2))
    expected = finite_difference(numpy_function(src), point.numpy, names)
    run = cli(*base, "--at", str(save_npz(tmp_path / "v.npz", point.mcalc)))
    assert run.code == 0, run.stdout + run.stderr
    value = np.asarray(run.json["value"], dtype=float)
    assert_close(value, expected, rtol=1e-4, what=f"{expr} by {names} (sizes {point.sizes})")
    assert run.json["shape"] == list(value.shape)
    return value


# --- the examples against closed forms written in numpy ---


def _inv(x: np.ndarray) -> np.ndarray:
    return np.linalg.inv(x)


def _det3(x: np.ndarray) -> np.ndarray:
    """∂³det/∂X_ij∂X_kl∂X_mn = det(X)·[a_ji a_lk a_nm − a_ji a_nk a_lm − a_li a_jk a_nm + a_li a_nk a_jm
    + a_ni a_jk a_lm − a_ni a_lk a_jm], a = X⁻¹ (the sum over permutations of the three slots)."""
    a = _inv(x)
    t = np.einsum
    out = (
        t("ji,lk,nm->ijklmn", a, a, a)
        - t("ji,nk,lm->ijklmn", a, a, a)
        - t("li,jk,nm->ijklmn", a, a, a)
        + t("li,nk,jm->ijklmn", a, a, a)
        + t("ni,jk,lm->ijklmn", a, a, a)
        - t("ni,lk,jm->ijklmn", a, a, a)
    )
    return np.linalg.det(x) * out


def test_det_third_derivative_closed_form(tmp_path: Path) -> None:
    rng = np.random.default_rng(seeded("det3"))
    x = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    run = cli("diff", "det(X)", "--wrt", "X", "--wrt", "X", "--wrt", "X", "--at", f"X={x.tolist()}", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    value = np.asarray(run.json["value"])
    assert value.shape == (3,) * 6
    assert_close(value, _det3(x), rtol=1e-9, what="d³det")
    # and the closed form against differences of the numpy gradient det(X) X⁻ᵀ, differenced twice
    grad = numpy_function("det(X) * inv(X).T")
    assert_close(_det3(x), finite_difference(grad, {"X": x}, ["X", "X"]), rtol=1e-6, what="closed form")


def test_sum_exp_third_derivative_closed_form() -> None:
    rng = np.random.default_rng(seeded("sumexp3"))
    a, x = rng.standard_normal((4, 3)), rng.standard_normal(3)
    run = cli(
        "diff", "sum(exp(A x))", *["--wrt", "x"] * 3, "--at", f"A={a.tolist()}", "--at", f"x={x.tolist()}",
        "--format", "json",
    )  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    expected = np.einsum("p,pi,pj,pk->ijk", np.exp(a @ x), a, a, a)
    assert_close(np.asarray(run.json["value"]), expected, rtol=1e-9, what="d³ sum(exp(Ax))")
    # the closed form against differences of the numpy Hessian Aᵀ diag(exp(Ax)) A
    hess = numpy_function("A.T @ diag(exp(A @ x)) @ A")
    assert_close(expected, finite_difference(hess, {"A": a, "x": x}, ["x"]), rtol=1e-6, what="closed form")


def test_quartic_norm_fourth_derivative_is_the_symmetrised_delta() -> None:
    run = cli("diff", "(x^T x)^2", *["--wrt", "x"] * 4, "--at", "x=[0.3,-1.2,2.0]", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    d = np.eye(3)
    expected = 8 * (np.einsum("ij,kl->ijkl", d, d) + np.einsum("ik,jl->ijkl", d, d) + np.einsum("il,jk->ijkl", d, d))
    assert_close(np.asarray(run.json["value"]), expected, rtol=1e-12, what="d⁴ (xᵀx)²")


def test_tr_cube_third_derivative_is_constant(tmp_path: Path) -> None:
    """tr(X³) by X three times does not depend on X: the same tensor at two points, 6 δ δ δ-sums."""
    values = []
    for seed in (1, 2):
        x = np.random.default_rng(seed).standard_normal((2, 2))
        run = cli("diff", "tr(X^3)", *["--wrt", "X"] * 3, "--at", f"X={x.tolist()}", "--format", "json")
        assert run.code == 0, run.stdout + run.stderr
        values.append(np.asarray(run.json["value"]))
    d = np.eye(2)
    # ∂³tr(X³)/∂X_ij∂X_kl∂X_mn = 3(δ_jk δ_lm δ_ni + δ_jm δ_nk δ_li)
    expected = 3 * (np.einsum("jk,lm,ni->ijklmn", d, d, d) + np.einsum("jm,nk,li->ijklmn", d, d, d))
    assert_close(values[0], expected, rtol=1e-12, what="d³ tr(X³)")
    assert_close(values[1], expected, rtol=1e-12, what="d³ tr(X³)")


# --- every output format ---


def test_text_latex_and_steps_of_a_third_derivative() -> None:
    text = cli("diff", "det(X)", *["--wrt", "X"] * 3)
    assert text.code == 0, text.stdout + text.stderr
    assert text.stdout.startswith("∂³/∂X³ det(X) = ")
    latex = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--format", "latex")
    assert latex.code == 0 and "\\frac{\\partial^{3}}{\\partial X^{3}}" in latex.stdout
    steps = cli("diff", "(x^T x)^2", *["--wrt", "x"] * 3, "--steps", "--format", "json")
    assert steps.code == 0
    lines = steps.json["steps"]
    # three stages: the gradient, the Hessian (a Jacobian), and the third derivative read off as a vec form
    assert "∂f/∂x = 4 (xᵀx) x" in lines[0]
    assert any("identify-jacobian" in s and "8xxᵀ + 4 (xᵀx) I" in s for s in lines)
    assert "identify-vec" in lines[-3]
    # then the index form's derivation: the third differential with numbered increments, and its reading
    assert lines[-2].startswith("d³ (xᵀx)²[dx₁, dx₂, dx₃] = ") and "[nth-differential: " in lines[-2]
    assert lines[-1].startswith("∂³(xᵀx)²/∂xᵢ∂xⱼ∂xₖ = 8 xᵢ δⱼₖ + 8 xⱼ δᵢₖ + 8 xₖ δᵢⱼ    [index-form: ")
    latex = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--steps", "--format", "json").json["steps"]
    assert "tr(X⁻¹ dX₁) tr(X⁻¹ dX₂) tr(X⁻¹ dX₃)" in latex[-2]
    # a first or second derivative by way of the gradient adds no index lines
    assert not any(
        "index-form" in s for s in cli("diff", "x^T A x", "--wrt", "x", "--wrt", "x", "--steps").stdout.split("\n")
    )


def test_check_passes_for_a_third_derivative() -> None:
    run = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--check", "--seed", "3", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["check"]["passed"] is True


def test_numpy_export_of_a_third_derivative_runs_and_matches() -> None:
    rng = np.random.default_rng(seeded("numpy3"))
    x = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    code = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--format", "numpy")
    assert code.code == 0, code.stdout + code.stderr
    namespace: dict[str, Any] = {}
    exec(compile(code.stdout, "<generated>", "exec"), namespace)  # noqa: S102 - our own generated code
    assert_close(namespace["jacobian"](x), _det3(x), rtol=1e-9, what="generated numpy")


def test_python_api_third_derivative() -> None:
    rng = np.random.default_rng(seeded("api3"))
    x = np.eye(2) + 0.3 * rng.standard_normal((2, 2))
    d = mcalc.diff("det(X)", ["X", "X", "X"])
    assert list(d.wrt) == ["X", "X", "X"]
    assert_close(d.value(X=x), _det3(x), rtol=1e-9, what="mcalc.diff(...).value")


def test_the_value_is_bounded_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "4000")
    x = np.eye(4).tolist()  # the value holds 4⁶ = 4096 numbers
    run = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--at", f"X={x}", "--format", "json")
    assert run.code == 2
    assert run.json["error"].startswith("too large: the derivative's value would hold 4,096 numbers")
    assert "MCALC_MAX_ELEMENTS" in run.json["error"]


def test_a_third_derivative_needs_no_array_larger_than_its_value() -> None:
    """det(X) by X three times at 8×8: 8⁶ numbers; the vec form's Kronecker products would hold 8⁸ (over
    the default budget); evaluated from the index terms it is answered, and equals the closed form."""
    rng = np.random.default_rng(seeded("det3-8"))
    x = np.eye(8) + 0.2 * rng.standard_normal((8, 8)) / np.sqrt(8)
    d = mcalc.diff("det(X)", ["X", "X", "X"])
    assert_close(d.value(X=x), _det3(x), rtol=1e-9, what="d³det at 8×8")


def test_check_numeric_helper_reaches_order_three(tmp_path: Path) -> None:
    rng = np.random.default_rng(seeded("helper3"))
    check_numeric("sum(sin(x))", "x,x,x".split(","), "sum(sin(x))", tmp_path, rng)


# --- index notation: the printed terms evaluated entry by entry (einsum) equal the value ---


def _index_value(form: Any, env: Any, values: dict[str, Any], shape: tuple[int, ...]) -> np.ndarray:
    """The index form's own numbers: each term an einsum of its entries (deltas as identities)."""
    from mcalc.numeric.evaluate import evaluate

    out_names = [x for x in (*form.f_indices, *(x for p in form.slot_indices for x in p)) if x]
    sizes = [n for n in shape if n != 1] if len(out_names) != len(shape) else list(shape)
    size_of = dict(zip(out_names, sizes, strict=True))
    total = np.zeros(sizes)
    letters = {name: chr(ord("a") + n) for n, name in enumerate(sorted({*out_names, *_all_indices(form)}))}
    for term in form.terms:
        operands, subscripts = [], []
        for e in term.entries:
            idx = [x for x in (e.rows, e.cols) if x]
            if e.node is None:
                arr = np.eye(size_of[e.rows])
            else:
                arr = np.asarray(evaluate(e.node, env, values), dtype=float)
                arr = arr.reshape([n for n in arr.shape if n != 1] or [])
                for x, n in zip(idx, arr.shape, strict=True):
                    size_of.setdefault(x, n)
            operands.append(arr)
            subscripts.append("".join(letters[x] for x in idx))
        spec = ",".join(subscripts) + "->" + "".join(letters[x] for x in out_names)
        total = total + float(term.coef) * (np.einsum(spec, *operands) if operands else np.ones(sizes))
    return total.reshape(shape)


def _all_indices(form: Any) -> set[str]:
    return {x for t in form.terms for e in t.entries for x in (e.rows, e.cols) if x}


def test_index_form_text_and_latex() -> None:
    index = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--format", "index")
    assert index.code == 0, index.stdout + index.stderr
    assert index.stdout.startswith("∂³det(X)/∂Xᵢⱼ∂Xₖₗ∂Xₘₙ = det(X) (X⁻¹)ⱼᵢ (X⁻¹)ₗₖ (X⁻¹)ₙₘ + ")
    assert index.stdout.count("det(X) (X⁻¹)") == 6
    text = cli("diff", "sum(exp(A x))", *["--wrt", "x"] * 3)
    assert "index: ∂³sum(exp(Ax))/∂xᵢ∂xⱼ∂xₖ = Σₗ (exp(Ax))ₗ Aₗᵢ Aₗⱼ Aₗₖ" in text.stdout
    quartic = cli("diff", "(x^T x)^2", *["--wrt", "x"] * 3, "--format", "json").json
    assert quartic["index"] == "∂³(xᵀx)²/∂xᵢ∂xⱼ∂xₖ = 8 xᵢ δⱼₖ + 8 xⱼ δᵢₖ + 8 xₖ δᵢⱼ"
    assert cli("diff", "x^T x", *["--wrt", "x"] * 3, "--format", "index").stdout.strip() == "∂³(xᵀx)/∂xᵢ∂xⱼ∂xₖ = 0"
    # equal entries of one index are one entry (s ⊙ 1./s is 1), a delta writes its pair with one letter
    lse = cli("diff", "y^T log(softmax(x))", *["--wrt", "x"] * 3, "--format", "index").stdout
    assert lse.startswith("∂³(log(softmax(x)ᵀ) y)/∂xᵢ∂xⱼ∂xₖ = −Σₗ yₗ (softmax(x))ᵢ δᵢⱼ δᵢₖ + ")
    assert lse.count("Σₗ yₗ ") == 5 and "1 ./" not in lse
    hessian = cli("diff", "x x^T", "--wrt", "x", "--wrt", "x", "--format", "index").stdout.strip()
    assert hessian == "∂²(xxᵀ)ᵢⱼ/∂xₖ∂xₗ = δᵢₖ δⱼₗ + δᵢₗ δⱼₖ"
    latex = cli("diff", "det(X)", *["--wrt", "X"] * 3, "--format", "latex").stdout
    assert "\\frac{\\partial^{3} \\det\\left(X\\right)}{\\partial X_{ij} \\partial X_{kl} \\partial X_{mn}}" in latex


def test_a_kronecker_product_of_the_variable_has_no_index_form_and_says_so() -> None:
    run = cli("diff", "kron(X, X)", "--wrt", "X", "--wrt", "X", "--format", "index")
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "∂²(X ⊗ X)ᵢⱼ/∂Xₖₗ∂Xₘₙ: no index form (see the vec form)"


LOWER = [
    ("A.^2", "A", "A**2"),
    ("diag(diag(X))", "X", "np.diag(np.diag(X))"),
    ("sum(exp(A x))", "x,x", "sum(exp(A @ x))"),
    ("tanh(W x)", "W", "np.tanh(W @ x)"),
    ("diag(x) A", "x", "np.diag(x) @ A"),
]


@pytest.mark.parametrize(("expr", "wrt", "src"), LOWER, ids=[f"{c[0]} ; {c[1]}" for c in LOWER])
def test_first_and_second_derivatives_with_a_hadamard_product_have_an_index_form(expr: str, wrt: str, src: str) -> None:
    """Field notes: `A.^2` by A had no index form though 2 Aᵢⱼ δᵢₖ δⱼₗ exists; render.index cannot read a
    Hadamard product, the n-th differential's reading can (its terms evaluated against `value`)."""
    from mcalc import pipeline
    from mcalc.calculus.index_terms import index_form
    from mcalc.numeric.check import bind_values
    from mcalc.simplify import Simplifier

    names = wrt.split(",")
    run = cli("diff", expr, *[a for n in names for a in ("--wrt", n)], "--format", "index")
    assert run.code == 0 and "no index form" not in run.stdout, run.stdout + run.stderr
    rng = np.random.default_rng(seeded("lower", expr))
    tree, env, _ = pipeline.prepare(expr, None, wrt=tuple(names))
    result = pipeline.differentiate_tree(expr, tree, env, names)
    point = make_point(cli("diff", expr, "--wrt", names[0], "--format", "json").json["variables"], rng, sizes=(3, 2))
    value = pipeline.value_at(result, point.mcalc)
    if src:
        assert_close(value, finite_difference(numpy_function(src), point.numpy, names), what=expr)
    values = bind_values(env, point.mcalc, list(env.kinds), [result.tree])
    form = index_form(result.stages[0].function, names, env, Simplifier(env))
    assert_close(_index_value(form, env, values, value.shape), value, rtol=1e-9, what=f"index form of {expr}")
