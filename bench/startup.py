"""Start-up benchmark: wall time of `mcalc --help` (and a TAB, and the main job) next to the floor of
`python -c pass` and the libraries' own import cost, all measured in the same run: round-robin (one of
each per round, so that load on a shared machine hits every command alike), best and median of N rounds.
Ratios are of the best runs; the target is `mcalc diff "tr(A B A^T C)" --wrt A` within 1.15× of
`import typer._adapters, rich.console` (the floor of the required stack). mcalc's bytecode is compiled
first, as `pip install` does (see bench/startup_compare.py).

    .venv/bin/python bench/startup.py [--runs 20] [--json bench/results/startup.json]

Not a test: wall-clock limits are flaky on shared machines. The start-up guard is tests/test_startup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable
MCALC = str(Path(PY).parent / "mcalc")


def cases() -> list[tuple[str, list[str], dict[str, str]]]:
    mcalc = [MCALC] if Path(MCALC).exists() else [PY, "-m", "mcalc"]
    tab = {"_MCALC_COMPLETE": "complete_bash", "COMP_WORDS": "mcalc diff x --format ", "COMP_CWORD": "4"}
    return [
        ("python -c pass", [PY, "-c", "pass"], {}),
        ('python -c "import typer, rich.console"', [PY, "-c", "import typer, rich.console"], {}),
        ('python -c "import typer._adapters, rich.console"', [PY, "-c", "import typer._adapters, rich.console"], {}),
        ("mcalc --help", [*mcalc, "--help"], {}),
        ("mcalc diff --help", [*mcalc, "diff", "--help"], {}),
        ("TAB: mcalc diff x --format <TAB>", mcalc, tab),
        ('mcalc diff "tr(A B A^T C)" --wrt A', [*mcalc, "diff", "tr(A B A^T C)", "--wrt", "A"], {}),
        # a matrix function: scipy (its values) is not imported until a value is asked for
        ('mcalc diff "tr(A expm(X))" --wrt X', [*mcalc, "diff", "tr(A expm(X))", "--wrt", "X"], {}),
        ('python -c "import numpy, sympy"  (what --help avoids)', [PY, "-c", "import numpy, sympy"], {}),
    ]


PROMPT_ON = b"\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as its prompt starts


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_prompt(runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds from starting `mcalc repl` on a pseudo-terminal to its first prompt (then Ctrl-D)."""
    import pty
    import select

    command = [*([MCALC] if Path(MCALC).exists() else [PY, "-m", "mcalc"]), "repl"]
    env = dict(os.environ, TERM="xterm", NO_COLOR="1", PROMPT_TOOLKIT_NO_CPR="1")
    times, cpu = [], []
    for _ in range(runs):
        master, slave = pty.openpty()
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        seen = b""
        while PROMPT_ON not in seen:
            if not select.select([master], [], [], 30)[0]:
                raise SystemExit("mcalc repl showed no prompt within 30 s")
            seen += os.read(master, 65536)
        times.append(time.perf_counter() - start)
        cpu.append(_cpu_of(proc.pid))
        os.write(master, b"\x04")
        proc.wait(timeout=30)
        os.close(master)
    return times, cpu


HEAVY = ("numpy", "sympy", "scipy")
# what each command imports of the heavy libraries (-X importtime): a plain diff none, values numpy and scipy
IMPORT_CASES = (
    ["diff", "tr(A B A^T C)", "--wrt", "A"],
    ["diff", "tr(A expm(X))", "--wrt", "X"],
    ["diff", "tr(A expm(X))", "--wrt", "X", "--at", "X=[[1,2],[0,1]]", "--at", "A=[[1,0],[0,2]]"],
)


def heavy_imports(args: list[str]) -> list[str]:
    """The heavy top-level modules `python -m mcalc ARGS` imports, read off -X importtime."""
    out = subprocess.run([PY, "-X", "importtime", "-m", "mcalc", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"mcalc {' '.join(args)} failed ({out.returncode}): {out.stderr[-500:]}")
    names = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    return [m for m in HEAVY if m in names]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cases: list[tuple[str, list[str], dict[str, str]]], runs: int) -> tuple[dict[str, list[float]], ...]:
    """Round-robin: each round runs every command once. Wall and CPU (user + system) seconds: on a loaded
    machine the wall time is mostly waiting, and CPU time is the steadier measure of the work done."""
    wall: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for _, cmd, env in cases:  # warm the OS file cache
        subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, check=False)
    for _ in range(runs):
        for label, cmd, env in cases:
            c0, start = _cpu(), time.perf_counter()
            out = subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, check=False)
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(_cpu() - c0)
            if out.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.decode()[-500:]}")
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command (at least 10)")
    parser.add_argument("--json", type=Path, help="also write the results here (bench/results/ is git-ignored)")
    args = parser.parse_args()
    runs = max(args.runs, 10)

    from bench.startup_compare import compile_bytecode

    compile_bytecode()
    wall, cpu = measure(cases(), runs)
    rows = [
        {
            "case": label,
            "median_ms": statistics.median(t) * 1000,
            "min_ms": min(t) * 1000,
            "cpu_min_ms": min(cpu[label]) * 1000,
        }
        for label, t in wall.items()
    ]
    floor, libs, stack = (rows[i]["min_ms"] for i in range(3))
    stack_cpu = rows[2]["cpu_min_ms"]

    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {runs} rounds")
    print(
        f"{'command':<56} {'median':>8} {'min':>8} {'× pass':>7} {'× libs':>7} {'× stack':>7} {'CPU':>8} {'× stack':>7}"
    )
    for row in rows:
        best = row["min_ms"]
        print(
            f"{row['case']:<56} {row['median_ms']:7.1f}ms {best:7.1f}ms"
            f" {best / floor:7.1f} {best / libs:7.2f} {best / stack:7.2f}"
            f" {row['cpu_min_ms']:6.1f}ms {row['cpu_min_ms'] / stack_cpu:7.2f}"
        )
    diff = next(r for r in rows if r["case"].startswith('mcalc diff "'))
    print("ratios of the best runs; × pass: to `python -c pass`; × libs: to importing typer and rich.console;")
    print(
        f"× stack: to `import typer._adapters, rich.console`. mcalc diff: {diff['min_ms'] / stack:.2f}× wall, "
        f"{diff['cpu_min_ms'] / stack_cpu:.2f}× CPU (target 1.15×)"
    )
    for import_args in IMPORT_CASES:
        shown = " ".join(f'"{a}"' if " " in a else a for a in import_args)
        print(f"mcalc {shown} imports: {', '.join(heavy_imports(import_args)) or 'none of ' + ', '.join(HEAVY)}")
    wall_s, cpu_s = first_prompt(runs)
    repl, repl_cpu = [t * 1000 for t in wall_s], min(cpu_s) * 1000
    print(
        f"mcalc repl, to its first prompt (a pseudo-terminal): median {statistics.median(repl):.1f}ms, "
        f"min {min(repl):.1f}ms ({min(repl) / stack:.2f}× stack, {min(repl) / diff['min_ms']:.2f}× mcalc diff); "
        f"CPU {repl_cpu:.0f}ms ({repl_cpu / stack_cpu:.2f}× stack, {repl_cpu / diff['cpu_min_ms']:.2f}× mcalc diff). "
        "It builds every command and imports prompt_toolkit; the engine loads with the first line that needs it."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        rows.append({"case": "mcalc repl (first prompt)", "median_ms": statistics.median(repl), "min_ms": min(repl)})
        args.json.write_text(json.dumps({"runs": runs, "python": platform.python_version(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
