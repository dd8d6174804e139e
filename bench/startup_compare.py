"""Start-up: wall time of whole processes, all measured in the same run, round-robin (one of each per
round, so that drift in machine load hits every command alike); median and minimum of `reps` rounds.
Ratios are of the minimums (the least disturbed run of each: the machine may be shared), `python -c pass`
and the import floors included.

Rows: the floors (`python -c pass`, `import typer, rich.console`, and `import typer._adapters,
rich.console`, the floor of the required stack: typer converts options through pydantic), mcalc's `--help`, `diff` and
`diff --check`, and the same derivative done with SymPy's `MatrixSymbol(...).diff` in a script (and
that script plus `import numpy`, the floor for any numeric check). Also an `-X importtime` breakdown
of `mcalc diff`, so a gap can be attributed.

mcalc's bytecode is compiled first, as pip does when it installs a package: under PYTHONDONTWRITEBYTECODE an
editable install would otherwise compile its sources on every start (about 0.2 s here), which no installed
copy does.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpus import Section, median, ms, table

EXPR = "tr(A B A^T C)"

SYMPY_SCRIPT = """
from sympy import MatrixSymbol, Trace, symbols
m, n = symbols("m n", integer=True, positive=True)
A, B, C = MatrixSymbol("A", m, n), MatrixSymbol("B", n, n), MatrixSymbol("C", m, m)
print(Trace(A * B * A.T * C).diff(A))
"""


def mcalc_executable() -> str | None:
    here = Path(sys.executable).parent / "mcalc"
    if here.exists():
        return str(here)
    return shutil.which("mcalc")


def commands() -> dict[str, list[str]]:
    py = sys.executable
    exe = mcalc_executable() or "mcalc"
    return {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import typer, rich.console'": [py, "-c", "import typer, rich.console"],
        "python -c 'import typer._adapters, rich.console'": [py, "-c", "import typer._adapters, rich.console"],
        "mcalc --help": [exe, "--help"],
        f'mcalc diff "{EXPR}" --wrt A': [exe, "diff", EXPR, "--wrt", "A"],
        f'mcalc diff "{EXPR}" --wrt A --check': [exe, "diff", EXPR, "--wrt", "A", "--check"],
        "SymPy script: MatrixSymbol(...).diff": [py, "-c", SYMPY_SCRIPT],
        "SymPy script + import numpy": [py, "-c", "import numpy\n" + SYMPY_SCRIPT],
    }


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["NO_COLOR"] = "1"
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_times(
    cmds: dict[str, list[str]], reps: int, warm: bool = True, cpu: dict[str, list[float]] | None = None
) -> dict[str, list[float]]:
    """Wall seconds per command, round-robin; with `cpu`, also each process's CPU seconds (user + system:
    on a loaded machine most of the wall time is waiting, CPU time is the steadier measure of the work)."""
    env = _env()
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for cmd in cmds.values() if warm else ():  # warm the file cache; not timed
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=120)
    for _ in range(reps):
        for name, cmd in cmds.items():
            c0, t0 = _children_cpu(), time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=120)
            times[name].append(time.perf_counter() - t0)
            if cpu is not None:
                cpu.setdefault(name, []).append(_children_cpu() - c0)
            if proc.returncode != 0:
                raise RuntimeError(f"{name} failed: {proc.stderr.decode(errors='replace')[-300:]}")
    return times


def import_breakdown(top: int = 8) -> dict[str, Any]:
    """Top-level imports of `mcalc diff` by cumulative time (µs), from `python -X importtime`."""
    exe = mcalc_executable()
    if exe is None:
        return {}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", exe, "diff", EXPR, "--wrt", "A"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    rows = []
    total = 0
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m[1]), int(m[2]), len(m[3]), m[4]
        total += self_us
        if indent <= 1:  # a top-level import (one space after the bar)
            rows.append((name, cum_us))
    rows.sort(key=lambda r: -r[1])
    return {"total_import_ms": total / 1000, "top": [{"module": n, "ms": c / 1000} for n, c in rows[:top]]}


def compile_bytecode() -> bool:
    """Write mcalc's .pyc files, as `pip install` does (see the module's docstring)."""
    import compileall

    import mcalc

    return bool(compileall.compile_dir(str(Path(mcalc.__file__).parent), quiet=1))


def run(reps: int = 15, breakdown: bool = True, warm: bool = True) -> Section:
    compiled = compile_bytecode()
    cmds = commands()
    cpu: dict[str, list[float]] = {}
    times = wall_times(cmds, reps, warm, cpu)
    cpu_best = {k: min(v) for k, v in cpu.items()}
    med = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    names = list(cmds)
    _, typer_floor, stack_floor, helpc, diff, check, sym, sym_np = (best[n] for n in names)
    summary = {
        "help_over_typer_rich": helpc / typer_floor,
        "diff_over_stack": diff / stack_floor,
        "diff_over_stack_cpu": cpu_best[names[4]] / cpu_best[names[2]],
        "diff_over_sympy": diff / sym,
        "check_over_sympy": check / sym,
        "check_over_sympy_numpy": check / sym_np,
        "bytecode_compiled": compiled,
        "targets": {"help_over_typer_rich": 1.5, "diff_over_stack": 1.15, "diff_over_sympy": 0.5},
    }
    summary["help_met"] = summary["help_over_typer_rich"] <= 1.5
    summary["diff_stack_met"] = summary["diff_over_stack"] <= 1.15
    summary["diff_stack_cpu_met"] = summary["diff_over_stack_cpu"] <= 1.15
    summary["diff_met"] = summary["diff_over_sympy"] <= 0.5
    rows = [
        [
            f"`{n}`",
            ms(med[n]),
            ms(best[n]),
            best[n] / best[names[0]],
            best[n] / stack_floor,
            best[n] / sym,
            ms(cpu_best[n]),
            cpu_best[n] / cpu_best[names[2]],
        ]
        for n in names
    ]
    headers = ["command", "median ms", "min ms", "× python", "× typer._adapters+rich", "× SymPy script"]
    text = table([*headers, "CPU min ms", "CPU × typer._adapters+rich"], rows) + (
        f"\n\nTargets: plain `diff` ≤ 1.15× `import typer._adapters, rich.console`: "
        f"{summary['diff_over_stack']:.2f}× wall, {summary['diff_over_stack_cpu']:.2f}× CPU "
        f"({'met' if summary['diff_stack_cpu_met'] else 'NOT met'} in CPU time); "
        f"`--help` ≤ 1.5× typer+rich: {summary['help_over_typer_rich']:.2f}× "
        f"({'met' if summary['help_met'] else 'NOT met'}); plain `diff` ≤ 0.5× the SymPy script: "
        f"{summary['diff_over_sympy']:.2f}× ({'met' if summary['diff_met'] else 'NOT met'})."
    )
    data: dict[str, Any] = {"reps": reps, "times": times, "median": med, "min": best, "cpu": cpu, "summary": summary}
    if breakdown:
        bd = import_breakdown()
        data["imports"] = bd
        if bd:
            text += (
                f"\n\n`mcalc diff` imports (python -X importtime, one run): {bd['total_import_ms']:.0f} ms in all; "
                "largest top-level: " + ", ".join(f"{r['module']} {r['ms']:.0f} ms" for r in bd["top"]) + "."
            )
    return Section("startup", data, text)


if __name__ == "__main__":
    print(run().text)
