"""Tab completion and the bottom line of the interactive session (`mcalc repl`).

`candidates()` is the whole logic, on plain strings: command names and `:` commands first; the options of the
command being typed; the values of --format and --layout that this command accepts; inside an expression,
function names (the catalogue's, without the internal ones) and names (declared so far, met in earlier
expressions, or in this line's expression).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.completion import Completer as _Completer
from prompt_toolkit.document import Document

from mcalc.cli.repl_lines import (
    NAME_OPTIONS,
    SESSION_COMMANDS,
    CommandSpec,
    State,
    accepted_values,
    positional,
)

_NAME_TAIL = re.compile(r"[^\W]+$")  # the name being typed at the end of an expression (letters, digits, _)
_VALUE_OF = {":layout": "--layout", ":format": "--format"}
_NAMES_AFTER = frozenset({*NAME_OPTIONS, "--wrt", "--function", "--elementwise"})


def words_before(text: str) -> tuple[list[str], str, bool]:
    """The finished words of `text` (quotes removed), the word being typed, and whether it is inside quotes."""
    words: list[str] = []
    current, quote, started = "", "", False
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                current += ch
        elif ch in "\"'":
            quote, started = ch, True
        elif ch.isspace():
            if started:
                words.append(current)
            current, started = "", False
        else:
            current, started = current + ch, True
    return words, current, bool(quote)


def function_words() -> list[str]:
    """The catalogue's function names and aliases (not the internal ones) and the other function words."""
    from mcalc.syntax import functions
    from mcalc.syntax.lexer import OTHER_WORDS

    names = {s for f in functions.entries() if not f.internal for s in f.spellings()}
    return sorted(names | OTHER_WORDS)


def candidates(
    text: str, specs: Mapping[str, CommandSpec], state: State, functions: Iterable[str]
) -> tuple[str, list[str]]:
    """(the part of the word being completed, what it may become) for the text before the cursor."""
    words, current, quoted = words_before(text)
    if not words:
        return current, _starting(current, [*specs, *(name for name, *_ in SESSION_COMMANDS)])
    if words[0].startswith(":"):
        if words[0] in _VALUE_OF:
            return current, _starting(current, accepted_values(specs, _VALUE_OF[words[0]]))
        return _in_expression(current, [], state, ())
    spec = specs.get(words[1] if words[0] == "mcalc" and len(words) > 1 else words[0])
    if spec is None:
        return current, []
    previous = spec.canonical.get(words[-1], "") if len(words) > 1 else ""
    line_names = _names_in([positional([*words, current], spec)])
    if previous in spec.choices:
        return current, _starting(current, spec.choices[previous])
    if previous in _NAMES_AFTER:
        return current, _starting(current, _names(state, line_names))
    if previous in spec.takes_value and not quoted:
        return current, []  # --at, --claim, --let, --seed: their own text
    if current.startswith("-") and not quoted:
        return current, _starting(current, sorted(set(spec.canonical.values())))
    return _in_expression(current, line_names, state, functions)


def _in_expression(
    current: str, line_names: list[str], state: State, functions: Iterable[str]
) -> tuple[str, list[str]]:
    found = _NAME_TAIL.search(current)
    tail = found.group() if found else ""
    return tail, _starting(tail, [*_names(state, line_names), *functions])


def _names(state: State, line_names: list[str]) -> list[str]:
    return list(dict.fromkeys([*state.names(), *sorted(state.seen), *line_names]))


def _names_in(texts: Iterable[str | None]) -> list[str]:
    from mcalc.syntax.source import names_in

    return [n for t in texts for n in names_in(t)]


def _starting(prefix: str, options: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(o for o in options if o.startswith(prefix) and o != prefix))


class Completer(_Completer):
    """prompt_toolkit's side of `candidates`: the session value is read when TAB is pressed."""

    def __init__(self, specs: Mapping[str, CommandSpec], state: Callable[[], State]) -> None:
        self._specs = specs
        self._state = state
        self._functions: list[str] | None = None
        # shown beside a candidate in the menu: a session command's job, an option's help for this command
        self._meta = {name: what for name, _, _, what in SESSION_COMMANDS}

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        if self._functions is None:
            self._functions = function_words()
        text = document.text_before_cursor
        typed, found = candidates(text, self._specs, self._state(), self._functions)
        spec = self._specs.get(text.split(maxsplit=1)[0] if text.strip() else "")
        meta = {**self._meta, **(spec.helps if spec else {})}
        for word in found:
            yield Completion(word, start_position=-len(typed), display_meta=meta.get(word, ""))


def toolbar(state: State) -> str:
    """The bottom line: the declarations in force."""
    if not state.declared:
        return " no declarations (:help lists the session commands)"
    parts: dict[str, list[str]] = {}
    for option, value in state.declared:
        parts.setdefault(option[2:], []).append(value)
    shown = [f"{kind} {', '.join(values) if kind != 'let' else '; '.join(values)}" for kind, values in parts.items()]
    return " " + " · ".join(shown)
