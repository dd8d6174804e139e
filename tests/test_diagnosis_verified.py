"""Issue 23 item 10: a diagnosis never states a false thing. A claim about a long sum x_1ᵀA x_1 + … + x_nᵀA x_n
by A with one wrong term is diagnosed at that term (10, 100, 1,000 terms), and the diagnosis holds against
finite differences of independent numpy code: the claim as written is not the gradient, the claim corrected as
the diagnosis says is. Where mcalc cannot verify a diagnosis it says "mcalc could not say where"."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
from helpers import central_gradient, seeded

from mcalc.cli.commands import Decl
from mcalc.cli.homework import diagnose


@pytest.fixture(autouse=True)
def _no_clock_left_running() -> None:
    """These tests call the library directly, which has no time budget; a test that left a command's 10 s
    clock running in its worker (test_claims' sheet table, since fixed) stopped the 100-term case after 0.1 s
    of its own work."""
    from mcalc import budget

    budget.stop()


def _sum(n: int) -> str:
    return " + ".join(f"x_{i}^T A x_{i}" for i in range(1, n + 1))


def _claim(n: int, coef: dict[int, str]) -> str:
    """x_1 x_1ᵀ + … with the coefficient text coef[i] on term i (a sign, `2`, or `0` for a missing term)."""
    parts = []
    for i in range(1, n + 1):
        c = coef.get(i, "")
        if c == "0":
            continue
        parts.append(f"{c} x_{i} x_{i}^T".strip())
    return " + ".join(parts).replace("+ -", "- ")


def _fd_gradient(n: int, xs: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Central differences of f(A) = Σ x_iᵀ A x_i, written with numpy alone."""

    def f(m: np.ndarray) -> float:
        return float(sum(x @ m @ x for x in xs))

    return central_gradient(f, a)


def _claim_value(n: int, xs: np.ndarray, coef: dict[int, Fraction]) -> np.ndarray:
    return sum(float(coef.get(i + 1, Fraction(1))) * np.outer(x, x) for i, x in enumerate(xs))


CASES = [  # (terms, coefficient of the wrong term as typed, its value, the verdict, the details key)
    (10, "-", Fraction(-1), "wrong", "wrong_sign"),
    (100, "-", Fraction(-1), "wrong", "wrong_sign"),
    (100, "2", Fraction(2), "extra-term", "doubled"),
    (100, "0", Fraction(0), "missing-term", "missing"),
    (1000, "-", Fraction(-1), "wrong", "wrong_sign"),
]


@pytest.mark.parametrize(("n", "typed", "value", "outcome", "key"), CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_one_wrong_term_of_a_long_sum_is_named_and_the_correction_is_the_gradient(
    n: int, typed: str, value: Fraction, outcome: str, key: str
) -> None:
    bad = n // 2
    v = diagnose(_sum(n), ["A"], _claim(n, {bad: typed}), Decl().build(), seed=seeded("long sum", n, key))
    assert v.verdict == outcome, v.explanation[:300]
    assert v.details[key] == [f"x_{bad} x_{bad}ᵀ"], v.details.get(key)
    # every other term is as it should be: the fitted coefficients are 1 but the wrong one
    coefs = dict(zip(v.details["terms"], v.details["coefficients"], strict=True))
    assert len(coefs) == n and coefs.pop(f"x_{bad} x_{bad}ᵀ") == str(value) and set(coefs.values()) == {"1"}
    assert "appears as" not in v.explanation
    # against numpy: the claim is not the gradient; with term `bad` given coefficient 1 it is
    rng = np.random.default_rng(seeded("long sum values", n))
    m = 3
    xs, a = rng.standard_normal((n, m)), rng.standard_normal((m, m))
    g = _fd_gradient(n, xs, a)
    assert not np.allclose(_claim_value(n, xs, {bad: value}), g, rtol=1e-6, atol=1e-6)
    corrected = {int(i) + 1: Fraction(1) for i in range(n)}
    np.testing.assert_allclose(_claim_value(n, xs, corrected), g, rtol=1e-6, atol=1e-5 * n)


def test_a_claim_no_diagnosis_explains_is_wrong_and_says_mcalc_could_not_say_where() -> None:
    """(x_1 + … + x_60)(x_1 + … + x_60)ᵀ has 3,600 products: too many to expand into terms, and 60 unknown
    coefficients cannot be fitted from a few sampled matrices. The verdict says so rather than guessing."""
    n = 60
    total = " + ".join(f"x_{i}" for i in range(1, n + 1))
    v = diagnose(_sum(n), ["A"], f"({total}) ({total})^T", Decl().build(), seed=seeded("no diagnosis"))
    assert v.verdict == "wrong"
    assert "mcalc could not say where" in v.explanation
    assert not re.search(r"appears as|wrong sign|missing|does not belong", v.explanation)
    # numpy agrees it is wrong: the cross terms x_i x_jᵀ are not in the gradient
    rng = np.random.default_rng(seeded("no diagnosis values"))
    xs, a = rng.standard_normal((n, 3)), rng.standard_normal((3, 3))
    s = xs.sum(axis=0)
    assert not np.allclose(np.outer(s, s), _fd_gradient(n, xs, a), rtol=1e-6, atol=1e-6)


def test_a_fit_the_sampled_values_do_not_determine_is_not_stated() -> None:
    """The least-squares fit of 100 coefficients from three sampled symmetric matrices of 2×2 … 7×7 matches
    those values exactly but is no diagnosis; `verified` rejects it at points the fit never saw, and accepts
    the true one."""
    from mcalc.claims.diagnosis import _problem, _read
    from mcalc.claims.sampling import POINTS, fit, sample
    from mcalc.claims.terms import expand_terms, term_node
    from mcalc.claims.verify import verified
    from mcalc.render.printer import render_text

    n, bad = 100, 50
    c = _read(_sum(n), ["A"], _claim(n, {bad: "-"}), Decl().build(), seeded("fit"), None)
    truth_terms = [(k, t) for t, k in expand_terms(c.truth, c.simp).items()]
    p = _problem(c, truth_terms)
    sample(p, [c.truth, c.node] + [term_node(k, t) for k, t in truth_terms], POINTS)
    columns = [[s[term_node(k, t)] for s in p.samples] for k, t in truth_terms]
    alpha, residual, _ = fit(columns, [s[c.node] for s in p.samples])
    assert residual < 1e-7  # an exact fit of the sampled values (x_i x_iᵀ are symmetric: fewer equations than terms)
    guessed = [Fraction(x).limit_denominator(1000) for x in alpha]
    assert guessed.count(Fraction(1)) < n - 1  # not the diagnosis: most coefficients are off
    assert not verified(p, c.node, guessed, [])
    right = [Fraction(-1) if render_text(t) == f"x_{bad} x_{bad}ᵀ" else Fraction(1) for _, t in truth_terms]
    assert right.count(Fraction(-1)) == 1 and verified(p, c.node, right, [])
