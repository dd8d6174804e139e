"""A third campaign of hostile and extreme inputs (issue 15's kinds, new inputs): each test holds the input
that failed and checks the cause, not only that input. In-process through the CLI driver where a real
process is not needed."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest

import mcalc
from tests.helpers import cli

# --- slow inputs under the length limit ---


def test_a_long_sum_parses_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each + copied the sum read so far: 50,000 terms took 10 s (27 s under load) to parse, outside the
    time budget, so `mcalc diff -` on one 100,000-character line of x+x+… ran past a minute unanswered.
    Counted, not timed (a timed ratio failed on a loaded machine): the terms the parser puts into sums."""
    from mcalc.syntax import nodes
    from mcalc.syntax.parser import parse_with_notes

    copied = [0]
    make_sum = nodes.Add.__init__

    def counting(self: nodes.Add, terms: tuple[nodes.Node, ...], **kw: Any) -> None:
        copied[0] += len(terms)
        make_sum(self, terms, **kw)

    monkeypatch.setattr(nodes.Add, "__init__", counting)
    tree, _ = parse_with_notes(("x+" * 32_000)[:-1])
    assert isinstance(tree, nodes.Add) and len(tree.terms) == 32_000
    assert copied[0] <= 2 * 32_000  # linear: was 32,000²/2 when each + copied the sum
    product, _ = parse_with_notes("a b * c d")  # juxtaposition and * still make one flat product
    assert len(product.children()) == 4


@pytest.mark.parametrize(
    "expr",
    ["x^T x" + " / 2" * 2_500, "sum(x" + " ./ y" * 2_500 + ")", "sum(x" + " ⊗ y" * 2_500 + ")"],
    ids=["divide-by-2-chain", "./-chain", "kron-chain"],
)
def test_a_chain_deeper_than_the_tree_limit_is_refused_at_once(expr: str) -> None:
    """Every / ./ .* nests what is before it: 20,000 of `/ 2` grew to 1.7 GB before any answer, 10,000 ./
    ran 8 s into a RecursionError."""
    t0 = time.process_time()
    res = cli("diff", expr, "--wrt", "x")
    assert res.code == 2 and res.stderr.count("\n") == 1, res.stderr[:300]
    assert "nested too deeply" in res.stderr and "2,000 levels" in res.stderr
    assert time.process_time() - t0 < 5


def test_a_chain_of_hadamard_products_is_one_flat_node_and_fast() -> None:
    """x_0 .* x_1 .* … nested once per operator: 3,000 factors ran into the time budget (17 s CPU before
    the budget), and past 2,000 the tree-depth limit; ⊙ is associative, so the chain is one flat ⊙."""
    from mcalc.syntax.nodes import Hadamard
    from mcalc.syntax.parser import parse_with_notes

    expr = "sum(" + " .* ".join(f"x_{i}" for i in range(3000)) + ")"
    (chain,) = parse_with_notes(expr)[0].children()
    assert isinstance(chain, Hadamard) and len(chain.factors) == 3000
    t0 = time.process_time()
    result = mcalc.diff(expr, ["x_5", "x_6"])
    assert time.process_time() - t0 < 5  # a hang guard: about 0.3 s
    factors = result.text.removeprefix("diag(").removesuffix(")").split(" ⊙ ")  # ∏ of the other 2,998
    assert len(factors) == 2998 and "x_5" not in factors and "x_6" not in factors, result.text[:80]
    assert cli("diff", "sum(x .* (y .* z) .* exp(x))", "--wrt", "x", "--wrt", "x", "--check").code == 0


def test_a_chain_within_the_tree_limit_is_answered() -> None:
    res = cli("diff", "x^T x" + " / 2" * 100, "--wrt", "x", "--format", "json")
    assert res.code == 0 and res.json["derivative"] == f"1/{2**99} x"


# --- numbers ---


def test_a_json_integer_past_int64_is_a_number() -> None:
    """numpy kept 99999999999999999999 as a Python object: 'value of x is not a numeric array'."""
    res = cli("eval", "x^T x", "--at", "x=[99999999999999999999, 1]", "--format", "json")
    assert res.code == 0 and res.json["value"] == pytest.approx(1e40)
    long = cli("eval", "x^T x", "--at", "x=[" + "9" * 400 + ", 1]")
    assert long.code == 2 and long.stderr == "error: value of x has a number of 400 digits; at most 300\n"


def test_a_negative_seed_is_bad_usage_not_an_internal_error() -> None:
    res = cli("diff", "x^T x", "--wrt", "x", "--check", "--seed", "-1")
    assert res.code == 2 and "internal error" not in res.stderr and "--seed" in res.stderr


# --- numeric comparisons beyond the float range ---


def test_values_beyond_the_float_range_do_not_pass_a_check() -> None:
    """Norms of values near 1e200 overflowed to ∞, and every error relative to ∞ was 0: a wrong claim was
    'correct' and --check of a product of 200 random matrices 'passed, max relative error 0.0'."""
    wrong = cli("check", "1e200 x^T x", "--wrt", "x", "--claim", "1e100 x")
    assert wrong.code == 1 and "correct" not in wrong.stdout, wrong.stdout
    assert wrong.stderr.startswith("error: no random point") and wrong.stderr.count("\n") == 1
    check = cli("diff", "1e200 x^T x", "--wrt", "x", "--check")
    assert check.code == 1 and "passed" not in check.stdout
    assert "Warning" not in check.stderr and check.stderr.count("\n") == 1


def test_check_sizes_stay_within_what_the_budget_assumed(monkeypatch: pytest.MonkeyPatch) -> None:
    """--check drew sizes growing with the number of free dimensions (a 3,000-factor product: 3,000 × 3,000
    factors, 24 GB) while the element budget assumed at most 7."""
    from mcalc.numeric.points import largest_draw, random_sizes

    expr = "tr(" + " ".join(f"A_{i}" for i in range(100)) + ")"
    result = mcalc.diff(expr, "A_5")
    env = result._result.env  # noqa: SLF001 - the shape environment the check draws from
    biggest = max(random_sizes(env, np.random.default_rng(0)).values())
    assert biggest <= largest_draw(env) < 20
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "300")  # 19 × 19 = 361 numbers: refused before drawing
    res = cli("diff", expr, "--wrt", "A_5", "--check")
    assert res.code == 2 and "MCALC_MAX_ELEMENTS" in res.stderr, res.stderr


# --- user text in every output path ---


@pytest.mark.parametrize(
    ("flag", "spec"),
    [("--function", "f(u) = sum(u"), ("--elementwise", "g(t) = t\x1b[2J"), ("--function", "f(u) = sum(u\u202e)")],
)
def test_a_formula_is_read_where_it_is_declared(flag: str, spec: str) -> None:
    """A formula was parsed only when values were asked for: a broken one (or one holding an escape
    sequence) was accepted and the derivative printed, exit 0."""
    expr = "f(x)" if flag == "--function" else "sum(g(x))"
    res = cli("diff", expr, "--wrt", "x", flag, spec)
    assert res.code == 2 and res.stderr.startswith(f"error: in {flag} ") and res.stderr.count("\n") == 1
    assert "\x1b" not in res.stderr and "\u202e" not in res.stderr


@pytest.mark.parametrize("fmt", [[], ["--format", "json"]], ids=["text", "json"])
def test_the_option_parser_s_echo_of_user_text_is_escaped(fmt: list[str]) -> None:
    """`--bogus` followed by U+202E (a right-to-left override) reached the terminal raw in the usage error."""
    res = cli("diff", "x^T x", "--wrt", "x", *fmt, "--bogus\u202e\u200b")
    out = res.stdout + res.stderr
    assert res.code == 2 and "\u202e" not in out and "\u200b" not in out
    assert "--bogus\\u202e\\u200b" in out


def test_the_adjugate_takes_one_lu_far_from_singular_and_the_svd_near_it() -> None:
    """adj(A) came from an SVD always (5 s at 1000×1000): `det(X) --shape X=3000x3000 --check` ran 60 s
    past its 10 s budget. Far from singular it is det(A) A⁻¹; at a singular A the SVD keeps it exact."""
    from mcalc.numeric.evaluate import adjugate

    rng = np.random.default_rng(15)
    a = np.eye(4) + 0.1 * rng.standard_normal((4, 4))
    np.testing.assert_allclose(adjugate(a), np.linalg.det(a) * np.linalg.inv(a), rtol=1e-12)
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])  # adj [[a, b], [c, d]] = [[d, -b], [-c, a]]
    np.testing.assert_allclose(adjugate(singular), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


# --- sizes ---


def test_a_claim_is_sized_before_its_points_are_drawn() -> None:
    """The claims side of `check` had no element budget: a 100,000 × 100,000 A was an internal MemoryError."""
    res = cli("check", "x^T A x", "--wrt", "x", "--claim", "2 A x", "--shape", "A=100000x100000")
    assert res.code == 2 and "MCALC_MAX_ELEMENTS" in res.stderr and res.stderr.count("\n") == 1, res.stderr


def test_all_the_values_of_a_point_together_are_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each array was within the budget, but x^T A_1 x + … + x^T A_3000 x with x of 1,000 held 3,000 of
    them (24 GB) at one point of --check. Here five 10 × 10 matrices against a budget of 120 per array."""
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "120")
    expr = " + ".join(f"x^T {name} x" for name in "ABCDE")
    res = cli("diff", expr, "--wrt", "x", "--shape", "x=10", "--check")
    assert res.code == 2 and "all 6 variables together would hold 510 numbers" in res.stderr, res.stderr
    assert cli("diff", "x^T A x + x^T B x", "--wrt", "x", "--shape", "x=10", "--check").code == 0


# --- .npz files ---


def _npy(shape: tuple[int, ...], descr: str = "<f8", data: bytes = b"") -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def _zip(path: Any, member: bytes, encrypted: bool = False) -> str:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", member)
    if encrypted:  # the flag bit of an encrypted member, in the local and the central header
        data = bytearray(path.read_bytes())
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            data[data.find(sig) + offset] |= 1
        path.write_bytes(bytes(data))
    return str(path)


@pytest.mark.parametrize(
    ("member", "encrypted", "said"),
    [
        (_npy((5,), data=bytes(16)), False, "x is not a valid .npy array"),  # was 'holds Python objects'
        (_npy((1,) * 1000, data=bytes(8)), False, "x is not a valid .npy array"),
        (b"\x93NUMPY\x01\x00\xf0\x00" + b"(" * 200 + b" " * 38 + b"\n", False, "not a valid .npz file"),  # TokenError
        (_npy((10,), "V999999999"), False, "MCALC_MAX_ELEMENTS"),  # 10 entries of 1 GB: was a MemoryError
        (_npy((2,), data=bytes(16)), True, "is encrypted"),  # was a RuntimeError
    ],
    ids=["short-data", "1000-dims", "header-nested-200", "huge-itemsize", "encrypted"],
)
def test_a_malformed_npz_is_one_line_naming_what_is_wrong(
    tmp_path: Any, member: bytes, encrypted: bool, said: str
) -> None:
    path = _zip(tmp_path / "v.npz", member, encrypted)
    res = cli("eval", "x^T x", "--at", path)
    assert res.code == 2 and said in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert "internal error" not in res.stderr and "Python objects" not in res.stderr


@pytest.mark.parametrize("path", ["/dev/null", "/tmp"])
def test_an_at_path_that_is_not_a_regular_file_says_so(path: str) -> None:
    res = cli("eval", "x^T x", "--at", path)
    assert res.code == 2 and res.stderr == f"error: cannot read {path}: not a regular file\n"


# --- output errors (a real process: the output is a device) ---


def test_a_json_usage_error_to_a_full_disk_is_one_line_not_a_traceback() -> None:
    """`mcalc diff … --bogus --format json > /dev/full` printed a 40-line OSError traceback."""
    import subprocess
    import sys
    from pathlib import Path

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        args = [sys.executable, "-m", "mcalc", "diff", "x^T x", "--wrt", "x", "--bogus", "--format", "json"]
        out = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, timeout=60, check=False)
    assert out.returncode == 2
    err = out.stderr.decode()  # click may suggest a near option (--jobs)
    assert err.startswith("error: No such option: --bogus") and err.endswith(" (see 'mcalc diff --help')\n")
    assert err.count("\n") == 1


def test_help_with_the_ascii_flag_is_ascii() -> None:
    """--ascii was read only once the command ran, after --help had printed Φ θ, m×n, Aᵀ∇f on a UTF-8
    terminal (a real run: the flag is read before the option parser)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mcalc", "diff", "--help", "--ascii"], capture_output=True, timeout=60)
    assert out.returncode == 0 and out.stdout.isascii() and b"--wrt" in out.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["eval", "inv(X)", "--at", "X=[[1,1],[1,1]]"], "(condition number inf)"),
        (["diff", "1e308 x", "--wrt", "x"], "at most e+/-300"),
        (["diff", "X^65", "--wrt", "X"], "(Sigma_k X^k dX X^n-1-k)"),
    ],
)
def test_ascii_messages_spell_every_symbol(args: list[str], said: str) -> None:
    """ASCII output spelled ∞, ± and the superscripts ᵏ ⁿ as <U+221E>, <U+00B1>, <U+1D4F>."""
    res = cli(*args, "--ascii")
    assert said in res.stderr and "<U+" not in res.stderr, res.stderr


def test_the_sympy_export_of_a_long_product_is_linear() -> None:
    """--format sympy multiplied the factors pairwise and its printer negated the whole product once per
    factor: tr(A_0 … A_2999) by A_50 ran past 30 s (600 factors: 17 s); now 2 s."""
    expr = "tr(" + " ".join(f"A_{i}" for i in range(400)) + ")"
    t0 = time.process_time()
    res = cli("diff", expr, "--wrt", "A_50", "--format", "sympy")
    assert time.process_time() - t0 < 5  # a hang guard: about 0.7 s (was about 9 s)
    assert res.code == 0 and res.stdout.rstrip().endswith("derivative = " + "*".join(
        [f"A_{i}.T" for i in range(49, -1, -1)] + [f"A_{i}.T" for i in range(399, 50, -1)]
    )), res.stdout[-300:]  # fmt: skip


def test_each_term_of_a_long_product_rule_counts_its_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """d(A B A B …) builds one term per A, each copying all factors: 20,000 factors read the clock 1.2 s
    apart, so the 10 s budget was overrun by a second. Each term now ticks with the product's length."""
    from mcalc import budget

    weights: list[int] = []
    real = budget.tick
    monkeypatch.setattr(budget, "tick", lambda doing, weight=1: (weights.append(weight), real(doing, weight))[1])
    mcalc.diff("tr(" + " ".join(["A B"] * 20) + ")", "A")
    assert weights.count(40) >= 20


def test_a_power_of_a_power_by_a_symbolic_exponent_gives_its_sums_distinct_indices() -> None:
    """d aᵀ(Xᵏ)ᵏb by X nested ∑_r inside ∑_r (one index for both sums): --check FAILED (error 0.27) and
    --at k=2 gave [[108, 310], [0, 108]]. Compared with central differences of numpy's X⁴."""
    x, a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 0.0]), np.array([0.0, 1.0])
    at = ["--at", "k=2", "--at", f"X={x.tolist()}", "--at", "a=[1,0]", "--at", "b=[0,1]"]
    res = cli("diff", "a^T (X^k)^k b", "--wrt", "X", "--scalar", "k", "--format", "json", *at)
    assert res.code == 0, res.stdout + res.stderr
    h, expected = 1e-6, np.zeros((2, 2))
    for i, j in np.ndindex(2, 2):
        e = np.zeros((2, 2))
        e[i, j] = h
        expected[i, j] = (a @ np.linalg.matrix_power(x + e, 4) @ b - a @ np.linalg.matrix_power(x - e, 4) @ b) / (2 * h)
    np.testing.assert_allclose(res.json["value"], expected, rtol=1e-6)
    assert "∑_{s=0}^{k−1} (∑_{r=0}^{k−1}" in res.json["derivative"]


def test_a_check_past_the_drawn_orders_of_a_function_of_t_says_so() -> None:
    """15 times --wrt t of A(t) B(t) with --check: 'no value given for A′′′′′′′′′′′′′′′' (no value was given
    for anything: --check draws A(t) with derivatives up to order 12)."""
    res = cli("diff", "A(t) B(t)", *["--wrt", "t"] * 15, "--check")
    assert res.code == 2 and "derivatives up to order 12" in res.stderr and "order 15" in res.stderr, res.stderr
    assert cli("diff", "A(t) B(t)", *["--wrt", "t"] * 3, "--check").code == 0


def test_a_refusal_by_the_time_budget_is_not_swallowed_by_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """--steps catches whatever a step raises to fall back to a plainer derivation; the time budget stopped
    its clock when it first refused, so after that fallback everything ran unbudgeted: --steps of det(X) by
    X six times printed 1.2 MB after 11 s against a 10 s budget. Past the deadline every tick raises."""
    monkeypatch.setenv("MCALC_TIME_LIMIT", "0.5")
    t0 = time.process_time()
    res = cli("diff", "det(X)", *["--wrt", "X"] * 6, "--steps")
    assert time.process_time() - t0 < 5
    assert res.code == 2 and "time budget of 0.5 s" in res.stderr and res.stdout == "", res.stderr


def test_each_line_of_a_sheet_has_the_whole_time_budget(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet had one budget for all its lines (a batch has one per line): with the clock now refusing
    every step past the deadline, the lines after a slow one must start afresh. (0.2 s: in-process, the first
    line took 0.34-1.35 s in runs on a loaded machine, so at 0.5 s it was sometimes answered, not refused.)"""
    monkeypatch.setenv("MCALC_TIME_LIMIT", "0.2")
    sheet = tmp_path / "sheet.txt"
    slow = "tr(" + " ".join(f"A B{i}" for i in range(3000)) + ") ; A ; B0^T\n"  # tr(ABAB…) is a power now: fast
    sheet.write_text(slow + "tr(A B) ; A ; B^T\n" * 3 + "\n")
    res = cli("check", "--file", str(sheet), "--format", "json")
    verdicts = [json.loads(line) for line in res.stdout.splitlines()]
    assert "time budget" in verdicts[0]["error"] and [v["verdict"] for v in verdicts[1:]] == ["correct"] * 3


# --- standard input ---


def test_a_batch_line_with_carriage_returns_inside_says_so() -> None:
    """Lines ending in \\r alone are one line (split on \\n only): 'tr(A B) ; A\\rx^T x ; x' said
    "unknown option 'x'"; \\r\\n endings still work."""
    res = cli("diff", "-", "--format", "json", stdin=b"tr(A B) ; A\rx^T x ; x\rbad(( ; x\r\ntr(A B) ; A\r\n")
    first, second = (json.loads(line) for line in res.stdout.splitlines())
    assert "carriage return" in first["error"] and first["line"] == 1 and second["derivative"] == "Bᵀ"


@pytest.mark.parametrize(
    "args", [["eval", "-", "--at", "x=[1]"], ["shape", "-"], ["check", "-", "--wrt", "x", "--claim", "2x"]]
)
def test_a_lone_dash_outside_diff_says_where_stdin_is_read(args: list[str]) -> None:
    """`echo "x^T x" | mcalc eval -` said "expected an operand, found end of input at col 2"."""
    res = cli(*args, stdin=b"x^T x\n")
    assert res.code == 2 and "mcalc diff -" in res.stderr and "check --file -" in res.stderr, res.stderr


# --- what campaign 3 noticed and left (mended by the lead) ---


@pytest.mark.parametrize("expr", ["1e+ x", "2E- x", "3e+"])
def test_an_exponent_without_digits_is_refused_not_read_as_the_name_e(expr: str) -> None:
    """`1e+ x` was read as e + x (the 1 vanished into 1·e): a number's exponent with its digits missing."""
    out = cli("diff", expr, "--wrt", "x")
    assert out.code == 2 and "exponent without digits" in out.stderr and len(out.stderr.splitlines()) == 1
    assert cli("diff", "2e x", "--wrt", "x", "--scalar", "e").stdout.startswith("∂(2ex)/∂x")  # e the name


@pytest.mark.parametrize("expr", ["x / (1 - 1)", "x^T x / (2 - 2)", "(3 - 3)^-1 x"])
def test_dividing_by_an_expression_that_is_zero_is_refused(expr: str) -> None:
    """`x / (1 - 1)` printed 0⁻¹ I (exit 0), while `x / 0` was refused."""
    out = cli("diff", expr, "--wrt", "x")
    assert out.code == 1 and "division by zero" in out.stderr and not out.stdout


def test_one_name_given_twice_with_at_is_refused(tmp_path: Any) -> None:
    """`--at x=[1,2] --at x=[3,4]` used the later value without a word; an .npz value may still be
    overridden by a NAME=JSON one."""
    twice = cli("diff", "x^T x", "--wrt", "x", "--at", "x=[1,2]", "--at", "x = [3,4]")
    assert twice.code == 2 and "--at gives x twice" in twice.stderr
    path = tmp_path / "v.npz"
    np.savez(path, x=np.array([1.0, 2.0]))
    over = cli("diff", "x^T x", "--wrt", "x", "--at", str(path), "--at", "x=[3,4]", "--format", "json")
    assert over.code == 0 and over.json["value"] == [6.0, 8.0]


def test_a_long_piece_of_input_is_not_repeated_whole_in_an_error_line() -> None:
    """A 12,000-character --let was echoed whole in its error line; a 5,000-letter --wrt name too."""
    long_let = "e = " + "y + " * 3000 + "("
    out = cli("diff", "x", "--wrt", "x", "--let", long_let)
    assert out.code == 2 and len(out.stderr) < 600 and len(out.stderr.splitlines()) == 1
    assert "expected an operand" in out.stderr and "at col 12002 of the definition" in out.stderr
    name = cli("diff", "x", "--wrt", "a" * 5000)
    assert name.code == 2 and len(name.stderr) < 600 and name.stderr.startswith("error: --wrt")
