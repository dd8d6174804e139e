"""The long run of the property test: 100,000 random expressions, each differentiated by every one of its
variables and compared with finite differences (tests/test_properties.py; CI runs 2,000).

    .venv/bin/python bench/property_run.py                    # 100,000 examples on every CPU
    .venv/bin/python bench/property_run.py --examples 5000 --jobs 2 --seed 7

Prints the number of examples, derivative comparisons, skipped points (with reasons), cases that meet
a known core bug, and every mismatch (with the expression and its seed, to paste into a regression
test). Exit status 1 if there was any mismatch. Examples run in chunks, each chunk a hypothesis run
with its own seed, spread over worker processes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
CHUNK = 500


def _chunk(seed: int, examples: int) -> tuple[int, int, dict[str, int], dict[str, int], list[str]]:
    sys.path.insert(0, str(TESTS))
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from strategies import cases
    from test_properties import Stats, check_case

    stats = Stats()
    found: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(cases())
    def run(case: object) -> None:
        problems = check_case(case, stats)  # type: ignore[arg-type]
        found.extend(problems)  # collected, not raised: no shrinking, the run goes on

    run()
    return stats.examples, stats.comparisons, dict(stats.skips), dict(stats.known), found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0, help="the first chunk's hypothesis seed")
    args = ap.parse_args(argv)

    chunks = [
        (args.seed + i, min(CHUNK, args.examples - i * CHUNK)) for i in range((args.examples + CHUNK - 1) // CHUNK)
    ]
    t0 = time.monotonic()
    examples = comparisons = 0
    skips: Counter[str] = Counter()
    known: Counter[str] = Counter()
    mismatches: list[str] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_chunk, s, n) for s, n in chunks]
        for fut in as_completed(futures):
            n, c, sk, kn, found = fut.result()
            examples += n
            comparisons += c
            skips.update(sk)
            known.update(kn)
            mismatches.extend(found)
            rate = examples / max(time.monotonic() - t0, 1e-9)
            print(f"\r{examples} examples, {len(mismatches)} mismatches ({rate:.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    elapsed = time.monotonic() - t0
    skipped = sum(skips.values())
    print(f"property run: {examples} examples, {comparisons} derivative comparisons, {len(mismatches)} mismatches")
    print(f"skipped points: {skipped} ({100 * skipped / max(examples, 1):.2f}%)")
    for reason, count in skips.most_common():
        print(f"  {reason}: {count}")
    print(f"cases meeting a known core bug: {dict(known) or 'none'}")
    print(f"time: {elapsed:.0f} s on {args.jobs} process(es), {examples / max(elapsed, 1e-9):.0f} examples/s")
    for m in mismatches:
        print("MISMATCH", " ".join(m.split()))
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
