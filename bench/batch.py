"""Batch throughput: `mcalc diff - --format json` answering a 10⁴-line input, one JSON object per line.

Measured in the same run, best of `reps`, the processes interleaved (the machine may be shared):
- the floor: `python -c "import typer._adapters, rich.console"`;
- one answer: `mcalc diff "tr(A B A^T C)" --wrt A --format json`, a whole process per expression;
- the batch: lines per second, the time to the first answer, and whether that answer came out while the input
  was still being written (batch mode streams: it answers each line as it arrives).

The ratio that matters is how much cheaper a line of a batch is than a process per line (`speed-up`), and how
close the first answer comes to the cost of one process (`first answer / one answer`).

Then, once each (issue 26):
- memory: the peak resident memory of the whole process (`ru_maxrss` of that child, from os.wait4) answering
  1,000 and 100,000 lines read from a file, with its wall time and lines per second; flat memory means the
  second within a few MB of the first (it grew by ≈ 15 KB a line, past 1 GiB at 70,000 lines, while each
  call's reference cycles waited for a full collection);
- parallel: lines per second of the same batch at `--jobs 1` and `--jobs 2`;
- refusal on time: the wall time of `mcalc diff` refusing an input past a 3 s budget (the collector is
  paused for each answer and resumed after it: this is where a slow resume would show).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import Section, ms, table

# small expressions of the kinds people batch (each line: expression ; variables)
LINES = (
    "x^T A x ; x",
    "tr(A B A^T C) ; A",
    "log det(X) ; X",
    "||W x - y||^2 ; W",
    "sum(exp(x)) ; x",
    "a^T X b ; X",
    "tr(X^-1 A) ; X",
    "tanh(W x) ; x",
)


def batch_input(n: int) -> bytes:
    return "".join(LINES[i % len(LINES)] + "\n" for i in range(n)).encode()


def _mcalc() -> list[str]:
    here = Path(sys.executable).parent / "mcalc"
    return [str(here)] if here.exists() else [sys.executable, "-m", "mcalc"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["NO_COLOR"] = "1"
    return env


def _process(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), check=True, timeout=120)
    return time.perf_counter() - t0


def one_batch(n: int) -> dict[str, Any]:
    """Feed n lines from a writer thread; time the first answer and the last."""
    data = batch_input(n)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*_mcalc(), "diff", "-", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    written: list[float] = []

    def writer() -> None:
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
        written.append(time.perf_counter() - t0)

    thread = threading.Thread(target=writer)
    thread.start()
    first = proc.stdout.readline()
    t_first = time.perf_counter() - t0
    answers = 1 if first else 0
    for _ in proc.stdout:
        answers += 1
    proc.wait(timeout=600)
    total = time.perf_counter() - t0
    proc.stdout.close()
    thread.join()
    return {
        "lines": n,
        "answers": answers,
        "first_s": t_first,
        "total_s": total,
        "input_written_s": written[0] if written else None,
        "first_before_input_end": bool(written) and t_first < written[0],
        "exit": proc.returncode,
    }


def measured(n: int, jobs: int | None = None) -> dict[str, Any]:
    """One `mcalc diff - --format json` of n lines from a file: wall time, lines per second and the peak
    resident memory of that process (with --jobs, of the largest of it and its workers)."""
    import tempfile

    with tempfile.TemporaryFile() as data:
        data.write(batch_input(n))
        data.seek(0)
        extra = [] if jobs is None else ["--jobs", str(jobs)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*_mcalc(), "diff", "-", "--format", "json", *extra],
            stdin=data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "lines": n,
        "jobs": jobs or 1,
        "wall_s": wall,
        "lines_per_s": n / wall,
        "peak_rss_kb": usage.ru_maxrss,  # Linux: the largest of the process and the children it waited for
        "exit": proc.returncode,
    }


# tests/test_budget.py's slow input: the 100-deep sin tower's third derivative, seconds of work on any machine
# (100 nested softmax were, until issue 25 made them a 0.2 s answer: a refusal past 0.3 s then hung on start-up)
SIN_TOWER = "sin(" * 100 + "x" + ")" * 100


def refusal(limit: float = 3.0) -> dict[str, Any]:
    """The wall time of `mcalc diff` refusing an input past a `limit`-second budget (and its exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_mcalc(), "diff", SIN_TOWER, "--wrt", "x", "--wrt", "x", "--wrt", "x"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**_env(), "MCALC_TIME_LIMIT": str(limit)},
        check=False,
        timeout=120,
    )
    return {"limit_s": limit, "wall_s": time.perf_counter() - t0, "exit": proc.returncode,
            "refused": b"time budget" in proc.stderr}  # fmt: skip


def scaling(
    memory_sizes: tuple[int, ...] = (1_000, 100_000),
    jobs: tuple[int, ...] = (1, 2),
    jobs_lines: int = 4_000,
    refusal_limit: float = 3.0,
) -> dict[str, Any]:
    """Peak memory at each of `memory_sizes` lines, lines per second at each of `jobs`, one refusal."""
    return {
        "memory": [measured(n) for n in memory_sizes],
        "jobs": [measured(jobs_lines, j) for j in jobs],
        "refusal": refusal(refusal_limit),
    }


def scaling_text(data: dict[str, Any]) -> str:
    rows = [
        [f"{m['lines']:,} lines (`--jobs 1`)", f"{m['peak_rss_kb'] / 1024:.1f} MB", f"{m['wall_s']:.1f} s",
         f"{m['lines_per_s']:.0f}"]
        for m in data["memory"]
    ] + [
        [f"{m['lines']:,} lines, `--jobs {m['jobs']}`", f"{m['peak_rss_kb'] / 1024:.1f} MB (largest process)",
         f"{m['wall_s']:.1f} s", f"{m['lines_per_s']:.0f}"]
        for m in data["jobs"]
    ]  # fmt: skip
    r = data["refusal"]
    return (
        table(["batch (`mcalc diff - --format json`, input from a file)", "peak RSS", "wall", "lines/s"], rows)
        + f"\n\nA refusal past a {r['limit_s']:g} s budget came after {r['wall_s']:.2f} s (exit {r['exit']})."
    )


def run(
    n: int = 10_000,
    reps: int = 3,
    memory_sizes: tuple[int, ...] = (1_000, 100_000),
    jobs: tuple[int, ...] = (1, 2),
    jobs_lines: int = 4_000,
    refusal_limit: float = 3.0,
) -> Section:
    py = sys.executable
    floor_cmd = [py, "-c", "import typer._adapters, rich.console"]
    one_cmd = [*_mcalc(), "diff", "tr(A B A^T C)", "--wrt", "A", "--format", "json"]
    floors, ones, batches = [], [], []
    for _ in range(reps):  # interleaved: load on a shared machine hits each alike
        floors.append(_process(floor_cmd))
        ones.append(_process(one_cmd))
        batches.append(one_batch(n))
    best = min(batches, key=lambda b: b["total_s"])
    floor, one = min(floors), min(ones)
    first = min(b["first_s"] for b in batches)
    per_line = best["total_s"] / n
    summary = {
        "lines": n,
        "lines_per_s": n / best["total_s"],
        "first_answer_s": first,
        "one_answer_s": one,
        "floor_s": floor,
        "speedup_over_process_per_line": one / per_line,
        "first_over_one": first / one,
        "first_before_input_end": all(b["first_before_input_end"] for b in batches),
        "all_answered": all(b["answers"] == n for b in batches),
    }
    rows = [
        ["`python -c 'import typer._adapters, rich.console'` (floor)", ms(floor), "—"],
        ["`mcalc diff 'tr(A B A^T C)' --wrt A --format json` (one process)", ms(one), f"{one / floor:.2f}× floor"],
        [f"batch of {n:,} lines: first answer", ms(first), f"{first / one:.2f}× one process"],
        [
            f"batch of {n:,} lines: all answers",
            ms(best["total_s"]),
            f"{summary['lines_per_s']:.0f} lines/s; {summary['speedup_over_process_per_line']:.0f}× a process per line",
        ],
    ]
    text = table(["run", "best ms", "ratio"], rows) + (
        f"\n\nBest of {reps}, interleaved. Every line answered: {summary['all_answered']}; the first answer came "
        f"out while the input was still being written: {summary['first_before_input_end']}."
    )
    scaled = scaling(memory_sizes, jobs, jobs_lines, refusal_limit)
    summary["peak_rss_kb"] = {m["lines"]: m["peak_rss_kb"] for m in scaled["memory"]}
    summary["lines_per_s_at_jobs"] = {m["jobs"]: m["lines_per_s"] for m in scaled["jobs"]}
    text += "\n\n" + scaling_text(scaled)
    data = {"summary": summary, "runs": batches, "floor": floors, "one": ones, "scaling": scaled}
    return Section("batch", data, text)


if __name__ == "__main__":
    print(run().text)
