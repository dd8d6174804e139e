"""Declarations as people type them, for the CLI and the Python API alike.

`--scalar c,t --scalar s`, `--symmetric S`, `--shape A=m×n,x=3`, `--wrt theta`: comma-separated names,
repeatable, Greek letters spelled out (`theta` → θ, `Phi_1` → Φ_1). Both front ends call these
functions, so a name means the same thing on the command line and in `mcalc.diff(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field, replace

from mcalc.errors import InputError, McalcError
from mcalc.records import Record, record
from mcalc.shapes import Declarations, parse_shape_spec
from mcalc.syntax.nodes import Dim


def greek(name: str) -> str:
    """`theta` → `θ`, `Phi_1` → `Φ_1`, `x₁` → `x_1` (as the expression reads it); any other name unchanged."""
    from mcalc.syntax.lexer import GREEK, name_text

    base, sep, sub = name_text(name).partition("_") if name else ("", "", "")
    letters = base.rstrip("0123456789")  # lambda0 is λ0, as the expression reads it
    return GREEK.get(letters, letters) + base[len(letters) :] + sep + sub


def names(items: Iterable[str]) -> list[str]:
    """Every name in comma-separated items, in order, Greek spelled as mcalc prints it."""
    out: list[str] = []
    for item in items:
        out.extend(greek(part.strip()) for part in item.split(",") if part.strip())
    return out


def split_shapes(item: str) -> list[str]:
    """`A=m×n,B=n×p` holds two specs; `A=3,4` is one (the comma separates dimensions)."""
    specs: list[str] = []
    for part in item.split(","):
        if "=" in part or not specs:
            specs.append(part)
        else:
            specs[-1] += "," + part
    return specs


def shapes(items: Iterable[str]) -> dict[str, tuple[Dim, ...]]:
    """`--shape` items → name → dimensions. The same shape twice is one; two shapes for one name (Greek
    and spelled out alike: theta=3 and θ=4) are refused, naming both (a later one won without a word)."""
    out: dict[str, tuple[Dim, ...]] = {}
    typed: dict[str, str] = {}
    for item in items:
        for spec in split_shapes(item):
            name, dims = parse_shape_spec(spec)
            key = greek(name)
            if key in out and out[key] != dims:
                raise InputError(
                    f"{key} is given two shapes: --shape {typed[key]} and --shape {spec.strip()}; keep one"
                )
            out[key] = dims
            typed.setdefault(key, spec.strip())
    return out


# The kind options, each of which gives a name one kind; --symmetric, --diagonal and --toeplitz are kinds of
# matrix, so each agrees with --matrix; a diagonal matrix is symmetric, so those two agree too (D is then
# diagonal). A symmetric Toeplitz matrix has other free values (MC eq. 144): refused, as diagonal and Toeplitz
KIND_OPTIONS = ("--scalar", "--vector", "--matrix", "--symmetric", "--diagonal", "--toeplitz")
AGREEING = frozenset({
    frozenset({"--matrix", "--symmetric"}), frozenset({"--matrix", "--diagonal"}),
    frozenset({"--matrix", "--toeplitz"}), frozenset({"--symmetric", "--diagonal"}),
})  # fmt: skip


def kinds(by_option: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """The names each kind option declares (`--scalar` → {c, θ}); a name given two kinds (`--scalar S
    --symmetric S`, `--scalar theta --vector θ`) is refused with one line naming both (one silently won;
    `--symmetric A --vector A` was an internal AssertionError)."""
    first: dict[str, tuple[str, str]] = {}  # name → (option, the name as typed)
    out: dict[str, set[str]] = {option: set() for option in by_option}
    for option, items in by_option.items():
        for item in items:
            for typed in (part.strip() for part in item.split(",")):
                if not typed:
                    continue
                name = greek(typed)
                before, as_typed = first.setdefault(name, (option, typed))
                if before != option and frozenset({before, option}) not in AGREEING:
                    raise InputError(
                        f"{name} is declared two ways: {before} {as_typed} and {option} {typed}; a name has one "
                        "kind: keep one"
                    )
                out[option].add(name)
    return {option: frozenset(found) for option, found in out.items()}


def declarations(
    scalar: Iterable[str] = (),
    vector: Iterable[str] = (),
    matrix: Iterable[str] = (),
    symmetric: Iterable[str] = (),
    shape: Iterable[str] = (),
    let: Iterable[str] = (),
    diagonal: Iterable[str] = (),
    toeplitz: Iterable[str] = (),
) -> Declarations:
    """The declarations of `--scalar`, `--vector`, `--matrix`, `--symmetric`, `--diagonal`, `--toeplitz`,
    `--shape` and `--let` items."""
    kind = kinds(dict(zip(KIND_OPTIONS, (scalar, vector, matrix, symmetric, diagonal, toeplitz), strict=True)))
    return Declarations(
        scalars=kind["--scalar"],
        vectors=kind["--vector"],
        matrices=kind["--matrix"],
        symmetric=kind["--symmetric"] - kind["--diagonal"],
        diagonal=kind["--diagonal"],
        toeplitz=kind["--toeplitz"],
        shapes=shapes(shape),
        lets=tuple(let_spec(item) for item in let),
    )


def let_spec(item: str) -> tuple[str, str]:
    """`"e = y - Phi theta"` → ("e", "y - Phi theta"); a name spelled out is read as the expression reads it
    (`phi` → φ, `Phi_1` → Φ_1), as --wrt, --scalar and --at read it."""
    name, sep, body = item.partition("=")
    name = name.strip()
    if not sep or not name or not body.strip():
        raise InputError(f'bad --let {item!r}: write NAME = EXPR, such as --let "e = y - Phi theta"')
    return _let_name(name, item), body.strip()


def _let_name(name: str, item: str) -> str:
    """The one name `name` reads as (the lexer's reading: `phi` is φ); refused when it is not one name."""
    from mcalc.syntax.lexer import Tok, tokenize

    try:
        tokens = tokenize(name)
    except McalcError:
        tokens = []
    whole = len(tokens) == 2 and tokens[0].kind is Tok.NAME and tokens[0].span.end == len(name)
    if not whole or tokens[0].span.start != 0:
        raise InputError(
            f"bad --let {item!r}: {name!r} is not one name (a letter, then digits or _subscript, such as e or W1)"
        )
    read = tokens[0].text
    if read == "I" or read.startswith("I_"):  # I, I_3, I_n: the identity, never a name
        raise InputError(f"bad --let {item!r}: {name} is the identity matrix; choose another name")
    return read


@record
class Decl(Record):
    """The declaration options as typed (each a list of comma-separated items), one bundle for every command."""

    scalar: list[str] = field(default_factory=list)
    vector: list[str] = field(default_factory=list)
    matrix: list[str] = field(default_factory=list)
    symmetric: list[str] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)
    let: list[str] = field(default_factory=list)
    function: list[str] = field(default_factory=list)
    elementwise: list[str] = field(default_factory=list)
    diagonal: list[str] = field(default_factory=list)
    toeplitz: list[str] = field(default_factory=list)

    def build(self) -> Declarations:
        return declarations(
            self.scalar, self.vector, self.matrix, self.symmetric, self.shape, self.let, self.diagonal, self.toeplitz
        )

    def adding(self, more: Mapping[str, list[str]]) -> Decl:
        """These declarations and more items (a homework line's own `--symmetric A`)."""
        return replace(self, **{k: list(getattr(self, k)) + v for k, v in more.items()})


# The declarations one line of a batch or a homework sheet may carry after its last `;`, as on the command line
LINE_OPTIONS = {"--scalar": "scalar", "--vector": "vector", "--matrix": "matrix", "--symmetric": "symmetric",
                "--shape": "shape", "--let": "let", "--function": "function",
                "--elementwise": "elementwise", "--diagonal": "diagonal", "--toeplitz": "toeplitz"}  # fmt: skip


def line_options(text: str) -> dict[str, list[str]]:
    """`--scalar c --let "e = y - Phi theta"` → {"scalar": ["c"], "let": ["e = y - Phi theta"]} (Decl fields)."""
    import shlex  # here: only batch lines and sheets carry options

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"bad options {text!r}: {exc}") from exc
    options: dict[str, list[str]] = {}
    it = iter(words)
    for w in it:
        key, eq, value = w.partition("=")
        if key not in LINE_OPTIONS:
            raise InputError(f"unknown option {w!r} (use {', '.join(LINE_OPTIONS)})")
        if not eq:
            value = next(it, "")
        if not value:
            raise InputError(f"{key} needs a value")
        options.setdefault(LINE_OPTIONS[key], []).append(value)
    return options
