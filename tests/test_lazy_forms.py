"""A derivative's forms (text, LaTeX, the `where` form) are written out only when asked for (mcalc.render.forms):
the API's `Derivative` writes each on first read and keeps it, the command line only what its format shows
(mcalc.answers.SHOWS). The printer's length bound then refuses the form asked for and no other.

The sin tower's third derivative is the case that needed it: at depth 100 its text is 130 million characters,
its LaTeX 439 million, past the bound of 400 million, so the API (which wrote the LaTeX of every answer) refused
what the command line answered, and `--format numpy` wrote out both forms for nothing. Here at depth 10 with
the bound lowered between the two (text about 36,000 characters, LaTeX about 117,000), and its value checked
against mpmath's differences of an independent tower of sines.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from helpers import cli

import mcalc
from mcalc.render import printer

mp = pytest.importorskip("mpmath")  # SymPy's own dependency: always there with mcalc

DEPTH = 10
TOWER = "sin(" * DEPTH + "x" + ")" * DEPTH
BOUND = 100_000  # between the tower's text and its LaTeX
REFUSED = r"^the result written out passes 100,000 characters"


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """The style of each printer made (True: LaTeX), in order."""
    styles: list[bool] = []
    original = printer.Printer.__init__

    def counted(self: printer.Printer, style: printer.Style, **options: Any) -> None:
        styles.append(style.latex)
        original(self, style, **options)

    monkeypatch.setattr(printer.Printer, "__init__", counted)
    yield styles


@pytest.fixture
def bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printer, "MAX_WRITTEN", BOUND)


def _third_derivative(x: float) -> float:
    """d³/dx³ sin∘…∘sin (DEPTH times) at x, by mpmath's differences at 50 digits (no mcalc involved)."""

    def tower(t: Any) -> Any:
        for _ in range(DEPTH):
            t = mp.sin(t)
        return t

    with mp.workdps(50):
        return float(mp.diff(tower, mp.mpf(x), 3))


# --- the API ---


def test_reading_the_text_writes_no_latex(made: list[bool]) -> None:
    d = mcalc.diff("tr(A B A^T C)", "A")
    assert made == []  # the answer alone writes nothing out
    assert (d.text, d.equation) == ("CAB + CᵀABᵀ", "∂/∂A tr(ABAᵀC) = CAB + CᵀABᵀ")
    assert (d.shape, d.display_shape, d.kind) == (("m", "n"), "m×n", "gradient")
    assert made == [False]  # one text printer, for the derivative and its left side
    assert d.latex == "C A B + C^{\\top} A B^{\\top}"
    assert d.equation_latex.endswith("= C A B + C^{\\top} A B^{\\top}")
    assert d.latex == "C A B + C^{\\top} A B^{\\top}"  # kept: not written again
    assert made == [False, True]


def test_the_code_and_the_value_write_out_no_form(made: list[bool]) -> None:
    g = mcalc.diff("x^T A x", "x")
    assert "def grad(x, A):" in g.numpy_source
    assert g.value(x=[1, 2], A=[[1, 2], [3, 4]]).tolist() == [12.0, 21.0]
    assert made == []


def test_the_exported_code_is_written_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcalc.export import numpy_code

    written: list[str] = []
    original = numpy_code.render_code
    monkeypatch.setattr(numpy_code, "render_code", lambda *a: (written.append(a[2].name), original(*a))[1])
    g = mcalc.diff("x^T A x", "x")
    assert g.numpy_source == g.numpy_source and "def grad(x, A):" in g.jax_source
    assert g.to_function()(np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])).tolist() == [12.0, 21.0]
    assert written == ["numpy", "jax"]  # each backend's module once, to_function's from the kept one


def test_the_api_answers_a_derivative_whose_latex_is_too_long(bound: None, made: list[bool]) -> None:
    d = mcalc.Session(scalar="x").diff(TOWER, ["x", "x", "x"])
    assert made == []
    for x in (0.3, -1.1, 2.0):
        want = _third_derivative(x)
        assert d.value(x=x) == pytest.approx(want, rel=1e-9)
        assert float(d.to_function()(np.float64(x))) == pytest.approx(want, rel=1e-9)
    assert d.text.startswith("3 cos(")  # the text is within the bound
    assert made == [False]
    for _ in range(2):  # refused each time it is asked for, with the command line's message
        with pytest.raises(mcalc.InputError, match=REFUSED):
            _ = d.latex
    with pytest.raises(mcalc.InputError, match=REFUSED):
        _ = d.equation_latex
    assert d.text.startswith("3 cos(")  # and the text is still the answer's
    assert pickle.loads(pickle.dumps(d)).text == d.text


def test_a_form_first_read_during_a_check_in_another_thread_stays_symbolic(monkeypatch: pytest.MonkeyPatch) -> None:
    """check() binds the shared result's sizes (m = 6) while it runs, as value() does: a form first read by
    another thread meanwhile was written with them and kept (the shape line of A x read 6×2 ever after). The
    reader now waits for the check, as it waits for value()."""
    import threading

    from mcalc import pipeline

    d = mcalc.diff("A x", wrt="x")
    during: list[str] = []
    original = pipeline.evaluate_value

    def read_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not during:
            reader = threading.Thread(target=lambda: during.append(d.display_shape))
            reader.start()
            reader.join(0.5)  # blocked on the answer's lock: it reads after the check
            during.append("waited")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "evaluate_value", read_meanwhile)
    assert d.check(seed=1).passed
    assert during[0] == "waited"
    assert d.display_shape == "m×n" and d.text == "A"


def test_a_refused_form_does_not_keep_what_it_wrote(bound: None) -> None:
    d = mcalc.Session(scalar="x").diff(TOWER, ["x", "x", "x"])
    with pytest.raises(mcalc.InputError, match=REFUSED):
        _ = d.latex
    assert d._forms._printers == {}  # the LaTeX printer's memo (up to the bound's 2 GB) is let go


def test_a_text_too_long_is_refused_where_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printer, "MAX_WRITTEN", 10_000)
    d = mcalc.Session(scalar="x").diff(TOWER, ["x", "x", "x"])
    with pytest.raises(mcalc.InputError, match=r"^the result written out passes 10,000 characters"):
        _ = d.text
    assert d.value(x=0.3) == pytest.approx(_third_derivative(0.3), rel=1e-9)


# --- the command line ---


def _tower(*fmt: str) -> Any:
    return cli("diff", TOWER, "--wrt", "x", "--wrt", "x", "--wrt", "x", "--scalar", "x", *fmt)


def test_plain_text_writes_no_latex(made: list[bool]) -> None:
    run = cli("diff", "tr(A B A^T C)", "--wrt", "A", "--format", "text")
    assert run.code == 0 and run.stdout.startswith("∂/∂A tr(ABAᵀC) = CAB + CᵀABᵀ\n")
    assert True not in made


@pytest.mark.parametrize("fmt", ["numpy", "jax", "torch"])
def test_code_formats_write_out_no_form(made: list[bool], fmt: str) -> None:
    run = cli("diff", "x^T A x", "--wrt", "x", "--format", fmt)
    assert run.code == 0 and "def grad(x, A):" in run.stdout
    assert made == []


def test_numpy_answers_a_derivative_too_long_to_write_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # even the text is past the bound: the code is what is asked for, and nothing else is written out
    monkeypatch.setattr(printer, "MAX_WRITTEN", 10_000)
    run = _tower("--format", "numpy")
    assert run.code == 0, run.stderr
    namespace: dict[str, Any] = {}
    exec(compile(run.stdout, "<exported>", "exec"), namespace)  # noqa: S102 - mcalc's generated code, a test's own
    assert float(namespace["derivative"](0.3)) == pytest.approx(_third_derivative(0.3), rel=1e-9)
    for fmt in ("text", "vec", "latex"):  # the formats that show the text are refused, as before
        refused = _tower("--format", fmt)
        assert refused.code == 2 and refused.stdout == ""
        assert refused.stderr.startswith("error: the result written out passes 10,000 characters")


@pytest.mark.parametrize("fmt", ["json", "latex"])
def test_a_format_that_shows_the_latex_is_refused_as_before(bound: None, fmt: str) -> None:
    run = _tower("--format", fmt)
    assert run.code == 2
    if fmt == "json":
        error = json.loads(run.stdout)
        assert (error["category"], error["error"][:48]) == (
            "budget",
            "the result written out passes 100,000 characters",
        )
    else:
        assert run.stderr.startswith("error: the result written out passes 100,000 characters") and run.stdout == ""


def test_text_answers_when_only_the_latex_is_too_long(bound: None) -> None:
    run = _tower("--format", "text")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("d³/dx³ sin(") and "\nshape: scalar\n" in run.stdout
