"""Every format × every layout says the same orientation (issue 22): the label's transpose marker in LaTeX,
vec and text agree, and the printed result has the value the label promises.

The bug this pins: with `where` names (a long result shared as u₁, u₂, …), `--format latex` printed the
mixed-layout label ∂/∂W₁ beside the numerator-layout result, while the text rightly said ∂/∂W1ᵀ.

Which layouts transpose which kind of derivative is written here independently of mcalc (README § Layout):
a gradient is shown transposed in numerator layout; a Jacobian, a vec Jacobian (tensor) and the derivative of
a vector by a scalar in denominator layout. The numbers: the text result is read back by `mcalc eval` (with
its `where` names as --let) at the --at point and compared with the layout-free `value`, transposed when the
label says so; the SymPy export is evaluated by SymPy; NumPy code and index notation, being layout-free, are
the same in every layout.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from helpers import cli

from mcalc.view import Format, Layout

RNG = np.random.default_rng(22)


def _values(**shapes: tuple[int, ...]) -> dict[str, Any]:
    return {name: np.round(RNG.uniform(-1, 1, size=shape), 3).tolist() for name, shape in shapes.items()}


# (expression, variable, values, kind, extra options)
CASES: dict[str, tuple[str, str, dict[str, Any], str, list[str]]] = {
    "matrix-gradient": ("tr(A B)", "A", _values(A=(2, 3), B=(3, 2)), "gradient", []),
    "vector-gradient": ("x^T A x", "x", _values(x=(3,), A=(3, 3)), "gradient", []),
    "jacobian": ("sigmoid(W x)", "x", _values(W=(2, 3), x=(3,)), "jacobian", []),
    "gradient-where": (
        "sum(sigmoid(W3 sigmoid(W2 sigmoid(W1 x))))", "W1",
        _values(x=(2,), W1=(3, 2), W2=(2, 3), W3=(2, 2)), "gradient", [],
    ),
    "jacobian-where": (
        "sigmoid(W3 sigmoid(W2 sigmoid(W1 x)))", "x",
        _values(x=(2,), W1=(3, 2), W2=(2, 3), W3=(2, 2)), "jacobian", [],
    ),
    "tensor": ("R^T R", "R", _values(R=(3, 2)), "tensor", []),
    "vector-by-scalar": ("t x", "t", _values(t=(), x=(3,)), "derivative", ["--scalar", "t"]),
}  # fmt: skip
SHARED = {"gradient-where", "jacobian-where"}  # the cases whose result is printed with `where` names

FLIPPED = {  # the layouts that show the transpose of the mixed-layout result, per kind
    "gradient": {Layout.NUMERATOR},
    "jacobian": {Layout.DENOMINATOR},
    "tensor": {Layout.DENOMINATOR},
    "derivative": {Layout.DENOMINATOR},  # of a vector by a scalar
}


def _run(case: str, layout: Layout, fmt: Format) -> str:
    expr, var, values, _, extra = CASES[case]
    at = [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(v)}")]
    run = cli("diff", expr, "--wrt", var, *extra, *at, "--layout", layout.value, "--format", fmt.value)
    assert run.code == 0, run.stderr
    return run.stdout


def _label(first_line: str) -> str:
    return first_line.split(" = ")[0]


def _marks(case: str, layout: Layout, fmt: Format, mark: str) -> int:
    """How many more transpose marks the label has in `layout` than in the mixed layout."""
    here, mixed = (_label(_run(case, lay, fmt).splitlines()[0]) for lay in (layout, Layout.MIXED))
    return here.count(mark) - mixed.count(mark)


@pytest.mark.parametrize("layout", list(Layout), ids=str)
@pytest.mark.parametrize("case", list(CASES))
def test_every_format_labels_the_orientation_the_text_shows(case: str, layout: Layout) -> None:
    kind = CASES[case][3]
    expected = int(layout in FLIPPED[kind])
    text = _run(case, layout, Format.TEXT)
    assert _marks(case, layout, Format.TEXT, "ᵀ") == expected, text
    assert _marks(case, layout, Format.LATEX, "^{\\top}") == expected, _run(case, layout, Format.LATEX)
    if kind == "tensor":  # vec notation is the equation in the layout asked for
        assert _marks(case, layout, Format.VEC, "ᵀ") == expected
    payload = json.loads(_run(case, layout, Format.JSON))
    assert payload["layout"] == layout.value
    assert payload["equation"].startswith(_label(text.splitlines()[0]) + " = ") or case in SHARED
    assert (
        _label(payload["equation_latex"]).count("^{\\top}")
        - _label(json.loads(_run(case, Layout.MIXED, Format.JSON))["equation_latex"]).count("^{\\top}")
        == expected
    )
    if case in SHARED:  # the where form is what the text and LaTeX print: their labels are the full form's
        shared = payload["shared"]
        assert _label(shared["equation"]) == _label(payload["equation"]) == _label(text.splitlines()[0])
        assert _label(shared["equation_latex"]) == _label(payload["equation_latex"])
        assert _label(_run(case, layout, Format.LATEX).splitlines()[0]) == _label(shared["equation_latex"])


def _ascii_names(text: str) -> str:
    return text.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))


def _printed_value(case: str, layout: Layout) -> np.ndarray:
    """The text result (its `where` names as --let definitions) evaluated by `mcalc eval` at the case's point."""
    expr, _, values, _, extra = CASES[case]
    payload = json.loads(_run(case, layout, Format.JSON))
    shared = payload.get("shared")
    result, lets = (shared["derivative"], shared["where"]) if shared else (payload["derivative"], [])
    assert case not in SHARED or shared, "the case no longer prints `where` names: choose a longer one"
    at = [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(v)}")]
    let = [a for w in lets for a in ("--let", _ascii_names(w))]
    run = cli("eval", _ascii_names(result), *extra, *let, *at)
    assert run.code == 0, (result, lets, run.stderr)
    return np.asarray(json.loads(run.stdout), dtype=float)


@pytest.mark.parametrize("layout", list(Layout), ids=str)
@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][3] != "tensor"])
def test_the_printed_result_has_the_value_its_label_promises(case: str, layout: Layout) -> None:
    """`value` is layout-free (shape of f, then shape of the variable); the printed matrix is it, or its
    transpose when the label carries the transpose mark."""
    kind = CASES[case][3]
    value = np.asarray(json.loads(_run(case, layout, Format.JSON))["value"], dtype=float)
    mixed = value.reshape(value.shape if value.ndim == 2 else (-1, 1))  # a vector is a column
    expected = mixed.T if layout in FLIPPED[kind] else mixed
    printed = _printed_value(case, layout)
    printed = printed.reshape(printed.shape if printed.ndim == 2 else (-1, 1))
    np.testing.assert_allclose(printed, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("layout", list(Layout), ids=str)
@pytest.mark.parametrize("case", ["matrix-gradient", "jacobian", "vector-by-scalar", "gradient-where"])
def test_the_sympy_export_is_the_result_in_the_layout_asked_for(case: str, layout: Layout) -> None:
    import sympy
    from test_sympy_export import evaluate, sizes_of

    expr, var, values, _, extra = CASES[case]
    namespace: dict[str, Any] = {}
    exec(compile(_run(case, layout, Format.SYMPY), "<mcalc --format sympy>", "exec"), namespace)  # noqa: S102
    payload = cli("diff", expr, "--wrt", var, *extra, "--format", "json").json  # sizes named, as SymPy's are
    arrays = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    got = np.asarray(evaluate(namespace["derivative"], arrays, sizes_of(payload["variables"], arrays)), dtype=float)
    want = _printed_value(case, layout)
    assert isinstance(namespace["derivative"], sympy.Basic)
    np.testing.assert_allclose(got.reshape(want.shape if want.ndim == 2 else got.shape), want.reshape(
        want.shape if want.ndim == 2 else got.shape), rtol=1e-9, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("fmt", [Format.NUMPY, Format.INDEX], ids=str)
@pytest.mark.parametrize("case", ["matrix-gradient", "jacobian", "tensor", "gradient-where"])
def test_layout_free_formats_are_the_same_in_every_layout(case: str, fmt: Format) -> None:
    outputs = {layout: _run(case, layout, fmt) for layout in Layout}
    assert len(set(outputs.values())) == 1, outputs
    if fmt is Format.INDEX:
        assert re.search(r"[ᵢⱼₖₗ]", outputs[Layout.MIXED]), outputs
