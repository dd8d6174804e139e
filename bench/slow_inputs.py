"""Long inputs a user can type in a line (issue 25 item 4), timed as a user runs them: `mcalc diff` or
`mcalc check` on a regular install, start-up included, CPU time of the child process (user + system,
which a loaded machine inflates less than wall time) and wall time, best of `--reps`.

- `sin_tower`: the third derivative of sin(sin(…sin(x)…)), 100 deep, x scalar;
- `softmax_tower`: lse(softmax(…softmax(W x)…)), 60 softmaxes, by W;
- `power`: a product of 5,000 (xᵀx), by x;
- `periodic_trace`: tr(A B A B …), 20,000 factors, by A;
- `wrong_claim`: `mcalc check` of x_1ᵀA x_1 + … + x_3000ᵀA x_3000 by A against Σ xᵢxᵢᵀ with term 1,500's sign
  wrong;
- the least-squares sums by x: ‖Aᵢx − bᵢ‖² (3,000 terms), (Aᵢx − bᵢ)ᵀ(Aᵢx − bᵢ) (2,000 terms: 3,000 are past
  the input's character limit), sum((Aᵢx − bᵢ).^2) (3,000 terms).

`--base PATH` times a checkout of an earlier mcalc in turn with this one (the before column, in the
same conditions). `--cap SECONDS` stops a run at that much CPU time (60). `--profile NAME` runs one input
under cProfile through the Python API (`Session(time_limit=0)`: the command line leaves by os._exit, so a
profile of it writes nothing) and prints the 30 costliest functions. `--depths 1 2 3 5 10 20 40 60` times
the softmax tower at each depth instead (time against depth, with the growth exponent between the last two);
`--tower sin --depths 10 20 50 100 200` the sin tower's third derivative. `--format FMT` runs each diff with
`--format FMT` (text, json, numpy, …): what a format writes out is what it costs.
Run from the repository: `python -m bench.slow_inputs [--reps 3] [--cap 60] [--only NAME ...] [--profile NAME]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, replace

# the numbers (issue 25: "refused" at the 10 s budget, or the seconds measured on a regular install)
BEFORE = {
    "sin_tower": "refused (10 s)",
    "softmax_tower": "refused (10 s)",
    "power": "refused (10 s)",
    "periodic_trace": "refused (10 s)",
    "wrong_claim": "refused (10 s)",
    "lsq_norm": "4.3 s",
    "lsq_inner": "2.9 s",
    "lsq_squares": "3.5 s",
}


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    command: str  # diff or check
    expr: str
    wrt: tuple[str, ...]
    claim: str = ""
    scalars: str = ""
    format: str = ""  # `--format` of a diff (none: plain text, as piped)


def _nested(fn: str, depth: int, inner: str) -> str:
    return f"{fn}(" * depth + inner + ")" * depth


def sin_tower(depth: int) -> Case:
    return Case("sin_tower", f"3rd derivative of sin^{depth}(x)", "diff", _nested("sin", depth, "x"), ("x",) * 3,
                scalars="x")  # fmt: skip


def softmax_tower(depth: int) -> Case:
    return Case("softmax_tower", f"lse(softmax^{depth}(W x)) by W", "diff",
                "lse(" + _nested("softmax", depth, "W x") + ")", ("W",))  # fmt: skip


def cases() -> list[Case]:
    n = 3000
    wrong = " + ".join(("-" if i == 1500 else "") + f"x_{i} x_{i}^T" for i in range(1, n + 1))
    return [
        replace(sin_tower(100), what="3rd derivative of sin(sin(…sin(x)…)), 100 deep"),
        replace(softmax_tower(60), what="lse(softmax⁶⁰(W x)) by W"),
        Case("power", "(xᵀx)(xᵀx)…, 5,000 factors, by x", "diff", " ".join(["(x^T x)"] * 5000), ("x",)),
        Case("periodic_trace", "tr(A B A B …), 20,000 factors, by A", "diff",
             "tr(" + " ".join(["A B"] * 10000) + ")", ("A",)),
        Case("wrong_claim", "check Σ xᵢᵀA xᵢ (3,000 terms) by A, term 1,500's sign wrong", "check",
             " + ".join(f"x_{i}^T A x_{i}" for i in range(1, n + 1)), ("A",), claim=wrong.replace("+ -", "- ")),
        Case("lsq_norm", "Σ ‖Aᵢx − bᵢ‖², 3,000 terms, by x", "diff",
             " + ".join(f"||A_{i} x - b_{i}||^2" for i in range(1, n + 1)), ("x",)),
        Case("lsq_inner", "Σ (Aᵢx − bᵢ)ᵀ(Aᵢx − bᵢ), 2,000 terms, by x", "diff",
             " + ".join(f"(A_{i} x - b_{i})^T (A_{i} x - b_{i})" for i in range(1, 2001)), ("x",)),
        Case("lsq_squares", "Σ sum((Aᵢx − bᵢ).^2), 3,000 terms, by x", "diff",
             " + ".join(f"sum((A_{i} x - b_{i}).^2)" for i in range(1, n + 1)), ("x",)),
    ]  # fmt: skip


def argv(case: Case) -> list[str]:
    args = [sys.executable, "-m", "mcalc", case.command, case.expr]
    for w in case.wrt:
        args += ["--wrt", w]
    if case.claim:
        args += ["--claim", case.claim]
    if case.scalars:
        args += ["--scalar", case.scalars]
    if case.format and case.command == "diff":
        args += ["--format", case.format]
    return args


def timed(case: Case, cap: float, tree: str | None = None) -> tuple[float, float, int, str]:
    """Wall and CPU seconds of one run, its exit code and the start of its output. The run has no time
    budget (MCALC_TIME_LIMIT=0: the time to its answer, which a loaded machine's wall clock would cut
    short); it is stopped at `cap` seconds of CPU time instead (exit code None, shown as -1)."""
    env = {**os.environ, "MCALC_TIME_LIMIT": "0"}
    if tree is not None:  # another checkout's mcalc (--base): first on the path, run from there
        env["PYTHONPATH"] = tree
    cap_cpu = int(cap) + 1

    def limit() -> None:  # in the child: a CPU-time limit, so a loaded machine does not cut it short
        resource.setrlimit(resource.RLIMIT_CPU, (cap_cpu, cap_cpu + 1))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv(case), capture_output=True, text=True, check=False, env=env, preexec_fn=limit, cwd=tree)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode < 0:
        return wall, cpu, -1, f"stopped at {cap_cpu} s CPU"
    first = (done.stdout or done.stderr).strip().splitlines()
    return wall, cpu, done.returncode, (first[0] if first else "")[:70]


def profile(case: Case) -> None:
    import cProfile
    import pstats

    import mcalc

    session = mcalc.Session(time_limit=0, scalar=case.scalars) if case.scalars else mcalc.Session(time_limit=0)
    wrt = list(case.wrt) if len(case.wrt) > 1 else case.wrt[0]

    def run() -> None:
        if case.command == "check":
            print(session.check(case.expr, wrt, case.claim).verdict)
        else:
            print(session.diff(case.expr, wrt).text[:200])

    cProfile.runctx("run()", globals(), {"run": run}, "/tmp/slow_inputs.prof")
    pstats.Stats("/tmp/slow_inputs.prof").sort_stats("cumulative").print_stats(30)
    pstats.Stats("/tmp/slow_inputs.prof").sort_stats("tottime").print_stats(30)


TOWERS = {"softmax": softmax_tower, "sin": sin_tower}


def depths(chosen: list[int], reps: int, cap: float, base: str | None, tower: str = "softmax") -> None:
    """A tower's CPU time at each depth (the least of `reps`), and the growth exponent
    log(t₂/t₁)/log(d₂/d₁) between consecutive depths: near 1 is linear, a doubling per level is far above.
    The size of the printed answer (bytes of standard output) beside it: the sin tower's third derivative
    is a sum of about d²/2 products of about d factors, so its answer grows as d³ however fast it is made."""
    import math

    print("| depth | " + ("before: CPU s | " if base else "") + "CPU s | exponent | output bytes | exit |")
    print("|---|---|---|---|---|" + ("---|" if base else ""))
    last: tuple[int, float] | None = None
    for depth in chosen:
        case = TOWERS[tower](depth)
        runs = [timed(case, cap) for _ in range(reps)]
        then = f"{_cpu([timed(case, cap, base) for _ in range(reps)], cap)} | " if base else ""
        cpu = min(r[1] for r in runs)
        exponent = f"{math.log(cpu / last[1]) / math.log(depth / last[0]):.2f}" if last else "—"
        print(f"| {depth} | {then}{_cpu(runs, cap)} | {exponent} | {_output_bytes(case)} | {runs[-1][2]} |", flush=True)
        last = (depth, cpu)


def _output_bytes(case: Case) -> int:
    env = {**os.environ, "MCALC_TIME_LIMIT": "0"}
    return len(subprocess.run(argv(case), capture_output=True, check=False, env=env).stdout)


def _cpu(runs: list[tuple[float, float, int, str]], cap: float) -> str:
    """The least CPU time of the runs, or "> cap" when each was stopped there."""
    done = [r[1] for r in runs if r[2] != -1]
    return f"{min(done):.2f}" if done else f"> {cap:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--base", default=None, help="a checkout of an earlier mcalc, timed in turn with this one")
    parser.add_argument("--cap", type=float, default=60.0, help="CPU seconds after which a run is stopped")
    parser.add_argument("--depths", type=int, nargs="*", default=None, help="time a tower at these depths")
    parser.add_argument("--tower", choices=sorted(TOWERS), default="softmax", help="the tower --depths times")
    parser.add_argument("--format", default="", help="the --format of each diff (text, json, numpy, …)")
    args = parser.parse_args()
    if args.depths:
        la = os.getloadavg()
        print(f"load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}")
        depths(args.depths, args.reps, args.cap, args.base, args.tower)
        la = os.getloadavg()
        print(f"load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}")
        return
    by_name = {c.name: c for c in cases()}
    if args.profile:
        profile(by_name[args.profile])
        return
    chosen = [replace(by_name[n], format=args.format) for n in (args.only or by_name)]
    la = os.getloadavg()
    print(f"--format {args.format or '(none)'}; load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}")
    base = "before: CPU s (--base) | " if args.base else ""
    print(f"| input | issue 25 | {base}CPU s | wall s | exit | output starts |")
    print("|---|---|---|---|---|---|" + ("---|" if args.base else ""))
    for case in chosen:
        runs, before = [], []
        for _ in range(args.reps):  # in turn, so that the machine's load hits both alike
            if args.base:
                before.append(timed(case, args.cap, args.base))
            runs.append(timed(case, args.cap))
        then = f"{_cpu(before, args.cap)} | " if args.base else ""
        code, head = runs[-1][2], runs[-1][3].replace("|", "\\|")
        wall = min(r[0] for r in runs)
        print(f"| {case.what} | {BEFORE[case.name]} | {then}{_cpu(runs, args.cap)} | {wall:.2f} | {code} | `{head}` |",
              flush=True)  # fmt: skip
    la = os.getloadavg()
    print(f"load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}")


if __name__ == "__main__":
    main()
