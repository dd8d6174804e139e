"""`--format latex`: golden output for every case of tests/golden/latex.txt, each line rendered by a real
LaTeX-math renderer, so a fragment that does not typeset fails.

- matplotlib's mathtext (`math_to_image` into a BytesIO) renders every golden equation and every line
  of `--steps --format latex`; it is a test dependency, so this always runs.
- KaTeX (`npm install katex`, run by node) checks the same strings against a stricter, real-LaTeX
  parser when node can `require("katex")` (set NODE_PATH to the node_modules that holds it).

Regenerate the goldens with MCALC_UPDATE_GOLDENS=1 and review the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcalc.cli.app import app

GOLDEN = Path(__file__).resolve().parent / "golden" / "latex.txt"
UPDATE = os.environ.get("MCALC_UPDATE_GOLDENS") == "1"
META = re.compile(r"^#\s*([a-z_]+):\s?(.*)$")


@dataclass
class Case:
    input: str
    expected: list[str]
    meta: list[tuple[str, str]] = field(default_factory=list)
    lineno: int = 0

    def all(self, key: str) -> list[str]:
        return [p.strip() for k, v in self.meta if k == key for p in v.split(",") if p.strip()]

    def args(self) -> list[str]:
        out = ["diff", self.input]
        for v in self.all("wrt"):
            out += ["--wrt", v]
        for key in ("scalar", "vector", "matrix", "symmetric", "shape", "layout"):
            for v in self.all(key):
                out += [f"--{key}", v]
        return out

    @property
    def id(self) -> str:
        return f"{self.input} ; {','.join(self.all('wrt'))}" + "".join(f" [{v}]" for v in self.all("layout"))


def load_cases(path: Path = GOLDEN) -> list[Case]:
    """Blocks separated by blank lines: `# key: value` metadata, other `#` comments, the input line,
    then the expected output lines."""
    cases: list[Case] = []
    block: list[tuple[int, str]] = []
    for number, raw in enumerate([*path.read_text(encoding="utf-8").splitlines(), ""], start=1):
        if raw.strip():
            block.append((number, raw))
            continue
        meta: list[tuple[str, str]] = []
        rest: list[tuple[int, str]] = []
        for n, line in block:
            if not rest and line.startswith("#"):
                m = META.match(line)
                if m:
                    meta.append((m.group(1), m.group(2).strip()))
            else:
                rest.append((n, line))
        if rest:
            cases.append(Case(rest[0][1], [line for _, line in rest[1:]], meta, rest[0][0]))
        block = []
    return cases


def write_expected(case: Case, actual: list[str]) -> None:
    """Replace the expected lines of `case` (found by its metadata and input) with `actual`."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    for current in load_cases():
        if (current.input, current.meta) == (case.input, case.meta):
            start = current.lineno  # 1-based line of the input; expected lines follow it
            lines[start : start + len(current.expected)] = actual
            break
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")


CASES = load_cases()


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def mathtext_error(tex: str, image: bool = True) -> str | None:
    """None if matplotlib's mathtext typesets `$tex$` (into a PNG in memory; with image=False only
    parsed and laid out, the same parser without the rasteriser, 5× faster), else its message."""
    from matplotlib import mathtext

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a blank glyph box warns; a parse error raises
            if image:
                mathtext.math_to_image(f"${tex}$", io.BytesIO(), dpi=72, format="png")
            else:
                mathtext.MathTextParser("path").parse(f"${tex}$", dpi=72)
    except Exception as exc:  # noqa: BLE001 - any failure to typeset is the finding
        return f"{type(exc).__name__}: {str(exc).strip()[:400]}"
    return None


def test_the_golden_file_has_at_least_30_cases_of_every_kind() -> None:
    assert len(CASES) >= 30
    assert all(c.expected for c in CASES), "a case without expected output: run with MCALC_UPDATE_GOLDENS=1"
    text = "\n".join(line for c in CASES for line in c.expected)
    for needle in (r"\top", "^{-1}", r"\odot", r"\otimes", r"\frac{d}{dt}", r"\frac{\partial^{2}}", r"\theta"):
        assert needle in text, needle


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_latex(case: Case) -> None:
    code, out, err = run(*case.args(), "--format", "latex")
    assert code == 0, err
    actual = out.splitlines()
    if UPDATE:
        write_expected(case, actual)
        return
    assert actual == case.expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_golden_line_renders_with_mathtext(case: Case) -> None:
    for line in case.expected:
        assert mathtext_error(line) is None, f"{line}\n{mathtext_error(line)}"


@cache
def steps_latex(case_index: int) -> list[str]:
    case = CASES[case_index]
    code, out, err = run(*case.args(), "--format", "latex", "--steps")
    assert code == 0, err
    return out.splitlines()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_every_step_of_every_golden_case_renders_with_mathtext(index: int) -> None:
    lines = steps_latex(index)
    assert len(lines) >= 3, lines  # the equation, then at least two steps
    assert lines[0] == CASES[index].expected[0] or UPDATE
    for line in lines[1:]:
        err = mathtext_error(line, image=False)
        assert err is None, f"{line}\n{err}"


def test_the_issue_example_is_the_textbook_equation() -> None:
    _, out, _ = run("diff", "tr(A B A^T C)", "--wrt", "A", "--format", "latex")
    assert out.strip() == (
        r"\frac{\partial}{\partial A} \operatorname{tr}\left(A B A^{\top} C\right) = C A B + C^{\top} A B^{\top}"
    )


@pytest.mark.parametrize(
    ("expr", "wrt", "extra", "needles"),
    [
        ("a^T X^-1 b", "X", [], [r"X^{-\top}", r"b^{\top}"]),
        ("inv(A(t))", "t", [], [r"A(t)^{-1}", "A'(t)"]),
        ("sum(X .* X .* A)", "X", [], [r"\odot"]),
        ("B C", "B", [], [r"\otimes", "I_{m}"]),
        ("R^T R", "R", [], [r"\otimes", "K_{m,n}"]),
        ("θ^T Σ θ", "θ", [], [r"\theta^{\top}", r"\Sigma"]),
        ("x_0^T W1 x_0", "W1", [], ["x_{0}", "W_{1}"]),
        ("1/2 ||W x - t||^2", "W", [], [r"\frac{1}{2}", r"\left\|"]),
        ("sqrt(x^T x)", "x", [], [r"\left(\sqrt{x^{\top} x}\right)^{-1}"]),
        ("sum(x.^3)", "x", [], [r"x^{\circ 2}"]),
    ],
)
def test_latex_spellings(expr: str, wrt: str, extra: list[str], needles: list[str]) -> None:
    _, out, _ = run("diff", expr, "--wrt", wrt, *extra, "--format", "latex")
    for needle in needles:
        assert needle in out, (needle, out)


def test_tensor_latex_includes_the_index_form_with_kronecker_deltas() -> None:
    _, out, _ = run("diff", "B C", "--wrt", "B", "--format", "latex")
    assert r"\delta_{ik}" in out and "C_{lj}" in out
    for line in out.splitlines():
        assert mathtext_error(line) is None


def test_json_latex_and_equation_latex_render() -> None:
    for case in CASES[:12]:
        _, out, _ = run(*case.args(), "--format", "json")
        obj = json.loads(out)
        for key in ("latex", "equation_latex"):
            assert mathtext_error(obj[key]) is None, (key, obj[key])


# --------------------------------------------------------------------------------------------------
# KaTeX: stricter, and closer to what LaTeX itself accepts
# --------------------------------------------------------------------------------------------------

KATEX_SCRIPT = r"""
const katex = require("katex");
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0);
const bad = [];
for (const line of lines) {
  const tex = JSON.parse(line);
  try { katex.renderToString(tex, { throwOnError: true, strict: "error", displayMode: true }); }
  catch (e) { bad.push({ tex, error: String(e.message) }); }
}
process.stdout.write(JSON.stringify(bad));
"""


def katex_available() -> bool:
    node = shutil.which("node")
    if node is None:
        return False
    proc = subprocess.run([node, "-e", 'require("katex")'], capture_output=True, timeout=60)
    return proc.returncode == 0


@pytest.mark.skipif(not katex_available(), reason="KaTeX not installed (npm install katex; set NODE_PATH)")
def test_every_golden_line_and_step_renders_with_katex() -> None:
    texts = [line for c in CASES for line in c.expected]
    texts += [line for i in range(len(CASES)) for line in steps_latex(i)[1:]]
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, "-e", KATEX_SCRIPT],
        input="\n".join(json.dumps(t) for t in texts),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    bad = json.loads(proc.stdout)
    assert not bad, "\n".join(f"{b['tex']}\n  {b['error']}" for b in bad[:10])


def test_a_long_result_names_its_repeated_parts_in_latex_too() -> None:
    """A 4-layer MLP repeats tanh(W₁x) inside every layer's factor: LaTeX names it as the text does."""
    expr = "sum((W4 tanh(W3 tanh(W2 tanh(W1 x))) - y).^2)"
    code, out, _ = run("diff", expr, "--wrt", "W1", "--format", "latex")
    assert code == 0
    lines = out.splitlines()
    assert [line.split(" = ")[0] for line in lines[1:]] == [r"\text{where } u_{1}", r"\text{where } u_{2}",
                                                            r"\text{where } u_{3}"]  # fmt: skip
    assert lines[0].count(r"\tanh") == 3  # the input's three; the derivative's are named
    for line in lines:
        assert mathtext_error(line, image=False) is None, line
    code, out, _ = run("diff", expr, "--wrt", "W1", "--format", "json")
    shared = json.loads(out)["shared"]
    assert shared["where_latex"][0] == r"u_{1} = \tanh\left(W_{1} x\right)"
