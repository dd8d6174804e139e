"""Issue 26: mcalc under real limits (a small stack, a thread's stack, bad environment settings),
conflicting declarations, and a home directory it cannot write. Crashes are tried in a subprocess, so
that a segfault fails the test instead of ending the test run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.helpers import cli

PYTHON = sys.executable
MCALC = [PYTHON, "-m", "mcalc"]
# the deepest chain the parser accepts on an 8 MiB stack: 1,990 levels (issue 26: a segfault at 1 MiB)
DEEP_CHAIN = "x^T x" + " / 2" * 1990


def run(args: list[str], env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(args, capture_output=True, text=True, env=full_env, timeout=60, check=False, **kw)


# --- item 3: no crash from depth ---


@pytest.mark.parametrize("kib", [1024, 2048])
def test_a_deep_chain_under_a_small_ulimit_is_refused_in_one_line_or_answered(kib: int) -> None:
    """`ulimit -s 1024` and the accepted 1,990-deep chain: a segfault (exit 139) before the recursion limit
    followed the real stack."""
    cmd = f'ulimit -s {kib}; exec {" ".join(MCALC)} diff "$0" --wrt x'
    res = run(["bash", "-c", cmd, DEEP_CHAIN])
    assert res.returncode in (0, 2), (res.returncode, res.stderr[-300:])
    if res.returncode == 2:
        assert res.stderr.count("\n") == 1 and res.stdout == ""
        assert f"nested too deeply for this stack (ulimit -s {kib})" in res.stderr
        assert "raise it with ulimit -s" in res.stderr
    else:
        assert "read: x vector" in res.stdout


def test_a_shallow_expression_is_still_answered_under_a_small_ulimit() -> None:
    res = run(["bash", "-c", f'ulimit -s 1024; exec {" ".join(MCALC)} diff "$0" --wrt x', "x^T x / 2 / 2"])
    assert res.returncode == 0 and res.stdout.startswith("∂/∂x (1/4 xᵀx) = 1/2 x\n"), (res.returncode, res.stderr)


THREAD_SCRIPT = """
import sys, threading
import mcalc
out = []
def run():
    try:
        out.append(("answer", mcalc.diff(sys.argv[1], "x").text[-30:]))
    except mcalc.McalcError as exc:
        out.append(("refused", str(exc)))
before = 1 << 20
threading.stack_size(before)
t = threading.Thread(target=run)
t.start()
t.join()
assert threading.stack_size() == before, "mcalc reset the stack size of new threads"
print(out[0][0], out[0][1], sep="\\n")
"""


def test_a_deep_chain_in_a_thread_with_a_one_mib_stack_is_refused_or_answered() -> None:
    """mcalc.diff in a thread with a 1 MiB stack: a segfault, the recursion limit being 20,000 whatever the
    stack; and reading threading.stack_size() without an argument sets it to 0, which mcalc must not do."""
    res = run([PYTHON, "-c", THREAD_SCRIPT, DEEP_CHAIN])
    assert res.returncode == 0, (res.returncode, res.stderr[-500:])
    kind, text = res.stdout.splitlines()
    if kind == "refused":
        assert "nested too deeply for this stack (a thread stack of 1024 KiB)" in text
        assert "threading.stack_size()" in text
    else:
        assert kind == "answer" and text.endswith("x")


def test_the_recursion_limit_follows_the_thread_stack() -> None:
    from mcalc import stack

    script = textwrap.dedent(
        """
        import threading
        from mcalc import stack
        got = []
        for size in (1 << 20, 4 << 20):
            threading.stack_size(size)
            t = threading.Thread(target=lambda: got.append((stack.stack_bytes()[0], stack.recursion_limit())))
            t.start(); t.join()
        print(got)
        """
    )
    res = run([PYTHON, "-c", script])
    (small, small_limit), (large, large_limit) = eval(res.stdout)  # noqa: S307 - our own printed list
    assert small >= 1 << 20 and large >= 4 << 20
    assert small_limit * stack.BYTES_PER_FRAME <= small  # within the stack it has
    assert large_limit > small_limit


def test_lets_written_out_too_deep_are_refused_before_writing_them_out() -> None:
    """Three lets each a 1,900-deep chain: written out 5,700 deep; the expansion itself recursed into a
    RecursionError ('nested too deeply', no more said) and could overflow a small stack."""
    chain = " / 2" * 1900
    lets = ["--let", f"L1 = x^T x{chain}", "--let", f"L2 = L1{chain}", "--let", f"L3 = L2{chain}"]
    res = cli("diff", "L3", *lets, "--wrt", "x")
    assert res.code == 2 and res.stderr.count("\n") == 1
    assert "with every --let name written out, expression nested too deeply: more than 2,000 levels" in res.stderr
