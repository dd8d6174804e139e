"""Start-up: wall time of whole processes, all measured in the same run, round-robin (one of each per
round, so that drift in machine load hits every command alike); median and minimum of `reps` rounds.

Rows: the floors (`python -c pass`, `import typer, rich.console`), mcalc's `--help`, `diff` and
`diff --check`, and the same derivative done with SymPy's `MatrixSymbol(...).diff` in a script (and
that script plus `import numpy`, the floor for any numeric check). Also an `-X importtime` breakdown
of `mcalc diff`, so a gap can be attributed.
"""

from __future__ import annotations

import os
import re
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


def wall_times(cmds: dict[str, list[str]], reps: int, warm: bool = True) -> dict[str, list[float]]:
    env = _env()
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for cmd in cmds.values() if warm else ():  # warm the file cache; not timed
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=120)
    for _ in range(reps):
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=120)
            times[name].append(time.perf_counter() - t0)
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


def run(reps: int = 15, breakdown: bool = True, warm: bool = True) -> Section:
    cmds = commands()
    times = wall_times(cmds, reps, warm)
    med = {k: median(v) for k, v in times.items()}
    names = list(cmds)
    floor, typer_floor, helpc, diff, check, sym, sym_np = (med[n] for n in names)
    summary = {
        "help_over_typer_rich": helpc / typer_floor,
        "diff_over_sympy": diff / sym,
        "check_over_sympy": check / sym,
        "check_over_sympy_numpy": check / sym_np,
        "targets": {"help_over_typer_rich": 1.5, "diff_over_sympy": 0.5},
    }
    summary["help_met"] = summary["help_over_typer_rich"] <= 1.5
    summary["diff_met"] = summary["diff_over_sympy"] <= 0.5
    rows = [
        [f"`{n}`", ms(med[n]), ms(min(times[n])), med[n] / floor, med[n] / typer_floor, med[n] / sym] for n in names
    ]
    text = table(["command", "median ms", "min ms", "× python", "× typer+rich", "× SymPy script"], rows) + (
        f"\n\nTargets: `--help` ≤ 1.5× typer+rich: {summary['help_over_typer_rich']:.2f}× "
        f"({'met' if summary['help_met'] else 'NOT met'}); plain `diff` ≤ 0.5× the SymPy script: "
        f"{summary['diff_over_sympy']:.2f}× ({'met' if summary['diff_met'] else 'NOT met'})."
    )
    data: dict[str, Any] = {"reps": reps, "times": times, "median": med, "summary": summary}
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
