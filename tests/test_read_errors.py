"""Issue 26 item 8: a failure is classified by where it happens, not by its errno. A read of the input
(`--file`, an `.npz` of `--at`, standard input) that fails is bad input: `cannot read NAME: reason`, exit 2,
whatever the errno (EIO reading /proc/self/mem was "cannot write output", exit 74). A write to stdout that
fails is an output error, exit 74, whatever the errno (EACCES or EAGAIN were internal errors)."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli

MCALC = [sys.executable, "-m", "mcalc"]
EXIT_INPUT = 2
EXIT_IO = 74
PROC_MEM = "/proc/self/mem"  # opens, then EIO on the first read at offset 0 (mcalc's own memory, unmapped there)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MCALC, *args], capture_output=True, text=True, timeout=60, check=False)


needs_proc = pytest.mark.skipif(not Path(PROC_MEM).exists(), reason="no /proc here")


@needs_proc
def test_a_sheet_that_fails_to_read_is_an_input_error() -> None:
    out = run("check", "--file", PROC_MEM)
    assert (out.returncode, out.stdout) == (EXIT_INPUT, "")
    assert out.stderr == f"error: cannot read {PROC_MEM}: Input/output error\n"


@needs_proc
def test_an_npz_that_fails_to_read_is_an_input_error() -> None:
    out = run("diff", "x^T A x", "--wrt", "x", "--at", PROC_MEM, "--format", "json")
    assert out.returncode == EXIT_INPUT
    assert '"error": "cannot read /proc/self/mem: Input/output error"' in out.stdout


def test_a_directory_is_an_input_error(tmp_path: Path) -> None:
    sheet = run("check", "--file", str(tmp_path))
    assert (sheet.returncode, sheet.stderr) == (EXIT_INPUT, f"error: cannot read {tmp_path}: Is a directory\n")
    values = run("diff", "x^T A x", "--wrt", "x", "--at", str(tmp_path))
    assert (values.returncode, values.stderr) == (EXIT_INPUT, f"error: cannot read {tmp_path}: not a regular file\n")


class _Failing(io.RawIOBase):
    """A stream whose reads fail with `code` after `good` bytes (stdin on a broken device, a directory, a
    file that lost its permission: the errno is whatever the system says)."""

    def __init__(self, code: int, good: bytes = b"") -> None:
        self.code, self.good = code, good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.good:
            n = min(len(buffer), len(self.good))
            buffer[:n], self.good = self.good[:n], self.good[n:]
            return n
        raise OSError(self.code, os.strerror(self.code))


ERRNOS = [errno.EIO, errno.EACCES, errno.EISDIR, errno.EINVAL, errno.EBADF]


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
@pytest.mark.parametrize("command", [["diff", "-"], ["check", "--file", "-"]], ids=["diff", "check"])
def test_standard_input_that_fails_to_read_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, code: int, command: list[str]
) -> None:
    """The first line answered, then the read fails: one line naming standard input, the input's exit code
    (EIO, EBADF and EINVAL were in the list of errnos taken for a broken output)."""
    from mcalc.syntax import source

    first = b"x^T A x ; x\n" if command[0] == "diff" else b"x^T A x ; x ; (A + A^T) x\n"
    monkeypatch.setattr(source, "stdin_binary", lambda: io.BufferedReader(_Failing(code, first), buffer_size=8))
    out = cli(*command, "--format", "json")
    assert out.code == EXIT_INPUT
    *answers, error = out.stdout.splitlines()
    assert len(answers) == 1 and '"line": 1' in answers[0]
    assert f'"error": "cannot read standard input: {os.strerror(code)}"' in error


class _Unwritable(io.StringIO):
    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def write(self, text: str) -> int:
        raise OSError(self.code, os.strerror(self.code))

    def flush(self) -> None:
        pass


OUT_ERRNOS = [errno.EACCES, errno.EAGAIN, errno.EIO, errno.ENOSPC]


@pytest.mark.parametrize("code", OUT_ERRNOS, ids=[errno.errorcode[c] for c in OUT_ERRNOS])
def test_stdout_that_fails_to_write_is_an_output_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int
) -> None:
    """Whatever the errno (EACCES and EAGAIN, a non-blocking stdout left full, were internal errors, exit 1)."""
    from mcalc.cli.app import app

    monkeypatch.setattr(sys, "stdout", _Unwritable(code))
    with pytest.raises(SystemExit) as ended:
        app(args=["diff", "tr(A B)", "--wrt", "A"], prog_name="mcalc")
    assert ended.value.code == EXIT_IO
    assert capsys.readouterr().err == f"error: cannot write output: {os.strerror(code)}\n"


def test_a_library_oserror_without_an_errno_is_not_an_output_error() -> None:
    """numpy's own complaints are OSErrors without an errno, and open() failures carry a file name: neither
    is the output (mcalc.cli.streams.is_output_error)."""
    from mcalc.cli.streams import is_output_error

    assert is_output_error(OSError(errno.EIO, "Input/output error"))
    assert is_output_error(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    assert not is_output_error(OSError("Failed to interpret file as a pickle"))
    assert not is_output_error(PermissionError(errno.EACCES, "Permission denied", "/etc/shadow"))
    assert not is_output_error(ValueError("x"))
