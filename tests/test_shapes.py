"""Kinds and shapes: kinds by convention and by declaration, symbolic dimensions unified over the whole
expression, --shape with sizes and symbols, --symmetric squareness. Through `mcalc shape` (golden text
in tests/golden/shapes.txt and JSON) and the Python API (mcalc.shapes.infer_shapes)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest
from helpers import Case, cli, golden_cases, golden_params, golden_updates

from mcalc.shapes import Declarations, Kind, infer_shapes
from mcalc.syntax.parser import parse

GOLDEN = "shapes.txt"
CASES = golden_cases(GOLDEN)


@pytest.fixture(scope="module")
def updates(request: pytest.FixtureRequest) -> Iterator[dict[int, list[str]]]:
    yield from golden_updates(request, GOLDEN)


@pytest.mark.parametrize("case", golden_params(CASES, lambda c: f"{c.input} {c.get('args') or ''}".strip()))
def test_shape_golden(case: Case, updates: dict[int, list[str]], request: pytest.FixtureRequest) -> None:
    run = cli("shape", str(case.input), *shlex.split(case.get("args") or ""), "--format", "text")
    assert run.code == 0, run.stdout + run.stderr
    actual = run.stdout.rstrip("\n").splitlines()
    if request.config.getoption("--update-goldens") and case.get("xfail") is None:
        updates[case.lineno] = actual
        return
    assert actual == case.expected, f"{case.path}:{case.lineno}"


def shape_json(expr: str, *args: str) -> dict[str, object]:
    run = cli("shape", expr, *args, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    obj = run.json
    assert {"expression", "shape", "variables", "kinds"} <= obj.keys()
    return obj


def env_of(expr: str, **decl: object):  # type: ignore[no-untyped-def]
    d = Declarations(**{k: (frozenset(v) if k != "shapes" else v) for k, v in decl.items()})  # type: ignore[arg-type]
    params = frozenset(d.scalars)
    env, _ = infer_shapes(parse(expr, params), d, expr)
    return env


# --- kinds by convention ---


@pytest.mark.parametrize(
    ("expr", "kinds"),
    [
        ("A x", {"A": "matrix", "x": "vector"}),
        ("Φ θ", {"Φ": "matrix", "θ": "vector"}),
        ("Phi theta", {"Φ": "matrix", "θ": "vector"}),
        ("W1 x_0 + b_1", {"W1": "matrix", "x_0": "vector", "b_1": "vector"}),
        ("2 A", {"A": "matrix"}),
        ("A(t) x(t)", {"A": "matrix", "x": "vector", "t": "scalar"}),
        ("f(t) A(t)", {"f": "scalar", "A": "matrix", "t": "scalar"}),
    ],
)
def test_kinds_by_convention(expr: str, kinds: dict[str, str]) -> None:
    assert shape_json(expr)["kinds"] == kinds


@pytest.mark.parametrize(
    ("args", "name", "kind"),
    [
        (["--scalar", "c"], "c", "scalar"),
        (["--vector", "B"], "B", "vector"),
        (["--matrix", "x"], "x", "matrix"),
        (["--symmetric", "S"], "S", "matrix"),
        (["--symmetric", "s"], "s", "matrix"),
    ],
)
def test_kinds_by_declaration(args: list[str], name: str, kind: str) -> None:
    expr = {"c": "c x", "B": "B^T x", "x": "x y", "S": "a^T S b", "s": "a^T s b"}[name]
    assert shape_json(expr, *args)["kinds"][name] == kind


def test_declaration_lists_are_comma_separated_and_repeatable() -> None:
    a = shape_json("c A + t B", "--scalar", "c,t")
    b = shape_json("c A + t B", "--scalar", "c", "--scalar", "t")
    assert a == b
    assert a["kinds"]["c"] == a["kinds"]["t"] == "scalar"
    assert a["variables"]["c"] == [] and a["variables"]["t"] == []


# --- unification ---


def test_unification_a_transpose_x_b() -> None:
    """Issue 2: in aᵀXb, X is m×n with a ∈ ℝᵐ and b ∈ ℝⁿ."""
    v = shape_json("a^T X b")["variables"]
    assert len(v["a"]) == 1 and len(v["b"]) == 1 and len(v["X"]) == 2
    assert v["a"][0] == v["X"][0]
    assert v["b"][0] == v["X"][1]
    assert v["X"][0] != v["X"][1], "nothing forces X to be square"
    env = env_of("a^T X b")
    (ra, _), (rx, cx), (rb, _) = env.shape_of_var("a"), env.shape_of_var("X"), env.shape_of_var("b")
    assert ra == rx and rb == cx and rx != cx
    assert env.kind("a") is Kind.VECTOR and env.kind("X") is Kind.MATRIX


def test_unification_runs_over_the_whole_expression() -> None:
    """tr(ABAᵀC): A m×n forces B n×n and C m×m, across the trace and both products."""
    v = shape_json("tr(A B A^T C)")["variables"]
    m, n = v["A"]
    assert m != n
    assert v["B"] == [n, n]
    assert v["C"] == [m, m]


def test_unification_through_sums_and_norms() -> None:
    v = shape_json("||y - Φ θ||^2")["variables"]
    assert v["y"] == [v["Φ"][0]] and v["θ"] == [v["Φ"][1]]
    v = shape_json("(x - A s)^T W (x - A s)")["variables"]
    assert v["W"] == [v["x"][0], v["x"][0]] and v["A"] == [v["x"][0], v["s"][0]]


def test_quadratic_form_forces_a_square_matrix() -> None:
    v = shape_json("x^T B x")["variables"]
    assert v["B"] == [v["x"][0], v["x"][0]]


@pytest.mark.parametrize("expr", ["det(X)", "logdet(X)", "inv(X)", "X^-1", "tr(X)", "X^2"])
def test_square_only_operators_make_the_matrix_square(expr: str) -> None:
    v = shape_json(expr)["variables"]["X"]
    assert len(v) == 2 and v[0] == v[1]


def test_shape_of_the_expression() -> None:
    assert shape_json("a^T X b")["shape"] == []
    assert shape_json("A B", "--shape", "A=3x4,B=4x5")["shape"] == [3, 5]
    assert shape_json("kron(A, B)", "--shape", "A=2x3", "--shape", "B=4x5")["shape"] == [8, 15]
    assert shape_json("A x")["shape"] == ["m"] and shape_json("x^T A")["shape"] == [1, "n"]
    assert shape_json("A B", "--shape", "A=3x4,B=4x5")["display_shape"] == "3×5"


# --- --shape ---


def test_shape_with_sizes_propagates() -> None:
    v = shape_json("A x", "--shape", "A=3x4")["variables"]
    assert v == {"A": [3, 4], "x": [4]} or v == {"A": ["3", "4"], "x": ["4"]}


def test_shape_with_symbols_is_kept() -> None:
    v = shape_json("A B", "--shape", "A=m×n,B=n×p")["variables"]
    assert v == {"A": ["m", "n"], "B": ["n", "p"]}
    v = shape_json("x^T y", "--shape", "x=k")["variables"]
    assert v == {"x": ["k"], "y": ["k"]}


@pytest.mark.parametrize("spec", ["A=3x4", "A=3×4", "A=3X4", "A=3*4", "A=3,4"])
def test_shape_spellings(spec: str) -> None:
    assert shape_json("A x", "--shape", spec)["variables"]["x"] in ([4], ["4"])


def test_rigid_symbols_do_not_unify() -> None:
    run = cli("shape", "A B", "--shape", "A=m×n,B=p×q")
    assert run.code == 2
    assert "A is m×n, B is p×q" in run.stderr


def test_sizes_from_values_must_agree(tmp_path: object) -> None:
    run = cli("diff", "a^T X b", "--wrt", "X", "--at", "a=[1,2]", "--at", "b=[1,2,3]", "--at",
              "X=[[1,2],[3,4],[5,6]]", "--format", "json")  # fmt: skip
    assert run.code == 2, run.stdout
    assert "error" in run.json


# --- --symmetric ---


def test_symmetric_is_square() -> None:
    v = shape_json("a^T S b", "--symmetric", "S")["variables"]
    assert v["S"][0] == v["S"][1] and v["a"] == v["b"] == [v["S"][0]]
    env = env_of("a^T S b", symmetric={"S"})
    assert "S" in env.symmetric
    r, c = env.shape_of_var("S")
    assert r == c


def test_symmetric_with_a_non_square_shape_is_an_error() -> None:
    run = cli("shape", "tr(S)", "--symmetric", "S", "--shape", "S=2x3")
    assert run.code == 2
    assert run.stdout == "" and len(run.stderr.splitlines()) == 1


def test_symmetric_value_must_be_square() -> None:
    run = cli("diff", "tr(S)", "--wrt", "S", "--symmetric", "S", "--at", "S=[[1,2,3],[4,5,6]]", "--format", "json")
    assert run.code == 2
    assert "error" in run.json


def test_kronecker_factors_are_sized_by_the_vec_they_meet() -> None:
    """Magnus & Neudecker's vec(X)ᵀ(A ⊗ B)vec(X) with A n×n, B m×m, X m×n: (A ⊗ B)vec(X) = vec(B X Aᵀ), so A
    meets X's columns and B its rows. Sizes from values were matched the wrong way round ("dimension m is
    2 elsewhere but A has size 3"); the value is checked against numpy's own Kronecker product."""
    import numpy as np

    import mcalc

    rng = np.random.default_rng(24)
    a, b, x = rng.normal(size=(3, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    d = mcalc.diff("vec(X)^T kron(A, B) vec(X)", "X")
    v = x.reshape(-1, order="F")
    k = np.kron(a, b)
    want = ((k + k.T) @ v).reshape(x.shape, order="F")
    np.testing.assert_allclose(d.value(A=a, B=b, X=x), want, rtol=1e-10)
    assert np.isclose(mcalc.Session().eval("vec(X)^T kron(A, B) vec(X)", A=a, B=b, X=x), v @ k @ v)


@pytest.mark.parametrize(
    ("args", "read"),
    [
        # a scalar named m: the dimensions are named past it (`x vector (m)` read as a length of m, the scalar)
        (["m x^T A x", "--wrt", "x", "--scalar", "m"], "read: m scalar; x vector (n); A matrix (n×n)"),
        # a vector named w among many dimensions: w names the vector, not a length
        (
            ["A B C D E F G H w", "--wrt", "w"],
            "read: A matrix (m×n); B matrix (n×p); C matrix (p×q); D matrix (q×r); E matrix (r×s); "
            "F matrix (s×u); G matrix (u×v); H matrix (v×k); w vector (k)",
        ),
    ],
)
def test_dimension_letters_are_not_variable_names(args: list[str], read: str) -> None:
    run = cli("diff", *args)
    assert run.code == 0, run.stderr
    assert read in run.stdout.splitlines()
