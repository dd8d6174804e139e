"""man/mcalc.1: in sync with its generator, covers every command and option, lints clean, renders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import typer
from helpers import load_tool
from typer.main import get_command

from mcalc.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "man" / "mcalc.1"


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_page_is_in_sync_with_the_generator(page: str) -> None:
    assert page == load_tool("gen_man").render(), "man/mcalc.1 is stale: run python tools/regen.py"


def test_page_has_the_sections_of_a_real_man_page(page: str) -> None:
    assert re.search(r'^\.TH MCALC 1 \d{4}-\d{2}-\d{2} "mcalc [0-9.]+"', page, re.M)
    sections = re.findall(r"^\.SH (.+)$", page, re.M)
    for name in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        "EXPRESSION SYNTAX",
        "EXAMPLES",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "SEE ALSO",
    ]:
        assert name in sections, name
    assert "NO_COLOR" in page
    assert r"mcalc \- " in page.split(".SH NAME", 1)[1]  # whatis/apropos need "name \- description"


def test_version_in_the_header_is_the_package_version(page: str) -> None:
    from mcalc import __version__

    assert f'"mcalc {__version__}"' in page.splitlines()[2]


def _troff(text: str) -> str:
    return text.replace("-", r"\-")


def test_every_command_and_every_long_option_is_in_the_page(page: str) -> None:
    group = get_command(app)
    ctx = typer.Context(group, info_name="mcalc")
    commands = group.list_commands(ctx)
    assert commands, "no commands found in the app"
    options = {"--help"} | {o for p in group.params for o in p.opts + p.secondary_opts if o.startswith("--")}
    for name in commands:
        assert f".SS mcalc {name}\n" in page, f"command {name} has no section in COMMANDS"
        assert rf"\fBmcalc\fR \fB{name}\fR" in page, f"command {name} is not in the SYNOPSIS"
        command = group.get_command(ctx, name)
        assert command is not None
        options |= {o for p in command.params for o in p.opts + p.secondary_opts if o.startswith("--")}
    options_section = page.split(".SH OPTIONS", 1)[1].split("\n.SH ", 1)[0]
    missing = [o for o in sorted(options) if rf"\fB{_troff(o)}\fR" not in options_section]
    assert not missing, f"options missing from OPTIONS in man/mcalc.1: {missing}; run python tools/regen.py"


def test_dashes_and_backslashes_are_escaped(page: str) -> None:
    for line in page.splitlines():
        if line.startswith('.\\"'):
            continue
        assert "--" not in line, f"unescaped option dash: {line}"
        assert not re.search(r"\\[^-fe&\[(*]", line), f"unknown escape: {line}"
        assert not any(ord(ch) > 127 for ch in line), f"raw non-ASCII (use \\[uXXXX]): {line}"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)  # type: ignore[call-overload]


@pytest.mark.skipif(
    shutil.which("mandoc") is None, reason="mandoc is not installed (Debian: apt-get install mandoc; .ci/run tries)"
)
def test_mandoc_lint_is_clean() -> None:
    out = _run(["mandoc", "-Tlint", "-Wwarning", str(PAGE)])
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed (Debian: groff-base)")
def test_groff_reports_no_warnings() -> None:
    out = _run(["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)])
    # groff exits 0 even on warnings: the verdict is an empty stderr
    assert (out.returncode, out.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed (Debian: man-db)")
def test_man_renders_the_page() -> None:
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    out = _run(["man", "-l", str(PAGE)], env=env)
    assert out.returncode == 0, out.stderr
    text = re.sub(r".\x08", "", out.stdout)  # drop overstrike bold, should the pager keep it
    assert "mcalc diff" in text
    assert "EXIT STATUS" in text and "NO_COLOR" in text
    assert "--wrt" in text  # \- renders as a plain hyphen-minus: options can be copied


def test_the_wheel_installs_the_page_and_completions() -> None:
    """hatchling's shared-data puts the page where `man mcalc` finds it (share/man/man1 under the prefix)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shared = config["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["man/mcalc.1"] == "share/man/man1/mcalc.1"
    assert shared["completions/mcalc.bash"] == "share/bash-completion/completions/mcalc"
    assert shared["completions/_mcalc"] == "share/zsh/site-functions/_mcalc"
    assert shared["completions/mcalc.fish"] == "share/fish/vendor_completions.d/mcalc.fish"
    for source in shared:
        assert (ROOT / source).stat().st_size > 0, f"{source} is empty"
