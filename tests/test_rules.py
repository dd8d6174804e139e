"""Completeness of the tables: every node type has a derivative rule, a shape rule, an evaluator and
a printer; every elementwise function has a derivative and a numeric implementation; every rule
names its identity and its source."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from mcalc.calculus.rules import DERIVATIVE_RULES
from mcalc.numeric.evaluate import _HANDLERS
from mcalc.render.printer import TEXT, Printer
from mcalc.shapes import _SHAPE_RULES
from mcalc.syntax import functions
from mcalc.syntax import nodes as N

ALL_NODES = N.OPERATORS + N.LEAVES


@pytest.mark.parametrize("cls", ALL_NODES, ids=lambda c: c.__name__)
def test_every_node_type_has_every_table_entry(cls: type) -> None:
    assert cls in DERIVATIVE_RULES, f"no derivative rule for {cls.__name__}"
    assert cls in _SHAPE_RULES, f"no shape rule for {cls.__name__}"
    assert cls in _HANDLERS, f"no evaluator for {cls.__name__}"
    assert hasattr(Printer(TEXT), "p_" + cls.__name__), f"no printer for {cls.__name__}"


@pytest.mark.parametrize("rule", list(DERIVATIVE_RULES.values()), ids=lambda r: f"{r.op.__name__}:{r.name}")
def test_every_rule_names_its_identity_and_source(rule: object) -> None:
    assert rule.name and rule.name == rule.name.lower() and " " not in rule.name  # type: ignore[attr-defined]
    assert rule.identity.strip() and rule.latex.strip() and rule.reference.strip()  # type: ignore[attr-defined]


@pytest.mark.parametrize("func", [f.name for f in functions.entries() if f.elementwise])
def test_every_elementwise_function_has_a_derivative_matching_finite_differences(func: str) -> None:
    entry = functions.get(func)
    # entries inside the function's domain: (−1, 1) for arcsin, positive for log
    x = np.array([[0.3, 0.7], [1.2, 2.5]]) if entry.domain.upper is None else np.array([[0.3, -0.7], [0.1, 0.55]])
    h = 1e-6
    fd = (entry.evaluate(x + h) - entry.evaluate(x - h)) / (2 * h)
    from mcalc.numeric.evaluate import evaluate
    from mcalc.shapes import infer_shapes

    sym = N.Symbol("X")
    env, _ = infer_shapes(sym)
    env.sizes.update({"m": 2, "n": 2})
    slope = entry.derivative(sym)
    got = evaluate(slope, env, {"X": x}) * np.ones_like(x)
    assert np.allclose(got, fd, rtol=1e-5, atol=1e-6), (func, got, fd)


def test_a_number_is_a_constant() -> None:
    assert DERIVATIVE_RULES[N.Number].apply(N.Number(Fraction(3)), lambda n: None, None) is None  # type: ignore[arg-type]
