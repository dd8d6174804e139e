"""Issue 26 item 10: `mcalc diff - --jobs N` and `mcalc check --file … --jobs N` answer on N processes, in input
order, streaming, each line within its own budget; --jobs 1 is the one-process path; the output and exit code
of --jobs 2 are those of --jobs 1, byte for byte. The real program runs in a subprocess (a pool forked from the
test runner would copy the runner). Also mcalc.parallel alone, and README § Python's scale-out example."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcalc import parallel

MCALC = [sys.executable, "-m", "mcalc"]
README = Path(__file__).resolve().parents[1] / "README.md"

# a batch of every kind of line: answers, comments and blanks, a line that fails in the middle, a line's own
# declarations and a declared function (no values for --check: refused), a wrong shape, a line nested too
# deeply, Greek spelled out
DEEP = "(" * 300 + "x" + ")" * 300
BATCH = f"""x^T A x ; x
# a comment

tr(A B ; A
log det(X) ; X
f(A x) ; x ; --function f
theta^T theta ; theta
x + y^T ; x
sum(exp(x)) ; x ; --shape x=3
{DEEP} ; x
tanh(W x) ; x
""".encode()
SHEET = """x^T A x ; x ; (A + A^T) x
tr(A B) ; A ; B
this line is not a claim
log det(X) ; X ; X^-T
x^T x ; x ; 3 x
"""


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*MCALC, *args], input=stdin, capture_output=True, timeout=120, check=False, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize("fmt", ["json", "text", "numpy"])
def test_a_batch_on_two_processes_is_the_batch_on_one(fmt: str) -> None:
    """Same stdout, stderr and exit code; answers in input order, the failing lines in their places and the
    lines after them answered (NumPy: the module's import and each helper printed once, as on one process)."""
    one = run("diff", "-", "--format", fmt, "--seed", "3", "--check", stdin=BATCH)
    two = run("diff", "-", "--format", fmt, "--seed", "3", "--check", "--jobs", "2", stdin=BATCH)
    assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr, one.returncode)
    assert one.returncode == 2  # the worst line: bad input
    if fmt == "json":
        import json

        objects = [json.loads(line) for line in two.stdout.splitlines()]
        assert [o["line"] for o in objects] == [1, 4, 5, 6, 7, 8, 9, 10, 11]
        assert ["error" in o for o in objects] == [False, True, False, True, False, True, False, True, False]


def test_a_sheet_on_two_processes_is_the_sheet_on_one(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text(SHEET)
    for fmt in ("json", "text"):
        one = run("check", "--file", str(sheet), "--format", fmt, "--seed", "1")
        two = run("check", "--file", str(sheet), "--format", fmt, "--seed", "1", "--jobs", "2")
        assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr, one.returncode)
        assert one.returncode == 2 and one.stdout.count(b"\n") == 5


def test_a_sheet_that_cannot_be_read_is_refused_as_on_one_process(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    for path in (str(empty), str(tmp_path / "missing.txt")):
        one, two = run("check", "--file", path), run("check", "--file", path, "--jobs", "2")
        assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr, one.returncode)
        assert one.returncode == 2 and one.stderr.count(b"\n") == 1


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_below_one_is_a_usage_error(jobs: str) -> None:
    out = run("diff", "-", "--jobs", jobs, stdin=b"x^T x ; x\n")
    assert out.returncode == 2 and out.stdout == b""
    assert out.stderr.count(b"\n") == 1 and b"--jobs" in out.stderr


def _readline(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no answer within {timeout} s")
    return proc.stdout.readline()


def test_the_first_answer_comes_before_the_input_ends() -> None:
    """Through a pipe: line 1 written and the pipe left open; its answer is read back while stdin is
    still open (the pool reads the input on a thread of its own, so a read waiting for line 2 holds
    nothing back). Then the rest, in order."""
    proc = subprocess.Popen(
        [*MCALC, "diff", "-", "--format", "json", "--jobs", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    try:
        proc.stdin.write(b"x^T A x ; x\n")
        proc.stdin.flush()
        first = _readline(proc, timeout=60)
        assert b'"line": 1' in first and proc.poll() is None
        rest = proc.communicate(b"log det(X) ; X\ntr(A B) ; A\n", timeout=60)[0].splitlines()
    finally:
        proc.kill()
    assert [re.search(rb'"line": (\d+)', line)[1] for line in rest] == [b"2", b"3"]  # type: ignore[index]
    assert proc.returncode == 0


def test_each_line_has_its_own_budget() -> None:
    """A line past the time budget is refused in its place; the lines around it are answered (each worker
    starts a line's clock when it starts the line)."""
    slow = "tr(" + " ".join(f"A B{i}" for i in range(3000)) + ") ; A\n"
    batch = ("x^T x ; x\n" + slow + "x^T A x ; x\n").encode()
    out = run("diff", "-", "--format", "json", "--jobs", "2", stdin=batch, env={"MCALC_TIME_LIMIT": "0.3"})
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 3 and "time budget" in lines[1] and '"line": 2' in lines[1]
    assert "derivative" in lines[0] and "derivative" in lines[2] and out.returncode == 2


def _workers(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the workers")
def test_ctrl_c_ends_the_batch_and_its_workers_quietly() -> None:
    """SIGINT to the process group, as a terminal sends it: exit 130, nothing on stderr, no worker left. The
    child starts with SIGINT at its default, as a shell starts a foreground command: a suite run as a
    background job (`pytest … &`) has SIGINT ignored, which its children inherit and keep, by design
    (mcalc.interrupt; tests/test_hostile.py), and this test then saw exit 0."""
    proc = subprocess.Popen(
        [*MCALC, "diff", "-", "--format", "json", "--jobs", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdin is not None
    try:
        proc.stdin.write(b"x^T A x ; x\n")
        proc.stdin.flush()
        _readline(proc, timeout=60)
        workers = _workers(proc.pid)
        assert len(workers) == 2
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (130, b"")
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)


# --- mcalc.parallel on its own ---


def _square_or_fail(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    time.sleep(0.02 * (n % 3))  # later items often finish first
    return n * n


def test_ordered_keeps_input_order_and_each_failure_in_its_place() -> None:
    out: list[Any] = []
    for item, future in parallel.ordered(_square_or_fail, range(8), 2):
        error = future.exception()
        out.append((item, str(error) if error else future.result()))
    assert out == [(0, 0), (1, 1), (2, 4), (3, "three"), (4, 16), (5, 25), (6, 36), (7, 49)]


def test_ordered_reads_a_bounded_window_ahead() -> None:
    """The input is read at most WINDOW_PER_JOB items per worker ahead of the consumer (memory bounded
    whatever the input's length), and a failure to read comes after the answers before it."""
    taken: list[int] = []

    def items() -> Any:
        for n in range(100):
            taken.append(n)
            yield n
        raise OSError("the input broke")

    answers = parallel.ordered(abs, items(), 1)
    first = next(answers)
    time.sleep(0.3)  # let the reader run as far ahead as it may
    assert first[1].result() == 0 and len(taken) <= 1 + parallel.WINDOW_PER_JOB + 1
    rest = []
    with pytest.raises(OSError, match="the input broke"):
        for _, future in answers:
            rest.append(future.result())
    assert rest == list(range(1, 100))


def test_ordered_refuses_no_workers() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(parallel.ordered(abs, [1], 0))


# --- README § Python: the same calls on a process pool and under Dask ---


def _readme_script() -> str:
    """The README's scale-out script (the ```py block that starts `# gradients.py`)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"```py\n(# gradients\.py\n.*?)```", text, re.S)
    assert found, "README § Python lost its scale-out example"
    return found[1]


def _run_script(tmp_path: Path, script: str, *args: str) -> list[str]:
    path = tmp_path / "gradients.py"
    path.write_text(script)
    out = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_readme_process_pool_example(tmp_path: Path) -> None:
    import mcalc

    lines = _run_script(tmp_path, _readme_script())
    assert lines == [mcalc.diff("x^T A x", "x").text, mcalc.diff("log det(X)", "X").text, "Bᵀ"]


def test_readme_dask_example(tmp_path: Path) -> None:
    pytest.importorskip("dask")
    import mcalc

    lines = _run_script(tmp_path, _readme_script(), "dask")
    assert lines == [mcalc.diff("x^T A x", "x").text, mcalc.diff("log det(X)", "X").text, "Bᵀ"]


@pytest.mark.parametrize("words", [["diff", "-"], ["check", "--file", "sheet.txt"]], ids=["diff", "check"])
def test_jobs_is_completed(words: list[str]) -> None:
    """Tab completion offers --jobs on both commands that take it (the scripts ask mcalc itself)."""
    line = ["mcalc", *words, "--jo"]
    env = {
        **os.environ,
        "COMP_WORDS": " ".join(line),
        "COMP_CWORD": str(len(line) - 1),
        "_MCALC_COMPLETE": "complete_bash",
    }
    out = subprocess.run(MCALC, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert out.stdout.split() == ["--jobs"]
