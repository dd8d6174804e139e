"""Start-up benchmark: median wall time of `mcalc --help` (and a TAB, and the main job) next to the floor
of `python -c pass` and the libraries' own import cost, all measured in the same run.

    .venv/bin/python bench/startup.py [--runs 20] [--json bench/results/startup.json]

Not a test: wall-clock limits are flaky on shared machines. The start-up guard is tests/test_startup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
MCALC = str(Path(PY).parent / "mcalc")


def cases() -> list[tuple[str, list[str], dict[str, str]]]:
    mcalc = [MCALC] if Path(MCALC).exists() else [PY, "-m", "mcalc"]
    tab = {"_MCALC_COMPLETE": "complete_bash", "COMP_WORDS": "mcalc diff x --format ", "COMP_CWORD": "4"}
    return [
        ("python -c pass", [PY, "-c", "pass"], {}),
        ('python -c "import typer, rich.console"', [PY, "-c", "import typer, rich.console"], {}),
        ("mcalc --help", [*mcalc, "--help"], {}),
        ("mcalc diff --help", [*mcalc, "diff", "--help"], {}),
        ("TAB: mcalc diff x --format <TAB>", mcalc, tab),
        ('mcalc diff "tr(A B A^T C)" --wrt A', [*mcalc, "diff", "tr(A B A^T C)", "--wrt", "A"], {}),
        ('python -c "import numpy, sympy"  (what --help avoids)', [PY, "-c", "import numpy, sympy"], {}),
    ]


def measure(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    full_env = dict(os.environ, **env)
    subprocess.run(cmd, env=full_env, capture_output=True, check=False)  # warm the OS file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(cmd, env=full_env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.decode()[-500:]}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command (at least 10)")
    parser.add_argument("--json", type=Path, help="also write the results here (bench/results/ is git-ignored)")
    args = parser.parse_args()
    runs = max(args.runs, 10)

    rows = []
    for label, cmd, env in cases():
        times = measure(cmd, env, runs)
        rows.append({"case": label, "median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000})
    floor = rows[0]["median_ms"]
    libs = rows[1]["median_ms"]

    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {runs} runs each")
    print(f"{'command':<56} {'median':>8} {'min':>8} {'× pass':>7} {'× libs':>7}")
    for row in rows:
        print(
            f"{row['case']:<56} {row['median_ms']:7.1f}ms {row['min_ms']:7.1f}ms"
            f" {row['median_ms'] / floor:7.1f} {row['median_ms'] / libs:7.2f}"
        )
    print("× pass: ratio to `python -c pass`; × libs: ratio to importing typer and rich.console")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": runs, "python": platform.python_version(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
