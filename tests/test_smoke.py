"""The main job end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mcalc", *args], capture_output=True, text=True, timeout=60)


def test_main_job_prints_the_textbook_gradient() -> None:
    out = run("diff", "tr(A B A^T C)", "--wrt", "A")
    assert out.returncode == 0, out.stderr
    first, shape = out.stdout.splitlines()[:2]
    assert first.startswith("∂/∂A tr(ABAᵀC) = ")
    assert set(first.split(" = ")[1].split(" + ")) == {"CAB", "CᵀABᵀ"}
    assert shape == "shape: m×n"


def test_main_job_check_passes_and_is_reported_in_json() -> None:
    out = run("diff", "tr(A B A^T C)", "--wrt", "A", "--check", "--seed", "1", "--format", "json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["check"]["passed"] is True
    assert payload["check"]["max_rel_error"] < 1e-6


def test_bad_input_is_one_line_with_exit_code_2() -> None:
    out = run("diff", "tr(A B", "--wrt", "A")
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "col 7" in lines[0] and "Traceback" not in out.stderr
