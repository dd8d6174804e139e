"""Issue 6: results as compact as the textbook.

For every entry of tests/golden/textbook.txt (the seeds' examples and The Matrix Cookbook's identities):
mcalc's derivative equals the textbook's answer numerically at random points of distinct sizes, the
derivative itself matches finite differences of the expression (the independent oracle), and mcalc's
printed result is no larger than the textbook's, counted in tree nodes. A property test checks that
simplification never changes a value or a shape, and that it is idempotent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import Case, golden_cases, golden_params, seeded
from hypothesis import given, settings
from hypothesis import strategies as st

from mcalc import pipeline
from mcalc.numeric.check import check_derivative, domain_of, random_point, random_sizes, worst_guard
from mcalc.numeric.evaluate import evaluate
from mcalc.render.printer import render_text
from mcalc.shapes import Declarations
from mcalc.simplify import Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten

CASES = golden_cases("textbook.txt")
# points are drawn inside each case's domain: every inverted or det/logdet matrix well conditioned
WELL_CONDITIONED = 1e8


def decl_of(case: Case) -> Declarations:
    return Declarations(scalars=frozenset(case.all("scalar")), symmetric=frozenset(case.all("symmetric")))


def test_the_table_has_at_least_forty_entries() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", golden_params(CASES, lambda c: f"{c.input} ; {c.get('wrt')}"))
def test_textbook_answer_equals_mcalc_and_is_no_shorter(case: Case) -> None:
    source, wrt, (answer,) = str(case.input), case.all("wrt"), case.expected
    tree, env, (textbook,) = pipeline.prepare(source, decl_of(case), extra=(answer,), wrt=tuple(wrt))
    result = pipeline.differentiate_tree(source, tree, env, wrt)
    mine = pipeline.displayed(result.final, pipeline.Layout.MIXED, env)  # the shown form
    printed = case.get("printed")
    assert printed is None or render_text(mine) == printed, (case.lineno, render_text(mine))
    # no larger than the textbook, as the textbook writes it; both flattened alike (a product of scalars inside
    # a product, (xᵀAx) in 2 (xᵀAx) (xᵀx)⁻¹ x, is one node more in either, as typed or as printed)
    assert N.tree_size(flatten(mine)) <= N.tree_size(flatten(textbook)), (
        f"{case.path}:{case.lineno}: mcalc's result has {N.tree_size(flatten(mine))} nodes, "
        f"the textbook's {N.tree_size(flatten(textbook))}"
    )
    # equal to the textbook's answer at random points (the layout-free value against the textbook's
    # gradient convention: the shape of the variable)
    rng = np.random.default_rng(seeded(Path(case.path).name, case.lineno))
    domain = domain_of([tree, mine, textbook], env)
    compared = 0
    # up to 100 draws for 3 in the domain: det(A X B) is defined at a third of the random sizes (m no larger
    # than n and p), and 20 draws fell short at some seeds (the seed was the file's absolute path, so it
    # depended on where the repository was cloned; now its name)
    for _ in range(100):
        if compared == 3:
            break
        env.sizes.clear()
        env.sizes.update(random_sizes(env, rng))
        values = random_point(env, domain, rng)
        if worst_guard(env, domain, values)[0] > WELL_CONDITIONED:
            continue  # outside the case's domain (X 2×7 makes XᵀX singular): draw again, never compare there
        with np.errstate(all="ignore"):
            a = np.asarray(evaluate(mine, env, values), dtype=float)
            b = np.asarray(evaluate(flatten(textbook), env, values), dtype=float) * np.ones_like(a)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            continue
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=f"{case.path}:{case.lineno}")
        compared += 1
    assert compared == 3
    # and right: finite differences of the expression itself
    env.sizes.clear()

    def f_value(values: Any) -> Any:
        return pipeline.evaluate_expression(result.tree, env, values)

    def d_value(values: Any) -> Any:
        return pipeline.evaluate_value(result, values)

    outcome = check_derivative(
        env,
        result.wrt,
        f_value,
        d_value,
        domain_of([tree, mine], env),
        seed=seeded(Path(case.path).name, case.lineno, "check"),
    )
    assert outcome.passed, (case.input, outcome.max_rel_error)


@pytest.mark.parametrize(
    ("source", "wrt", "layout", "printed"),
    [
        ("x^T x ((-x^T) x)", "x", "mixed", "−4 (xᵀx) x"),  # the sign of a factor comes out: was 2 (−xᵀx) x − 2 (xᵀx) x
        ("(x - m)^T (x - m) / 2", "x", "numerator", "(x − m)ᵀ"),  # was xᵀ − mᵀ
        ("a^T tanh(W x)", "W", "numerator", "x ((1 − tanh(Wx).^2) ⊙ a)ᵀ"),
        ("W2 tanh(W1 x)", "W2", "mixed", "tanh(W1 x)ᵀ ⊗ I"),  # was tanh(xᵀW1ᵀ) ⊗ I
        ("norm2(X - W W^T X)^2", "W", "mixed", "−2((X − WWᵀX)Xᵀ + X(X − WWᵀX)ᵀ)W"),  # was X(Xᵀ − XᵀWWᵀ)
        ("log(x^T A x)", "x", "mixed", "(xᵀAx)⁻¹ (A + Aᵀ) x"),  # a field note: was ((xᵀAx)⁻¹ A + (xᵀAx)⁻¹ Aᵀ)x
        ("x^T A x / (x^T B x)", "x", "mixed", "((xᵀBx)⁻¹ (A + Aᵀ) − ((xᵀBx)⁻² xᵀ A x) (B + Bᵀ))x"),  # by group
        ("R^T R", "R", "mixed", "(Rᵀ ⊗ I) Kₘₙ + I ⊗ Rᵀ"),  # a whole result keeps its transposes inside
        ("diag(ones) x", "x", "mixed", "I"),  # diag(𝟙) = I
    ],
)
def test_shown_forms(source: str, wrt: str, layout: str, printed: str, rng: np.random.Generator) -> None:
    """The textbook's placement of transposes, signs and scalar factors, in the printed result, equal in
    value to the simplifier's form (the derivative itself: the table above and the golden files check
    these forms against the textbook's answers and finite differences)."""
    result = pipeline.differentiate(source, [wrt])
    shown = pipeline.displayed(result.final, pipeline.Layout(layout), result.env)
    assert render_text(shown) == printed
    env = result.env
    env.sizes.clear()
    env.sizes.update(random_sizes(env, rng))
    values = random_point(env, domain_of([result.tree], env), rng)
    canonical = Simplifier(env)(shown)  # transposes pushed back down: the simplifier's form of the same value
    with np.errstate(all="ignore"):
        a, b = evaluate(shown, env, values), evaluate(canonical, env, values)
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-10)


# --- simplification never changes a value or a shape, and is idempotent ---

LEAVES = ["A", "B", "C", "X", "A^T", "X^T", "inv(X)", "(A + I)", "2 A", "1/2 X"]


def expressions(depth: int) -> st.SearchStrategy[str]:
    """Square n×n matrix expressions over A, B, C, X (all n×n by --shape)."""
    if depth == 0:
        return st.sampled_from(LEAVES)
    sub = expressions(depth - 1)
    return st.one_of(
        sub,
        st.tuples(sub, sub).map(lambda p: f"({p[0]}) ({p[1]})"),
        st.tuples(sub, sub).map(lambda p: f"({p[0]}) + ({p[1]})"),
        st.tuples(sub, sub).map(lambda p: f"({p[0]}) - ({p[1]})"),
        st.tuples(sub, sub).map(lambda p: f"({p[0]}) .* ({p[1]})"),
        sub.map(lambda e: f"({e})^T"),
        sub.map(lambda e: f"tr({e}) A"),
        sub.map(lambda e: f"3 ({e})"),
        sub.map(lambda e: f"({e})^2"),
        sub.map(lambda e: f"tanh({e})"),
    )


SQUARE = Declarations(shapes=dict.fromkeys("ABCX", ("n", "n")))


@settings(max_examples=300, deadline=None)
@given(expressions(3), st.integers(0, 2**31))
def test_simplification_keeps_value_and_shape_and_is_idempotent(source: str, seed: int) -> None:
    tree, env, _ = pipeline.prepare(source, SQUARE)
    simp = Simplifier(env)
    once = simp(tree)
    assert env.shape(once) == env.shape(tree)
    assert Simplifier(env)(once) == once, source  # a fresh simplifier: idempotent, not just memoised
    rng = np.random.default_rng(seed)
    env.sizes.update({"n": 4})
    values = random_point(env, domain_of([tree], env), rng)
    before = np.asarray(evaluate(tree, env, values), dtype=float)
    after = np.asarray(evaluate(once, env, values), dtype=float) * np.ones_like(before)
    scale = max(1.0, float(np.abs(before).max()))
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9 * scale, err_msg=source)


def test_a_coefficient_is_an_exact_rational() -> None:
    from mcalc.render.printer import render_text

    result = pipeline.differentiate("1/2 x^T x + 0.25 x^T x", ["x"])
    assert render_text(result.final.result) == "3/2 x"
