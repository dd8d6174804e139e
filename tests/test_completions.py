"""Shell completion: the committed scripts are what typer generates, and they complete in a real shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import load_tool

from mcalc.cli.app import FORMATS, LAYOUTS, Command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: `mcalc` is there, next to python


gen = load_tool("gen_completions")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_script_is_what_typer_generates(shell: str) -> None:
    path = ROOT / gen.FILES[shell]
    assert path.read_text(encoding="utf-8") == gen.completion_script(shell), (
        f"{path.relative_to(ROOT)} is stale: run python tools/regen.py"
    )


def test_zsh_file_starts_with_compdef() -> None:
    first = (ROOT / "completions" / "_mcalc").read_text(encoding="utf-8").splitlines()[0]
    assert first == "#compdef mcalc"


def test_scripts_call_mcalc_through_the_completion_variable() -> None:
    for path in gen.FILES.values():
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "_MCALC_COMPLETE=complete_" in text, path


def _mcalc_env() -> dict[str, str]:
    if not (BIN / "mcalc").exists():
        pytest.skip(f"no mcalc console script next to {sys.executable} (pip install -e . first)")
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


# Every case completes the last word (possibly ""). Words are as bash puts them in COMP_WORDS: a quoted
# expression keeps its quotes. All cases run in one bash process (each TAB still starts mcalc once).
CASES: dict[str, tuple[str, ...]] = {
    "command": ("mcalc", "di"),
    "commands": ("mcalc", ""),
    "options": ("mcalc", "diff", "x", "--"),
    "wrt-partial": ("mcalc", "diff", "x", "--w"),
    "format": ("mcalc", "diff", "x", "--format", ""),
    "layout": ("mcalc", "diff", "x", "--layout", ""),
    "wrt": ("mcalc", "diff", '"tr(A B A^T C) + x^T W1 x"', "--wrt", ""),
    "wrt-W": ("mcalc", "diff", "'x^T W1 x'", "--wrt", "W"),
    "scalar": ("mcalc", "diff", '"θ^T Φ"', "--check", "--scalar", ""),
    "theta": ("mcalc", "diff", "'theta^T x'", "--wrt", "th"),
    "half-typed": ("mcalc", "diff", '"tr(A B"', "--wrt", ""),
    "at": ("mcalc", "diff", "x", "--at", ""),
    "file": ("mcalc", "check", "--file", ""),
    "check-layout": ("mcalc", "check", "x", "--layout", ""),
    **{f"format-{c}": ("mcalc", c.value, "--format", "") for c in Command},
}


# one worker computes the module's shells (xdist's loadgroup): they cost seconds each
pytestmark = pytest.mark.xdist_group("completions")


@pytest.fixture(scope="module")
def bash() -> dict[str, list[str]]:
    """COMPREPLY for every case, after sourcing completions/mcalc.bash in a clean bash."""
    lines = [f"source {ROOT / 'completions' / 'mcalc.bash'}"]
    for name, words in CASES.items():
        quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
        lines += [
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=()",
            "_mcalc_completion mcalc",
            f'printf "%s\\n" "=== {name}" "${{COMPREPLY[@]}}"',
        ]
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        env=_mcalc_env(),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        if line.startswith("=== "):
            current = result.setdefault(line[4:], [])
        elif line:
            current.append(line)
    assert set(result) == set(CASES), out.stdout
    return result


def test_bash_completes_the_command_name(bash: dict[str, list[str]]) -> None:
    assert bash["command"] == ["diff"]
    assert bash["commands"] == ["diff", "check", "eval", "shape", "identities", "repl"]


def test_bash_completes_options(bash: dict[str, list[str]]) -> None:
    assert {"--wrt", "--format", "--layout", "--check", "--at", "--steps", "--debug"} <= set(bash["options"])
    assert bash["wrt-partial"] == ["--wrt"]


def test_bash_completes_format_and_layout_values(bash: dict[str, list[str]]) -> None:
    assert bash["format"] == ["text", "latex", "json", "numpy", "index", "vec", "sympy", "jax", "torch"]
    assert bash["layout"] == ["mixed", "numerator", "denominator"]


def test_each_command_completes_exactly_the_formats_it_prints(bash: dict[str, list[str]]) -> None:
    """From the one table (mcalc.cli.app.FORMATS): check, eval, shape and identities once offered all seven."""
    for command in Command:
        assert bash[f"format-{command.value}"] == [f.value for f in FORMATS[command]], command
    assert bash["check-layout"] == [layout.value for layout in LAYOUTS[Command.check]] == ["numerator", "denominator"]


def test_bash_completes_wrt_with_the_expressions_variables(bash: dict[str, list[str]]) -> None:
    assert bash["wrt"] == ["A", "B", "C", "x", "W1"]
    assert bash["wrt-W"] == ["W1"]
    assert bash["scalar"] == ["θ", "Φ"]
    assert bash["theta"] == ["theta"]  # the expression spelled θ out: so does the completion
    assert bash["half-typed"] == []  # an expression that does not parse yet: nothing, and no error


def test_bash_falls_back_to_file_names_for_at_and_file(bash: dict[str, list[str]]) -> None:
    # mcalc offers nothing, and the script registers `complete -o default`: bash then completes file names.
    assert bash["at"] == [] and bash["file"] == []
    assert "complete -o default -F _mcalc_completion mcalc" in (ROOT / "completions" / "mcalc.bash").read_text()


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes(tmp_path: Path) -> None:
    (tmp_path / "values.npz").write_bytes(b"")
    script = (
        f"source {ROOT / 'completions' / 'mcalc.fish'}\n"
        'complete -C "mcalc di"; echo ---\n'
        "complete -C \"mcalc diff 'x^T W1 x' --wrt \"; echo ---\n"
        'complete -C "mcalc diff x --at v"\n'
    )
    out = subprocess.run(
        ["fish", "--no-config", "-c", script],
        capture_output=True,
        text=True,
        env=_mcalc_env(),
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    commands, names, files = [
        [line.split("\t")[0] for line in part.splitlines() if line] for part in out.stdout.split("---\n")
    ]
    assert commands == ["diff"]
    assert names == ["W1", "x"]
    assert files == ["values.npz"]  # --at completes file names


def test_completion_does_not_import_numpy_or_sympy() -> None:
    env = _mcalc_env() | {
        "_MCALC_COMPLETE": "complete_bash",
        "COMP_WORDS": 'mcalc diff "x^T W1 x" --wrt ',
        "COMP_CWORD": "4",
    }
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mcalc"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["x", "W1"]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert not loaded & {"numpy", "sympy", "matplotlib"}, sorted(loaded & {"numpy", "sympy", "matplotlib"})


# typer asks the parent process which shell it runs in and ignored a shell named on the command line:
# `mcalc --show-completion zsh` from bash printed bash's script, and under sh it failed ("Shell sh is not
# supported"). The named shell wins, whatever runs mcalc (here sh, which typer does not support).
@pytest.mark.parametrize(("shell", "first"), [("zsh", "#compdef mcalc"), ("fish", "complete --command mcalc")])
@pytest.mark.parametrize("spelling", ["{flag} {shell}", "{flag}={shell}"])
def test_show_completion_prints_the_script_of_the_shell_named(shell: str, first: str, spelling: str) -> None:
    words = spelling.format(flag="--show-completion", shell=shell)
    res = subprocess.run(["sh", "-c", f'"{BIN / "mcalc"}" {words}'], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res
    assert res.stdout.lstrip().startswith(first), res.stdout[:200]


def test_install_completion_installs_for_the_shell_named(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    cmd = f'"{BIN / "mcalc"}" --install-completion fish'
    res = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res
    script = tmp_path / ".config" / "fish" / "completions" / "mcalc.fish"
    assert script.read_text(encoding="utf-8").startswith("complete --command mcalc")
    assert not (tmp_path / ".bashrc").exists()
