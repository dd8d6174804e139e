"""Hostile and extreme inputs of issue 15, each with the input that failed: terminals without Unicode,
output that cannot be written, Ctrl-C, unbounded standard input, control characters, huge numbers,
`.npz` bombs and sizes. Stream and encoding cases drive the real program in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import cli

PYTHON = sys.executable
MCALC = [PYTHON, "-m", "mcalc"]
EXIT_IO = 74
EXIT_INTERRUPTED = 130


def run(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 60, **kw: Any
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*MCALC, *args], capture_output=True, env=full_env, timeout=timeout, check=False, **kw)


# --- 1. terminals without Unicode ---

NO_UNICODE = [{"PYTHONIOENCODING": "ascii"}, {"PYTHONUTF8": "0", "LC_ALL": "C", "PYTHONIOENCODING": ""}]


@pytest.mark.parametrize("env", NO_UNICODE, ids=["PYTHONIOENCODING=ascii", "LC_ALL=C"])
def test_a_terminal_without_unicode_gets_ascii_not_an_internal_error(env: dict[str, str]) -> None:
    out = run(["diff", "tr(A B A^T C)", "--wrt", "A"], env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode("ascii").splitlines()[0] == "d/dA tr(A B A^T C) = C A B + C^T A B^T"
    tensor = run(["diff", "R^T R", "--wrt", "R"], env=env)  # index notation and shapes too
    assert tensor.returncode == 0 and tensor.stdout.isascii(), tensor.stderr
    bad = run(["diff", "tr(A θ", "--wrt", "θ"], env=env)  # an error on an ASCII stderr
    assert bad.returncode == 2 and bad.stderr.isascii() and b"internal error" not in bad.stderr
    assert len(bad.stderr.decode().splitlines()) == 1


@pytest.mark.parametrize("env", NO_UNICODE, ids=["PYTHONIOENCODING=ascii", "LC_ALL=C"])
def test_help_on_a_terminal_without_unicode_is_ascii(env: dict[str, str]) -> None:
    """click writes help in UTF-8 even to an ASCII stream: `Φ θ` and `A=m×n` in diff's help came out as
    bytes the terminal cannot show."""
    out = run(["diff", "--help"], env=env)
    assert out.returncode == 0 and out.stdout.isascii(), out.stdout
    assert b"||y - Phi theta||^2" in out.stdout and b"A=mxn" in out.stdout
    bare = run([], env=env)  # bare `mcalc`: the help, on stderr
    assert bare.stderr.isascii() and b"Usage: mcalc" in bare.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "||y - Φ θ||^2", "--wrt", "θ", "--check", "--seed", "1"],
        ["diff", "R^T R", "--wrt", "R", "--steps"],
        ["check", "x^T A x", "--wrt", "x", "--claim", "2 A x"],
        ["eval", "θ^T θ", "--at", "θ=[1,2]"],
        ["shape", "Φ θ"],
        ["identities", "det"],
    ],
    ids=lambda a: a[0],
)
def test_ascii_flag_on_every_command(args: list[str]) -> None:
    out = run([*args, "--ascii"], env={"PYTHONIOENCODING": "utf-8"})
    assert out.returncode in (0, 1), out.stderr
    assert out.stdout and out.stdout.isascii() and out.stderr.isascii(), out.stdout


# The ASCII derivative read back as input means the same: its value at a point equals --at's value.
ROUND_TRIP = [
    ("tr(A B A^T C)", "A", {"A": (2, 3), "B": (3, 3), "C": (2, 2)}),
    ("x^T A x", "x", {"x": (3,), "A": (3, 3)}),
    ("||y - Φ θ||^2", "θ", {"y": (4,), "Φ": (4, 2), "θ": (2,)}),
    ("a^T X^-1 b", "X", {"a": (3,), "b": (3,), "X": "square3"}),
    ("logdet(X)", "X", {"X": "square3"}),
    ("det(X)", "X", {"X": "square3"}),
    ("sum(log(1 + exp(W x)))", "W", {"W": (2, 3), "x": (3,)}),
    ("||W2 tanh(W1 x) - y||^2", "W1", {"W2": (2, 3), "W1": (3, 2), "x": (2,), "y": (2,)}),
    ("||x||", "x", {"x": (3,)}),
    ("kron(A, B) x", "x", {"A": (2, 2), "B": (2, 3), "x": (6,)}),
    ("tr(X^3)", "X", {"X": (3, 3)}),
    ("sum(x ./ y)", "y", {"x": (3,), "y": "positive3"}),
    ("norm1(A x)", "x", {"A": (3, 2), "x": (2,)}),
]


def _value(spec: Any, rng: np.random.Generator) -> Any:
    if spec == "square3":
        return (np.eye(3) + 0.3 * rng.standard_normal((3, 3))).tolist()
    if spec == "positive3":
        return (1 + rng.random(3)).tolist()
    return rng.standard_normal(spec).tolist()


@pytest.mark.parametrize(("expr", "wrt", "shapes"), ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_ascii_derivative_reads_back_with_the_same_value(expr: str, wrt: str, shapes: dict[str, Any]) -> None:
    rng = np.random.default_rng(15)
    at = [f"--at={name}={json.dumps(_value(spec, rng))}" for name, spec in shapes.items()]
    res = cli("diff", expr, "--wrt", wrt, "--ascii", "--format", "json", *at)
    assert res.code == 0, res.stdout + res.stderr
    payload = res.json
    text = payload["derivative"]
    assert text.isascii() and payload["equation"].isascii(), text
    back = cli("eval", text, "--format", "json", *at)
    assert back.code == 0, (text, back.stdout, back.stderr)
    np.testing.assert_allclose(np.asarray(back.json["value"]), np.asarray(payload["value"]), rtol=1e-9, atol=1e-12)


def test_ascii_mode_is_per_run_not_sticky() -> None:
    assert cli("diff", "tr(A B)", "--wrt", "A", "--ascii").stdout.startswith("d/dA tr(A B) = B^T")
    assert cli("diff", "tr(A B)", "--wrt", "A").stdout.startswith("∂/∂A tr(AB) = Bᵀ")


# --- 2. output errors ---


def test_a_full_disk_is_one_line_and_exit_74() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        out = subprocess.run([*MCALC, "diff", "tr(A B)", "--wrt", "A"], stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == EXIT_IO
    assert out.stderr.decode() == "error: cannot write output: No space left on device\n"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_closed_stdout_is_an_error_not_a_lost_result(fmt: str) -> None:
    out = subprocess.run(
        [*MCALC, "diff", "tr(A B)", "--wrt", "A", "--format", fmt], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=60, preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert out.returncode == EXIT_IO
    assert out.stderr.decode() == "error: cannot write output: standard output is closed\n"


def test_a_closed_stderr_keeps_the_exit_code_and_stdout_clean() -> None:
    out = subprocess.run(
        [*MCALC, "diff", "tr(A B", "--wrt", "A"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60,
        preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert (out.returncode, out.stdout) == (2, b"")


def test_a_closed_stdin_is_a_clean_error() -> None:
    out = subprocess.run(
        [*MCALC, "diff", "-", "--wrt", "A"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
        preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.decode() == "error: cannot read standard input: it is closed\n"


def _batch_process(sigint: Any = None) -> subprocess.Popen[bytes]:
    """`mcalc diff -`; with `sigint`, started with that disposition of SIGINT (as a shell starts it)."""
    return subprocess.Popen(
        [*MCALC, "diff", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=None if sigint is None else lambda: signal.signal(signal.SIGINT, sigint),
    )


def test_a_broken_pipe_ends_quietly() -> None:
    batch = b"tr(A B) ; A\n" * 20_000
    with _batch_process() as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(batch[:2000])
        proc.stdin.flush()
        assert proc.stdout.readline() == b"line 1: tr(A B)\n"  # the first block's header (README § Output)
        proc.stdout.close()  # `| head -1`
        try:
            proc.stdin.write(batch)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        code = proc.wait(timeout=60)
        assert code in (-signal.SIGPIPE, 141)  # killed by SIGPIPE like other Unix tools (the shell says 141)
        assert proc.stderr.read() == b""


# --- 3. Ctrl-C ---


def test_ctrl_c_during_a_batch_exits_130_without_a_traceback() -> None:
    """Started as a shell starts a foreground command (SIGINT at its default): the test suite itself may run
    as a background job of a script, whose children inherit SIGINT ignored (this test failed so, exit 0)."""
    with _batch_process(sigint=signal.SIG_DFL) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"tr(A B) ; A\n")
        proc.stdin.flush()
        first = proc.stdout.readline()  # answered while the input stays open: streaming
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert first and (proc.returncode, err) == (EXIT_INTERRUPTED, b""), (first, out, err, proc.returncode)


def test_a_batch_started_with_ctrl_c_ignored_keeps_ignoring_it() -> None:
    """`nohup mcalc diff - …`, or a background job of a script: SIGINT was ignored when mcalc started, and
    it stays so (Unix convention); the batch answers every line and ends with its input."""
    with _batch_process(sigint=signal.SIG_IGN) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"tr(A B) ; A\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == b"line 1: tr(A B)\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(b"x^T x ; x\n", timeout=30)
        assert proc.returncode == 0 and b"line 2: x^T x" in out and err == b""


@pytest.mark.parametrize("delay", [0.15, 0.3])
def test_ctrl_c_during_start_up_imports_exits_130_without_a_traceback(delay: float) -> None:
    args = [*MCALC, "diff", "x^T A x", "--wrt", "x", "--check"]
    default = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731 - as a shell starts it
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default) as proc:
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert b"Traceback" not in err
        assert proc.returncode in (EXIT_INTERRUPTED, 0)  # 0: it finished before the signal came


# --- 4. standard input: capped, streamed, split on \n only ---


def test_dev_zero_is_refused_quickly_naming_the_limit() -> None:
    with open("/dev/zero", "rb") as zero:
        start = time.monotonic()
        out = subprocess.run([*MCALC, "diff", "-"], stdin=zero, capture_output=True, timeout=30)
    assert time.monotonic() - start < 10
    assert out.returncode == 2
    lines = out.stderr.decode().splitlines()
    assert len(lines) == 1 and "longer than 101,000 characters" in lines[0], lines


def test_batch_lines_split_on_newline_only() -> None:
    batch = "tr(A\u2028B) ; A\n\x0c\ntr(A\x1cB ; A\ntr(A B) ; A\n".encode()
    out = run(["diff", "-", "--format", "json"], input=batch)
    objs = [json.loads(line) for line in out.stdout.decode().splitlines()]
    # str.splitlines would see 7 lines; `wc -l` and editors see 4: line 2 (a form feed) is blank
    assert [o.get("line") for o in objs if "error" in o] == [3]
    assert objs[0]["derivative"] == "Bᵀ"  # U+2028 is whitespace inside line 1, not a line break
    assert objs[-1]["derivative"] == "Bᵀ" and len(objs) == 3


def test_the_first_answer_of_a_batch_comes_before_the_input_ends() -> None:
    with _batch_process() as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"x^T A x ; x\n")
        proc.stdin.flush()
        assert proc.stdout.readline().decode() == "line 1: x^T A x\n"  # a block per line (README § Output)
        assert proc.stdout.readline().decode().startswith("∂/∂x (xᵀAx)")
        while proc.stdout.readline().strip():  # the rest of the first block, to its blank line
            pass
        proc.stdin.write(b"tr(A B) ; A\n")
        proc.stdin.close()
        assert proc.stdout.readline().decode() == "line 2: tr(A B)\n"
        assert proc.stdout.readline().decode().startswith("∂/∂A tr(AB)")
        proc.wait(timeout=30)


def test_a_homework_sheet_is_answered_line_by_line(tmp_path: Path) -> None:
    fifo = tmp_path / "sheet.txt"
    os.mkfifo(fifo)
    args = [*MCALC, "check", "--file", str(fifo)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        with open(fifo, "w", encoding="utf-8") as sheet:
            sheet.write("tr(A B) ; A ; B^T\n")
            sheet.flush()
            assert proc.stdout.readline().decode().split("\t")[:5] == ["1", "tr(A B)", "A", "B^T", "correct"]
            sheet.write("x^T x ; x ; x\n")
        assert proc.stdout.readline().decode().split("\t")[4] == "factor"
        assert proc.wait(timeout=30) == 1


# --- 5. control characters typed by the user never reach the terminal raw ---

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u202e\x9b31m"
RAW = [b"\x1b", b"\x07", "\u202e".encode(), "\x9b".encode()]


def _no_raw_controls(data: bytes) -> None:
    for raw in RAW:
        assert raw not in data, (raw, data)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_sheet_with_escape_sequences_is_shown_escaped(tmp_path: Path, fmt: str) -> None:
    sheet = tmp_path / f"sheet{HOSTILE}.txt"
    sheet.write_text(
        f"tr(A B) ; A ; B^T\n{HOSTILE}tr(A B) ; A ; B^T\ntr(A B) ; A{HOSTILE} ; B^T\nx ; x ; {HOSTILE}\n",
        encoding="utf-8",
    )
    out = run(["check", "--file", str(sheet), "--format", fmt])
    _no_raw_controls(out.stdout + out.stderr)
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 4 and out.returncode == 2
    if fmt == "json":
        objs = [json.loads(line) for line in lines]
        assert objs[1]["expression"].startswith(HOSTILE)  # escaped in JSON, the same string when read
    else:
        assert all(len(line.split("\t")) == 6 for line in lines)
        assert "\\x1b[2J" in lines[1]
    missing = run(["check", "--file", str(tmp_path / f"gone{HOSTILE}.txt")])  # the file name, in an error
    _no_raw_controls(missing.stderr)
    assert missing.returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["diff", f"tr(A B){HOSTILE}", "--wrt", "A"],
        ["diff", "tr(A B)", "--wrt", f"A{HOSTILE}"],
        ["diff", "tr(A B)", "--wrt", f"A{HOSTILE}", "--format", "json"],
        ["check", "tr(A B)", "--wrt", "A", "--claim", f"B{HOSTILE}"],
        ["eval", "x", "--at", f"x{HOSTILE}=[1]"],
        ["eval", "x", "--at", f"{HOSTILE}.npz"],
        ["shape", f"{HOSTILE}x"],
        ["identities", HOSTILE],
    ],
)
def test_user_text_in_errors_and_echoes_is_escaped(args: list[str]) -> None:
    out = run(args)
    _no_raw_controls(out.stdout + out.stderr)
    assert out.returncode == 2 or args[0] == "identities"
    assert b"internal error" not in out.stderr


def test_a_batch_line_with_controls_is_escaped_in_text_and_json() -> None:
    batch = f"tr(A B) ; A\n{HOSTILE} ; A\n".encode()
    for fmt in ("text", "json"):
        out = run(["diff", "-", "--format", fmt], input=batch)
        _no_raw_controls(out.stdout + out.stderr)
        assert out.returncode == 2


# --- 6. numbers beyond Python's 4,300-digit int-to-text limit ---

BIG_NUMBERS = [
    "((2^64)^64)^64 x",  # 78,914 digits if computed: stays a power
    "(" + "9" * 300 + ")^64 x",  # a 300-digit base to the 64th
    "x" + "²" * 5000,  # 5,000 superscript digits
    "*".join(["9" * 300] * 20) + " x",  # a product of 6,000 digits
]


@pytest.mark.parametrize("expr", BIG_NUMBERS, ids=["nested-powers", "300-digit-base", "superscripts", "product"])
@pytest.mark.parametrize("extra", [[], ["--check", "--seed", "1"], ["--format", "json"]], ids=["text", "check", "json"])
def test_huge_numbers_are_answered_or_refused_naming_the_limit(expr: str, extra: list[str]) -> None:
    res = cli("diff", expr, "--wrt", "x", *extra)
    text = res.stdout + res.stderr
    assert "internal error" not in text and "ValueError" not in text, text[:300]
    assert res.code in (0, 1, 2)
    if res.code == 2:
        assert "digits" in text and len(text.strip().splitlines()) == 1


@pytest.mark.parametrize("expr", ["1e300^1e300 x^T x", "(9^9)^(9^9) * sum(x)", "sum(x.^(2^2^2^2^2)) * 7^5000"])
def test_the_sympy_export_refuses_a_power_it_would_compute_exactly(expr: str) -> None:
    """SymPy evaluates a power of numbers that mcalc keeps a power: (10³⁰⁰)^(10³⁰⁰) ran past 60 s."""
    res = cli("diff", expr, "--wrt", "x", "--format", "sympy")
    assert res.code == 2 and res.stderr.count("\n") == 1, res.stderr
    assert "digits" in res.stderr and "--format" in res.stderr


def test_the_sympy_export_keeps_a_small_power_of_a_number() -> None:
    res = cli("diff", "sum(x.^(2^2^2^2^2))", "--wrt", "x", "--format", "sympy")
    assert res.code == 0 and "65536*HadamardPower(x, 65535)" in res.stdout


def test_a_power_too_long_to_compute_exactly_stays_a_power() -> None:
    res = cli("diff", "((2^64)^64)^64 x", "--wrt", "x", "--format", "json")
    assert res.code == 0 and res.json["derivative"] == "18446744073709551616⁴⁰⁹⁶ I"


# --- 7. .npz files and sizes within the element budget (default 10^7, MCALC_MAX_ELEMENTS) ---


def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def _zip_bomb(path: Path, rows: int) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((rows, 1000)))
            zeros = bytes(8 * 1000 * 100)
            for _ in range(rows // 100):
                member.write(zeros)
    return path


def _lying_header(path: Path, shape: tuple[int, ...]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", _npy_header(shape) + bytes(64))
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda p: _zip_bomb(p / "bomb.npz", 12_000),  # 96 MB of zeros stored in about 100 KB
        lambda p: _lying_header(p / "tera.npz", (1_000_000, 1_000_000)),  # a header claiming 10^12 numbers
        lambda p: _lying_header(p / "overflow.npz", (2**62, 2**62)),
    ],
    ids=["zip-bomb", "10^12-header", "overflow-header"],
)
def test_npz_files_are_sized_before_they_are_read(tmp_path: Path, make: Any) -> None:
    path = make(tmp_path)
    res = cli("eval", "sum(x)", "--at", str(path))
    assert res.code == 2, res.stdout + res.stderr
    assert "MCALC_MAX_ELEMENTS" in res.stderr and len(res.stderr.splitlines()) == 1


def test_the_element_budget_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    np.savez(tmp_path / "v.npz", x=np.ones(2000))
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "1000")
    assert cli("eval", "sum(x)", "--at", str(tmp_path / "v.npz")).code == 2
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "5000")
    assert cli("eval", "sum(x)", "--at", str(tmp_path / "v.npz")).code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["x^T x", "--wrt", "x", "--shape", "x=100000000", "--check"],
        ["x^T A x", "--wrt", "x", "--shape", "A=100000x100000", "--check"],
        ["R^T R", "--wrt", "R", "--shape", "R=100x100", "--check"],  # a 10^4 × 10^4 value tensor
    ],
)
def test_sizes_are_refused_before_allocating(args: list[str]) -> None:
    start = time.monotonic()
    res = cli("diff", *args)
    assert res.code == 2 and "MCALC_MAX_ELEMENTS" in res.stderr, res.stdout + res.stderr
    assert time.monotonic() - start < 10


def test_a_15_fold_kronecker_product_at_values_is_refused(tmp_path: Path) -> None:
    names = [f"A{i}" for i in range(1, 16)]
    expr = "sum(" + "".join(f"kron({n}, " for n in names[:-1]) + names[-1] + ")" * 14 + " x)"
    values = {n: np.array([[1.0, 2.0], [3.0, 4.0]]) for n in names} | {"x": np.ones(2**15)}
    np.savez(tmp_path / "k.npz", **values)  # type: ignore[arg-type]
    res = cli("diff", expr, "--wrt", "x", "--at", str(tmp_path / "k.npz"))
    assert res.code == 2 and "MCALC_MAX_ELEMENTS" in res.stderr, res.stdout + res.stderr
