"""The function catalogue (`mcalc/syntax/functions.py`) is the one place an elementwise function is
defined: a function registered there alone (in a fixture that removes it afterwards) parses, gets a
shape, differentiates, evaluates, is checked by `--check` inside its domain, refused outside it, and
prints in text, LaTeX and NumPy. Values are compared with finite differences of independent numpy code.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

from mcalc.shapes import infer_shapes
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, num
from mcalc.syntax.lexer import Tok, tokenize
from mcalc.syntax.parser import parse
from mcalc.syntax.sexpr import to_sexpr


def _softsign(x: Any) -> Any:
    return x / (1 + np.abs(x))


# softsign(x) = x / (1 + |x|), softsign′(x) = (1 + |x|)⁻²: a function mcalc does not know, built from
# node types it does (ElementPower, Add, Apply abs), with a helper in the generated numpy code
SOFTSIGN = functions.Function(
    "softsign",
    lambda x: N.ElementPower(add(num(1), N.Apply("abs", x)), Fraction(-2)),
    "softsign′(x) = 1/(1 + |x|)²",
    r"\operatorname{softsign}'(x) = \frac{1}{(1 + |x|)^2}",
    _softsign,
    "_softsign({})",
    r"\operatorname{softsign}\left({}\right)",
    reference="a test of the catalogue",
    aliases=("ssign",),
    numpy_helper=("def _softsign(z):", "    return z / (1.0 + np.abs(z))"),
)

# logit(x) = log(x / (1 − x)) on (0, 1): a bounded domain of the test's own
UNIT_INTERVAL = functions.Domain("0 < x < 1", "entries in (0, 1)", "entries in [0, 1]", 0.0, 1.0, (0.2, 0.8))
LOGIT = functions.Function(
    "logit",
    lambda x: N.ElementPower(N.Hadamard((x, add(num(1), N.Mul((num(-1), x))))), Fraction(-1)),
    "logit′(x) = 1/(x(1 − x))",
    r"\operatorname{logit}'(x) = \frac{1}{x(1 - x)}",
    lambda x: np.log(x / (1 - x)),
    "_logit({})",
    r"\operatorname{logit}\left({}\right)",
    domain=UNIT_INTERVAL,
    numpy_helper=("def _logit(z):", "    return np.log(z / (1.0 - z))"),
)


@pytest.fixture
def softsign() -> Iterator[functions.Function]:
    with functions.registered(SOFTSIGN) as entry:
        yield entry
    assert functions.lookup("softsign") is None  # the catalogue is as it was


@pytest.fixture
def logit() -> Iterator[functions.Function]:
    with functions.registered(LOGIT) as entry:
        yield entry


def test_a_registered_function_is_a_word_and_parses(softsign: functions.Function) -> None:
    assert [t.kind for t in tokenize("softsign(W x)")][0] is Tok.WORD
    assert to_sexpr(parse("softsign(W x)")) == to_sexpr(parse("ssign(W x)"))  # the alias reads the same
    assert "softsign" in to_sexpr(parse("softsign(W x)"))


def test_without_registration_the_word_is_unknown() -> None:
    run = cli("diff", "softsign(x)", "--wrt", "x")
    assert run.code == 2 and "unknown function 'softsign'" in run.stderr


def test_a_registered_function_gets_its_arguments_shape(softsign: functions.Function) -> None:
    env, tree = infer_shapes(parse("softsign(W x) + W x"))
    assert isinstance(tree, N.Add) and isinstance(tree.terms[0], N.Apply)
    assert env.shape(tree.terms[0]) == env.shape(tree.terms[1]) == ("m", 1)
    mismatch = cli("shape", "softsign(W x) + W")
    assert mismatch.code == 2 and "softsign" in mismatch.stderr


def _point(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"W": rng.standard_normal((3, 2)), "x": rng.standard_normal(2), "y": rng.standard_normal(3)}


EXPR = "||softsign(W x) - y||^2"


def _oracle(v: dict[str, Any]) -> Any:
    return np.sum((_softsign(v["W"] @ v["x"]) - v["y"]) ** 2)  # independent numpy code


@pytest.mark.parametrize("wrt", ["W", "x"])
def test_a_registered_function_differentiates_and_evaluates(
    softsign: functions.Function, wrt: str, tmp_path: Path, rng: np.random.Generator
) -> None:
    values = _point(rng)
    np.savez(tmp_path / "p.npz", **values)
    run = cli("diff", EXPR, "--wrt", wrt, "--at", str(tmp_path / "p.npz"), "--format", "json")
    assert run.code == 0, run.stderr
    assert "softsign" in run.json["derivative"]
    expected = finite_difference(_oracle, values, [wrt])
    assert_close(run.json["value"], expected, what=f"{EXPR} by {wrt}")
    check = cli("diff", EXPR, "--wrt", wrt, "--check", "--seed", "4", "--format", "json")
    assert check.code == 0 and check.json["check"]["passed"] is True


def test_a_registered_function_prints_in_text_latex_and_numpy(
    softsign: functions.Function, tmp_path: Path, rng: np.random.Generator
) -> None:
    args = ("diff", "sum(softsign(x))", "--wrt", "x")
    text = cli(*args, "--format", "text").stdout
    assert text.splitlines()[0] == "∂/∂x sum(softsign(x)) = (1 + abs(x)).^(-2)"
    latex = cli(*args, "--format", "latex").stdout
    assert r"\operatorname{softsign}\left(x\right)" in latex
    code = cli("diff", EXPR, "--wrt", "W", "--format", "numpy").stdout
    assert "def _softsign(z):" in code and "_softsign(" in code.split("def _softsign")[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "<mcalc --format numpy>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    values = _point(rng)
    got = namespace["grad"](W=values["W"], x=values["x"], y=values["y"])
    assert_close(got, finite_difference(_oracle, values, ["W"]), what="generated numpy code")


def test_a_registered_domain_is_sampled_by_check_and_refused_by_at(logit: functions.Function) -> None:
    check = cli("diff", "sum(logit(x))", "--wrt", "x", "--check", "--seed", "2", "--format", "json")
    assert check.code == 0, check.stderr
    assert check.json["check"]["passed"] is True
    assert not check.json["check"]["notes"]  # every point drawn inside (0, 1): none redrawn
    outside = cli("diff", "sum(logit(x))", "--wrt", "x", "--at", "x=[0.5,1.5]")
    assert outside.code == 1
    (line,) = outside.stderr.strip().splitlines()
    assert "logit" in line and "[0, 1]" in line and "1.5" in line
    edge = cli("diff", "sum(logit(x))", "--wrt", "x", "--at", "x=[0.5,1]")
    assert edge.code == 1 and "logit" in edge.stderr


def test_a_spelling_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="log"):
        functions.BUILT_IN.extended((functions.Function("ln", lambda x: x, "", "", np.log, "", ""),))
    assert functions.get("log").aliases == ("ln",)


def test_every_entry_is_complete() -> None:
    for f in functions.entries():
        assert f.name.replace("_", "").isalpha() and f.name.islower(), f.name  # λ_max, eigvec_max
        assert f.identity.startswith(f.name) or f.name == "sigmoid", f.identity
        assert f.identity_latex and f.reference and "{}" in f.latex and "{}" in f.numpy, f.name
        assert f.arity == 1, f.name  # the parser and the Apply node take one argument


def test_the_catalogue_imports_only_nodes_and_build() -> None:
    """It sits in the syntax layer next to the lexer that reads it: importing the lexer or parser back
    would be a cycle."""
    import ast

    source = Path(functions.__file__).read_text(encoding="utf-8")
    found = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    mcalc = {m for m in found if m and m.startswith("mcalc")}
    assert mcalc <= {"mcalc.syntax", "mcalc.syntax.build", "mcalc.syntax.nodes", "mcalc.records"}, mcalc
