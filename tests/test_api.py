"""The Python API (`mcalc.diff`, `mcalc.check_claim`): values against independent finite differences of
hand-written numpy functions, the same reading and text as the command line, errors as mcalc classes with
their position, and an import that loads neither typer, rich, numpy nor sympy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, make_point, nontrivial, numpy_function, seeded

import mcalc
import mcalc.session
from mcalc.numeric.check import CheckResult

ROOT = Path(__file__).resolve().parent.parent

# expression, wrt, declarations (keyword arguments of mcalc.diff), the function in numpy, positive names
CASES: list[tuple[str, list[str], dict[str, Any], str, tuple[str, ...]]] = [
    ("tr(A B A^T C)", ["A"], {}, "tr(A @ B @ A.T @ C)", ()),
    ("x^T A x", ["x"], {}, "x @ A @ x", ()),
    ("||y - Φ θ||^2", ["θ"], {}, "np.sum((y - Φ @ θ) ** 2)", ()),
    ("logdet(X)", ["X"], {"symmetric": "X"}, "logdet(X)", ()),
    ("a^T X^-1 b", ["X"], {}, "a @ inv(X) @ b", ()),
    ("A x", ["x"], {}, "A @ x", ()),
    ("B C", ["B"], {}, "B @ C", ()),  # a tensor: 4-d value
    ("x^T A x", ["x", "x"], {}, "x @ A @ x", ()),  # the Hessian
    ("c x^T x", ["x"], {"scalar": "c"}, "c * (x @ x)", ()),
    ("log(sum(exp(W x)))", ["W"], {}, "np.log(np.sum(np.exp(W @ x)))", ()),
    ("(x - A s)^T W (x - A s)", ["s"], {"symmetric": ["W"]}, "(x - A @ s) @ W @ (x - A @ s)", ()),
    ("sum(log(x))", ["x"], {}, "np.sum(np.log(x))", ("x",)),
]


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]} by {','.join(case[1])}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_value_and_exported_function_match_finite_differences(case: tuple[Any, ...]) -> None:
    expr, wrt, decl, numpy_src, positive = case
    d = mcalc.diff(expr, wrt, **decl)
    rng = np.random.default_rng(seeded("api", expr, *wrt))
    symmetric = mcalc.session._items(decl.get("symmetric", ()))
    point = make_point(d.variables, rng, symmetric=symmetric, positive=positive)
    expected = finite_difference(numpy_function(numpy_src), point.numpy, d.wrt, symmetric)
    assert nontrivial(expected), f"{expr}: a zero derivative at the test point checks nothing"
    what = f"{expr} by {wrt}"
    rtol = 1e-5 if len(wrt) == 1 else 1e-4
    assert_close(d.value(**point.mcalc), expected, rtol=rtol, what=what)
    # the exported function: parameters are the variables in order of appearance
    exported = d.to_function()(*(point.mcalc[name] for name in d.variables))
    assert_close(exported, expected, rtol=rtol, what=f"{what} (to_function)")
    assert d.check(seed=seeded("api-check", expr)).passed


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_the_api_reads_and_prints_as_the_command_line(case: tuple[Any, ...]) -> None:
    expr, wrt, decl, _, _ = case
    args = ["diff", expr, *(a for w in wrt for a in ("--wrt", w)), "--format", "json"]
    for key, names in decl.items():
        for name in mcalc.session._items(names):
            args += [f"--{key}", name]
    want = cli(*args).json
    d = mcalc.diff(expr, wrt, **decl)
    got = {
        "derivative": d.text,
        "latex": d.latex,
        "equation": d.equation,
        "equation_latex": d.equation_latex,
        "shape": list(d.shape),
        "display_shape": d.display_shape,
        "kind": d.kind,
        "reading": d.reading.to_json(),
        "warnings": list(d.warnings),
        "variables": {k: list(v) for k, v in d.variables.items()},
    }
    assert got == {k: want[k] for k in got}


def test_greek_names_may_be_spelled_out_everywhere() -> None:
    d = mcalc.diff("||y - Phi theta||^2 + lambda theta^T theta", "theta", scalar="lambda")
    assert (d.wrt, d.text) == (("θ",), "2λθ − 2Φᵀ(y − Φθ)")
    rng = np.random.default_rng(seeded("greek"))
    phi, y, theta = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    value = d.value(Phi=phi, y=y, theta=theta, **{"lambda": 0.7})

    def f(v: dict[str, Any]) -> np.ndarray:
        return np.asarray(np.sum((y - phi @ v["t"]) ** 2) + 0.7 * v["t"] @ v["t"])

    assert_close(value, finite_difference(f, {"t": theta}, ["t"]), what="spelled-out Greek")


def test_declarations_take_strings_lists_and_shape_mappings() -> None:
    by_list = mcalc.diff("c x^T A x", "x", scalar=["c"], shape={"A": (3, 3)})
    by_text = mcalc.diff("c x^T A x", "x", scalar="c", shape="A=3x3")
    by_mapping = mcalc.diff("c x^T A x", "x", scalar="c", shape={"A": "3×3"})
    assert by_list.shape == by_text.shape == by_mapping.shape == (3,)
    assert by_list.text == by_text.text == by_mapping.text


def test_layout_changes_the_text_but_not_the_value() -> None:
    mixed = mcalc.diff("A x", "x")
    den = mcalc.diff("A x", "x", layout="denominator")
    assert (mixed.text, den.text) == ("A", "Aᵀ")
    a, x = np.arange(6.0).reshape(2, 3), np.ones(3)
    assert np.array_equal(mixed.value(A=a, x=x), den.value(A=a, x=x))
    assert np.array_equal(mixed.value(A=a, x=x), a)


def test_value_keeps_the_derivative_symbolic_for_the_next_call() -> None:
    d = mcalc.diff("x^T x", "x")
    assert d.value(x=[1.0, 2.0]).shape == (2,)
    assert d.value(x=[1.0, 2.0, 3.0]).tolist() == [2.0, 4.0, 6.0]
    assert d.shape == ("m",)


def test_a_function_of_t_takes_its_derivatives_by_primed_names() -> None:
    d = mcalc.diff("tr(A(t) B)", "t")
    rng = np.random.default_rng(seeded("primes"))
    a, da, b = (rng.standard_normal((3, 3)) for _ in range(3))
    assert d.value(A=a, **{"A'": da}, B=b, t=0.5) == pytest.approx(np.trace(da @ b))


@pytest.mark.parametrize(
    ("call", "error", "position"),
    [
        (lambda: mcalc.diff("x^T A x +", "x"), mcalc.ParseError, 9),
        (lambda: mcalc.diff("A x + y^T", "x"), mcalc.ShapeError, 4),
        (lambda: mcalc.diff("A x", "x", shape="A=0x3"), mcalc.InputError, None),
        (lambda: mcalc.diff("x^T x", "x", layout="sideways"), mcalc.InputError, None),
        (lambda: mcalc.diff("foo(x)", "x"), mcalc.McalcError, 0),
        (lambda: mcalc.check_claim("x^T x", "x", "2 x +"), mcalc.ParseError, 5),
    ],
)
def test_errors_are_mcalc_exceptions_with_a_position(call: Any, error: type[Exception], position: int | None) -> None:
    with pytest.raises(error) as info:
        call()
    exc = info.value
    assert isinstance(exc, mcalc.McalcError)
    assert exc.position == position, exc.one_line()


def test_bad_values_are_input_errors_and_singular_points_math_errors() -> None:
    d = mcalc.diff("a^T X^-1 b", "X")
    with pytest.raises(mcalc.InputError, match="no value given for b"):
        d.value(a=[1, 2], X=np.eye(2))
    with pytest.raises(mcalc.InputError):
        d.value(a=[1, 2], b=[1, 2, 3], X=np.eye(2))
    with pytest.raises(mcalc.MathError, match="singular"):
        d.value(a=[1, 2], b=[1, 2], X=np.zeros((2, 2)))


def test_check_claim_gives_the_verdict_of_mcalc_check() -> None:
    right = mcalc.check_claim("tr(A B)", "A", "B^T")
    assert (right.ok, right.verdict) == (True, "correct")
    layout = mcalc.check_claim("tr(A B)", "A", "B")
    assert (layout.ok, layout.verdict) == (True, "layout")
    wrong = mcalc.check_claim("x^T A x", "x", "2 A x")
    assert (wrong.ok, wrong.verdict) == (False, "missing-term") and "symmetric" in wrong.explanation
    sym = mcalc.check_claim("x^T A x", "x", "2 A x", symmetric="A")
    assert sym.ok
    cli_out = cli("check", "x^T A x", "--wrt", "x", "--claim", "2 A x", "--format", "json").json
    assert (cli_out["verdict"], cli_out["explanation"]) == (wrong.verdict, wrong.explanation)
    hessian = mcalc.check_claim("x^T A x", ["x", "x"], "A + A^T")
    assert hessian.verdict == "correct"


def test_a_wrt_name_that_does_not_occur_is_a_warning_and_a_zero_derivative() -> None:
    d = mcalc.diff("x^T x", "y")
    assert d.text == "0" and any("y does not occur" in w for w in d.warnings)


def test_check_returns_the_check_result() -> None:
    result = mcalc.diff("logdet(X)", "X").check(seed=3)
    assert isinstance(result, CheckResult) and result.passed and result.seed == 3
    assert result.max_rel_error < 1e-6


def test_importing_mcalc_and_differentiating_loads_no_cli_or_numeric_library() -> None:
    code = (
        "import sys, mcalc\n"
        "before = set(sys.modules)\n"
        "d = mcalc.diff('tr(A B A^T C)', 'A')\n"
        "print(d.text)\n"
        "print(sorted(m.split('.')[0] for m in before), sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    text, modules = out.stdout.splitlines()[0], out.stdout.splitlines()[1]
    assert text == "CAB + CᵀABᵀ"
    for heavy in ("typer", "rich", "numpy", "sympy", "click", "pydantic"):
        assert f"'{heavy}'" not in modules, heavy


def test_the_package_is_typed_and_the_wheel_ships_the_marker() -> None:
    assert (ROOT / "mcalc" / "py.typed").is_file()
    # hatchling's `packages = ["mcalc"]` ships every file under mcalc/ that .gitignore does not exclude
    # (checked once by hand: `pip wheel .` lists mcalc/py.typed; building a wheel needs the network)
    ignored = subprocess.run(["git", "check-ignore", "-q", "mcalc/py.typed"], cwd=ROOT, timeout=60)
    assert ignored.returncode == 1, "mcalc/py.typed is git-ignored, so the wheel would leave it out"
    assert mcalc.diff.__annotations__ and mcalc.check_claim.__annotations__


def test_the_api_has_documented_names() -> None:
    for name in ("diff", "check_claim", "Derivative", "Verdict"):
        assert getattr(mcalc, name).__doc__, name
    assert "diff" in dir(mcalc)
    with pytest.raises(AttributeError):
        _ = mcalc.no_such_name  # type: ignore[attr-defined]
    assert json.dumps(mcalc.diff("x", "x").shape) == '["m", "m"]'
