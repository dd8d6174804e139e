"""docs/example.ipynb runs under Jupyter's own runner (nbclient with an ipykernel kernel), and what it shows
is what the stored notebook shows; every LaTeX output (`Derivative._repr_latex_`) typesets with matplotlib's
mathtext, as tests/test_latex.py renders the golden equations.

nbclient, nbformat and ipykernel are in the `test` extra. The numbers the notebook prints are checked against
finite differences inside the notebook (a failed assert there fails this test)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from test_latex import mathtext_error

import mcalc

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "example.ipynb"


def shown(nb: Any) -> list[tuple[str, str]]:
    """(kind, text) of every output: the LaTeX and plain text of results, and printed text."""
    out: list[tuple[str, str]] = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                out.append((o["name"], o["text"]))
            elif o["output_type"] == "error":
                out.append(("error", f"{o['ename']}: {o['evalue']}"))
            for mime in ("text/latex", "text/plain"):
                if mime in o.get("data", {}):
                    out.append((mime, o["data"][mime]))
    return out


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    fresh = copy.deepcopy(nb)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        fresh,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
    )
    client.execute()  # raises CellExecutionError (with the cell's traceback) if any cell fails
    return nb, fresh


def test_the_notebook_runs_and_shows_what_is_stored(executed: Any) -> None:
    stored, fresh = executed
    assert shown(fresh) == shown(stored), "re-run the notebook and save it (docs/example.ipynb) with its outputs"
    assert not [s for s in shown(fresh) if s[0] in ("error", "stderr")]


def test_every_latex_output_typesets_with_mathtext(executed: Any) -> None:
    _, fresh = executed
    latex = [text for kind, text in shown(fresh) if kind == "text/latex"]
    assert len(latex) >= 4
    for text in latex:
        assert text.startswith("$$ ") and text.endswith(" $$"), text
        body = text[3:-3]
        assert r"\text{shape: }" in body
        assert mathtext_error(body) is None, f"{body}\n{mathtext_error(body)}"


def test_repr_latex_is_the_equation_and_its_shape() -> None:
    d = mcalc.diff("x^T A x", "x")
    assert d._repr_latex_() == rf"$$ {d.equation_latex} \qquad \text{{shape: }} m\ \text{{(vector)}} $$"
    assert mcalc.diff("x^T x", "x", scalar="x")._repr_latex_().endswith(r"\text{shape: } \text{scalar} $$")
    assert r"(n\times n)\times (m\times n)" in mcalc.diff("R^T R", "R")._repr_latex_()
