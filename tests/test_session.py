"""The session value (issue 22): one immutable `Session` drives the Python API; calls share no state.

- 16 threads calling one session and separate sessions at once give exactly the sequential results;
- no call changes any module-level state of mcalc (the catalogue, the clock and the spelling are values);
- a library call leaves the host's garbage collector as it was (the pause is the program's);
- Python users: `bool(verdict)`, `str(exc)` with the position and the fix as a keyword argument,
  warnings through `warnings`, `dir(mcalc)` the public API only.
Symbolic answers are checked against finite differences of numpy code written here, not only as text.
"""

from __future__ import annotations

import gc
import sys
import threading
import types
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from helpers import central_gradient

import mcalc

RNG = np.random.default_rng(22)


# --- the session value ---


def test_a_session_keeps_its_declarations_and_answers_by_numbers() -> None:
    s = mcalc.Session(symmetric="S", scalar="c")
    d = s.diff("c x^T S x", "x")
    assert d.text == "2cSx"
    a = RNG.normal(size=(3, 3))
    sym, x, c = a + a.T, RNG.normal(size=3), 0.7
    expected = central_gradient(lambda v: c * v @ sym @ v, x)
    assert np.allclose(d.value(S=sym, x=x, c=c), expected, rtol=1e-6, atol=1e-8)
    # eval and shape see the same declarations
    assert np.isclose(s.eval("c x^T S x", S=sym, x=x, c=c), c * x @ sym @ x)
    assert s.shape("c x^T S x").shape == ()
    assert s.shape("S x", x=np.ones(4)).display_shape == "4×1"  # as `mcalc shape` prints it


def test_declare_makes_a_new_session_and_a_session_is_immutable() -> None:
    s = mcalc.Session()
    t = s.declare(scalar="c")
    assert t is not s and "scalar='c'" in repr(t) and repr(s) == "Session()"
    with pytest.raises(AttributeError, match="immutable"):
        s.layout = "numerator"  # type: ignore[misc, assignment]
    # the new declaration reads c as a scalar; the old session reads it as a vector (a shape error)
    assert t.diff("c x^T x", "x").text == "2cx"
    with pytest.raises(mcalc.ShapeError):
        s.diff("c A", "A")


def test_a_kept_session_does_not_warn_of_declarations_an_expression_does_not_use() -> None:
    s = mcalc.Session(scalar="c", symmetric="S")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s.diff("x^T x", "x").text == "2x"
    with pytest.warns(mcalc.ReadingWarning, match="c is declared but does not occur"):
        mcalc.diff("x^T x", "x", scalar="c")  # a one-call session: most likely a typo


def test_layout_of_the_session_and_of_one_call() -> None:
    s = mcalc.Session(layout="numerator")
    assert s.diff("x^T A x", "x").equation.startswith("∂/∂xᵀ")
    assert s.diff("x^T A x", "x", layout="mixed").equation.startswith("∂/∂x ")
    # a session in a strict layout judges claims in it: the transpose is wrong-layout, not `layout`
    assert s.check("a^T x", "x", "a").verdict is mcalc.Outcome.WRONG_LAYOUT
    assert mcalc.Session().check("a^T x", "x", "a^T").verdict is mcalc.Outcome.LAYOUT


def test_session_functions_are_the_sessions_own() -> None:
    f = mcalc.Session(function="f(u) = sum(u .* u)")
    g = mcalc.Session(function="f(u) = sum(exp(u))")
    a, x = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    for session, fn in ((f, lambda v: np.sum((a @ v) ** 2)), (g, lambda v: np.sum(np.exp(a @ v)))):
        d = session.diff("f(A x)", "x")
        assert d.text == "Aᵀ ∇f(Ax)"
        assert np.allclose(d.value(A=a, x=x), central_gradient(fn, x), rtol=1e-6, atol=1e-8)
    # neither declaration is visible outside its session
    with pytest.raises(mcalc.McalcError):
        mcalc.Session().eval("f(x)", x=[1.0, 2.0])


def test_steps_are_the_derivation() -> None:
    lines = mcalc.Session(symmetric="S").steps("x^T S x", "x")
    assert lines[0].startswith("d(xᵀSx) = ") and lines[-1].split("    [")[0].endswith("2Sx")


# --- threads ---


def _answer(session: mcalc.Session, expr: str, wrt: str) -> tuple[str, str]:
    d = session.diff(expr, wrt)
    return d.text, d.latex


CASES = [
    ("f(A x)", "x", {"function": "f"}),
    ("sum(g(X w))", "w", {"elementwise": "g"}),
    ("c x^T S x", "x", {"scalar": "c", "symmetric": "S"}),
    ("tr(A B A^T C)", "A", {}),
    ("h(W x) + f(x)", "x", {"function": "f,h"}),
    ("R^T R", "R", {}),
    ("lambda theta^T theta", "theta", {"scalar": "lambda"}),
    ("logdet(X)", "X", {"layout": "numerator"}),
]


def test_sixteen_threads_give_the_sequential_results() -> None:
    """The bug this replaces: 4 threads × 30 calls of diff("f(A x)", "x", function="f") failed 90 of 120
    times with "f is already a function" (one global catalogue, registered into and removed from)."""
    shared = {i: mcalc.Session(**decl) for i, (_, _, decl) in enumerate(CASES)}  # type: ignore[arg-type]
    sequential = {i: _answer(shared[i], expr, wrt) for i, (expr, wrt, _) in enumerate(CASES)}
    jobs = [(n, i, own) for n, (i, own) in enumerate((i, own) for _ in range(12) for i in range(len(CASES))
                                                     for own in (False, True))]  # fmt: skip
    start = threading.Barrier(16)

    def run(job: tuple[int, int, bool]) -> tuple[int, tuple[str, str]]:
        n, i, own = job
        expr, wrt, decl = CASES[i]
        if n < 16:
            start.wait(timeout=60)  # the first sixteen start together
        session = mcalc.Session(**decl) if own else shared[i]  # type: ignore[arg-type]
        return i, _answer(session, expr, wrt)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(run, jobs))
    assert len(results) == len(jobs)
    assert all(answer == sequential[i] for i, answer in results)
    # and the one-call API, as in the report
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda _: mcalc.diff("f(A x)", "x", function="f").text, range(120)))
    assert set(texts) == {"Aᵀ ∇f(Ax)"}


def test_a_time_limit_is_the_sessions_own() -> None:
    slow = mcalc.Session(time_limit=0.2)
    expr = "tr(" + " ".join(f"A B{i}" for i in range(3000)) + ")"
    with pytest.raises(mcalc.McalcError, match="time budget of 0.2 s"):
        slow.diff(expr, "A")
    # another thread, another session, no limit: the quick answer is not cut short by the other's clock
    with ThreadPoolExecutor(max_workers=2) as pool:
        quick = pool.submit(lambda: mcalc.Session().diff("tr(A B)", "A").text)
        assert quick.result(timeout=60) == "Bᵀ"


# --- module state ---


def _state(module: types.ModuleType) -> dict[str, Any]:
    """What a module holds at its top level: each name's object, and the contents of mutable containers."""
    out: dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("__") or isinstance(value, types.ModuleType):
            continue
        if isinstance(value, dict):
            out[name] = ("dict", {k: id(v) for k, v in value.items()})
        elif isinstance(value, (list, set, bytearray)):
            out[name] = (type(value).__name__, [id(v) for v in value])
        else:
            out[name] = ("object", id(value))
    return out


def _calls() -> None:
    mcalc.diff("f(A x) + sum(g(x))", "x", function="f", elementwise="g")
    mcalc.diff("sum(g(X w))", ["w", "w"], elementwise="g(t) = t^3").value(X=np.eye(2), w=np.ones(2))
    mcalc.check_claim("x^T A x", "x", "2 A x")
    s = mcalc.Session(scalar="c", ascii=True, time_limit=5)
    s.diff("c tr(A B)", "A").to_function()
    s.eval("c x^T x", c=2, x=[1, 2])
    s.shape("A x")
    s.steps("x^T A x", "x")
    with pytest.raises(mcalc.McalcError):
        s.diff("tr(A", "A")


def test_no_call_changes_module_level_state() -> None:
    _calls()  # first: imports, and caches keyed by node type, fill once
    modules = {name: m for name, m in sys.modules.items() if name == "mcalc" or name.startswith("mcalc.")}
    before = {name: _state(m) for name, m in modules.items()}
    _calls()
    after = {name: _state(m) for name, m in modules.items()}
    changed = [f"{name}.{attr}" for name in before for attr in before[name]
               if before[name][attr] != after[name].get(attr)]  # fmt: skip
    assert changed == []


def test_ascii_is_the_sessions_own() -> None:
    assert mcalc.Session(ascii=True).diff("x^T A x", "x").text == "(A + A^T) x"
    assert mcalc.diff("x^T A x", "x").text == "(A + Aᵀ)x"


# --- the host's garbage collector ---


def test_a_library_call_leaves_the_hosts_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    touched: list[str] = []
    for name in ("disable", "enable", "freeze", "unfreeze"):
        original = getattr(gc, name)
        monkeypatch.setattr(gc, name, lambda *a, _n=name, _f=original: (touched.append(_n), _f(*a))[1])
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    mcalc.diff("tr(" + " + ".join(f"A_{i} X" for i in range(300)) + ")", "X")
    mcalc.check_claim("x^T A x", "x", "(A + A^T) x")
    assert touched == [] and gc.isenabled() == enabled and gc.get_freeze_count() == frozen


# --- what Python users expect ---


def test_a_verdict_is_true_only_when_right() -> None:
    wrong = mcalc.check_claim("x^T A x", "x", "2 A x")
    right = mcalc.check_claim("x^T A x", "x", "(A + A^T) x")
    assert not wrong and right and not wrong.ok
    assert wrong.verdict is mcalc.Outcome.MISSING_TERM and wrong.verdict == "missing-term"
    assert repr(wrong).startswith("<Verdict wrong (missing term): ") and "Aᵀx" in str(wrong)
    assert wrong._repr_latex_().startswith(r"$\text{wrong (missing term): ")


def test_str_of_an_error_has_the_position_and_the_fix_in_python_words() -> None:
    with pytest.raises(mcalc.ShapeError) as info:
        mcalc.diff("c A", "A")
    text = str(info.value)
    assert "at col 3" in text and 'scalar="c"' in text and "--scalar" not in text
    assert info.value.position == 2
    with pytest.raises(
        mcalc.InputError, match=r"needs values: values as keyword arguments, NAME=<array> \(variables: x\)"
    ):
        mcalc.Session().eval("x^T x")


def test_warnings_reach_pythons_warnings_and_are_kept() -> None:
    with pytest.warns(mcalc.ReadingWarning, match="y does not occur") as caught:
        d = mcalc.diff("x^T x", "y")
    assert d.warnings and d.warnings[0].startswith("y does not occur")
    assert caught[0].filename == __file__  # reported at the caller's line


def test_dir_shows_the_public_api_only() -> None:
    assert dir(mcalc) == sorted(mcalc.__all__)
    assert {"Session", "diff", "check_claim", "Verdict", "ReadingWarning"} <= set(mcalc.__all__)
    assert not {"Any", "TYPE_CHECKING", "annotations", "errors", "interrupt"} & set(dir(mcalc))
    for name in mcalc.__all__:
        assert getattr(mcalc, name) is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scalar": 3}, "expected a name or a list of names"),
        ({"scalar": [b"c"]}, "expected names as strings"),
        ({"shape": {"x": True}}, "a shape is a size"),
        ({"let": {"L": None}}, "both strings"),
        ({"layout": "sideways"}, "is not one of"),
        ({"time_limit": float("nan")}, "seconds"),
        ({"time_limit": -1}, "seconds"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(mcalc.InputError, match=match):
        mcalc.Session(**kwargs)


# --- answers travel between processes ---


def test_sessions_answers_and_errors_pickle_and_deep_copy() -> None:
    import copy
    import pickle

    s = mcalc.Session(symmetric="S", function="f(u) = sum(u .* u)")
    d = s.diff("f(A x) + x^T S x", "x")
    back = pickle.loads(pickle.dumps(d))
    assert (back.text, back.latex, back.shape) == (d.text, d.latex, d.shape)
    a, sym, x = RNG.normal(size=(3, 2)), np.eye(2) * 2, RNG.normal(size=2)
    assert np.allclose(back.value(A=a, S=sym, x=x), d.value(A=a, S=sym, x=x))
    assert repr(pickle.loads(pickle.dumps(s))) == repr(s) and copy.deepcopy(s) is s
    v = mcalc.check_claim("x^T A x", "x", "2 A x")
    assert pickle.loads(pickle.dumps(v)) == v == copy.deepcopy(v)
    with pytest.raises(mcalc.ShapeError) as info:
        mcalc.diff("c A", "A")
    err = pickle.loads(pickle.dumps(info.value))
    assert type(err) is mcalc.ShapeError and str(err) == str(info.value) and err.position == 2


def test_a_process_pool_maps_diff() -> None:
    from concurrent.futures import ProcessPoolExecutor

    exprs, wrts = ["x^T A x", "tr(A B)", "logdet(X)"], ["x", "A", "X"]
    with ProcessPoolExecutor(max_workers=2) as pool:
        texts = [d.text for d in pool.map(mcalc.diff, exprs, wrts)]
    assert texts == [mcalc.diff(e, w).text for e, w in zip(exprs, wrts, strict=True)]


def test_threads_sharing_one_derivative_get_their_own_values() -> None:
    """value() binds the sizes of the shared result (m = 3) for its call: threads with different sizes."""
    d = mcalc.diff("x^T A x", "x")

    def value(n: int) -> bool:
        rng = np.random.default_rng(n)  # one generator per call: a Generator is not shared across threads
        a, x = rng.normal(size=(n, n)), rng.normal(size=n)
        return bool(np.allclose(d.value(A=a, x=x), (a + a.T) @ x))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(value, [2, 3, 4, 5] * 10))


def test_a_misspelt_declaration_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'scalars'"):
        mcalc.diff("c x", "x", scalars="c")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'symetric'"):
        mcalc.Session().declare(symetric="S")  # type: ignore[call-arg]


def test_one_value_under_two_spellings_is_refused() -> None:
    d = mcalc.diff("lambda theta^T theta", "theta", scalar="lambda")
    with pytest.raises(mcalc.InputError, match="θ is given twice: theta= and θ="):
        d.value(theta=[1.0, 2.0], **{"θ": [3.0, 4.0]}, lambda_=1.0)
    with pytest.raises(mcalc.InputError, match="λ is given twice"):
        mcalc.Session(scalar="lambda").eval("lambda", **{"lambda": 1.0, "λ": 2.0})


def test_out_of_memory_in_a_library_call_is_an_mcalc_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcalc import pipeline

    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("Unable to allocate 8.00 GiB")

    monkeypatch.setattr(pipeline, "differentiate_tree", exhausted)
    with pytest.raises(mcalc.OutOfMemory, match="out of memory"):
        mcalc.diff("x^T x", "x")
