"""Field notes (../shared/FIELD-NOTES.md) found still open when every line was run again on main: each with
the input a user typed."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import cli

SHEET = """# one of each: right, right up to layout, wrong, unusable
tr(A B) ; A ; B^T
tr(A B) ; A ; B
x^T A x ; x ; 2 A x
tr(A B ; A ; B^T
"""


def test_a_homework_sheet_ends_with_how_many_claims_were_right(tmp_path: Path) -> None:
    """A sheet ended with no summary: the last line (stderr, so the rows on stdout stay one per claim)
    counts right, wrong and unusable lines; the exit code is the worst line's, as before."""
    sheet = tmp_path / "sheet.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    run = cli("check", "--file", str(sheet))
    assert run.code == 2  # an unusable line
    assert [row.split("\t")[4] for row in run.stdout.splitlines()] == ["correct", "layout", "missing-term", "error"]
    summary = "summary: 4 lines: 2 right (1 up to layout or convention), 1 wrong, 1 unusable"
    assert run.stderr.splitlines()[-1] == summary


def test_a_sheet_of_right_claims_says_so_and_json_stays_one_object_per_line(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("tr(A B) ; A ; B^T\n", encoding="utf-8")
    plain = cli("check", "--file", str(sheet))
    assert plain.code == 0 and plain.stderr == "summary: 1 line: 1 right, 0 wrong, 0 unusable\n"
    as_json = cli("check", "--file", str(sheet), "--format", "json")
    assert as_json.stderr == ""
    assert [json.loads(line)["verdict"] for line in as_json.stdout.splitlines()] == ["correct"]


def test_a_layout_explanation_for_a_vector_variable_uses_one_index() -> None:
    """`check "a^T x" --claim "a^T"` explained the layouts with ∂f/∂xⱼᵢ, two indices on a vector: a row
    with entry j = ∂f/∂xⱼ, a column with entry i = ∂f/∂xᵢ. A matrix keeps its two indices."""
    vector = cli("check", "x^T A x", "--wrt", "x", "--claim", "x^T (A + A^T)", "--format", "json").json
    assert vector["verdict"] == "layout"
    assert "(a row: entry j = ∂f/∂xⱼ)" in vector["explanation"]
    assert "(a column like x: entry i = ∂f/∂xᵢ)" in vector["explanation"]
    assert "xⱼᵢ" not in vector["explanation"]
    matrix = cli("check", "tr(A B)", "--wrt", "A", "--claim", "B", "--format", "json").json
    assert matrix["verdict"] == "layout" and "entry (i, j) = ∂f/∂Aⱼᵢ" in matrix["explanation"]
