"""One line of the interactive session (`mcalc repl`): what the commands accept, the session's declarations
as one immutable value, a `:` command turned into a new value, and a command line turned into the argv the
typer app runs, with the declarations in force added as that command's own options.

Nothing here reads the terminal or prints: mcalc/cli/repl.py runs the loop.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mcalc.records import Record, record

# Declaration options whose values are names, one per item (`:scalar c,t` or `:scalar c t`)
NAME_OPTIONS = ("--scalar", "--vector", "--matrix", "--symmetric", "--diagonal", "--toeplitz")
# What a later declaration of the same name replaces: declaring x a vector ends `:scalar x`. A symmetric
# matrix is a matrix, so `--matrix S` and `--symmetric S` stand together.
_REPLACES: dict[str, frozenset[str]] = {
    "--scalar": frozenset(NAME_OPTIONS),
    "--vector": frozenset(NAME_OPTIONS),
    "--matrix": frozenset({"--scalar", "--vector", "--matrix"}),
    "--symmetric": frozenset({"--scalar", "--vector", "--symmetric", "--toeplitz"}),
    "--diagonal": frozenset({"--scalar", "--vector", "--diagonal", "--toeplitz"}),
    "--toeplitz": frozenset({"--scalar", "--vector", "--symmetric", "--diagonal", "--toeplitz"}),
    "--shape": frozenset({"--shape"}),
    "--let": frozenset({"--let"}),
    "--function": frozenset({"--function", "--elementwise"}),
    "--elementwise": frozenset({"--function", "--elementwise"}),
    "--layout": frozenset({"--layout"}),
    "--format": frozenset({"--format"}),
}

# The session commands: (name, the option it declares or None, its argument, what it does)
SESSION_COMMANDS: tuple[tuple[str, str | None, str, str], ...] = (
    (":scalar", "--scalar", "NAMES", "names that are scalars (comma- or space-separated)"),
    (":vector", "--vector", "NAMES", "names that are column vectors"),
    (":matrix", "--matrix", "NAMES", "names that are matrices"),
    (":symmetric", "--symmetric", "NAMES", "names of symmetric matrices"),
    (":diagonal", "--diagonal", "NAMES", "names of diagonal matrices (derivatives along the diagonal)"),
    (":toeplitz", "--toeplitz", "NAMES", "names of Toeplitz matrices (derivatives along their diagonals)"),
    (":shape", "--shape", "NAME=DIMS", "fix a shape: A=3x4, x=n"),
    (":let", "--let", "NAME = EXPR", "name an intermediate: :let e = y - X w"),
    (":function", "--function", "NAMES", 'abstract functions (f, "f: vector -> vector", or "f(u) = EXPR")'),
    (":elementwise", "--elementwise", "NAMES", 'abstract elementwise functions (g, or "g(t) = EXPR")'),
    (":layout", "--layout", "LAYOUT", "layout of every later command (no argument: each command's default)"),
    (":format", "--format", "FORMAT", "output format of every later command that prints it (no argument: default)"),
    (":show", None, "", "the declarations in force, as command-line options"),
    (":reset", None, "", "forget every declaration"),
    (":help", None, "", "this list"),
    (":quit", None, "", "leave the session (also Ctrl-D)"),
)
_OPTION_OF = {name: option for name, option, _, _ in SESSION_COMMANDS}
_LEAVE = frozenset({":quit", ":q", ":exit", "quit", "exit"})


class LineError(Exception):
    """A line that cannot be run: one message, and the 0-based column it is about when there is one."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


# --- what each command accepts, read from the typer app's command tree ---


@record(frozen=True)
class CommandSpec(Record):
    name: str
    canonical: Mapping[str, str]  # every spelling of an option (-f, --format) → its long name
    takes_value: frozenset[str]  # long names of the options followed by a value
    choices: Mapping[str, tuple[str, ...]]  # --format, --layout → the values this command accepts
    helps: Mapping[str, str]  # long name → its help, for completion


def command_specs(group: Any) -> dict[str, CommandSpec]:
    """Every command of the click group (but the session itself), as the session needs to know it. The values
    of --format and --layout are what the option offers to complete: what the command accepts (app.FORMATS
    and app.LAYOUTS, the tables help, completion and the refusal all read)."""
    import typer

    specs: dict[str, CommandSpec] = {}
    for name, command in group.commands.items():
        if name == "repl":
            continue
        ctx = typer.Context(command, info_name=name)
        canonical, takes, choices, helps = {}, set(), {}, {}
        for p in command.params:
            if p.param_type_name != "option":
                continue
            long = next((o for o in p.opts if o.startswith("--")), p.opts[0])
            canonical.update(dict.fromkeys((*p.opts, *p.secondary_opts), long))
            helps[long] = p.help or ""
            if not getattr(p, "is_flag", False):
                takes.add(long)
                values = [c.value for c in p.shell_complete(ctx, "")] if long != "--wrt" else []
                if values:
                    choices[long] = tuple(values)
        specs[name] = CommandSpec(name, canonical, frozenset(takes), choices, helps)
    return specs


def accepted_values(specs: Mapping[str, CommandSpec], option: str) -> tuple[str, ...]:
    """Every value some command accepts for `option` (--layout: mixed, numerator, denominator)."""
    seen: dict[str, None] = {}
    for spec in specs.values():
        seen.update(dict.fromkeys(spec.choices.get(option, ())))
    return tuple(seen)


# --- the session's declarations ---


@record(frozen=True)
class State(Record):
    """Everything the session remembers between lines; a `:` command makes a new one."""

    declared: tuple[tuple[str, str], ...] = ()  # (option, value) in the order given: ("--symmetric", "S")
    seen: frozenset[str] = frozenset()  # names met in earlier expressions, offered by completion

    def options(self, views: bool = True) -> list[str]:
        """The declarations as command-line options (`views`: with --layout and --format)."""
        return [word for pair in self.declared if views or _name(*pair) for word in pair]

    def names(self) -> list[str]:
        """The names declared so far (not --layout, --format)."""
        return [_name(option, value) for option, value in self.declared if _name(option, value)]

    def declaring(self, pairs: Sequence[tuple[str, str]]) -> State:
        """These declarations added; each replaces what it contradicts."""
        declared = self.declared
        for pair in pairs:
            declared = (*(old for old in declared if not _replaces(pair, old)), pair)
        return replace(self, declared=declared)

    def without(self, option: str) -> State:
        return replace(self, declared=tuple(pair for pair in self.declared if pair[0] != option))


def _name(option: str, value: str) -> str:
    """The name a declaration is about (`e` of `e = y - X w`, `f` of `f(u) = …`); "" for --layout, --format."""
    from mcalc.declare import greek

    if option in ("--layout", "--format"):
        return ""
    return greek(re.split(r"[=(]", value, maxsplit=1)[0].strip())


def _replaces(new: tuple[str, str], old: tuple[str, str]) -> bool:
    return old[0] in _REPLACES.get(new[0], frozenset()) and _name(*old) == _name(*new)


def _items(option: str, text: str) -> list[str]:
    """The declarations one option's text holds: `c,t` two names, `A=3x4,x=3` two shapes, a let one."""
    from mcalc.declare import split_shapes

    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":  # quoted as on a command line
        text = text[1:-1].strip()
    if option == "--let" or (option in ("--function", "--elementwise") and "=" in text):
        return [text] if text else []
    if option == "--shape":
        return [spec for word in text.split() for spec in split_shapes(word)]
    return [item for item in re.split(r"[,\s]+", text) if item]


# --- `:` commands ---


@record(frozen=True)
class Outcome(Record):
    state: State
    out: tuple[str, ...] = ()  # lines for stdout
    error: str | None = None  # one line for stderr (exit 2)
    leave: bool = False


def is_session_command(text: str) -> bool:
    return text.startswith(":") or text in _LEAVE


def session_command(
    state: State, text: str, specs: Mapping[str, CommandSpec], probe: Callable[[list[str]], str | None]
) -> Outcome:
    """Run `:name args`. `probe(options)` is None when the commands accept these declaration options, else
    the CLI's own error line: a declaration the command line would refuse is refused when it is typed."""
    name, _, rest = text.partition(" ")
    if name in _LEAVE:
        return Outcome(state, leave=True)
    action = _ACTIONS.get(name)
    if action is not None:
        return action(state)
    option = _OPTION_OF.get(name)
    if option is None:
        return Outcome(state, error=unknown_session_command(name))
    items = _items(option, rest)
    if option in ("--layout", "--format"):
        return _view(state, option, items, accepted_values(specs, option))
    if not items:
        usage = next(f"{n} {arg}" for n, _, arg, _ in SESSION_COMMANDS if n == name)
        return Outcome(state, error=f"{name} needs {usage.split(' ', 1)[1]}: {usage}")
    new = state.declaring([(option, item) for item in items])
    refused = probe(new.options(views=False))
    return Outcome(state, error=refused) if refused else Outcome(new)


def _view(state: State, option: str, items: list[str], values: tuple[str, ...]) -> Outcome:
    if not items:
        return Outcome(state.without(option))
    if len(items) > 1 or items[0] not in values:
        return Outcome(state, error=f"{option[2:]} is one of {', '.join(values)}: :{option[2:]} {values[0]}")
    return Outcome(state.declaring([(option, items[0])]))


def unknown_session_command(name: str) -> str:
    known = [n for n, *_ in SESSION_COMMANDS]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown session command {name}{hint} (:help lists them)"


def show(state: State) -> Outcome:
    lines = [f"{option} {shlex.quote(value)}" for option, value in state.declared]
    return Outcome(state, out=tuple(lines) or ("no declarations",))


def help_text(state: State) -> Outcome:
    width = max(len(f"{n} {a}") for n, _, a, _ in SESSION_COMMANDS)
    rows = [f"  {f'{n} {a}'.strip():<{width}}  {what}" for n, _, a, what in SESSION_COMMANDS]
    return Outcome(state, out=(
        'Type any mcalc command without the word mcalc: diff "tr(A B)" --wrt A, check, eval, shape, identities.',
        "Declarations apply to every later command that accepts them; a command's own options win for its line.",
        "Session commands:",
        *rows,
    ))  # fmt: skip


_ACTIONS: dict[str, Callable[[State], Outcome]] = {
    ":show": show,
    ":reset": lambda state: Outcome(State(seen=state.seen)),
    ":help": help_text,
}


# --- command lines ---


def split(text: str) -> list[str]:
    """The words of a line, as a POSIX shell splits them (quotes and backslashes), or a LineError with the
    column of the quote left open."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise LineError(f"{str(exc).lower()} in this line", open_quote(text)) from None


def open_quote(text: str) -> int | None:
    """The column of a quote that is still open at the end of `text` (None when every quote is closed)."""
    quote, start, i = "", None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote, start = "", None
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch == "\\":
            i += 1
        elif ch in "\"'":
            quote, start = ch, i
        i += 1
    return start


def command_argv(
    words: list[str], state: State, specs: Mapping[str, CommandSpec], flags: Sequence[str] = ()
) -> list[str]:
    """The argv that runs a command line: the declarations in force that its command accepts, put before the
    line's own words (a later --let may use an earlier one), except those the line's own options replace;
    and `flags` (--ascii) that the command takes."""
    if words[:1] == ["mcalc"]:
        words = words[1:]
    spec = specs.get(words[0]) if words else None
    if words[:1] == ["repl"]:
        raise LineError("this is the interactive session already: type a command, or :help")
    if spec is None:
        return words  # the command line says what is wrong (a mistyped command, --help, --version)
    if positional(words, spec) == "-" or option_value(words, spec, "--file") == "-":
        raise LineError(f"{words[0]} with - reads standard input, which is the session's own: type each expression "
                        "as its own command, or give a file")  # fmt: skip
    own = given(words[1:], spec)
    used = used_names(words, spec, state)
    added = [
        word
        for option, value in state.declared
        if option in spec.takes_value
        and value in spec.choices.get(option, (value,))
        and (used is None or not _name(option, value) or _name(option, value) in used)
        and not any(_replaces(pair, (option, value)) for pair in own)
        for word in (option, value)
    ]
    return [words[0], *(f for f in flags if f in spec.canonical), *added, *words[1:]]


def used_names(words: list[str], spec: CommandSpec, state: State) -> set[str] | None:
    """The names a command line uses: in its expression, claim, --wrt, --at and --let, and in the session's
    lets it uses. A declaration is passed to the commands that use its name, so that a session's `:scalar c`
    does not make every later line warn "c is declared but does not occur". None (pass them all) for a line
    with no expression (check --file) or one the lexer refuses (the command says why)."""
    expr = positional(words, spec)
    if expr is None:
        return None
    # the text of each option that holds names: --let's definition, --at's name (a file's names are unknown)
    part: dict[str, Callable[[str], str]] = {
        "--claim": str, "--wrt": str, "--let": lambda v: v.partition("=")[2], "--at": lambda v: v.partition("=")[0]
    }  # fmt: skip
    texts = [expr, *(part[o](v) for o, v in given_raw(words[1:], spec) if o in part)]
    lets = {_name(o, v): v.partition("=")[2] for o, v in state.declared if o == "--let"}
    used: set[str] = set()
    while texts:
        found = _tokens(texts.pop())
        if found is None:
            return None
        texts += [lets[n] for n in found - used if n in lets]
        used |= found
    return used


def _tokens(text: str) -> set[str] | None:
    from mcalc.errors import McalcError
    from mcalc.syntax.lexer import Tok, tokenize

    try:
        return {t.text for t in tokenize(text) if t.kind is Tok.NAME}
    except (McalcError, RecursionError, ValueError):
        return None


def given(args: list[str], spec: CommandSpec) -> list[tuple[str, str]]:
    """The declarations and views a command line gives itself, one (option, item) each (`--scalar c,t` as two)."""
    return [(option, item) for option, value in given_raw(args, spec) if option in _REPLACES
            for item in _items(option, value)]  # fmt: skip


def given_raw(args: list[str], spec: CommandSpec) -> list[tuple[str, str]]:
    """Every (option, value) a command line gives (`--format json`, `--format=json`, `-fjson`), as typed."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(args) and args[i] != "--":
        option, value = _option_at(args, i, spec)
        if option in spec.takes_value:
            if value is None:
                value, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
            out.append((option, value))
        i += 1
    return out


def _option_at(args: list[str], i: int, spec: CommandSpec) -> tuple[str | None, str | None]:
    """The option args[i] names (None: not one of the command's), and its value when attached to it."""
    word = args[i]
    if word.startswith("--"):
        flag, eq, value = word.partition("=")
        return spec.canonical.get(flag), value if eq else None
    if word.startswith("-") and word[:2] in spec.canonical:
        return spec.canonical[word[:2]], word[2:] or None
    return None, None


def positional(words: list[str], spec: CommandSpec) -> str | None:
    """The command's argument (EXPR), skipping options and their values; an unknown `-x…` is an expression."""
    i = 1
    while i < len(words):
        word = words[i]
        if word == "--":
            return words[i + 1] if i + 1 < len(words) else None
        option, value = _option_at(words, i, spec)
        if option is None and not word.startswith("--"):
            return word
        i += 2 if option in spec.takes_value and value is None else 1
    return None


def option_value(words: list[str], spec: CommandSpec, option: str) -> str | None:
    """The value of `option` on a command line (the last one given)."""
    values = [value for name, value in given_raw(words[1:], spec) if name == option]
    return values[-1] if values else None
