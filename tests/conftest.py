"""Shared fixtures: the suite's seed, a seeded random generator and hypothesis profiles.

Every random draw in the suite comes from `MCALC_TEST_SEED` (default 0): numpy generators through
`helpers.seeded(...)` and the `rng` fixture, hypothesis through its global seed (derandomised per test
when the seed is the default, so a plain run is repeatable; another seed gives other examples, and no
example database is read or written either way). `MCALC_DEEP_TESTS=1` runs the property and fuzz tests
at their full depth (see README § Tests).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers import DEEP, TEST_SEED, seeded
from hypothesis import HealthCheck, core, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("seeded", derandomize=False, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
if TEST_SEED != 0:
    core.global_force_seed = TEST_SEED  # every hypothesis test draws from the suite's seed
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "seeded"))
else:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    return np.random.default_rng(seeded(request.node.nodeid))


_SUMMARIES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the counts that property runs record (they travel with the report from xdist workers)."""
    if report.when == "call":
        _SUMMARIES.extend(str(v) for k, v in report.user_properties if k == "mcalc_summary")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for text in _SUMMARIES:
        terminalreporter.write_line(text)
    if terminalreporter.config.get_verbosity() < 0:  # -q hides the header: the seed that repeats the run, at the end
        terminalreporter.write_line(pytest_report_header())


def pytest_report_header() -> str:
    return f"mcalc test seed: MCALC_TEST_SEED={TEST_SEED}; deep property runs: {'on' if DEEP else 'off'}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected output in tests/golden/*.txt from what mcalc prints now "
        "(cases marked `# xfail:` keep their textbook expectation)",
    )
