"""How text output spells mathematics, and what any user text may put on a terminal.

Two spellings of the same trees, as tables (the printer looks constructs up here, never branches on
the style): Unicode (`CABᵀ + θ ⊙ x`, the default) and plain ASCII (`C A B^T + theta .* x`), used with
`--ascii` or when standard output cannot encode Unicode (`LC_ALL=C`, `PYTHONIOENCODING=ascii`). Both
read back as mcalc input meaning the same.

`to_ascii` is the last resort for text no printer made (shape lines, index notation, error messages):
it transliterates character by character, so an ASCII stream never raises UnicodeEncodeError.
`clean` removes control characters from user text at the render boundary, so an expression holding
ESC sequences, OSC titles or bidi overrides cannot act on the terminal that shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from mcalc.records import Record, record
from mcalc.syntax.lexer import GREEK


@record(frozen=True)
class Spelling(Record):
    """One row of the spelling table: the text of each construct the printer writes."""

    transpose: str
    inverse: str
    inverse_transpose: str
    minus: str  # in −x and a − b
    hadamard: str
    kron: str  # a format with {left} and {right}
    norm: str  # a format with {arg}
    norm1: str
    ones: str
    ones_row: str
    prime: str
    gradient: str  # ∇f of a declared --function f
    partial: str  # ∂/∂X, ∂(Ax)/∂x
    power: str  # X²: a format with {sup} (the exponent in superscripts) or {n} (in digits)
    compact: bool  # single-letter products written together (CABᵀ); ASCII spaces them (C A B^T)
    spell_greek: bool  # θ → theta
    sigma: str = "∑"  # a finite sum with a bound index: ∑_{r=0}^{k−1}

    @property
    def infix_kron(self) -> bool:
        """A ⊗ B (an operator, parenthesised by precedence) rather than kron(A, B) (a call)."""
        return self.kron.startswith("{left}")


SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

UNICODE = Spelling(
    transpose="ᵀ", inverse="⁻¹", inverse_transpose="⁻ᵀ", minus="−", hadamard=" ⊙ ", kron="{left} ⊗ {right}",
    # norm1(A), not ‖A‖₁: read back, ‖A‖₁ of a matrix is the induced norm, which mcalc refuses
    norm="‖{arg}‖", norm1="norm1({arg})", ones="𝟙", ones_row="𝟙ᵀ", prime="′", gradient="∇", partial="∂",
    power="{sup}", compact=True, spell_greek=False,
)  # fmt: skip
ASCII = Spelling(
    transpose="^T", inverse="^-1", inverse_transpose="^-T", minus="-", hadamard=" .* ", kron="kron({left}, {right})",
    norm="||{arg}||", norm1="norm1({arg})", ones="ones", ones_row="ones^T", prime="'", gradient="grad_", partial="d",
    power="^{n}", compact=False, spell_greek=True, sigma="sum",
)  # fmt: skip

# ASCII or Unicode output for the run in progress in this thread (or task): a context variable, set by the
# CLI once per run from `--ascii` or the encoding of standard output, and by a session for its calls.
_ASCII: ContextVar[bool] = ContextVar("mcalc_ascii", default=False)


def use_ascii(on: bool) -> None:
    """Set once per run by the CLI (from `--ascii` or the encoding of standard output)."""
    _ASCII.set(on)


@contextmanager
def spelled(ascii_out: bool) -> Iterator[None]:
    """ASCII (or Unicode) output for the `with` block, in this thread only: a session's calls."""
    token = _ASCII.set(ascii_out)
    try:
        yield
    finally:
        _ASCII.reset(token)


def ascii_output() -> bool:
    return _ASCII.get()


def shown(text: str) -> str:
    """Text as this run's output shows it: ASCII spellings in ASCII mode (help, which click writes in
    UTF-8 even to an ASCII stream)."""
    return to_ascii(text) if ascii_output() else text


def current() -> Spelling:
    return ASCII if _ASCII.get() else UNICODE


GREEK_NAMES = {letter: word for word, letter in GREEK.items()}
_SUB_ASCII = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₋", "0123456789aehijklmnoprstuvx-", strict=True))
_SUP_ASCII = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ⁺ᵏⁿʲʳᵃᵇᵉᵖᵘᴱ⁽⁾", "0123456789-T+knjrabepuE()", strict=True))


def ascii_name(name: str) -> str:
    """θ → theta, W₁ → W_1 (a name `where` made), x_0 unchanged: each reads back as the same name."""
    base = GREEK_NAMES.get(name[0], name[0])
    rest = name[1:]
    if rest and all(ch in _SUB_ASCII for ch in rest):
        return base + "_" + "".join(_SUB_ASCII[ch] for ch in rest)
    return base + rest


# Characters of text no printer made, spelled in ASCII. Runs of superscripts and subscripts are
# handled first (X⁻¹⁰ → X^-10, Rₖₗ → R_kl); whatever is in neither table becomes <U+XXXX>.
ASCII_CHARS = {
    "∂": "d", "−": "-", "×": "x", "·": "*", "⊙": ".*", "⊗": " kron ", "‖": "||", "𝟙": "ones", "′": "'",
    "″": "''", "‴": "'''", "→": "->", "←": "<-", "↔": "<->", "…": "...", "≈": "~", "≠": "!=", "≤": "<=",
    "≥": ">=", "•": "*", "—": "-", "–": "-", "ℝ": "R", "√": "sqrt", "Σ": "Sigma", "∑": "sum", "∈": " in ",
    "²": "^2", "³": "^3", "¹": "^1", "½": "1/2", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ",
    "─": "-", "━": "-", "│": "|", "┃": "|", "═": "=", "║": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
    "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+", "╭": "+", "╮": "+", "╯": "+", "╰": "+",
    "⊘": "./", "⇒": "=>", "⇔": "<=>", "⟨": "<", "⟩": ">", "δ": "delta", "∇": "grad_",
    # in messages: 'condition number ∞' read 'condition number <U+221E>', 'at most e±300' 'e<U+00B1>300'
    "∞": "inf", "±": "+/-", "⋯": "...", "∘": " o ", "∏": "prod", "↦": "|->", "⌊": "floor(", "⌋": ")",
    "≲": "<~", "⊤": "^T", "⋅": "*", "§": "S", "¼": "1/4", "¾": "3/4", "⅓": "1/3", "⅔": "2/3",
    "é": "e", "∫": "integral",  # Fréchet, ∫₀¹: the matrix functions' where: lines
}  # fmt: skip


def _runs(text: str) -> list[str]:
    """The text cut into runs of superscripts, runs of subscripts and single other characters."""
    pieces: list[str] = []
    for ch in text:
        kind = _SUP_ASCII if ch in _SUP_ASCII else _SUB_ASCII if ch in _SUB_ASCII else None
        if kind is not None and pieces and pieces[-1][-1] in kind:
            pieces[-1] += ch
        else:
            pieces.append(ch)
    return pieces


def _run(piece: str) -> str:
    if piece[0] in _SUP_ASCII:
        return "^" + "".join(_SUP_ASCII[ch] for ch in piece)
    if piece[0] in _SUB_ASCII:
        return "_" + "".join(_SUB_ASCII[ch] for ch in piece)
    return piece if piece.isascii() else _ascii_char(piece)


def to_ascii(text: str) -> str:
    if text.isascii():
        return text
    return "".join(_run(piece) for piece in _runs(text))


def _ascii_char(ch: str) -> str:
    if ch in ASCII_CHARS:
        return ASCII_CHARS[ch]
    if ch in GREEK_NAMES:
        return GREEK_NAMES[ch]
    return f"<U+{ord(ch):04X}>"


def ascii_errors(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler (registered as "mcalc-ascii" by the CLI): what a stream that cannot
    encode a character writes instead. Encodable ASCII replacements keep every output path alive."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return to_ascii(exc.object[exc.start : exc.end]), exc.end


def clean(text: str) -> str:
    """User text made safe to show on one line: control characters (C0 with tab and newline, C1, ESC
    sequences, bidi overrides, zero-width and other format characters) become visible `\\xNN` /
    `\\uNNNN` escapes, so `ESC[2J` shows as `\\x1b[2J` and clears nothing, and a TSV cell stays one cell."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def clean_lines(text: str) -> str:
    """`clean` for output that is several lines: each line cleaned, the line breaks kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def json_safe(text: str) -> str:
    """A JSON text (from json.dumps) with every non-printable character escaped as JSON does (\\uXXXX):
    the same JSON value, but C1 controls and bidi overrides no longer reach the terminal raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _json_escape(ch) for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
