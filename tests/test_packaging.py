"""Packaging: one version, one entry point, `python -m mcalc` named mcalc, data files shipped by the wheel.

Building and installing a wheel needs the network (hatchling in an isolated build env), so it is not a unit
test; the manual check (fresh venv, `pip install .`, `pipx install .`) is reported in the README section
"Shell completion and man page".
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer

import mcalc
from mcalc.cli import app as app_module

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_lives_only_in_mcalc_init() -> None:
    assert "version" not in CONFIG["project"]
    assert "version" in CONFIG["project"]["dynamic"]
    assert CONFIG["tool"]["hatch"]["version"]["path"] == "mcalc/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", mcalc.__version__)


def test_installed_metadata_agrees_with_the_source() -> None:
    try:
        installed = importlib.metadata.version("mcalc")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mcalc is not installed in this environment")
    assert installed == mcalc.__version__, "reinstall (pip install -e .) after changing mcalc/__init__.py"


def test_console_script_is_the_typer_app() -> None:
    target = CONFIG["project"]["scripts"]["mcalc"]
    module, _, attr = target.partition(":")
    assert module == "mcalc.cli.app"
    assert isinstance(getattr(app_module, attr), typer.Typer)


def test_python_dash_m_mcalc_reports_the_version_under_the_name_mcalc() -> None:
    out = subprocess.run([sys.executable, "-m", "mcalc", "--version"], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout) == (0, f"mcalc {mcalc.__version__}\n")
    assert 'prog_name="mcalc"' in (ROOT / "mcalc" / "__main__.py").read_text(encoding="utf-8")


def test_requires_python_matches_the_dependencies() -> None:
    assert CONFIG["project"]["requires-python"] == ">=3.11"  # typer 0.29 and numpy 2.4 need 3.11
    deps = " ".join(CONFIG["project"]["dependencies"])
    assert "typer>=0.26,<0.30" in deps  # the man-page generator walks typer's vendored click objects


def test_wheel_ships_only_the_package_and_the_shared_data() -> None:
    wheel = CONFIG["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["mcalc"]
    for source, dest in wheel["shared-data"].items():
        assert (ROOT / source).is_file() and (ROOT / source).stat().st_size > 0, source
        assert dest.startswith("share/"), dest


def test_the_readme_tells_how_to_install_completions_and_the_man_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Shell completion and man page" in readme
    section = readme.split("## Shell completion and man page", 1)[1].split("\n## ", 1)[0]
    for needle in ["completions/mcalc.bash", "completions/_mcalc", "completions/mcalc.fish", "man -l man/mcalc.1"]:
        assert needle in section, needle
