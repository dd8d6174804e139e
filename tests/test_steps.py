"""`--steps`: the derivation in textbook form, one line per identity, each line naming it.

Every line is an equation between expression trees, so besides the wording of the issue's example the
tests evaluate both sides of every `=` (and the identification after `⇒`) at random points with a
random dX, for all 46 golden cases: a step that is not true fails.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from helpers import cli, seeded
from test_latex import CASES, Case
from typer.testing import CliRunner

from mcalc import pipeline
from mcalc.calculus import rules
from mcalc.cli.app import app
from mcalc.numeric.evaluate import differential_key, evaluate, function_key
from mcalc.shapes import Declarations, Kind, bind_sizes
from mcalc.steps import REWRITES, DOf, Line, derivation, render_line
from mcalc.syntax import nodes as N
from mcalc.view import Layout

RULE_NAMES = rules.RULE_NAMES | set(REWRITES)
SIZES = (3, 2, 4, 5, 6, 7)


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def steps_of(*args: str) -> list[str]:
    code, out, err = run("diff", *args, "--steps", "--format", "text")
    assert code == 0, err
    return [line.removeprefix("step: ") for line in out.splitlines() if line.startswith("step: ")]


# --------------------------------------------------------------------------------------------------
# the issue's example, word for word
# --------------------------------------------------------------------------------------------------


def test_the_issue_example_leads_from_the_product_rule_to_the_result() -> None:
    steps = steps_of("tr(A B A^T C)", "--wrt", "A")
    bodies = [s.split("    [")[0] for s in steps]
    assert bodies[:3] == [
        "d tr(ABAᵀC) = tr(d(ABAᵀC))",
        "d(ABAᵀC) = dA BAᵀC + AB d(Aᵀ) C",
        "d(Aᵀ) = dAᵀ",
    ]
    assert "d tr(ABAᵀC) = tr(dA BAᵀC) + tr(AB dAᵀ C)" in bodies
    assert "tr(dA BAᵀC) = tr(BAᵀC dA)" in bodies  # cyclic property
    assert "tr(AB dAᵀ C) = tr(Cᵀ dA BᵀAᵀ)" in bodies  # transpose
    assert "tr(Cᵀ dA BᵀAᵀ) = tr(BᵀAᵀCᵀ dA)" in bodies  # cyclic property
    last = bodies[-1]
    assert last.startswith("d tr(ABAᵀC) = tr((BAᵀC + BᵀAᵀCᵀ) dA) ⇒ ∂f/∂A = (BAᵀC + BᵀAᵀCᵀ)ᵀ = ")
    assert set(last.rsplit(" = ", 1)[1].split(" + ")) == {"CAB", "CᵀABᵀ"}
    names = [re.search(r"    \[([\w-]+): ", s).group(1) for s in steps]  # type: ignore[union-attr]
    assert names == [
        "d-trace", "product-rule", "d-transpose", "substitute", "trace-cyclic", "trace-transpose",
        "trace-cyclic", "trace-linear", "identify-gradient",
    ]  # fmt: skip


def test_every_line_names_one_identity_with_its_formula() -> None:
    for case in CASES:
        for step in steps_of(*case.args()[1:]):
            m = re.fullmatch(r".+ {4}\[([\w-]+): (.+)\]", step)
            assert m, step
            assert m.group(1) in RULE_NAMES, step
            assert m.group(2), step


def test_the_identification_follows_the_readme_convention() -> None:
    """Mixed layout (the default): ∂f/∂X = Gᵀ has the shape of X; numerator layout: ∂f/∂X = G."""
    mixed = steps_of("tr(A B)", "--wrt", "A")[-1]
    assert "tr(B dA) ⇒ ∂f/∂A = Bᵀ" in mixed and "∂f/∂X = Gᵀ" in mixed
    numerator = derivation(pipeline.differentiate("tr(A B)", ["A"]), Layout.NUMERATOR)[-1]
    text = render_line(numerator)
    assert "⇒ ∂f/∂A = B    [identify-gradient: df = tr(G dX) ⇔ ∂f/∂X = G (numerator layout)]" in text


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["x^T B x", "--wrt", "x"], "identify-gradient"),
        (["A x", "--wrt", "x"], "identify-jacobian"),
        (["R^T R", "--wrt", "R"], "identify-vec"),
        (["A(t) B(t)", "--wrt", "t"], "identify-derivative"),
    ],
)
def test_each_kind_ends_with_its_identification(args: list[str], last: str) -> None:
    steps = steps_of(*args)
    if last == "identify-vec":  # a tensor's derivation then reads its index form (field notes), as `index:` has it
        assert steps[-1].startswith("∂(RᵀR)ᵢⱼ/∂Rₖₗ = δᵢₗ Rₖⱼ + Rₖᵢ δₗⱼ    [index-form: ")
        steps = steps[:-1]
    assert f"[{last}: " in steps[-1]


def test_a_hessian_shows_both_stages() -> None:
    steps = steps_of("x^T A x", "--wrt", "x", "--wrt", "x")
    idents = [s for s in steps if "[identify-" in s]
    assert len(idents) == 2
    assert "⇒ ∂f/∂x = (xᵀAᵀ + xᵀA)ᵀ = (A + Aᵀ)x" in idents[0]
    assert idents[1].split("    [")[0].endswith("⇒ ∂f/∂x = A + Aᵀ")


def test_a_vector_gradient_uses_the_transpose_of_a_scalar_not_a_trace() -> None:
    steps = steps_of("x^T B x", "--wrt", "x")
    assert "dxᵀ Bx = xᵀBᵀ dx    [scalar-transpose: s = sᵀ for a 1×1 s]" in steps


def test_a_symmetric_variable_is_identified_with_the_symmetric_part() -> None:
    last = steps_of("logdet(S)", "--wrt", "S", "--symmetric", "S")[-1]
    assert "⇒ ∂f/∂S = 1/2 (S⁻ᵀ + S⁻¹) = S⁻¹" in last


# --------------------------------------------------------------------------------------------------
# text, LaTeX and JSON carry the same steps
# --------------------------------------------------------------------------------------------------


def test_steps_in_text_latex_and_json_agree() -> None:
    args = ["diff", "tr(A B A^T C)", "--wrt", "A", "--steps"]
    text = steps_of(*args[1:-1])
    _, js, _ = run(*args, "--format", "json")
    assert json.loads(js)["steps"] == text
    _, tex, _ = run(*args, "--format", "latex")
    tex_lines = tex.splitlines()
    assert len(tex_lines) == 1 + len(text)
    assert tex_lines[4].startswith(
        r"\mathrm{d}\,\operatorname{tr}\left(A B A^{\top} C\right) = "
        r"\operatorname{tr}\left(\mathrm{d}A \, B A^{\top} C\right) + "
    )
    assert all(r"\qquad \left[\text{" in line for line in tex_lines[1:])


# --------------------------------------------------------------------------------------------------
# every line is true: both sides evaluated at random points
# --------------------------------------------------------------------------------------------------


def _declarations(case: Case) -> Declarations:
    from mcalc.shapes import parse_shape_spec

    shapes = dict(parse_shape_spec(s) for s in case.all("shape"))
    return Declarations(
        scalars=frozenset(case.all("scalar")),
        vectors=frozenset(case.all("vector")),
        matrices=frozenset(case.all("matrix")),
        symmetric=frozenset(case.all("symmetric")),
        shapes=shapes,
    )


def _point(result: pipeline.Result, case: Case, rng: np.random.Generator) -> dict[str, Any]:
    env = result.env
    sizes: dict[Any, int] = {}
    pool = list(SIZES)

    def size(d: Any) -> int:
        d = env.resolve(d)
        if isinstance(d, int):
            return d
        if d not in sizes:
            sizes[d] = pool.pop(0)
        return sizes[d]

    shapes = {}
    for name in env.kinds:
        r, c = env.shape_of_var(name)
        kind = env.kind(name)
        shapes[name] = () if kind is Kind.SCALAR else (size(r),) if kind is Kind.VECTOR else (size(r), size(c))
    bind_sizes(env, shapes)
    values: dict[str, Any] = {}
    positive = set(case.all("positive"))
    for name, shape in shapes.items():
        r, c = (shape + (1, 1))[:2] if len(shape) < 2 else shape
        if name in positive or not shape:
            v = rng.uniform(0.5, 1.5, size=(r, c))
        elif name in env.symmetric:
            m = rng.standard_normal((r, c)) / np.sqrt(r)
            v = np.eye(r) + 0.15 * (m + m.T)
        elif r == c and len(shape) == 2:
            v = np.eye(r) + 0.3 * rng.standard_normal((r, c)) / np.sqrt(r)
        else:
            v = rng.standard_normal((r, c))
        values[name] = v
        if name in env.functions:
            values[function_key(name, 1)] = 0.5 * rng.standard_normal((r, c))
            values[function_key(name, 2)] = 0.25 * rng.standard_normal((r, c))
        d = rng.standard_normal((r, c))
        values[differential_key(name)] = (d + d.T) / 2 if name in env.symmetric else d
    return values


def _shifted(result: pipeline.Result, var: str, values: dict[str, Any], s: float) -> dict[str, Any]:
    """The point moved by s·dX along the variable (a function of t moves along its Taylor polynomial:
    the values are those of a quadratic in t, so the central difference below is exact)."""
    env = result.env
    out = dict(values)
    d = values[differential_key(var)]
    out[var] = values[var] + s * d
    for name, param in env.functions.items():
        if param == var:
            h = s * float(d.ravel()[0])
            f0, f1, f2 = (values[function_key(name, k)] for k in range(3))
            out[function_key(name, 0)] = f0 + h * f1 + h * h / 2 * f2
            out[function_key(name, 1)] = f1 + h * f2
    return out


def _value(node: N.Node, result: pipeline.Result, var: str, values: dict[str, Any]) -> Any:
    """Evaluate a side; a placeholder d(u) is the directional derivative of u along dX, by central
    differences."""
    extra: dict[str, Any] = {}

    def replace(n: N.Node) -> N.Node:
        if isinstance(n, DOf):
            h = 1e-5
            plus = evaluate(n.arg, result.env, _shifted(result, var, values, h))
            minus = evaluate(n.arg, result.env, _shifted(result, var, values, -h))
            name = f"placeholder{len(extra)}"
            extra[name] = (np.asarray(plus) - np.asarray(minus)) / (2 * h)
            return N.Symbol(name)
        kids = n.children()
        return n if not kids else N.rebuild(n, tuple(replace(k) for k in kids))

    node = replace(node)
    return np.asarray(evaluate(node, result.env, {**values, **extra}), dtype=float)


def _equations(line: Line) -> list[tuple[N.Node, N.Node]]:
    pairs = list(zip(line.sides, line.sides[1:], strict=False))
    if line.conclusion is not None:
        vals = line.conclusion.values
        pairs += list(zip(vals, vals[1:], strict=False))
    return pairs


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_step_is_a_true_equation(case: Case) -> None:
    layout = Layout(case.all("layout")[0]) if case.all("layout") else Layout.MIXED
    result = pipeline.differentiate(case.input, case.all("wrt"), _declarations(case))
    lines = derivation(result, layout, strict=True)  # the textbook path, never the fallback
    rng = np.random.default_rng(seeded("steps"))
    values = _point(result, case, rng)
    stage = 0
    checked = 0
    for line in lines:
        var = result.stages[stage].var
        for lhs, rhs in _equations(line):
            a = _value(lhs, result, var, values)
            b = _value(rhs, result, var, values)
            scale = max(1.0, float(np.abs(b).max()))
            assert a.size == b.size, (render_line(line), a.shape, b.shape)
            assert np.abs(a.ravel() - b.ravel()).max() <= 1e-6 * scale, render_line(line)
            checked += 1
        if line.name.startswith("identify-"):
            stage += 1
    assert checked >= len(lines)
    ident = lines[-1]
    assert ident.name.startswith("identify-") and ident.conclusion is not None
    # the identification ends with what mcalc prints as the derivative
    shown = pipeline.displayed(result.final, layout, result.env)
    assert ident.conclusion.values[-1] == shown


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_first_line_differentiates_the_expression_as_typed(case: Case) -> None:
    result = pipeline.differentiate(case.input, case.all("wrt"), _declarations(case))
    first = derivation(result, Layout.MIXED, strict=True)[0]
    assert isinstance(first.sides[0], DOf)
    assert first.name in rules.RULE_NAMES | {"identify-gradient", "identify-jacobian"}


def test_a_zero_derivative_has_one_line() -> None:
    steps = steps_of("A", "--wrt", "t", "--scalar", "t")
    assert steps == ["dA = 0 ⇒ df/dt = 0    [d-const: d(c) = 0]"]


def test_steps_never_take_the_derivative_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the textbook derivation fails on some input, --steps still prints the differential and the
    result (and the derivative itself is printed as always)."""
    from mcalc import steps as module

    def broken(self: Any, function: N.Node) -> list[Line]:
        raise RuntimeError("no textbook form")

    monkeypatch.setattr(module._StageWriter, "lines", broken)
    code, out, _ = run("diff", "tr(A B)", "--wrt", "A", "--steps")
    assert code == 0
    assert out.splitlines()[0] == "∂/∂A tr(AB) = Bᵀ"
    assert out.splitlines()[-2] == "step: d tr(AB) = tr(B dA) ⇒ ∂f/∂A = Bᵀ    [substitute: " + (
        REWRITES["substitute"].identity + "]"
    )
    with pytest.raises(RuntimeError):
        derivation(pipeline.differentiate("tr(A B)", ["A"]), Layout.MIXED, strict=True)


@pytest.mark.parametrize(("expr", "var"), [("sum(X.^0)", "X"), ("sum(x.^0)", "x"), ("norm(x)^0", "x")])
def test_a_gradient_whose_differential_comes_to_zero_ends_as_a_constant_s(expr: str, var: str) -> None:
    """d(X.^0) = 0 ⊙ dX left no term with dX: the gradient's steps read an empty product (an internal error,
    exit 1). The steps now end as a constant's, df = 0 ⇒ 0; f is constant (np.sum(X**0) = m·n, ‖x‖⁰ = 1)."""
    run = cli("diff", expr, "--wrt", var, "--steps")
    assert run.code == 0, run.stderr
    steps = [ln for ln in run.stdout.splitlines() if ln.startswith("step: ")]
    assert steps[-1].endswith(f"= 0 ⇒ ∂f/∂{var} = 0    [d-const: d(c) = 0]"), run.stdout
