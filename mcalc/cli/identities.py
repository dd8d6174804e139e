"""`mcalc identities`: every identity mcalc uses (`mcalc.identities`), with its formula and source,
searchable, and `--verify` to check each one numerically."""

from __future__ import annotations

import json
import sys
from typing import Any

from mcalc.cli import console
from mcalc.errors import EXIT_FAILED, EXIT_OK
from mcalc.identities import STEP_CHECKS, WITNESSES, find, legend_of, verify_each
from mcalc.view import Format

__all__ = ["STEP_CHECKS", "WITNESSES", "list_identities"]


def list_identities(search: str | None, verify: bool, fmt: Format | None, seed: int | None) -> int:
    rows = find(search)
    if not rows:
        print(f"no identity mentions {search!r} (try a rule name, an operator or MC)", file=sys.stderr)
        return EXIT_FAILED  # as grep: a search that finds nothing is a failure a script can test
    results: list[dict[str, Any]] = verify_each(rows, seed) if verify else []
    code = EXIT_FAILED if any(not r["passed"] for r in results) else EXIT_OK
    if fmt is Format.JSON:
        for i, row in enumerate(rows):
            obj = row.to_json() | ({"verify": results[i]} if verify else {})
            print(json.dumps(obj, ensure_ascii=False))
        return code
    table = []
    for i, row in enumerate(rows):
        cells = [row.name, row.operator, row.identity, row.reference]
        if verify:
            r = results[i]
            cells.append(f"{'ok' if r['passed'] else 'FAILED'} {r['max_rel_error']:.1e} {r['witness']}")
        table.append(cells)
    columns = ["identity", "for", "formula", "source"] + (["verified"] if verify else [])
    console.show_table("identities mcalc uses", columns, table, fmt, caption=legend_of(rows) or None)
    return code
