"""The interactive session without a terminal: `:` commands and the session value, a line turned into the argv
the app runs (the declarations a command accepts and uses, the line's own options winning), completion's
candidates, and `mcalc repl < file` run as a script (its output is the command line's, its exit status the
largest of its lines')."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from typer.main import get_command

from mcalc.cli.app import app
from mcalc.cli.repl_complete import Completer, candidates, function_words, toolbar, words_before
from mcalc.cli.repl_lines import LineError, State, command_argv, command_specs, session_command, split

SPECS = command_specs(get_command(app))


def declare(*lines: str, state: State | None = None) -> State:
    state = state or State()
    for line in lines:
        outcome = session_command(state, line, SPECS, lambda options: None)
        assert outcome.error is None, outcome.error
        state = outcome.state
    return state


def argv(line: str, state: State) -> list[str]:
    return command_argv(split(line), state, SPECS)


def test_declarations_become_the_options_of_the_commands_that_use_them() -> None:
    state = declare(":symmetric S", ":scalar c,t", ":shape A=3x4", ":let e = y - c X w")
    assert argv('diff "tr(S A)" --wrt S', state) == [
        "diff", "--symmetric", "S", "--shape", "A=3x4", "tr(S A)", "--wrt", "S"
    ]  # fmt: skip
    # e's definition uses c: a let brings the declarations of its own names
    assert argv('diff "e^T e" --wrt w', state) == ["diff", "--scalar", "c", "--let", "e = y - c X w", "e^T e",
                                                   "--wrt", "w"]  # fmt: skip
    assert argv('shape "x^T x"', state) == ["shape", "x^T x"]  # no name of the session: nothing to warn about
    assert argv("identities det", state) == ["identities", "det"]  # takes no declarations
    assert argv("check --file sheet.txt", state)[:3] == ["check", "--symmetric", "S"]  # no EXPR: all of them


def test_a_lines_own_options_win() -> None:
    state = declare(":format json", ":layout numerator", ":vector c")
    assert argv('diff "c^T x" --wrt x --format text', state) == [
        "diff", "--layout", "numerator", "--vector", "c", "c^T x", "--wrt", "x", "--format", "text"
    ]  # fmt: skip
    assert argv('diff "c x" --wrt x -flatex --scalar c --layout=mixed', state) == [
        "diff", "c x", "--wrt", "x", "-flatex", "--scalar", "c", "--layout=mixed"
    ]  # fmt: skip


def test_only_options_a_command_accepts_are_added() -> None:
    state = declare(":layout mixed", ":format latex")
    assert argv('check "tr(A B)" --wrt A --claim B', state) == ["check", "tr(A B)", "--wrt", "A", "--claim", "B"]
    assert argv('shape "A x"', state) == ["shape", "A x"]  # no --layout, and shape prints no LaTeX
    assert argv('diff "tr(A)" --wrt A', state)[:5] == ["diff", "--layout", "mixed", "--format", "latex"]
    assert argv('check "tr(A B)" --wrt A --claim B', declare(":layout denominator"))[1:3] == ["--layout", "denominator"]


def test_a_later_declaration_replaces_what_it_contradicts() -> None:
    state = declare(":scalar x", ":shape A=3x4", ":vector x", ":shape A=2x2", ":let e = y", ":let e = z",
                    ":function f", ":elementwise f", ":layout numerator", ":layout")  # fmt: skip
    assert state.declared == (("--vector", "x"), ("--shape", "A=2x2"), ("--let", "e = z"), ("--elementwise", "f"))
    assert declare(":symmetric S", ":matrix S").declared == (("--symmetric", "S"), ("--matrix", "S"))
    assert declare(":scalar theta", ":vector θ").declared == (("--vector", "θ"),)  # one name, two spellings
    assert declare(':let "e = y - X w"', ":function 'f(u) = sum(u)'").declared == (
        ("--let", "e = y - X w"), ("--function", "f(u) = sum(u)")
    )  # quoted as on a command line  # fmt: skip


def test_a_history_that_stops_being_writable_goes_on_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from prompt_toolkit.history import FileHistory

    from mcalc.cli.repl import _kept_history

    history = _kept_history(FileHistory)(str(tmp_path))  # a directory: every write fails
    history.append_string('shape "x"')
    history.append_string('shape "y"')
    assert history.get_strings() == ['shape "x"', 'shape "y"']
    assert capsys.readouterr().err.count("note: history is no longer saved") == 1


def test_session_commands_answer_or_refuse_in_one_line() -> None:
    state = declare(":symmetric S", ":let e = y - X w")
    assert session_command(state, ":show", SPECS, lambda o: None).out == ("--symmetric S", "--let 'e = y - X w'")
    assert session_command(State(), ":show", SPECS, lambda o: None).out == ("no declarations",)
    assert session_command(state, ":reset", SPECS, lambda o: None).state.declared == ()
    assert session_command(state, ":quit", SPECS, lambda o: None).leave
    assert ":symmetric NAMES" in "\n".join(session_command(state, ":help", SPECS, lambda o: None).out)
    refused = {
        ":scalr c": "unknown session command :scalr; did you mean :scalar? (:help lists them)",
        ":layout sideways": "layout is one of mixed, numerator, denominator: :layout mixed",
        ":format pdf": "format is one of text, latex, json, numpy, index, vec, sympy, jax, torch: :format text",
        ":symmetric": ":symmetric needs NAMES: :symmetric NAMES",
    }
    for line, message in refused.items():
        outcome = session_command(state, line, SPECS, lambda o: None)
        assert (outcome.error, outcome.state) == (message, state), line
    # a declaration the commands refuse is refused when typed, with their message; the session keeps its value
    probed: list[list[str]] = []
    outcome = session_command(state, ":shape A=3y", SPECS, lambda o: probed.append(o) or "bad --shape")  # type: ignore[func-returns-value]
    assert (outcome.error, outcome.state) == ("bad --shape", state)
    assert probed == [["--symmetric", "S", "--let", "e = y - X w", "--shape", "A=3y"]]


def test_lines_that_cannot_run_say_why_with_a_column() -> None:
    with pytest.raises(LineError) as exc:
        split('diff "tr(A B) --wrt A')
    assert (exc.value.message, exc.value.column) == ("no closing quotation in this line", 5)
    for line in ("diff - --wrt x", "check --file -", "eval -"):
        with pytest.raises(LineError, match="reads standard input, which is the session's own"):
            argv(line, State())
    with pytest.raises(LineError, match="the interactive session already"):
        argv("repl", State())
    assert argv('mcalc shape "x"', State()) == ["shape", "x"]  # the word mcalc, typed out of habit
    assert command_argv(["identities"], State(), SPECS, ("--ascii",)) == ["identities", "--ascii"]


def test_completion_candidates() -> None:
    state = declare(":matrix W_hidden", ":scalar lam")
    functions = function_words()
    assert "sigmoid" in functions and "tr" in functions and "sign" not in functions  # sign is internal
    assert candidates("di", SPECS, state, functions) == ("di", ["diff"])
    assert candidates(":sy", SPECS, state, functions) == (":sy", [":symmetric"])
    assert candidates("diff x --la", SPECS, state, functions) == ("--la", ["--layout"])
    assert candidates("check x --layout ", SPECS, state, functions) == ("", ["numerator", "denominator"])
    assert candidates("shape x --format ", SPECS, state, functions) == ("", ["text", "json"])
    assert candidates(":layout n", SPECS, state, functions) == ("n", ["numerator"])
    assert candidates('shape "W_', SPECS, state, functions) == ("W_", ["W_hidden"])
    assert candidates('diff "tr(A sigmo', SPECS, state, functions) == ("sigmo", ["sigmoid"])
    # σ_max's ASCII spellings are function words too (issue 24)
    assert candidates('diff "tr(A sigm', SPECS, state, functions) == ("sigm", ["sigma_max", "sigma_min", "sigmoid"])
    assert candidates('diff "x^T B y" --wrt ', SPECS, state, functions)[1][-3:] == ["x", "B", "y"]
    assert words_before('diff "a b" --wrt x') == (["diff", "a b", "--wrt"], "x", False)
    shown = Completer(SPECS, lambda: state).get_completions(Document("check x --lay"), CompleteEvent())
    assert [(c.text, c.display_meta_text) for c in shown] == [("--layout", SPECS["check"].helps["--layout"])]
    assert SPECS["check"].helps["--layout"] != SPECS["diff"].helps["--layout"]  # each command's own help
    assert toolbar(state) == " matrix W_hidden · scalar lam"
    assert toolbar(State()).startswith(" no declarations")


ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}


def run_script(
    tmp_path: Path, text: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "session.txt"
    script.write_text(text, encoding="utf-8")
    with script.open(encoding="utf-8") as stdin:
        command = [sys.executable, "-m", "mcalc", *args]
        return subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, timeout=60, env={**ENV, **(env or {})}
        )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mcalc", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env={**ENV, **(env or {})}
    )


def test_repl_from_a_file_runs_it_as_a_script(tmp_path: Path) -> None:
    lines = ':symmetric S\n# a comment\n\ndiff "tr(S A)" --wrt S\nshape "A x" --shape A=2x3\n'
    done = run_script(tmp_path, lines, "repl")
    one, two = cli("diff", "tr(S A)", "--wrt", "S", "--symmetric", "S"), cli("shape", "A x", "--shape", "A=2x3")
    assert done.stdout == one.stdout + two.stdout and done.stderr == one.stderr + two.stderr == ""
    assert done.returncode == 0


def test_a_script_exits_with_its_worst_line(tmp_path: Path) -> None:
    wrong = 'check "tr(A B)" --wrt A --claim "B^T B"\n'
    done = run_script(tmp_path, f'{wrong}shape "x"\n', "repl")
    assert done.returncode == 1 and "x : m×1" in done.stdout  # a wrong claim: 1, and the lines after it still run
    done = run_script(tmp_path, f':scalr c\n{wrong}diff "x +" --wrt x\n:quit\nshape "never"\n', "repl")
    assert done.returncode == 2  # bad input (2) is worse than a wrong claim (1)
    assert done.stderr.splitlines() == [
        "error: unknown session command :scalr; did you mean :scalar? (:help lists them)",
        "error: expected an operand, found end of input at col 4",  # no caret: that is for a person at a terminal
    ]
    assert "never" not in done.stdout
    assert run_script(tmp_path, "", "repl").returncode == 0


def test_a_session_in_ascii_tells_every_line(tmp_path: Path) -> None:
    """Standard output that cannot encode Unicode: each line prints what the command line prints there."""
    lines = 'diff "tr(A B)" --wrt A\n:scalar theta\ndiff "theta x^T x" --wrt x\n'
    done = run_script(tmp_path, lines, "repl", env={"PYTHONIOENCODING": "ascii"})
    one = cli("diff", "tr(A B)", "--wrt", "A", env={"PYTHONIOENCODING": "ascii"})
    two = cli("diff", "theta x^T x", "--wrt", "x", "--scalar", "theta", env={"PYTHONIOENCODING": "ascii"})
    assert done.stdout == one.stdout + two.stdout and done.stdout.isascii() and "d/dA tr(A B) = B^T" in done.stdout


def test_plain_mcalc_with_stdin_not_a_terminal_prints_usage_as_before(tmp_path: Path) -> None:
    done = run_script(tmp_path, 'shape "x"\n')
    assert done.returncode == 2 and done.stdout == "" and "Usage: mcalc" in done.stderr
