"""Run the benchmark suite: `.venv/bin/python bench/run.py` (see README, "Benchmarks").

Prints one markdown section per benchmark and a table of the targets, and writes everything as JSON to
bench/results/bench-<time>.json (also bench/results/latest.json and latest.md).

    --only startup,engine,growth,numeric,memory,sizes,batch   run some of them
    --quick                                      fewer repetitions and smaller sizes (a minute or so)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import batch, engine, growth, numeric, sizes, startup_compare  # noqa: E402
from bench.corpus import Section, table  # noqa: E402

ALL = ("startup", "engine", "growth", "numeric", "memory", "sizes", "batch")


def machine() -> dict[str, Any]:
    import numpy
    import sympy

    import mcalc

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "sympy": sympy.__version__,
        "mcalc": mcalc.__version__,
        "commit": commit,
        "load_average_at_start": os.getloadavg(),
    }


def params(quick: bool) -> dict[str, dict[str, Any]]:
    if quick:
        return {
            "startup": {"reps": 5},
            "engine": {"reps": 2},
            "growth": {"sizes": (1, 2, 4, 8, 16), "reps": 1, "sympy_limit": 10.0},
            "numeric": {"sizes": (10, 100, 300), "reps": 3, "cli_reps": 1},
            "memory": {"cases": tuple(c for c in numeric.MEMORY_CASES if c[4] < 40)},
            "sizes": {},
            "batch": {"n": 2000, "reps": 1},
        }
    return {
        "startup": {"reps": 15},
        "engine": {"reps": 5},
        "growth": {},
        "numeric": {},
        "memory": {},
        "sizes": {},
        "batch": {},
    }


RUNNERS = {
    "startup": startup_compare.run,
    "engine": engine.run,
    "growth": growth.run,
    "numeric": numeric.run,
    "memory": numeric.run_memory,
    "sizes": sizes.run,
    "batch": batch.run,
}


def targets(sections: dict[str, Section]) -> str:
    rows = []
    if "startup" in sections:
        s = sections["startup"].data["summary"]
        rows.append(
            [
                "`--help` ≤ 1.5× `import typer, rich.console`",
                f"{s['help_over_typer_rich']:.2f}×",
                "met" if s["help_met"] else "NOT met",
            ]
        )
        rows.append(
            [
                "plain `diff` ≤ 1.15× `import typer._adapters, rich.console` (best CPU time; best wall time)",
                f"{s['diff_over_stack_cpu']:.2f}×; {s['diff_over_stack']:.2f}×",
                "met" if s["diff_stack_cpu_met"] else "NOT met",
            ]
        )
        rows.append(
            [
                "plain `diff` ≤ 0.5× the SymPy script",
                f"{s['diff_over_sympy']:.2f}×",
                "met" if s["diff_met"] else "NOT met",
            ]
        )
    if "engine" in sections:
        s = sections["engine"].data["summary"]
        rows.append(
            ["engine ≥ 10× SymPy on the corpus", f"{s['speedup_total']:.1f}×", "met" if s["met"] else "NOT met"]
        )
    if "growth" in sections:
        for fam, d in sections["growth"].data.items():
            t, c, n = d["fit"]["time"], d["fit"]["chars"], d["fit"]["nodes"]
            shown = d["fit"].get("printed", c)
            rows.append([f"growth `{fam}`: time exponent ≤ 1.2", _num(t), _met(t, 1.2)])
            rows.append(
                [
                    f"growth `{fam}`: printed-size exponent ≤ 1.0 (nodes as printed, with `where`; full tree; chars)",
                    f"{_num(shown)}; {_num(n)}; {_num(c)}",
                    _met(shown, 1.0),
                ]
            )
    if "batch" in sections:
        s = sections["batch"].data["summary"]
        rows.append(
            [
                f"batch of {s['lines']:,} lines: throughput; first answer (÷ one process)",
                f"{s['lines_per_s']:.0f} lines/s; {s['first_over_one']:.2f}×",
                f"{s['speedup_over_process_per_line']:.0f}× a process per line",
            ]
        )
    if "numeric" in sections:
        s = sections["numeric"].data["summary"]
        rows.append(
            [
                "`--check` a few evaluations (worst ratio to one numpy evaluation)",
                f"{s['max_check_ratio']:.1f}×",
                "see numeric table",
            ]
        )
        rows.append(
            [
                "no dense 4-d tensor for a scalar's gradient (peak / bytes of X)",
                f"{s['max_peak_over_X']:.1f}×",
                "met" if s["no_4d_tensor"] else "NOT met",
            ]
        )
    if "memory" in sections:
        s = sections["memory"].data["summary"]
        rows.append(
            [
                "tensor-valued derivatives: peak ≤ 2× the answer's bytes",
                f"{s['met']}/{s['cases']} cases",
                "met" if s["met"] == s["cases"] else "NOT met",
            ]
        )
    if "sizes" in sections:
        s = sections["sizes"].data["summary"]
        rows.append(
            [
                "mcalc no larger than SymPy (nodes) where SymPy is right",
                f"{s['mcalc_not_longer_in_nodes']}/{s['sympy_usable']}",
                "met" if s["mcalc_not_longer_in_nodes"] == s["sympy_usable"] else "NOT met",
            ]
        )
    return table(["target", "measured", "verdict"], rows)


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _met(x: float | None, limit: float) -> str:
    """Exponents are compared at one decimal: an exactly linear 2k − 1 fits as k^1.03 on k = 8…50."""
    if x is None:
        return "—"
    return "met" if round(x, 1) <= limit else "NOT met"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + ", ".join(ALL))
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="directory for the JSON results")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in ALL]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}")
    info = machine()
    header = (
        f"Machine: {info['nproc']} cores ({info['cpu'] or platform.machine()}), Python {info['python']}, "
        f"numpy {info['numpy']}, SymPy {info['sympy']}, mcalc {info['mcalc']} ({info['commit']}); "
        f"load average at start {info['load_average_at_start'][0]:.2f}."
    )
    print(header, flush=True)
    p = params(args.quick)
    sections: dict[str, Section] = {}
    durations: dict[str, float] = {}
    md = [header]
    for name in chosen:
        t0 = time.perf_counter()
        sec = RUNNERS[name](**p[name])
        durations[name] = time.perf_counter() - t0
        sections[name] = sec
        block = f"\n### {name} ({durations[name]:.0f} s)\n\n{sec.text}\n"
        md.append(block)
        print(block, flush=True)
    summary = "\n### targets\n\n" + targets(sections) + "\n"
    md.insert(1, summary)
    print(summary)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "machine": info,
        "quick": args.quick,
        "durations_s": durations,
        "load_average_at_end": os.getloadavg(),
        "results": {k: v.data for k, v in sections.items()},
    }
    text = json.dumps(payload, indent=1, ensure_ascii=False, default=str)
    (out / f"bench-{stamp}.json").write_text(text)
    (out / "latest.json").write_text(text)
    (out / "latest.md").write_text("\n".join(md))
    print(f"results: {out / f'bench-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
