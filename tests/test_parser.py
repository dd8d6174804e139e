"""The parser: golden trees (tests/golden/parse.txt) in the S-expression form of mcalc.syntax.sexpr, and
equivalences that must hold whatever the tree printer looks like (spellings of the same operator)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator

import pytest
from helpers import Case, cli, golden_cases, golden_params, golden_updates

from mcalc.errors import McalcError, ParseError
from mcalc.syntax.parser import parse
from mcalc.syntax.sexpr import to_sexpr

GOLDEN = "parse.txt"
CASES = golden_cases(GOLDEN)


def sexpr(source: str, scalars: tuple[str, ...] = ()) -> str:
    return to_sexpr(parse(source, frozenset(scalars)))


@pytest.fixture(scope="module")
def updates(request: pytest.FixtureRequest) -> Iterator[dict[int, list[str]]]:
    yield from golden_updates(request, GOLDEN)


@pytest.mark.parametrize("case", golden_params(CASES, lambda c: str(c.input)))
def test_parse_tree(case: Case, updates: dict[int, list[str]], request: pytest.FixtureRequest) -> None:
    actual = sexpr(str(case.input), tuple(case.all("scalar")))
    if request.config.getoption("--update-goldens") and case.get("xfail") is None:
        updates[case.lineno] = [actual]
        return
    assert [actual] == case.expected, f"{case.path}:{case.lineno}"


SAME = [
    ("A^T", "A'", "Aᵀ", "A^{T}"),
    ("A^-1", "A^{-1}", "A⁻¹", "inv(A)"),
    ("A^-T", "(A^-1)^T", "inv(A)^T"),
    ("A B", "A*B", "AB"),
    ("x .* y", "x ⊙ y"),
    ("kron(A, B)", "A ⊗ B"),
    ("norm2(x)", "‖x‖", "||x||"),
    ("logdet(X)", "log det(X)", "log(det(X))", "log det X"),
    ("θ", "theta"),
    ("Φ θ", "Phi theta"),
    ("1/2 a", "0.5 a", "a/2"),
    ("tr A^T B", "tr(A^T B)"),  # issue 13: a function without parentheses takes the product that follows
    ("tr X^-1 S + log det X", "tr(X^-1 S) + log(det(X))"),
    ("1e-3 x", "0.001 x", "1/1000 x"),
    ("2.5E+2 x", "250 x"),
    ("I", "eye"),
    ("I_n", "Iₙ", "I_{n}", "eye(n)"),  # an identity of the size n (the dimension named n, where one is)
    ("I_{mn}", "Iₘₙ", "I_{m·n}", "I_{m*n}", "I_{m n}"),  # mcalc's printed spellings of I of size m·n
    ("eye(3)", "I_3"),
    ("1^T x", "1ᵀx", "𝟙ᵀ x", "ones^T x", "ones' x"),
    ("ln det X", "log det X", "logdet(X)"),
    ("A'(t) B(t)", "A′(t) B(t)"),
    ("A''(t)", "A′′(t)", "A″(t)"),
    ("sin x", "sin(x)"),
]


@pytest.mark.parametrize("spellings", SAME, ids=lambda s: " = ".join(s))
def test_spellings_of_one_operator_give_one_tree(spellings: tuple[str, ...]) -> None:
    trees = {s: sexpr(s) for s in spellings}
    assert len(set(trees.values())) == 1, trees


@pytest.mark.parametrize(
    "source",
    ["tr(A B", "A +", "(A", "A)", "", "tr()", "A ** B", "x $ y", "|x|", "||x", "A^", "2 3", "kron(A)", "tr(A,B)"],
)
def test_bad_input_raises_a_parse_error_with_a_position(source: str) -> None:
    with pytest.raises(McalcError) as info:
        parse(source, frozenset())
    assert isinstance(info.value, ParseError), type(info.value)
    assert info.value.position is not None and 0 <= info.value.position <= len(source)


def test_a_tree_is_independent_of_surrounding_whitespace() -> None:
    assert sexpr("  tr( A  B )  ") == sexpr("tr(A B)")


# --------------------------------------------------------------------------------------------------
# errors (tests/golden/errors.txt): one line on stderr, the JSON object, the exit code
# --------------------------------------------------------------------------------------------------

ERRORS = "errors.txt"
ERROR_CASES = golden_cases(ERRORS)


@pytest.fixture(scope="module")
def error_updates(request: pytest.FixtureRequest) -> Iterator[dict[int, list[str]]]:
    yield from golden_updates(request, ERRORS)


@pytest.mark.parametrize("case", golden_params(ERROR_CASES, lambda c: f"{c.input} {c.get('args')}"))
def test_error_message(case: Case, error_updates: dict[int, list[str]], request: pytest.FixtureRequest) -> None:
    args = ["diff", str(case.input), *shlex.split(case.get("args") or "")]
    text = cli(*args, "--format", "text")
    as_json = cli(*args, "--format", "json")
    want = int(case.get("exit") or "2")
    assert text.code == want, f"exit {text.code}, expected {want}: {text.stdout}{text.stderr}"
    assert as_json.code == want
    assert text.stdout == "", f"an error prints nothing on stdout: {text.stdout!r}"
    lines = text.stderr.splitlines()
    assert len(lines) == 1, f"an error is one line on stderr: {text.stderr!r}"
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in line
    for fragment in case.all_raw("contains"):
        assert fragment in line, f"{fragment!r} not in {line!r}"
    obj = json.loads(as_json.stdout)
    assert {"error", "position"} <= obj.keys(), obj
    assert obj["error"] == line.removeprefix("error: ")
    position = obj["position"]
    if position is not None:
        assert f"col {position + 1}" in line, f"position {position} is not the column the message names"
    actual = [line, f"position: {position}"]
    if request.config.getoption("--update-goldens") and case.get("xfail") is None:
        error_updates[case.lineno] = actual
        return
    if case.expected:
        assert actual == case.expected, f"{case.path}:{case.lineno}"


def test_every_error_case_has_an_expectation() -> None:
    """An error case must say the exit code, and pin the message (exact text, or fragments when the
    wording is not settled yet)."""
    for case in ERROR_CASES:
        assert case.get("exit") in {"1", "2"}, f"{case.path}:{case.lineno}"
        assert case.expected or case.all_raw("contains"), f"{case.path}:{case.lineno}"


def test_empty_expression_is_an_error_at_column_1() -> None:
    run = cli("diff", "", "--wrt", "A", "--format", "json")
    assert run.code == 2
    obj = run.json
    assert "empty" in obj["error"] and obj["position"] in (0, None)
