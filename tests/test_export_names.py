"""Issue 22 item 6: exported code uses legal, non-shadowing names. `--format numpy`, `to_function()` and
`--format sympy` write every variable, --let name, sum index and dimension through one mapping
(mcalc.export.python_names.identifiers): a keyword, soft keyword, builtin or name of the generated code
itself gets a `_` (λ → `lambda_`, f → `f_`, a dimension `if` → `if_`, a matrix S in SymPy → `S_`), and the
docstring says which parameter is which variable.

What reaches the generated code (test_which_words_reach_the_exported_code): mcalc variable names are one
letter, then digits or `_subscript`, or a Greek letter (spelled out or not), so of Python's keywords and
builtins only `lambda` (λ) can be a variable, and of the NumPy module's own names `f` (and the batch's
`f_3`); `np` is n·p, `sum(` a function, `if` the product i·f. Dimension names (`--shape x=if`) are any
word without x: `if`, `None`, `def`, `print`, `S`, `pi`, ... reach the SymPy program (NumPy code takes
sizes from the arrays). SymPy's own one-letter names `S`, `E`, `N`, `O`, `Q` (and `E1`, `n_order`) can be
variables.

Each reachable name is exported as a scalar, a vector and a matrix, the module run at random values (by
the API's own `_compile_generated` and by `to_function()`) and compared with `--at` (1e-10 relative); every
keyword, soft keyword and builtin of the sample typed in an expression (`if θᵀΣθ`, read as i·f·θᵀΣθ) is
exported and run the same way.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from helpers import cli, save_npz, seeded

import mcalc
from mcalc.declare import greek
from mcalc.derivative import _compile_generated
from mcalc.export.python_names import PYTHON_WORDS, identifiers, numpy_reserved
from mcalc.syntax.lexer import Tok, is_function_word, tokenize

KEYWORDS = [*keyword.kwlist, *keyword.softkwlist]
BUILTINS = [
    "sum", "max", "min", "print", "len", "abs", "list", "dict", "type", "id", "input", "range", "map", "filter",
    "iter", "next", "object", "open", "int", "float", "round", "math",
]  # fmt: skip
# the names the NumPy module uses itself (a batch numbers its functions: f_3, grad_3, f_and_grad_3)
MODULE_NAMES = [
    "np", "numpy", "f", "grad", "jacobian", "hessian", "derivative", "f_and_grad", "f_and_jacobian",
    "f_and_hessian", "f_and_derivative", "value", "out", "_t1", "_sigmoid", "_gram", "_commutation",
    "f_3", "grad_3", "f_and_grad_3",
]  # fmt: skip
DERIVATIVES = ("grad", "jacobian", "hessian", "derivative")


def one_variable(word: str) -> str | None:
    """The variable mcalc reads `word` as, when it reads it as one variable (None: a product, a function
    word, or refused)."""
    try:
        tokens = tokenize(word)
    except mcalc.McalcError:
        return None
    if len(tokens) == 2 and tokens[0].kind is Tok.NAME and tokens[0].span.end == len(word):
        return tokens[0].text
    return None


# --- the mapping itself, for every keyword and builtin ---


@pytest.mark.parametrize("word", sorted({*KEYWORDS, *dir(builtins), *MODULE_NAMES}))
def test_every_keyword_builtin_and_module_name_maps_to_a_free_identifier(word: str) -> None:
    name = identifiers({word: word}, numpy_reserved)[word]
    assert name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
    assert name not in PYTHON_WORDS and not numpy_reserved(name), name
    compile(f"def g({name}):\n    {name} = {name} + 1\n    return sum([{name}])\n", "<test>", "exec")


def test_a_renamed_name_never_takes_another_names_spelling() -> None:
    names = identifiers({"lambda": "lambda", "lambda_": "lambda_", "f": "f", "f_": "f_"}, numpy_reserved)
    assert names == {"lambda": "lambda__", "lambda_": "lambda_", "f": "f__", "f_": "f_"}
    assert len(set(names.values())) == 4
    greek_too = identifiers({"λ": "lambda", "x": "x"}, numpy_reserved)
    assert greek_too == {"λ": "lambda_", "x": "x"}


def test_which_words_reach_the_exported_code() -> None:
    """Of the keywords, builtins and module names, only `lambda` (λ), `f` and the batch's `f_3` can be
    variables; the rest never reach the code as a name (products of letters, function words, refused)."""
    reach = {w: one_variable(w) for w in {*KEYWORDS, *dir(builtins), *MODULE_NAMES}}
    assert {w: v for w, v in reach.items() if v is not None} == {"lambda": "λ", "f": "f", "f_3": "f_3"}
    sympy_words = {w for w in sympy.__all__ if one_variable(w) == w}
    assert {"S", "E", "N", "O", "Q", "E1"} <= sympy_words, sympy_words


# --- NumPy: every reachable name, as a scalar, a vector and a matrix, run against --at ---

# (expression, --wrt, declaration) over a name N
SHAPES = [
    ("N x^T A x + N^2 sum(x)", "x", "--scalar"),
    ("N x^T A x + N^2 sum(x)", "N", "--scalar"),
    ("N^T A N + sum(exp(N))", "N", "--vector"),
    ("tr(N^T A N B)", "N", "--matrix"),
    ("N x", "N", "--matrix"),  # a tensor derivative: einsum over N's operands
]
NAMES = ["lambda", "λ", "λ_1", "f", "f_3", "f1", "S", "E", "N"]


def numpy_module(args: list[str]) -> str:
    run = cli("diff", *args, "--format", "numpy")
    assert run.code == 0, run.stderr
    compile(run.stdout, "<mcalc --format numpy>", "exec")  # a SyntaxError fails here, not with exit 0
    return run.stdout


def exported_function(source: str) -> tuple[str, Any]:
    tree = ast.parse(source)
    public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    (name,) = [p for p in public if p in DERIVATIVES]
    return name, _compile_generated(source, name)


def renamed(source: str) -> dict[str, str]:
    """Parameter → mcalc variable, as the docstring says (`Renamed parameters: lambda_ is λ (...); ...`)."""
    found: dict[str, str] = {}
    for line in source.splitlines():
        if "Renamed parameters:" in line:
            for part in line.split(":", 1)[1].split(";"):
                m = re.match(r"\s*(\w+) is (\S+) \(", part)
                assert m, line
                found[m.group(1)] = m.group(2)
    return found


def variable_of(param: str, table: dict[str, str]) -> str:
    return table.get(param) or greek(param)


def point(variables: dict[str, list[Any]], rng: np.random.Generator) -> dict[str, np.ndarray]:
    sizes: dict[Any, int] = {}
    pool = [3, 4, 2, 5]

    def size(d: Any) -> int:
        if isinstance(d, int):
            return d
        return sizes.setdefault(d, pool[len(sizes)])

    return {name: rng.uniform(0.5, 1.5, size=tuple(size(d) for d in dims)) for name, dims in variables.items()}


def at_value(args: list[str], values: dict[str, np.ndarray], tmp_path: Path) -> np.ndarray:
    path = save_npz(tmp_path / "point.npz", values)
    run = cli("diff", *args, "--at", str(path), "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    return np.asarray(run.json["value"], dtype=float)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("template", "wrt", "kind"), SHAPES)
def test_numpy_export_over_the_name_runs_and_matches_at(
    name: str, template: str, wrt: str, kind: str, tmp_path: Path
) -> None:
    expr = template.replace("N", name)
    args = [expr, "--wrt", name if wrt == "N" else wrt, kind, name]
    source = numpy_module(args)
    fname, fn = exported_function(source)
    table = renamed(source)
    params = list(inspect.signature(fn).parameters)
    for param in params:  # every parameter is a free name; a renamed one is in the docstring
        assert not keyword.iskeyword(param) and param not in PYTHON_WORDS and not numpy_reserved(param), source
        assert param in table or greek(param) != param or param.isascii(), source
    variables = cli("diff", *args, "--format", "json").json["variables"]
    values = point(variables, np.random.default_rng(seeded("export-names", expr, wrt)))
    expected = at_value(args, values, tmp_path)
    by_keyword = {p: values[variable_of(p, table)] for p in params}
    got = np.asarray(fn(**by_keyword))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=source)
    positional = np.asarray(fn(*(by_keyword[p] for p in params)))
    np.testing.assert_allclose(positional, expected, rtol=1e-10, atol=1e-12)
    # the Python API: to_function() takes the variables in order of appearance; value() and to_function()
    # take the same keywords
    d = mcalc.diff(expr, name if wrt == "N" else wrt, **{kind[2:]: name})
    api_fn = d.to_function()
    assert list(inspect.signature(api_fn).parameters) == params
    np.testing.assert_allclose(api_fn(*(by_keyword[p] for p in params)), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.value(**by_keyword), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.value(**values), expected, rtol=1e-10, atol=1e-12)


def test_the_issue_example_is_valid_python_with_lambda_renamed() -> None:
    source = numpy_module(["||y - Φθ||^2 + λ θ^T θ", "--wrt", "θ", "--scalar", "λ"])
    assert "def grad(y, Phi, theta, lambda_):" in source.splitlines(), source
    assert renamed(source) == {"lambda_": "λ"}
    assert "lambda_ is λ (lambda is a Python keyword)" in source
    d = mcalc.diff("||y - Phi theta||^2 + lambda theta^T theta", "theta", scalar="lambda")
    grad = d.to_function()  # raised a SyntaxError before
    rng = np.random.default_rng(seeded("issue-22-lambda"))
    y, phi, theta = rng.standard_normal(4), rng.standard_normal((4, 3)), rng.standard_normal(3)
    expected = 2 * 0.7 * theta - 2 * phi.T @ (y - phi @ theta)
    np.testing.assert_allclose(grad(y, phi, theta, 0.7), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(y=y, Phi=phi, theta=theta, lambda_=0.7), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "args",
    [
        ["f^T f + λ", "--wrt", "x", "--let", "f = A x", "--let", "λ = x^T x"],  # --let names
        ["f(t) A(t) + λ(t) A(t)", "--wrt", "t", "--scalar", "λ"],  # functions of t named f and λ
        ["sum(X^f)", "--wrt", "X", "--scalar", "f"],  # a sum's index beside a variable f
        ["sum(X^k) + r f", "--wrt", "X", "--scalar", "k,r,f"],
    ],
    ids=["lets", "functions-of-t", "power-f", "power-r"],
)
def test_lets_functions_of_t_and_sum_indices_are_renamed_too(args: list[str], tmp_path: Path) -> None:
    source = numpy_module(args)
    _, fn = exported_function(source)
    for node in ast.walk(ast.parse(source)):  # no assignment or loop binds a keyword or module name
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assert node.id not in PYTHON_WORDS and node.id not in {"np", "f", "grad", "jacobian"}, source
    table = renamed(source)
    variables = cli("diff", *args, "--format", "json").json["variables"]
    values = point(variables, np.random.default_rng(seeded("export-names-more", *args)))
    for name in ("f", "k"):  # a matrix power's exponent: a whole number
        if f"^{name}" in args[0]:
            values[name] = np.asarray(3.0)
    for name in list(values):  # a function of t: its derivatives A', A''
        if re.search(rf"(?<!\w){re.escape(name)}\(t\)", args[0]):
            values[name + "'"] = values[name] * 0.5
            values[name + "''"] = values[name] * 0.25
    expected = at_value(args, values, tmp_path)
    kwargs = {}
    for p in inspect.signature(fn).parameters:
        m = re.fullmatch(r"d(\d*)(\w+?)_dt\d*", p)
        kwargs[p] = values[greek(m.group(2)) + "'" * int(m.group(1) or 1)] if m else values[variable_of(p, table)]
    np.testing.assert_allclose(np.asarray(fn(**kwargs)), expected, rtol=1e-10, atol=1e-12, err_msg=source)


def test_a_numpy_batch_names_no_parameter_after_a_keyword_or_module_name() -> None:
    run = cli("diff", "-", "--format", "numpy", "--scalar", "λ,f", stdin="λ x^T x ; x\nf x^T x ; x\n".encode())
    assert run.code == 0, run.stderr
    tree = ast.parse(run.stdout)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    params = {a.arg for fn in functions for a in fn.args.args}
    assert params == {"lambda_", "f_", "x"}, run.stdout


# --- SymPy: names of symbols and dimensions as identifiers; the printed program runs ---

# dimension names `--shape` accepts (a word without x) that are keywords, builtins or SymPy's names
DIM_WORDS = sorted(
    w
    for w in {*KEYWORDS, *BUILTINS, "S", "I", "E", "N", "O", "Q", "pi", "Symbol", "Function", "Rational", "oo"}
    if re.fullmatch(r"[A-Za-wyzA-WYZ][A-Za-wyzA-WYZ0-9_]*", w)
)
SYMPY_NAMES = ["S", "E", "N", "O", "Q", "E1", "λ", "f", "pi"]


def same(built: Any, expected: Any) -> bool:
    """The printed program's expression is `to_sympy()`'s: equal, or equal but for the bound variable of an
    elementwise function (a Dummy in to_sympy(), the symbol `_d` in the program; sstr prints both `_d`);
    exact numbers (Rational(1, 3), never the float 1/3)."""
    exact = not built.atoms(sympy.Float)
    return exact and (built == expected or sympy.sstr(built) == sympy.sstr(expected))


def sympy_program(args: list[str]) -> dict[str, Any]:
    run = cli("diff", *args, "--format", "sympy")
    assert run.code == 0, run.stderr
    namespace: dict[str, Any] = {}
    exec(compile(run.stdout, "<mcalc --format sympy>", "exec"), namespace)  # noqa: S102 - mcalc's output
    return namespace


@pytest.mark.parametrize("dim", DIM_WORDS)
def test_a_dimension_named_like_a_keyword_or_sympy_name(dim: str, tmp_path: Path) -> None:
    args = ["v^T A v / 3", "--wrt", "v", "--shape", f"v={dim}"]
    built = sympy_program(args)["derivative"]
    assert same(built, mcalc.diff("v^T A v / 3", "v", shape={"v": dim}).to_sympy())
    source = numpy_module(args)
    _, fn = exported_function(source)
    values = {"v": np.linspace(0.5, 1.5, 3), "A": np.arange(9.0).reshape(3, 3) / 9 + np.eye(3)}
    np.testing.assert_allclose(fn(**values), at_value(args, values, tmp_path), rtol=1e-10)


@pytest.mark.parametrize("name", SYMPY_NAMES)
@pytest.mark.parametrize(("template", "wrt", "kind"), SHAPES[:4])
def test_sympy_program_over_the_name_runs_and_rebuilds_to_sympy(name: str, template: str, wrt: str, kind: str) -> None:
    expr = template.replace("N", name)
    target = name if wrt == "N" else wrt
    built = sympy_program([expr, "--wrt", target, kind, name])["derivative"]
    assert same(built, mcalc.diff(expr, target, **{kind[2:]: name}).to_sympy())


def test_sympy_numbers_are_rationals_and_indices_keep_clear_of_variables() -> None:
    run = cli("diff", "vec(X)^T vec(X) / 3 + i^T X j", "--wrt", "X", "--format", "sympy")
    assert "derivative = Rational(2, 3)*X + i*j.T" in run.stdout.splitlines(), run.stdout
    assert not re.search(r"(?<![\w.])1/3", run.stdout), run.stdout  # 1/3 in Python is a float
    namespace = sympy_program(["X^k i", "--wrt", "X", "--scalar", "k"])  # Lambda((i, j), …) beside a vector i
    assert same(namespace["derivative"], mcalc.diff("X^k i", "X", scalar="k").to_sympy())
    assert isinstance(namespace["i"], sympy.MatrixSymbol) and namespace["i_"].is_integer


@pytest.mark.parametrize("expr", ["x^T x tr(I_k)", "x^T x sum(ones)"])
def test_a_size_no_variable_fixes_is_refused_not_written_as_an_undefined_name(expr: str) -> None:
    """It was written as its name, `np.eye(n)`: a NameError when called, after exit 0 (--at refuses it too)."""
    run = cli("diff", expr, "--wrt", "x", "--format", "numpy")
    assert run.code == 2 and run.stdout == "", run.stdout
    assert run.stderr.startswith("error: no numpy code: the size n is fixed by no variable"), run.stderr
    at = cli("diff", expr, "--wrt", "x", "--at", "x=[1,2]", "--format", "json")
    assert at.code != 0 and "the size of n is not fixed" in at.json["error"], at.stdout


def typed_words() -> list[str]:
    """The keywords, builtins and module names as one might type them in an expression: those mcalc reads
    as a product of one-letter names (`if` is i·f, `print` p·r·i·n·t), not as a function word."""
    words = sorted({*KEYWORDS, *BUILTINS, *MODULE_NAMES} - {"_"})
    return [
        w
        for w in words
        if w.isalpha()
        and w.isascii()
        and not is_function_word(w)
        and one_variable(w) is None
        and all(one_variable(ch) == ch for ch in w)
    ]


@pytest.mark.parametrize("word", typed_words())
def test_a_keyword_typed_in_an_expression_exports_as_its_letters(word: str, tmp_path: Path) -> None:
    """`if θᵀΣθ` is i·f·θᵀΣθ: exported over i and f (f renamed f_), run against --at."""
    letters = sorted(set(word))
    args = [f"{word} θ^T Σ θ", "--wrt", "θ", "--scalar", ",".join(letters)]
    source = numpy_module(args)
    _, fn = exported_function(source)
    table = renamed(source)
    values = {**{ch: np.asarray(0.5 + 0.1 * i) for i, ch in enumerate(letters)}, "θ": np.linspace(0.5, 1.5, 3)}
    values["Σ"] = np.eye(3) + 0.1
    kwargs = {p: values[variable_of(p, table)] for p in inspect.signature(fn).parameters}
    assert set(kwargs) == {"theta", "Sigma", *("f_" if ch == "f" else ch for ch in letters)}, source
    np.testing.assert_allclose(fn(**kwargs), at_value(args, values, tmp_path), rtol=1e-10, err_msg=source)
