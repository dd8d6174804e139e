"""The golden derivative table (tests/golden/diff.txt): the exact printed form of every result issues 2 and
3 list, and for each the numeric `value` of the JSON contract against independent finite differences.

`pytest tests/test_golden.py --update-goldens` rewrites the expected text from what mcalc prints now;
cases marked `# xfail: core bug: …` keep their textbook expectation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    Case,
    check_numeric,
    cli,
    diff_args,
    functions_of,
    golden_cases,
    golden_updates,
    make_point,
    save_npz,
)

GOLDEN = "diff.txt"
CASES = golden_cases(GOLDEN)


def params(cases: list[Case], numeric: bool = False) -> list[object]:
    out: list[object] = []
    for case in cases:
        reason = case.get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason and not numeric else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.fixture(scope="module")
def updates(request: pytest.FixtureRequest) -> Iterator[dict[int, list[str]]]:
    yield from golden_updates(request, GOLDEN)


@pytest.mark.parametrize("case", params(CASES))
def test_printed_derivative(case: Case, updates: dict[int, list[str]], request: pytest.FixtureRequest) -> None:
    run = cli(*diff_args(case), "--format", "text")
    assert run.code == 0, run.stdout + run.stderr
    actual = run.stdout.rstrip("\n").splitlines()
    if request.config.getoption("--update-goldens"):
        updates[case.lineno] = actual
        if case.get("xfail") is None:
            return
    assert actual == case.expected, f"{case.path}:{case.lineno}"


@pytest.mark.parametrize("case", params(CASES, numeric=True))
def test_value_matches_finite_differences(case: Case, tmp_path: Path, rng: np.random.Generator) -> None:
    src = case.get("numpy")
    assert src, f"{case.path}:{case.lineno}: every golden derivative needs a `# numpy:` oracle"
    extra = [a for a in diff_args(case)[2:] if True]
    # diff_args gives: diff EXPR --wrt V ... declarations; check_numeric adds the command and --wrt itself
    wrt = case.all("wrt")
    decl = extra[2 * len(wrt) :]
    check_numeric(
        str(case.input),
        wrt,
        src,
        tmp_path,
        rng,
        extra_args=decl,
        symmetric=case.all("symmetric"),
        positive=case.all("positive"),
        params=["t", *case.all("scalar")],
        allow_zero=case.get("allow_zero") == "yes",
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.id,
        )
        for c in CASES
    ],
)
def test_printed_derivative_means_the_value(case: Case, tmp_path: Path, rng: np.random.Generator) -> None:
    """The JSON `derivative` is valid mcalc input (README) and, evaluated with `mcalc eval` at the point,
    equals the contract's `value` (transposed where the layout shows the transpose): the printed form and
    the numbers are the same derivative. Tensors print a vec form with context-sized I and Kₘₙ; for them
    the vec and index notations are checked to be present and consistent with the text output."""
    args = diff_args(case)
    first = cli(*args, "--format", "json")
    assert first.code == 0, first.stdout
    obj = first.json
    if obj["kind"] == "tensor":
        text = cli(*args, "--format", "text").stdout.splitlines()
        assert obj["vec"] == text[0] == obj["equation"]
        assert f"index: {obj['index']}" in text
        assert obj["equation"].startswith("∂vec(") or obj["equation"].startswith("∂²/")
        return
    point = make_point(obj["variables"], rng, symmetric=case.all("symmetric"), functions=functions_of(str(case.input)))
    npz = str(save_npz(tmp_path / "values.npz", point.mcalc))
    run = cli(*args, "--at", npz, "--format", "json")
    assert run.code == 0, run.stdout
    value = np.asarray(run.json["value"], dtype=float)
    decl = [a for k, v in case.meta if k in ("scalar", "symmetric") for a in (f"--{k}", v)]
    ev = cli("eval", obj["derivative"], "--at", npz, *decl, "--format", "json")
    assert ev.code == 0, f"the derivative {obj['derivative']!r} is not valid mcalc input: {ev.stdout}{ev.stderr}"
    shown = np.asarray(ev.json["value"], dtype=float)
    transposed = (obj["kind"] == "gradient" and obj["layout"] == "numerator") or (
        obj["kind"] == "jacobian" and obj["layout"] == "denominator"
    )
    if transposed:
        shown = shown[0] if shown.ndim == 2 and shown.shape[0] == 1 and value.ndim == 1 else shown.T
    if shown.ndim == 0 and float(shown) == 0.0:
        shown = np.zeros_like(value)  # a printed 0 stands for a zero of any shape
    assert shown.shape == value.shape, f"{obj['derivative']} evaluates to shape {shown.shape}, value is {value.shape}"
    np.testing.assert_allclose(shown, value, rtol=1e-9, atol=1e-9)


def test_golden_table_covers_the_issues() -> None:
    """The results issues 2 and 3 name are all in the table (a deleted case cannot go unnoticed)."""
    required = {
        ("tr(A B)", "A"), ("tr(A B A^T C)", "A"), ("a^T X b", "X"), ("x^T B x", "x"),
        ("||y - Φ θ||^2", "θ"), ("1/2 ||W x - t||^2", "W"), ("a^T X^-1 b", "X"), ("det(X)", "X"),
        ("logdet(X)", "X"), ("(x - A s)^T W (x - A s)", "s"), ("x^T a", "x"), ("a^T x", "x"),
        ("tr(A X B)", "X"), ("A x", "x"), ("A x", "A"), ("B C", "B"), ("R^T R", "R"), ("A(t)", "t"),
        ("A", "t"), ("c A(t)", "t"), ("A(t) + B(t)", "t"), ("A(t) x(t)", "t"), ("f(t) A(t)", "t"),
        ("A(t) B(t)", "t"), ("A(t)^T", "t"), ("x(t)^T A x(t)", "t"), ("inv(A(t))", "t"),
        ("x^T A x", "x,x"), ("logdet(X)", "X,X"), ("||A x - b||^2", "x,x"),
    }  # fmt: skip
    present = {(c.input, ",".join(c.all("wrt"))) for c in CASES}
    assert required <= present, sorted(required - present)
    layouts = {c.get("layout") for c in CASES}
    assert {"numerator", "denominator"} <= layouts
