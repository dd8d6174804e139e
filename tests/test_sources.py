"""Every source a rule cites is a work a reader can find: its short name is in `mcalc.sources.SOURCES` and
in the README's § Sources, and no rule, step or README line cites the documents mcalc was built from by
an internal file name ("seed 000")."""

from __future__ import annotations

import re
from pathlib import Path

from mcalc.identities import find
from mcalc.sources import SOURCES, cited, legend

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sources_section() -> str:
    return README.split("\n## Sources\n", 1)[1].split("\n## ", 1)[0]


def test_every_reference_to_a_numbered_place_names_a_known_work() -> None:
    # "eq. 37" or "§5.4" is a place in a work: the reference names the work by a short name of the table,
    # unless it names it in full before the place ("Bishop, Pattern Recognition … (2006), eq. 4.106")
    for row in find(None):
        if re.search(r"\beqs?\.|§", row.reference) and "," not in row.reference.split("§")[0].split("eq")[0]:
            assert cited(row.reference), f"{row.name}: {row.reference!r} names no work of mcalc/sources.py"


def test_every_work_is_listed_in_the_readme() -> None:
    section = _sources_section()
    for short in SOURCES:
        assert f"| {short} |" in section, short


def test_cited_finds_whole_words_only() -> None:
    assert cited("MC eq. 37; MML Exercise 5.24 (5)-(7)") == ["MC", "MML"]
    assert cited("MCMC and XMML") == []
    assert cited("M&N §8.7") == ["M&N"]
    assert legend(["MC eq. 43", "MC eq. 57"]).startswith("MC: K. B. Petersen and M. S. Pedersen, The Matrix Cookbook")


def test_no_internal_file_names_as_sources() -> None:
    texts = [README] + [row.reference for row in find(None)]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "mcalc" / "steps").glob("*.py")]
    for text in texts:
        assert not re.search(r"\bseed 00\d|\bseeds?'s? ", text, re.IGNORECASE), text[:200]


def test_readme_states_the_contract_itself() -> None:
    assert "../shared" not in README and "CONTRACT.md" not in README
    assert "\n## Command-line contract\n" in README
