"""`--format jax` and `--format torch` (`Derivative.jax_source`, `torch_source`, `to_function(backend=...)`)
as source, without either framework installed: for every golden case and the tensor cases below, the
module imports its library only, defines the NumPy module's three functions with the same parameters, and
is pure (no assignment into an array, no Python number taken from one, no NumPy). What the code computes
is tested against the NumPy export in tests/test_jax_export.py and tests/test_torch_export.py, which run
when the framework is installed (`pip install -e ".[export]"`) and are skipped otherwise.
"""

from __future__ import annotations

import ast
import doctest
import functools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_latex import CASES, Case
from test_numpy_format import DERIVATIVES, generated_args, random_point
from typer.testing import CliRunner

import mcalc
from mcalc.cli.app import app

# tensors and Hessians beyond the golden file: a shared index (RᵀR, tr(X) X), a Kronecker factor, a GLM
# Hessian (_gram), column functions, the matrix-factorisation Hessian of bench/export.py
EXTRA = [
    Case("tr(X) X", [], [("wrt", "X")]),
    Case("x x^T", [], [("wrt", "x")]),
    Case("X^T", [], [("wrt", "X")]),
    Case("exp(A X B)", [], [("wrt", "X")]),
    Case("A x", [], [("wrt", "A")]),
    Case("S^2", [], [("wrt", "S"), ("symmetric", "S")]),
    Case("exp(A x) b^T", [], [("wrt", "x")]),
    Case("A ⊗ B", [], [("wrt", "A")]),
    Case("softmax(W x)", [], [("wrt", "W")]),
    Case("logsumexp(A x)", [], [("wrt", "x"), ("wrt", "x")]),
    Case("sum(log(1 + exp(-y .* (X w))))", [], [("wrt", "w"), ("wrt", "w")]),
    Case("sum(sin(X w))", [], [("wrt", "w"), ("wrt", "w")]),
    Case("-1/2 logdet(S) - 1/2 (x - m)^T S^-1 (x - m)", [], [("wrt", "S"), ("symmetric", "S")]),
    Case("||X - U V^T||_F^2", [], [("wrt", "U"), ("wrt", "U")]),
    Case("sum(W2 tanh(W1 x))", [], [("wrt", "W1")]),
    Case("tr(X^T A X)", [], [("wrt", "X"), ("wrt", "X")]),
    Case("c x", [], [("wrt", "c"), ("scalar", "c")]),
]
ALL = [*CASES, *EXTRA]
IDS = [c.id for c in ALL]
LIBRARY = {"jax": "jax.numpy", "torch": "torch"}


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def namespace(source: str) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "<mcalc generated>", "exec"), ns)  # noqa: S102 - mcalc's own generated code
    return ns


@functools.cache
def _answers(args: tuple[str, ...]) -> tuple[dict[str, str], dict[str, list[Any]]]:
    sources = {}
    for fmt in ("numpy", "jax", "torch"):
        code, out, err = run(*args, "--format", fmt)
        assert code == 0, err
        sources[fmt] = out
    _, js, _ = run(*args, "--format", "json")
    return sources, json.loads(js)["variables"]


def golden(case: Case, rng_seed: int) -> tuple[dict[str, str], str, dict[str, Any]]:
    """The three sources of a case (by format), its derivative's name and a random point as the NumPy
    module's keyword arguments (well conditioned where inverted, positive where the case says)."""
    sources, variables = _answers(tuple(case.args()))
    values = random_point(case, variables, np.random.default_rng(rng_seed))
    ref = namespace(sources["numpy"])
    (name,) = [k for k in DERIVATIVES if k in ref]
    return sources, name, generated_args(ref[name], values, case)


README = Path(__file__).resolve().parent.parent / "README.md"


def run_readme_examples(tag: str) -> None:
    """The README's ```python jax (torch) blocks, run as one doctest (README line numbers in failures);
    tests/test_readme_python.py runs the plain ```python blocks, which need no framework."""
    out: list[str] = []
    inside = False
    for line in README.read_text(encoding="utf-8").split("\n"):
        fence = line.strip()
        if fence == f"```python {tag}" or (inside and fence == "```"):
            inside = fence != "```"
            out.append("")
            continue
        out.append(line if inside else "")
    test = doctest.DocTestParser().get_doctest("\n".join(out), {}, "README.md", str(README), 0)
    assert len(test.examples) >= 4, f"the README lost its {tag} example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


def public(tree: ast.Module) -> list[tuple[str, list[str]]]:
    return [(n.name, [a.arg for a in n.args.args]) for n in tree.body
            if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]  # fmt: skip


@pytest.mark.parametrize("case", ALL, ids=IDS)
@pytest.mark.parametrize("fmt", ["jax", "torch"])
def test_the_module_is_pure_code_of_its_library_with_the_numpy_modules_functions(case: Case, fmt: str) -> None:
    code, out, err = run(*case.args(), "--format", fmt)
    assert code == 0, err
    _, numpy_out, _ = run(*case.args(), "--format", "numpy")
    tree = ast.parse(out)
    imports = [(a.name, a.asname) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
               for a in n.names]  # fmt: skip
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert len(top) == 1 and imports[0] == (LIBRARY[fmt], "jnp" if fmt == "jax" else None), imports
    inside = {"jax": {("jax", None)}, "torch": set()}[fmt]  # JAX's _sym_sum loops with jax.lax
    assert set(imports[1:]) <= inside, imports
    assert public(tree) == public(ast.parse(numpy_out))  # f, the derivative, f_and_…: the same parameters
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"np", "numpy", "mcalc"}, names
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not calls & {"float", "int", "round"}, out  # no Python number taken from an array: it would not trace
    # pure: nothing is written into an array (no `out[...] += `, no `x[i] = `), no `.item()`
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.AugAssign)], out
    stores = [t for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets]
    assert all(isinstance(t, (ast.Name, ast.Tuple)) for t in stores), out
    assert ".item()" not in out and "errstate" not in out, out


def test_a_symbolic_matrix_power_is_refused_in_one_line_naming_numpy() -> None:
    """Xᵏ with a symbolic k loops k times: a traced function cannot (jit, compile); NumPy's code can."""
    for fmt in ("jax", "torch"):
        code, out, err = run("diff", "X^k", "--wrt", "X", "--scalar", "k", "--format", fmt)
        assert code == 2 and out == "" and len(err.splitlines()) == 1, (code, out, err)
        assert err.startswith(f"error: no {fmt} code: X^k with a symbolic k") and "--format numpy" in err, err
    assert run("diff", "X^k", "--wrt", "X", "--scalar", "k", "--format", "numpy")[0] == 0


def test_the_python_api_names_each_backend_and_refuses_another() -> None:
    d = mcalc.diff("x^T A x", ["x", "x"])
    assert d.jax_source.startswith("import jax.numpy as jnp\n") and "def hessian(x, A):" in d.jax_source
    assert d.torch_source.startswith("import torch\n") and "def hessian(x, A):" in d.torch_source
    assert d.numpy_source.startswith("import numpy as np\n")
    with pytest.raises(mcalc.InputError, match="no backend 'tensorflow': mcalc writes code for numpy, jax, torch"):
        d.to_function(backend="tensorflow")


@pytest.mark.parametrize("fmt", ["jax", "torch"])
def test_a_batch_is_one_module_with_its_import_once(fmt: str) -> None:
    res = CliRunner().invoke(app, ["diff", "-", "--format", fmt], "x^T A x ; x, x\nR^T R ; R\nfoo(X) ; X\n")
    out = res.stdout
    header = {"jax": "import jax.numpy as jnp", "torch": "import torch"}[fmt]
    assert res.exit_code == 2 and out.startswith(header + "\n") and out.count(header) == 1, out
    defined = re.findall(r"^def (\w+)\(", out, flags=re.M)
    assert [d for d in defined if not d.startswith("_")] == [
        "f_1", "hessian_1", "f_and_hessian_1", "f_2", "jacobian_2", "f_and_jacobian_2"
    ]  # fmt: skip
    assert len(defined) == len(set(defined)), defined  # a helper (_float) once
    assert out.rstrip().splitlines()[-1].startswith("# line 3: error: "), out
    ast.parse(out)


@pytest.mark.parametrize("expr", ["tr(expm(X))", "tr(A logm(X))", "expm(X)"])
def test_a_matrix_function_is_refused_in_one_line_naming_numpy(expr: str) -> None:
    """expm, logm, … and their Fréchet derivatives are scipy's in the NumPy module: no JAX or PyTorch
    spelling yet, so one line naming the format that has one (never a module calling an undefined name)."""
    for fmt in ("jax", "torch"):
        code, out, err = run("diff", expr, "--wrt", "X", "--format", fmt)
        assert code == 2 and out == "" and len(err.splitlines()) == 1, (code, out, err)
        assert err.startswith(f"error: no {fmt} code for ") and "--format numpy" in err, err
