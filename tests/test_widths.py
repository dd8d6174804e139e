"""Output is never lost on a terminal of any width (issue 26, item 6).

Every command runs on a real pseudo-terminal at COLUMNS=0, 1, 20 and 40 (and at widths the terminal itself
reports, with COLUMNS unset), and must print its whole answer: every word that the same command prints to a
pipe (the derivative, the verdict and its reason, the error line) appears whole on the terminal, and the exit
code is the pipe's. Before the fix, COLUMNS=0 printed nothing at all with exit 0, and at 20 columns the
`check --file` table cut every verdict to "…".

One child process on one pseudo-terminal runs all the cases in turn through the typer app (as the interactive
session runs its lines), so the table costs one start-up, not one per case; two cases also run as a real
`python -m mcalc` process, the way the bug was found.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from helpers import on_a_terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NOT_TEXT = re.compile("[\u2500-\u257f\r]")  # rich's box drawing, and the terminal's carriage returns

SHEET = "x^T x ; x ; 2x\ntr(A B) ; A ; B\nx^T x ; x ; x\nlogdet(X) ; X ; inv(X)^T ; --symmetric X\n"

# (name, arguments, exit code); {sheet} is the homework sheet above
COMMANDS: list[tuple[str, list[str], int]] = [
    ("diff", ["diff", "x^T A x", "--wrt", "x"], 0),
    ("diff --check", ["diff", "tr(A B A^T C)", "--wrt", "A", "--check", "--seed", "1"], 0),
    ("diff --steps", ["diff", "x^T A x", "--wrt", "x", "--steps"], 0),
    ("check", ["check", "x^T x", "--wrt", "x", "--claim", "x"], 1),
    ("check --file", ["check", "--file", "{sheet}"], 1),
    ("eval", ["eval", "x^T x", "--at", "x=[1,2]"], 0),
    ("shape", ["shape", "a^T X b"], 0),
    ("identities", ["identities"], 0),
    ("--help", ["--help"], 0),
    ("diff --help", ["diff", "--help"], 0),
    ("parse error", ["diff", "tr(A B", "--wrt", "A"], 2),
    ("usage error", ["diff", "x", "--wrt", "x", "--bogus"], 2),
    ("missing claim", ["check", "x", "--wrt", "x"], 2),
]

# COLUMNS=N, or COLUMNS unset and the terminal's own size set to N columns ("tty N")
WIDTHS = ["0", "1", "20", "40", "tty 0", "tty 20", "tty 200"]

DRIVER = r"""
import fcntl, io, json, os, struct, sys, termios
from mcalc.cli.app import app

def run(argv):
    try:
        app(args=argv, prog_name="mcalc")
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0

for index, (width, argv) in enumerate(json.loads(sys.argv[1])):
    if width == "pipe":  # what a pipe gets: the reference
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = io.StringIO()
        try:
            code = run(argv)
            text = sys.stdout.getvalue()
        finally:
            sys.stdout, sys.stderr = saved
        print(f"@@start {index}@@" + text + f"@@end {index} {code}@@", flush=True)
        continue
    os.environ.pop("COLUMNS", None)
    columns = 0
    if width.startswith("tty "):
        columns = int(width.split()[1])
    else:
        os.environ["COLUMNS"] = width
    fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    print(f"@@start {index}@@", flush=True)
    code = run(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    print(f"@@end {index} {code}@@", flush=True)
"""

CASE = re.compile(r"@@start (\d+)@@(.*?)@@end \1 (\d+)@@", re.S)


def _terminal_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    return env


# the plain lines' labels that the styled output writes otherwise (`shape m`, `• d(xᵀAx) = …`, `where u₁ = …`)
LABELS = frozenset({"shape:", "step:", "where:", "let:", "index:", "value:"})


def _words(text: str) -> list[str]:
    """The words a person reads: no colour codes, no box drawing, no line labels, a word broken at its
    hyphen by the help's wrapping (`comma-` / `separated`) joined again."""
    text = re.sub(r"(?<=\w-)\s*\n\s*", "", NOT_TEXT.sub(" ", ANSI.sub("", text)))
    return [w for w in text.split() if w not in LABELS]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[int, str]]:
    """(command, width) -> (exit code, text) for every case, plus (command, "pipe") for the reference."""
    sheet = tmp_path_factory.mktemp("widths") / "sheet.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    keys: list[tuple[str, str]] = []
    cases: list[tuple[str, list[str]]] = []
    for name, args, _ in COMMANDS:
        argv = [a.replace("{sheet}", str(sheet)) for a in args]
        for width in ["pipe", *WIDTHS]:
            keys.append((name, width))
            cases.append((width, argv))
    code, text = on_a_terminal([sys.executable, "-c", DRIVER, json.dumps(cases)], _terminal_env())
    assert code == 0, text[-3000:]
    found = {int(m.group(1)): (int(m.group(3)), m.group(2)) for m in CASE.finditer(text.replace("\r\n", "\n"))}
    assert sorted(found) == list(range(len(cases))), text[-3000:]
    return {key: found[i] for i, key in enumerate(keys)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "expected_code"), [(name, code) for name, _, code in COMMANDS])
def test_every_command_prints_its_whole_answer_at_every_width(
    shown: dict[tuple[str, str], tuple[int, str]], name: str, expected_code: int, width: str
) -> None:
    pipe_code, pipe = shown[name, "pipe"]
    code, text = shown[name, width]
    assert pipe_code == expected_code, pipe
    assert code == expected_code, text
    assert _words(pipe), f"{name}: the reference printed nothing"
    on_terminal = set(_words(text))
    lost = [w for w in _words(pipe) if w not in on_terminal]
    assert not lost, f"{name} at {width}: {lost[:12]} missing from what the terminal showed:\n{text}"


def test_below_the_usable_width_a_terminal_gets_the_pipe_s_plain_lines(
    shown: dict[tuple[str, str], tuple[int, str]],
) -> None:
    """At COLUMNS=0, 1 and 20 (and a terminal that says 0 or 20 columns) the sheet is the pipe's
    tab-separated rows, without colour; at 200 columns it is a table again."""
    _, pipe = shown["check --file", "pipe"]
    for width in ("0", "1", "20", "tty 0", "tty 20"):
        _, text = shown["check --file", width]
        assert text.replace("\r", "").strip() == pipe.strip(), width
    _, wide = shown["check --file", "tty 200"]
    assert "┃" in wide and "\t" not in wide, wide


def test_a_table_that_would_cut_a_word_is_printed_as_rows(
    shown: dict[tuple[str, str], tuple[int, str]],
) -> None:
    """At 40 columns the sheet's six columns cannot each hold their longest word: rows, not a table with
    "verd…" and "err…" in it."""
    _, text = shown["check --file", "40"]
    assert "…" not in text and "┃" not in text, text
    assert "correct" in _words(text) and "layout" in _words(text), text


@pytest.mark.parametrize(
    ("columns", "args", "expected_code", "needle"),
    [
        ("0", ["diff", "x^T A x", "--wrt", "x"], 0, "(A + Aᵀ)x"),
        ("20", ["check", "--file", "{sheet}"], 1, "correct"),
    ],
)
def test_a_real_process_at_a_narrow_width(
    tmp_path: Path, columns: str, args: list[str], expected_code: int, needle: str
) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    argv = [a.replace("{sheet}", str(sheet)) for a in args]
    env = _terminal_env() | {"COLUMNS": columns}
    code, text = on_a_terminal([sys.executable, "-m", "mcalc", *argv], env)
    assert code == expected_code, text
    assert needle in ANSI.sub("", text), text
