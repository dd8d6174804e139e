"""Shared test helpers: the golden-file format, an in-process driver for the CLI, random test points and
an independent central-finite-difference oracle.

Nothing here imports mcalc's calculus, simplifier or numeric layers: the oracle evaluates the user's
function with plain numpy (each case spells it out in numpy), so a wrong derivative cannot be hidden by
a matching bug in mcalc's own evaluator.

Golden files (sqlglot-style fixtures): one case per block, blocks separated by blank lines.

    # source: seed 003 (Duchi), ∇_A tr(AB) = Bᵀ
    # wrt: A
    # numpy: tr(A @ B)
    tr(A B)
    ∂/∂A tr(AB) = Bᵀ
    shape: m×n

`# key: value` lines are metadata (a key may repeat: `# wrt: x` twice is a second derivative), other
`#` lines are comments; the first other line is the input and the rest of the block is the expected
output. A block of only comments (such as the file header) is kept as it is. `# xfail: core bug: …`
marks a case whose expected text is the textbook form mcalc does not print yet; `--update-goldens`
never overwrites those.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

# The suite's one seed (README § Tests): every random draw is derived from it and from the case, never
# from hash order or the clock, so a failure replays with the same MCALC_TEST_SEED.
TEST_SEED = int(os.environ.get("MCALC_TEST_SEED", "0"))
# MCALC_DEEP_TESTS=1: property and fuzz runs at their full depth (the default run is smaller, same code)
DEEP = os.environ.get("MCALC_DEEP_TESTS", "") not in ("", "0")


def seeded(*parts: object) -> int:
    """A seed for one case: the suite's seed mixed with what identifies the case (stable across runs)."""
    return zlib.crc32(repr((TEST_SEED, *parts)).encode()) % 2**31


def depth(quick: int, full: int) -> int:
    """How many examples a property or fuzz test draws: `full` under MCALC_DEEP_TESTS=1."""
    return full if DEEP else quick


META = re.compile(r"^#\s*([a-z_]+):\s?(.*)$")

# --------------------------------------------------------------------------------------------------
# golden files
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One block of a golden file."""

    input: str | None
    expected: list[str]
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the raw header lines (metadata and comments)
    lineno: int = 0
    path: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.meta:
            if k == key:
                return v
        return default

    def all(self, key: str) -> list[str]:
        """Every value of a repeatable key, comma-separated values split."""
        out: list[str] = []
        for k, v in self.meta:
            if k == key:
                out.extend(p.strip() for p in v.split(",") if p.strip())
        return out

    def all_raw(self, key: str) -> list[str]:
        """Every value of a repeatable key, as written (commas kept)."""
        return [v for k, v in self.meta if k == key]

    @property
    def id(self) -> str:
        wrt = ",".join(self.all("wrt"))
        extra = f" [{self.get('layout')}]" if self.get("layout") else ""
        if self.get("symmetric"):
            extra += f" [symmetric {','.join(self.all('symmetric'))}]"
        return f"{self.input} ; {wrt}{extra}" if wrt else f"{self.input}{extra}"


def load_golden(name: str) -> list[Case]:
    path = GOLDEN_DIR / name
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.strip() == "":
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((number, raw.rstrip("\n")))
    if current:
        blocks.append(current)
    cases: list[Case] = []
    for block in blocks:
        case = Case(input=None, expected=[], lineno=block[0][0], path=str(path))
        for number, line in block:
            if case.input is None and line.startswith("#"):
                case.lines.append(line)
                m = META.match(line)
                if m:
                    case.meta.append((m.group(1), m.group(2).strip()))
                else:
                    case.comments.append(line)
            elif case.input is None:
                case.input = line
                case.lineno = number
            else:
                case.expected.append(line)
        cases.append(case)
    return cases


def golden_cases(name: str) -> list[Case]:
    """The cases of a golden file that have an input (header blocks left out)."""
    return [c for c in load_golden(name) if c.input is not None]


def write_golden(name: str, cases: Sequence[Case]) -> None:
    out: list[str] = []
    for case in cases:
        block = list(case.lines)
        if case.input is not None:
            block.append(case.input)
            block.extend(case.expected)
        out.append("\n".join(block))
    (GOLDEN_DIR / name).write_text("\n\n".join(out) + "\n", encoding="utf-8")


def load_tool(name: str) -> Any:
    """A script of tools/ (not a package) imported as a module, for the sync tests."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def golden_updates(request: pytest.FixtureRequest, name: str) -> Iterator[dict[int, list[str]]]:
    """Body of a module fixture: collects actual outputs, written back with --update-goldens."""
    collected: dict[int, list[str]] = {}
    yield collected
    if request.config.getoption("--update-goldens") and collected:
        update_golden(name, collected)


def golden_params(cases: Iterable[Case], id_of: Callable[[Case], str]) -> list[Any]:
    """One pytest param per case; a case with `# xfail: …` is a strict xfail with that reason."""

    def marks(c: Case) -> list[Any]:
        return [pytest.mark.xfail(strict=True, reason=c.get("xfail"))] if c.get("xfail") else []

    return [pytest.param(c, id=id_of(c), marks=marks(c)) for c in cases]


def update_golden(name: str, actual: Mapping[int, list[str]]) -> None:
    """Rewrite the expected output of the cases (by line number of the input) given in `actual`."""
    cases = load_golden(name)
    for case in cases:
        if case.input is not None and case.lineno in actual and case.get("xfail") is None:
            case.expected = actual[case.lineno]
    write_golden(name, cases)


# --------------------------------------------------------------------------------------------------
# driving the CLI
# --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def cli(*args: str, stdin: bytes | None = None) -> Run:
    """Run `mcalc ARGS` in-process (the same typer app as the console script), `stdin` its standard input."""
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    runner = CliRunner()
    res = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
    stderr = res.stderr if res.stderr_bytes is not None else ""
    stdout = res.stdout
    return Run(res.exit_code, stdout, stderr)


def decl_args(case: Case) -> list[str]:
    """Command-line declarations from a case's metadata."""
    args: list[str] = []
    for key in ("scalar", "vector", "matrix", "symmetric"):
        for v in case.all(key):
            args += [f"--{key}", v]
    for spec in case.meta:
        if spec[0] == "shape":
            args += ["--shape", spec[1]]
    if case.get("layout"):
        args += ["--layout", str(case.get("layout"))]
    return args


def diff_args(case: Case) -> list[str]:
    args = ["diff", str(case.input)]
    for v in case.all("wrt"):
        args += ["--wrt", v]
    return args + decl_args(case)


# --------------------------------------------------------------------------------------------------
# random points
# --------------------------------------------------------------------------------------------------

# distinct sizes, so that a transposed (or otherwise mis-oriented) answer cannot have the right shape
SIZES = (3, 2, 4, 5, 6, 7)


def _known_functions() -> set[str]:
    """The words mcalc reads as functions (the lexer's, with every spelling of the catalogue)."""
    from mcalc.syntax.lexer import function_words

    return set(function_words())


KNOWN_FUNCTIONS = _known_functions()


def functions_of(expr: str, params: Iterable[str] = ("t",)) -> dict[str, str]:
    """Names written as NAME(param) in the expression: matrix, vector or scalar functions of a scalar."""
    out: dict[str, str] = {}
    for p in params:
        for m in re.finditer(rf"(?<![\w′'])([^\W\d]\w*)\({re.escape(p)}\)", expr):
            if m.group(1) not in KNOWN_FUNCTIONS:
                out[m.group(1)] = p
    return out


def square_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """Well conditioned, non-symmetric, positive determinant: I + 0.3 R/√n."""
    return np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)


def spd_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    r = rng.standard_normal((n, n)) / np.sqrt(n)
    return np.eye(n) + 0.15 * (r + r.T)


@dataclass
class Point:
    """Values for mcalc (`--at`, the contract's convention: 0-d, 1-d, 2-d arrays, `A′` for derivatives of
    functions of t) and the namespace for the numpy oracle (functions of t as Python callables)."""

    mcalc: dict[str, np.ndarray]
    numpy: dict[str, Any]
    sizes: dict[str, int]


def make_point(
    variables: Mapping[str, Sequence[str | int]],
    rng: np.random.Generator,
    *,
    symmetric: Iterable[str] = (),
    positive: Iterable[str] = (),
    unit: Iterable[str] = (),
    functions: Mapping[str, str] | None = None,
    sizes: Sequence[int] = SIZES,
) -> Point:
    """A random point for the variables of `mcalc diff --format json` (name → list of dimensions).

    Each symbolic dimension gets its own size from `sizes` in order of appearance; square matrices are
    I + 0.3R/√n (invertible, non-symmetric, det > 0), symmetric ones SPD; `positive` names get entries
    in [0.5, 1.5] (for log, sqrt, ./), `unit` names in [−0.4, 0.4] (for arcsin, arccos: W x + b stays
    inside (−1, 1)); a function of t, F(t) = F₀ + tF₁ + t²F₂, is given to mcalc as
    F(t₀), F′(t₀), F′′(t₀).
    """
    symmetric = set(symmetric)
    positive = set(positive)
    unit = set(unit)
    functions = dict(functions or {})
    dim_size: dict[str, int] = {}
    pool = list(sizes)

    def size(d: str | int) -> int:
        if isinstance(d, int):
            return d
        if "·" in d:  # a product of dimensions, such as m·n for vec(A)
            return int(np.prod([size(p) for p in d.split("·")]))
        if d.isdigit():
            return int(d)
        if d not in dim_size:
            dim_size[d] = pool.pop(0)
        return dim_size[d]

    def draw(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name in positive:
            return rng.uniform(0.5, 1.5, size=shape)
        if name in unit:
            return rng.uniform(-0.4, 0.4, size=shape)
        if len(shape) == 2 and name in symmetric:
            return spd_matrix(rng, shape[0])
        if len(shape) == 2 and shape[0] == shape[1] and len(set(variables[name])) == 1:
            return square_matrix(rng, shape[0])
        if len(shape) == 0:
            return np.asarray(rng.uniform(0.5, 1.5))
        return rng.standard_normal(shape)

    mc: dict[str, np.ndarray] = {}
    ns: dict[str, Any] = {}
    for name, dims in variables.items():
        shape = tuple(size(d) for d in dims)
        if name in functions:
            continue
        mc[name] = draw(name, shape)
        ns[name] = mc[name]
    for name, param in functions.items():
        shape = tuple(size(d) for d in variables[name])
        t0 = float(mc[param])
        f0 = draw(name, shape)
        f1 = 0.5 * rng.standard_normal(shape)
        f2 = 0.25 * rng.standard_normal(shape)
        if name in symmetric and len(shape) == 2:
            f1, f2 = f1 + f1.T, f2 + f2.T
        # F(t) = F₀ + (t − t₀)F₁ + (t − t₀)²F₂: F(t₀) = F₀ is the well-conditioned draw
        mc[name] = np.asarray(f0)
        mc[name + "′"] = np.asarray(f1)
        mc[name + "′′"] = np.asarray(2 * f2)  # the one spelling mcalc reads (numeric.evaluate.function_key)
        ns[name] = _function(f0, f1, f2, t0)
    return Point(mc, ns, dim_size)


def _function(f0: Any, f1: Any, f2: Any, t0: float) -> Callable[[Any], Any]:
    def f(t: Any) -> Any:
        s = float(t) - t0
        return f0 + s * f1 + s * s * f2

    return f


def save_npz(path: Path, values: Mapping[str, np.ndarray]) -> Path:
    np.savez(path, **{k: np.asarray(v, dtype=float) for k, v in values.items()})
    return path


# --------------------------------------------------------------------------------------------------
# the numpy oracle
# --------------------------------------------------------------------------------------------------


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _logdet(x: Any) -> Any:
    sign, value = np.linalg.slogdet(x)
    assert sign > 0, "test point has det ≤ 0"
    return value


def _diag(x: Any) -> Any:
    return np.diag(x)


NUMPY_NAMESPACE: dict[str, Any] = {
    "np": np,
    "tr": np.trace,
    "det": np.linalg.det,
    "logdet": _logdet,
    "inv": np.linalg.inv,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "sign": np.sign,
    "sum": np.sum,
    "outer": np.outer,
    "kron": np.kron,
    "diag": _diag,
    "vec": lambda m: np.asarray(m).reshape(-1, order="F"),
    "norm": np.linalg.norm,
    "norm1": lambda x: np.abs(x).sum(),
    "eye": np.eye,
    "mpow": np.linalg.matrix_power,
}


def numpy_function(source: str) -> Callable[[Mapping[str, Any]], np.ndarray]:
    code = compile(source, f"<numpy: {source}>", "eval")

    def f(values: Mapping[str, Any]) -> np.ndarray:
        ns = dict(NUMPY_NAMESPACE)
        ns.update(values)
        return np.asarray(eval(code, ns), dtype=float)  # noqa: S307 - test oracles written in this repo

    return f


def _partials(
    f: Callable[[Mapping[str, Any]], np.ndarray],
    values: Mapping[str, Any],
    var: str,
    symmetric: bool,
    h: float,
) -> np.ndarray:
    base = np.asarray(values[var], dtype=float)
    out0 = np.asarray(f(values))
    res = np.zeros(out0.shape + base.shape)
    for idx in np.ndindex(*base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += h
        minus[idx] -= h
        vp = dict(values)
        vp[var] = plus
        vm = dict(values)
        vm[var] = minus
        res[(Ellipsis, *idx)] = (np.asarray(f(vp)) - np.asarray(f(vm))) / (2 * h)
    if symmetric:
        if base.ndim != 2:
            raise AssertionError(f"{var} is declared symmetric but is not a matrix")
        res = 0.5 * (res + np.swapaxes(res, -1, -2))
    return res


def central_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of one array, entry by entry (plain numpy, no mcalc)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[idx] = h
        out[idx] = (f(x + step) - f(x - step)) / (2 * h)
    return out


def finite_difference(
    f: Callable[[Mapping[str, Any]], np.ndarray],
    values: Mapping[str, Any],
    wrt: Sequence[str],
    symmetric: Iterable[str] = (),
) -> np.ndarray:
    """Central differences in the contract's convention: shape(f) + shape(var) (+ shape(var2)), entry
    [i…, k…] = ∂f[i…]/∂var[k…]; a symmetric variable gets ½(∂f/∂S_kl + ∂f/∂S_lk)."""
    sym = set(symmetric)
    if len(wrt) == 1:
        return _partials(f, values, wrt[0], wrt[0] in sym, 1e-5)
    # nested differences: the step grows with the order so that round-off (ε/hⁿ) stays below 1e-7
    h = {2: 1e-4, 3: 1e-3}.get(len(wrt), 1e-2)
    inner = f
    for var in wrt[:-1]:
        inner = _differenced(inner, var, var in sym, h)
    return _partials(inner, values, wrt[-1], wrt[-1] in sym, h)


def _differenced(
    f: Callable[[Mapping[str, Any]], np.ndarray], var: str, symmetric: bool, h: float
) -> Callable[[Mapping[str, Any]], np.ndarray]:
    def g(v: Mapping[str, Any]) -> np.ndarray:
        return _partials(f, v, var, symmetric, h)

    return g


def assert_close(actual: Any, expected: np.ndarray, *, rtol: float = 1e-5, what: str = "") -> None:
    """Entry-by-entry comparison; the tolerance is relative to the largest entry (and at least 1e-6)."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: value has shape {actual.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    err = np.abs(actual - expected)
    worst = float(err.max()) if err.size else 0.0
    if worst > rtol * scale:
        idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        raise AssertionError(
            f"{what}: entry {tuple(int(i) for i in idx)} is {actual[idx]!r}, finite differences give "
            f"{expected[idx]!r} (max error {worst:.3g}, tolerance {rtol * scale:.3g})\n"
            f"value:\n{np.array2string(actual, precision=5)}\nfinite differences:\n"
            f"{np.array2string(expected, precision=5)}"
        )


def nontrivial(expected: np.ndarray) -> bool:
    return bool(np.max(np.abs(expected)) > 1e-8) if np.size(expected) else False


# --------------------------------------------------------------------------------------------------
# one numeric check, end to end through the contract
# --------------------------------------------------------------------------------------------------


def check_numeric(
    expr: str,
    wrt: Sequence[str],
    numpy_src: str,
    tmp_path: Path,
    rng: np.random.Generator,
    *,
    extra_args: Sequence[str] = (),
    symmetric: Iterable[str] = (),
    positive: Iterable[str] = (),
    unit: Iterable[str] = (),
    params: Iterable[str] = ("t",),
    allow_zero: bool = False,
) -> np.ndarray:
    """Differentiate through `mcalc diff … --at FILE.npz --format json` and compare `value` with central
    finite differences of the numpy function `numpy_src` at a random point of distinct sizes."""
    wrt_args = [a for v in wrt for a in ("--wrt", v)]
    base = ["diff", expr, *wrt_args, *extra_args, "--format", "json"]
    first = cli(*base)
    assert first.code == 0, f"{expr}: exit {first.code}: {first.stdout}{first.stderr}"
    variables = first.json["variables"]
    names = first.json["wrt"]
    wrt = [names] if isinstance(names, str) else list(names)  # as mcalc spells them (theta → θ)
    symmetric = set(symmetric)
    f = numpy_function(numpy_src)
    # a point where the derivative is not identically zero (relu(x) at an all-negative x says nothing):
    # up to five draws, each from the seeded generator, so the point is the same on every run
    for _ in range(5):
        point = make_point(
            variables, rng, symmetric=symmetric, positive=positive, unit=unit, functions=functions_of(expr, params)
        )
        expected = finite_difference(f, point.numpy, list(wrt), symmetric)
        if allow_zero or nontrivial(expected):
            break
    npz = save_npz(tmp_path / "values.npz", point.mcalc)
    run = cli(*base, "--at", str(npz))
    assert run.code == 0, f"{expr}: exit {run.code}: {run.stdout}{run.stderr}"
    value = np.asarray(run.json["value"], dtype=float)
    what = f"{expr} by {','.join(wrt)} (sizes {point.sizes})"
    assert_close(value, expected, what=what, rtol=1e-5 if len(wrt) == 1 else 1e-4)
    if not allow_zero:
        assert nontrivial(expected), f"{what}: the derivative is zero at the test point; the check is vacuous"
    return value


def on_a_terminal(
    cmd: list[str], env: Mapping[str, str], stdin_too: bool = True, timeout: float = 60
) -> tuple[int, str]:
    """Run `cmd` with stdout and stderr (and stdin, unless `stdin_too` is False: then /dev/null) on one
    pseudo-terminal; its exit code and what it showed."""
    import pty

    master, slave = pty.openpty()
    try:
        stdin = slave if stdin_too else subprocess.DEVNULL
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=slave, stderr=slave, env=dict(env))
        os.close(slave)
        chunks: list[bytes] = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=timeout)
    finally:
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")
