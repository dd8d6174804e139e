"""Batch output joins back to its input (issue 22, item 7).

`mcalc diff -` answers one input line after another in every format, a failed line in its place:
JSON objects carry `line` (answers too, as `check --file` does); LaTeX puts a failed line as a comment
`% line N: error: …`; index and vec as a `line N: error: …` line; SymPy names each result
`derivative_N`; NumPy writes one module whose functions carry the line number (`f_3`, `grad_3`, …),
which is imported here and compared with `mcalc diff --at` and `mcalc eval` for the same line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from mcalc.cli.app import app

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "output-schema.json").read_text(encoding="utf-8"))


def run(args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def objects(out: str, schema: bool = True) -> list[dict[str, Any]]:
    """The JSON lines of `out`, each checked against docs/output-schema.json (which describes diff, check
    and shape, not eval)."""
    from jsonschema import Draft202012Validator

    objs = [json.loads(line) for line in out.splitlines()]
    for obj in objs if schema else []:
        Draft202012Validator(SCHEMA).validate(obj)
    return objs


# three answers around a failing line, with a comment and a blank line counted in the numbers
STDIN = "# gradients\ntr(A B) ; A\n\nfoo(X) ; X\nx^T x ; x\nlogdet(X) ; X\n"
ANSWERED = [2, 5, 6]
FAILED = 4
FOO = "unknown function 'foo' at col 1"


def test_json_every_object_carries_its_line() -> None:
    code, out, err = run(["diff", "-", "--format", "json"], STDIN)
    objs = objects(out)
    assert code == 2 and err == ""
    assert [o["line"] for o in objs] == [2, 4, 5, 6]
    assert [("error" in o) for o in objs] == [False, True, False, False]
    assert [o["expression"] for o in objs] == ["tr(A B)", "foo(X)", "x^T x", "logdet(X)"]


def test_json_line_means_what_it_means_in_a_homework_sheet(tmp_path: Any) -> None:
    """The same key, the same number: the input line (from 1, comment and blank lines counted)."""
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("# claims\ntr(A B) ; A ; B^T\n\nfoo(X) ; X ; X\nx^T x ; x ; 2 x\n", encoding="utf-8")
    _, checked, _ = run(["check", "--file", str(sheet), "--format", "json"])
    diffs = "".join(line.rsplit(";", 1)[0] + "\n" for line in sheet.read_text(encoding="utf-8").splitlines())
    _, derived, _ = run(["diff", "-", "--format", "json"], diffs)
    assert [o["line"] for o in objects(checked)] == [2, 4, 5]
    assert [o["line"] for o in objects(derived)] == [2, 4, 5]


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "tr(A B)", "--wrt", "A"],
        ["diff", "foo(X)", "--wrt", "X"],
        ["check", "tr(A B)", "--wrt", "A", "--claim", "B^T"],
        ["shape", "A x"],
        ["eval", "x^T x", "--at", "x=[1,2]"],
    ],
    ids=lambda a: " ".join(a),
)
def test_a_single_run_has_no_line_key(args: list[str]) -> None:
    """`line` is batch output only: absent (never null) when one expression is answered."""
    _, out, _ = run([*args, "--format", "json"])
    (obj,) = objects(out, schema=args[0] != "eval")
    assert "line" not in obj


def test_latex_a_failed_line_is_a_comment_in_its_place() -> None:
    code, out, err = run(["diff", "-", "--format", "latex"], STDIN)
    lines = out.splitlines()
    assert code == 2
    assert len(lines) == 4  # one line per expression line: each answer here is one equation
    assert lines[1].startswith(f"% line {FAILED}: error: {FOO}")
    assert lines[0].endswith("= B^{\\top}") and lines[2].endswith("= 2x") and lines[3].endswith("= X^{-\\top}")
    assert not any(line.startswith("%") for i, line in enumerate(lines) if i != 1)
    # stdout is usually a .tex file: the person at the terminal sees the error too
    assert err.splitlines() == [f"error: line {FAILED}: {lines[1].split(': error: ', 1)[1]}"]


@pytest.mark.parametrize("fmt", ["index", "vec"])
def test_index_and_vec_answer_one_line_each_with_the_error_in_place(fmt: str) -> None:
    code, out, err = run(["diff", "-", "--format", fmt], STDIN)
    lines = out.splitlines()
    assert code == 2 and err == ""
    assert len(lines) == 4
    assert lines[1].startswith(f"line {FAILED}: error: {FOO}")
    assert [line.startswith("line ") for line in lines] == [False, True, False, False]
    singles = [("tr(A B)", "A"), ("x^T x", "x"), ("logdet(X)", "X")]
    for line, (expr, var) in zip([lines[0], *lines[2:]], singles, strict=True):
        _, single, _ = run(["diff", expr, "--wrt", var, "--format", fmt])
        assert single.splitlines() == [line]  # the answer a single run gives


def test_text_batch_blocks_keep_their_line_numbers() -> None:
    code, out, err = run(["diff", "-", "--format", "text"], STDIN)
    headers = [line for line in out.splitlines() if line.startswith("line ")]
    assert code == 2 and err == ""
    assert headers == ["line 2: tr(A B)", "line 4: foo(X)", "line 5: x^T x", "line 6: logdet(X)"]
    assert f"error: {FOO}" in out.split("line 4: foo(X)\n", 1)[1].split("\n", 1)[0]


def test_sympy_batch_names_each_derivative_by_its_line_and_runs() -> None:
    code, out, err = run(["diff", "-", "--format", "sympy"], STDIN)
    assert code == 2 and f"line {FAILED}: {FOO}" in err
    results = re.findall(r"^(derivative_\d+) = ", out, flags=re.M)
    assert results == [f"derivative_{n}" for n in ANSWERED]
    comments = [line for line in out.splitlines() if line.startswith("# line")]
    assert len(comments) == 1 and comments[0].startswith(f"# line {FAILED}: error: {FOO}")
    # in its place: after line 2's derivative, before line 5's symbols
    assert out.index("derivative_2 =") < out.index(comments[0]) < out.index("derivative_5 =")
    namespace: dict[str, Any] = {}
    exec(compile(out, "<mcalc sympy batch>", "exec"), namespace)  # mcalc's own generated code
    import sympy

    assert str(namespace["derivative_2"]) == "B.T" and isinstance(namespace["derivative_5"], sympy.MatMul)


def test_a_batch_warning_names_its_line() -> None:
    code, out, err = run(["diff", "-", "--format", "latex"], "tr(A B) ; A\nx^T x ; y\n")
    assert code == 0 and len(out.splitlines()) == 2
    assert err.startswith("warning: line 2: ") and "y" in err


# --- NumPy: one module --------------------------------------------------------------------------

NUMPY_STDIN = (
    "# a NumPy module\n"
    "tr(A B) ; A\n"  # 2: grad
    "sum(sigmoid(W x)) ; W\n"  # 3: grad, calls the _sigmoid helper
    "foo(X) ; X\n"  # 4: fails
    "\n"
    "sigmoid(W x) ; x\n"  # 6: jacobian, the same helper
    "x^T A x ; x, x\n"  # 7: hessian
    "R^T R ; R\n"  # 8: a tensor (einsum)
    "c x ; c ; --scalar c\n"  # 9: by a scalar
)

RNG = np.random.default_rng(22)
VALUES: dict[int, tuple[str, list[str], list[str], dict[str, Any]]] = {
    # line: (function name, --wrt, declarations, values)
    2: ("grad", ["A"], [], {"A": RNG.normal(size=(2, 3)), "B": RNG.normal(size=(3, 2))}),
    3: ("grad", ["W"], [], {"W": RNG.normal(size=(2, 3)), "x": RNG.normal(size=3)}),
    6: ("jacobian", ["x"], [], {"W": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2)}),
    7: ("hessian", ["x", "x"], [], {"x": RNG.normal(size=3), "A": RNG.normal(size=(3, 3))}),
    8: ("jacobian", ["R"], [], {"R": RNG.normal(size=(3, 2))}),
    9: ("derivative", ["c"], ["--scalar", "c"], {"c": np.asarray(1.7), "x": RNG.normal(size=2)}),
}
EXPRS = {number: line.split(";")[0].strip() for number, line in enumerate(NUMPY_STDIN.splitlines(), 1)}


@pytest.fixture(scope="module")
def numpy_batch() -> tuple[int, str, str]:
    return run(["diff", "-", "--format", "numpy"], NUMPY_STDIN)


def test_numpy_batch_is_one_module(numpy_batch: tuple[int, str, str]) -> None:
    code, out, err = numpy_batch
    assert code == 2 and err.startswith(f"error: line 4: {FOO}") and len(err.splitlines()) == 1
    assert out.startswith("import numpy as np\n") and out.count("import numpy") == 1
    assert out.count("def _sigmoid(") == 1  # a helper once, though two lines call it
    defined = re.findall(r"^def (\w+)\(", out, flags=re.M)
    expected = [f for n, (name, *_) in VALUES.items() for f in (f"f_{n}", f"{name}_{n}", f"f_and_{name}_{n}")]
    assert [d for d in defined if not d.startswith("_")] == expected
    assert len(defined) == len(set(defined))  # nothing defined twice
    (comment,) = [line for line in out.splitlines() if line.startswith("#")]
    assert comment.startswith(f"# line 4: error: {FOO}")
    assert out.index("def f_and_grad_3(") < out.index(comment) < out.index("def f_6(")  # in its place


def _cli_value(command: str, number: int) -> Any:
    """`mcalc diff --at` (the derivative) or `mcalc eval` (the value) of a line, from its JSON."""
    _, wrt, decl, values = VALUES[number]
    at = [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(np.asarray(v).tolist())}")]
    args = [command, EXPRS[number], *at, *decl, "--format", "json"]
    if command == "diff":
        args += [a for v in wrt for a in ("--wrt", v)]
    code, out, err = run(args)
    assert code == 0, (out, err)
    return np.asarray(json.loads(out)["value"], dtype=float)


@pytest.mark.parametrize("number", list(VALUES), ids=lambda n: f"line {n}: {EXPRS[n]}")
def test_numpy_batch_functions_equal_the_cli(numpy_batch: tuple[int, str, str], number: int) -> None:
    """The module imports and runs; each line's functions give what `mcalc diff --at` and `mcalc eval`
    give for that line, and f_and_<name>_N returns the pair."""
    _, out, _ = numpy_batch
    namespace: dict[str, Any] = {}
    exec(compile(out, "<mcalc numpy batch>", "exec"), namespace)  # mcalc's own generated code
    name, _, _, values = VALUES[number]
    value = namespace[f"f_{number}"](**values)
    derivative = namespace[f"{name}_{number}"](**values)
    both = namespace[f"f_and_{name}_{number}"](**values)
    np.testing.assert_allclose(np.asarray(value, dtype=float), _cli_value("eval", number), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(derivative, _cli_value("diff", number), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(both[0], dtype=float), np.asarray(value, dtype=float), rtol=1e-12)
    np.testing.assert_allclose(both[1], derivative, rtol=1e-12)


def test_a_numpy_batch_without_answers_is_still_a_module() -> None:
    code, out, _ = run(["diff", "-", "--format", "numpy"], "foo(X) ; X\n")
    assert code == 2
    namespace: dict[str, Any] = {}
    exec(compile(out, "<mcalc numpy batch>", "exec"), namespace)
    assert out.splitlines()[0] == "import numpy as np" and out.splitlines()[-1].startswith("# line 1: error: ")


def test_a_single_numpy_answer_keeps_its_plain_names() -> None:
    _, out, _ = run(["diff", "tr(A B)", "--wrt", "A", "--format", "numpy"])
    assert re.findall(r"^def (\w+)\(", out, flags=re.M) == ["f", "grad", "f_and_grad"]


@pytest.mark.parametrize("fmt", ["json", "text", "latex", "numpy", "index"])
def test_a_bug_on_one_line_is_answered_in_its_place_and_the_batch_goes_on(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An internal error (a bug, here injected) is that line's answer, like bad input: the lines after it
    are still answered, and the exit code is 1 (2 when a line is bad input)."""
    from mcalc import answers

    derive = answers.derive

    def failing(expr: str, *args: Any, **kwargs: Any) -> Any:
        if expr == "x^T x":
            raise RuntimeError("injected")
        return derive(expr, *args, **kwargs)

    monkeypatch.setattr(answers, "derive", failing)
    code, out, _ = run(["diff", "-", "--format", fmt], "tr(A B) ; A\nx^T x ; x\nlogdet(X) ; X\n")
    assert code == 1
    message = "internal error: RuntimeError: injected (please report; --debug shows more)"
    if fmt == "json":
        objs = objects(out)
        assert [o["line"] for o in objs] == [1, 2, 3]
        assert objs[1]["error"] == message and objs[1]["category"] == "internal error"
        return
    shown = {"text": f"error: {message}", "latex": f"% line 2: error: {message}",
             "numpy": f"# line 2: error: {message}", "index": f"line 2: error: {message}"}[fmt]  # fmt: skip
    assert shown in out.splitlines()
    after = out.split(shown, 1)[1]
    assert ("logdet(X)" in after) if fmt in ("text", "numpy") else ("X^{-\\top}" in after or "X⁻¹" in after)
