"""Nested softmaxes (issue 25 item 4: lse(softmax⁶⁰(W x)) by W) and towers like them: the gradient is read off
a differential whose parts are shared (each level's differential holds the one below it twice), so the adjoint
pass visits each distinct part once, and a softmax of a differential that already repeats a part is written with
it once, (diag(s) − s sᵀ) du: the answer grows linearly with the depth instead of doubling at every level.

Every gradient is compared with central differences of independent code: NumPy in float64 where differences
resolve it (one and two levels), and mpmath at 120 digits at every depth. The gradient falls by orders of
magnitude with each level (about 1e-56 at 60 levels, beside lse ≈ 1), far below what float64 differences of the
function can see, so the deep cases need the extra digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import finite_difference, seeded

import mcalc
from mcalc import budget
from mcalc.calculus import identify
from mcalc.calculus.places import Places
from mcalc.render import printer
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.build import num

mp = pytest.importorskip("mpmath")  # SymPy's own dependency: always there with mcalc
DIGITS = 120
STEP = mp.mpf(10) ** -40  # round-off 10⁻¹²⁰ / 10⁻⁴⁰ and truncation h² far below a gradient of 10⁻⁵⁶


def _nested(fn: str, depth: int, inner: str) -> str:
    return f"{fn}(" * depth + inner + ")" * depth


# --- independent implementations (mpmath: plain lists; NumPy: arrays) -------------------------------------


def _mp_softmax(col: list[Any]) -> list[Any]:
    e = [mp.exp(v) for v in col]
    total = mp.fsum(e)
    return [v / total for v in e]


def _mp_lse(col: list[Any]) -> Any:
    return mp.log(mp.fsum(mp.exp(v) for v in col))


def _mp_matvec(a: list[list[Any]], x: list[Any]) -> list[Any]:
    return [mp.fsum(r * v for r, v in zip(row, x, strict=True)) for row in a]


def _mp_columns(a: list[list[Any]]) -> list[list[Any]]:
    return [list(c) for c in zip(*a, strict=True)]


def _mp(array: np.ndarray) -> Any:
    return [_mp(a) for a in array] if array.ndim else mp.mpf(float(array))


def _mp_gradient(f: Callable[[dict[str, Any]], Any], values: dict[str, np.ndarray], var: str) -> np.ndarray:
    """Central differences of f (of mpmath values) by each entry of `var`, at DIGITS digits."""
    with mp.workdps(DIGITS):
        out = np.zeros(values[var].shape)
        for idx in np.ndindex(values[var].shape):
            shifted = []
            for sign in (1, -1):
                moved = {k: _mp(v) for k, v in values.items()}
                target = moved[var]
                for i in idx[:-1]:
                    target = target[i]
                target[idx[-1]] += sign * STEP
                shifted.append(f(moved))
            out[idx] = float((shifted[0] - shifted[1]) / (2 * STEP))
    return out


def _close(got: Any, want: np.ndarray, rtol: float = 1e-8) -> None:
    got = np.asarray(got, dtype=float)
    scale = float(np.abs(want).max())
    assert scale > 0
    assert float(np.abs(got - want).max()) <= rtol * scale, (got, want)


def _tower_mp(depth: int) -> Callable[[dict[str, Any]], Any]:
    def f(v: dict[str, Any]) -> Any:
        u = _mp_matvec(v["W"], v["x"])
        for _ in range(depth):
            u = _mp_softmax(u)
        return _mp_lse(u)

    return f


def _values(rng: np.random.Generator, m: int = 3, n: int = 2) -> dict[str, np.ndarray]:
    return {"W": 2 * rng.standard_normal((m, n)), "x": rng.standard_normal(n)}


# --- lse(softmaxᵏ(W x)) by W -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 5, 60])
def test_the_gradient_of_nested_softmaxes_is_the_high_precision_difference(depth: int) -> None:
    rng = np.random.default_rng(seeded("softmax tower", depth))
    values = _values(rng)
    d = mcalc.diff("lse(" + _nested("softmax", depth, "W x") + ")", "W")
    want = _mp_gradient(_tower_mp(depth), values, "W")
    # mcalc's formula itself, evaluated at DIGITS digits: at 60 levels the gradient (≈ 1e-58 here) is below what
    # float64 resolves in any evaluation (a float64 backward pass gives 0, mcalc's NumPy value ±1e-45, both
    # within float64's rounding of lse ≈ 1), so the form is checked where it can be
    _close(_mp_value(d._result.final.result, values), want, rtol=1e-20)
    if depth <= 5:
        _close(d.value(**values), want)


def _mp_times(a: Any, b: Any) -> Any:
    """A matrix product, or a scalar (1×1) times an array."""
    if (a.rows, a.cols) == (1, 1):
        return b * a[0, 0]
    if (b.rows, b.cols) == (1, 1):
        return a * b[0, 0]
    return a * b


def _mp_value(node: N.Node, values: dict[str, np.ndarray]) -> np.ndarray:
    """mcalc's result evaluated with mpmath matrices (1×1 for a number): the operators these answers use."""
    with mp.workdps(DIGITS):
        done: dict[N.Node, Any] = {}

        def ev(n: N.Node) -> Any:
            if n in done:
                return done[n]
            kids = [ev(c) for c in n.children()]
            if isinstance(n, N.Symbol):
                v = values[n.name]
                out = mp.matrix(v.tolist()) if v.ndim == 2 else mp.matrix([[float(e)] for e in v])
            elif isinstance(n, N.Number):
                out = mp.matrix([[mp.mpf(n.value.numerator) / n.value.denominator]])
            elif isinstance(n, N.Mul):
                out = kids[0]
                for k in kids[1:]:
                    out = _mp_times(out, k)
            elif isinstance(n, N.Add):
                out = kids[0]
                for k in kids[1:]:
                    out = out + k
            elif isinstance(n, N.Hadamard):
                a, b = kids
                out = mp.matrix([[a[i, j] * b[i, j] for j in range(a.cols)] for i in range(a.rows)])
            elif isinstance(n, N.Transpose):
                out = kids[0].T
            elif isinstance(n, N.Diag):
                out = mp.diag([kids[0][i, 0] for i in range(kids[0].rows)])
            elif isinstance(n, N.Columnwise) and n.func == "softmax":
                col = _mp_softmax([kids[0][i, 0] for i in range(kids[0].rows)])
                out = mp.matrix([[v] for v in col])
            else:
                raise AssertionError(f"no mpmath value for {type(n).__name__}")
            done[n] = out
            return out

        value = ev(node)
        return np.array([[float(value[i, j]) for j in range(value.cols)] for i in range(value.rows)])


def _np_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _np_lse(z: np.ndarray) -> Any:
    top = z.max(axis=0)
    return top + np.log(np.exp(z - top).sum(axis=0))


@pytest.mark.parametrize("depth", [1, 2])
def test_float64_differences_of_numpy_code_agree_where_they_resolve_it(depth: int) -> None:
    rng = np.random.default_rng(seeded("softmax tower float64", depth))
    values = _values(rng)

    def f(v: dict[str, np.ndarray]) -> Any:
        u = v["W"] @ v["x"]
        for _ in range(depth):
            u = _np_softmax(u)
        return _np_lse(u)

    d = mcalc.diff("lse(" + _nested("softmax", depth, "W x") + ")", "W")
    _close(d.value(**values), finite_difference(f, values, ["W"]), rtol=1e-4)


def test_one_softmax_keeps_its_form_and_a_nested_one_writes_its_jacobian_once() -> None:
    # one level: the differential of W x is a product (nothing repeated), so s ⊙ c − (sᵀc) s stays
    one = mcalc.diff("lse(softmax(W x))", "W")
    assert one.text == "(softmax(Wx) ⊙ softmax(softmax(Wx)) − (softmax(Wx)ᵀ softmax(softmax(Wx))) softmax(Wx))xᵀ"
    # from two levels on, each outer level is (diag(s) − s sᵀ) applied once
    two = mcalc.diff("lse(softmax(softmax(W x)))", "W").text
    assert "diag(softmax(softmax(Wx))) − softmax(softmax(Wx)) softmax(softmax(Wx))ᵀ" in two


def test_the_answer_grows_linearly_with_the_depth() -> None:
    from mcalc import pipeline

    distinct = {}
    for depth in (20, 40):
        result = pipeline.differentiate("lse(" + _nested("softmax", depth, "W x") + ")", ["W"]).final.result
        distinct[depth] = sum(1 for _ in N.distinct_nodes(result))
        # written out, each level's Jacobian holds its softmaxes: quadratic, never doubling per level
        assert N.tree_size(result) < 20 * depth * depth
    assert distinct[40] <= 2.2 * distinct[20]


# --- the adjoint pass visits each distinct part once ---------------------------------------------------------


def _shared_chain(levels: int) -> tuple[N.Node, ShapeEnv]:
    """dₖ = sₖ ⊙ dₖ₋₁ − sₖ (sₖᵀ dₖ₋₁), d₀ = dW x: each level holds the one below twice (2ᵏ paths)."""
    from mcalc import pipeline

    _, env, _ = pipeline.prepare("lse(softmax(W x))", wrt=("W",))
    d: N.Node = N.Mul((N.Differential("W"), N.Symbol("x")))
    for k in range(levels):
        s = N.Columnwise("softmax", N.Mul((num(k + 1), N.Symbol("W"), N.Symbol("x"))))
        d = N.Add((N.Hadamard((s, d)), N.Mul((num(-1), s, N.Transpose(s), d))))
    top = N.Mul((N.Transpose(N.Columnwise("softmax", N.Mul((N.Symbol("W"), N.Symbol("x"))))), d))
    return top, env


def _ticks(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> int:
    count = [0]

    def tick(doing: str, weight: int = 1) -> None:
        count[0] += weight

    monkeypatch.setattr(budget, "tick", tick)
    run()
    return count[0]


def test_the_gradient_and_the_jacobian_walk_a_shared_differential_once(monkeypatch: pytest.MonkeyPatch) -> None:
    top, env = _shared_chain(60)  # 2⁶⁰ paths down to dW
    distinct = sum(1 for _ in N.distinct_nodes(top))
    assert _ticks(monkeypatch, lambda: identify.gradient(top, "W", env)) <= distinct
    inner = top.children()[1]  # the vector d₆₀, whose vec Jacobian by W is built once per distinct part
    assert _ticks(monkeypatch, lambda: identify.vec_jacobian(inner, "W", env)) <= distinct


def test_the_places_dx_is_written_in_are_counted_once_per_part_up_to_two() -> None:
    top, _ = _shared_chain(60)
    places = Places()
    assert places(top) == 2
    assert len(places.counted) == sum(1 for _ in N.distinct_nodes(top))  # each part once, not once per path
    assert Places()(N.Mul((N.Differential("W"), N.Symbol("x")))) == 1
    assert Places()(N.Symbol("x")) == 0


def test_a_shared_differential_sums_its_cotangents_before_passing_them_on(rng: np.random.Generator) -> None:
    from mcalc.numeric.evaluate import evaluate

    top, env = _shared_chain(3)
    g = identify.gradient(top, "W", env)
    env.sizes.update({"m": 3, "n": 2})
    values = {"W": rng.standard_normal((3, 2)), "x": rng.standard_normal(2)}
    got = np.asarray(evaluate(g, env, {"W": values["W"], "x": values["x"].reshape(-1, 1)}), dtype=float)
    # the differential is linear in dW: its value at each unit dW is the gradient's entry there
    want = np.zeros((3, 2))
    for idx in np.ndindex(3, 2):
        unit = np.zeros((3, 2))
        unit[idx] = 1.0
        d = unit @ values["x"]
        for k in range(3):
            s = _np_softmax((k + 1) * values["W"] @ values["x"])
            d = s * d - s * (s @ d)
        want[idx] = _np_softmax(values["W"] @ values["x"]) @ d
    _close(got.reshape(3, 2), want, rtol=1e-9)


# --- towers like it --------------------------------------------------------------------------------------------


def _mp_towers() -> dict[str, tuple[str, str, Callable[[dict[str, Any]], Any], dict[str, tuple[int, ...]]]]:
    def softmax_of_layers(v: dict[str, Any]) -> Any:  # lse(softmax(W2 softmax(W2 softmax(W1 x))))
        u = _mp_softmax(_mp_matvec(v["W1"], v["x"]))
        for _ in range(2):
            u = _mp_softmax(_mp_matvec(v["W2"], u))
        return _mp_lse(u)

    def log_softmax(v: dict[str, Any]) -> Any:  # aᵀ log(softmax(log(softmax(log(softmax(W x))))))
        u = _mp_matvec(v["W"], v["x"])
        for _ in range(3):
            u = [mp.log(s) for s in _mp_softmax(u)]
        return mp.fsum(a * s for a, s in zip(v["a"], u, strict=True))

    def columns(v: dict[str, Any]) -> Any:  # sum(lse(softmax(softmax(softmax(W X))))): column by column
        total = mp.mpf(0)
        for col in _mp_columns(v["X"]):
            u = _mp_matvec(v["W"], col)
            for _ in range(3):
                u = _mp_softmax(u)
            total += _mp_lse(u)
        return total

    def normalised(v: dict[str, Any]) -> Any:  # aᵀ n(n(n(W x))), n(u) = u / ‖u‖
        u = _mp_matvec(v["W"], v["x"])
        for _ in range(3):
            norm = mp.sqrt(mp.fsum(s * s for s in u))
            u = [s / norm for s in u]
        return mp.fsum(a * s for a, s in zip(v["a"], u, strict=True))

    n3 = "((W x) / norm2(W x))"
    n3 = f"({n3} / norm2({n3}))"
    n3 = f"({n3} / norm2({n3}))"
    return {
        "softmax of layers": ("lse(softmax(W2 softmax(W2 softmax(W1 x))))", "W1", softmax_of_layers,
                              {"W1": (3, 2), "W2": (3, 3), "x": (2,)}),
        "log-softmax": ("a^T log(softmax(log(softmax(log(softmax(W x))))))", "W", log_softmax,
                        {"W": (3, 2), "x": (2,), "a": (3,)}),
        "matrix columns": ("sum(lse(softmax(softmax(softmax(W X)))))", "W", columns, {"W": (3, 2), "X": (2, 4)}),
        "normalised": (f"a^T {n3}", "W", normalised, {"W": (3, 2), "x": (2,), "a": (3,)}),
    }  # fmt: skip


TOWERS = _mp_towers()


@pytest.mark.parametrize("name", sorted(TOWERS))
def test_towers_like_it_match_high_precision_differences(name: str) -> None:
    expr, wrt, f, shapes = TOWERS[name]
    rng = np.random.default_rng(seeded("tower", name))
    values = {k: 2 * rng.standard_normal(shape) for k, shape in shapes.items()}
    d = mcalc.diff(expr, wrt)
    _close(d.value(**values), _mp_gradient(f, values, wrt))


def test_a_result_too_long_to_write_out_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # nested softmaxes of a matrix repeat a part at every level in any matrix notation (dS = S ⊙ dX − S ⊙
    # (𝟙𝟙ᵀ(S ⊙ dX))): the written-out size, not only the clock, bounds them
    monkeypatch.setattr(printer, "MAX_WRITTEN", 100_000)
    d = mcalc.diff("sum(lse(" + _nested("softmax", 12, "W X") + "))", "W")  # written out when read (its .text)
    with pytest.raises(budget.BudgetError, match=r"^the result written out passes 100,000 characters"):
        _ = d.text
