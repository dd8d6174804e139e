"""Index notation, token by token: what in a claim is an entry (`A_ij`, `Aᵢⱼ`, `A_{i,j}`, `(W x − t)ᵢ`), a
Kronecker delta (`δ_ij`, `delta_ij`, `δᵢⱼ`), an explicit sum (`∑_r`, `sum_r`), a derivative sign (`∂`), and
what is ordinary mcalc text (names, products, transposes, functions), read later by mcalc's own parser.

The one rule that decides whether `_ij` is an index pair or part of a name (README § Index notation): a
subscript made only of index letters (INDEX_LETTERS) on a name is an entry's indices, unless the name
with that subscript is a name of the expression (`x_ij` stays a name where the expression has one);
digits are always part of the name (`x_0`, `W_1`, `W1`), as the contract says. Unicode subscript letters
(`Aᵢⱼ`, as mcalc prints) are always indices: nothing else reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Collection

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax.lexer import GREEK, is_function_word

# the brief's index letters, and every letter mcalc prints as an index (calculus.index_terms.LETTERS)
INDEX_LETTERS = frozenset("abcdehijklmnopqrstuvx")
UNICODE_INDEX = {
    "ₐ": "a", "ₑ": "e", "ₕ": "h", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n", "ₒ": "o",
    "ₚ": "p", "ᵣ": "r", "ₛ": "s", "ₜ": "t", "ᵤ": "u", "ᵥ": "v", "ₓ": "x",
}  # fmt: skip
DELTAS = ("δ", "delta")
POSTFIX_MARKS = "ᵀ⊤'′″⁻¹²³⁴⁵⁶⁷⁸⁹⁰ʳ"
NAME_DIGITS = "₀₁₂₃₄₅₆₇₈₉"


class K(enum.Enum):
    NUM = "number"
    OP = "operator"  # + - * / =
    LP = "'('"
    RP = "')'"
    SUB = "indices"
    DELTA = "δ"
    SUM = "∑"
    PARTIAL = "∂"
    NAME = "name"
    WORD = "function"
    MARK = "postfix mark"  # ᵀ ' ⁻¹ ² : part of the mcalc text around it
    CARET = "'^'"
    NORM = "norm bars"
    OTHER = "character"


@record(frozen=True, slots=True)
class Tok(Record):
    kind: K
    text: str  # the text as typed (SUB: the index letters, one per index)
    span: Span
    spaced: bool = False  # whitespace before it


def _digit(ch: str) -> bool:
    return ch.isascii() and ch.isdigit()


def _is_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_greek(ch: str) -> bool:
    return "\u0391" <= ch <= "\u03a9" or "\u03b1" <= ch <= "\u03c9"


class _Scanner:
    """One pass over the claim; `names` are the expression's names (they keep their subscripts)."""

    def __init__(self, src: str, names: Collection[str]) -> None:
        self.src = src
        self.names = names
        self.out: list[Tok] = []
        self.spaced = False
        self.frac: dict[int, str] = {}  # a \\frac's braces: position → what they read as

    def add(self, kind: K, text: str, start: int, end: int) -> None:
        self.out.append(Tok(kind, text, Span(start, end), self.spaced))
        self.spaced = False

    def run(self) -> list[Tok]:
        src, i = self.src, 0
        while i < len(src):
            ch = src[i]
            if i in self.frac:
                i = self.frac_brace(i)
            elif ch.isspace():
                self.spaced, i = True, i + 1
            elif _digit(ch) or (ch == "." and _digit(src[i + 1 : i + 2])):
                i = self.number(i)
            elif ch in "½¼¾⅓⅔":
                self.add(K.NUM, ch, i, i + 1)
                i += 1
            elif ch in "+-−*·⋅/=":
                self.add(K.OP, {"−": "-", "·": "*", "⋅": "*"}.get(ch, ch), i, i + 1)
                i += 1
            elif ch in "()":
                self.add(K.LP if ch == "(" else K.RP, ch, i, i + 1)
                i = self.subscript(i + 1) if ch == ")" else i + 1
            elif ch == "∂":
                self.add(K.PARTIAL, ch, i, i + 1)
                i += 1
            elif ch in ("∑",):
                i = self.summation(i, i + 1, ch)
            elif ch == "\\":
                i = self.latex(i)
            elif ch == "^":
                self.add(K.CARET, ch, i, i + 1)
                i += 1
            elif ch == "‖" or src.startswith("||", i):
                n = 1 if ch == "‖" else 2
                self.add(K.NORM, src[i : i + n], i, i + n)
                i += n
            elif ch in POSTFIX_MARKS:
                self.add(K.MARK, ch, i, i + 1)
                i += 1
            elif _is_letter(ch) or _is_greek(ch):
                i = self.letters(i)
            else:
                self.add(K.OTHER, ch, i, i + 1)
                i += 1
        return self.out

    def number(self, i: int) -> int:
        src, j = self.src, i
        while j < len(src) and (_digit(src[j]) or (src[j] == "." and _digit(src[j + 1 : j + 2]))):
            j += 1
        self.add(K.NUM, src[i:j], i, j)
        return j

    def latex(self, i: int) -> int:
        """`\\delta_{ik}`, `\\partial`, `\\sum_r`, `\\cdot`, `\\left(` as a LaTeX source writes them (copied
        from the seed documents); any other command is left to the ordinary reading (and its error)."""
        src, j = self.src, i + 1
        while j < len(src) and _is_letter(src[j]):
            j += 1
        command = src[i + 1 : j]
        if command == "delta":
            indices, end = self.indices(j, delta=True)
            if indices is not None:
                self.add(K.DELTA, "δ", i, j)
                self.add(K.SUB, "".join(indices), j, end)
                return end
        elif command == "partial":
            self.add(K.PARTIAL, "∂", i, j)
            return j
        elif command == "sum":
            return self.summation(i, j, "∑")
        elif command == "cdot":
            self.add(K.OP, "*", i, j)
            return j
        elif command == "frac" and src.startswith("{", j):
            return self.fraction(i, j)
        elif command in ("left", "right"):
            self.spaced = True
            return j
        self.add(K.OTHER, src[i:j], i, j)
        return j

    def fraction(self, i: int, j: int) -> int:
        """`\\frac{∂A_{ij}}{∂B_{kl}}` read as `∂A_{ij}/∂B_{kl}`: its outer braces dropped, `}{` a '/'."""
        mid = _closing(self.src, j)
        if mid < 0 or not self.src.startswith("{", mid + 1) or (end := _closing(self.src, mid + 1)) < 0:
            self.add(K.OTHER, "\\frac", i, j)
            return j
        top, bottom = self.src[j + 1 : mid].strip(), self.src[mid + 2 : end].strip()
        if top.isascii() and top.isdigit() and bottom.isascii() and bottom.isdigit() and int(bottom) != 0:
            self.add(K.NUM, f"{top}/{bottom}", i, end + 1)  # \\frac{1}{2}
            return end + 1
        if not self.src[j + 1 :].lstrip().startswith(("\\partial", "∂", "d")):
            inside = self.src[j : end + 1]
            if any(m in inside for m in ("_", "δ", "∑", "\\delta", "\\sum", *UNICODE_INDEX)):
                self.add(K.OTHER, "\\frac", i, j)  # a fraction of index expressions: write a / b
                return j
            self.add(K.WORD, self.src[i : end + 1], i, end + 1)  # mcalc text: the ordinary reading's \\frac
            return end + 1
        self.frac.update({j: "", mid: "/", end: ""})
        return j

    def frac_brace(self, i: int) -> int:
        """A brace of the left side's \\frac: dropped, or `}{`, the fraction bar."""
        if self.frac.pop(i):
            self.add(K.OP, "/", i, i + 2)
            return i + 2
        return i + 1

    def summation(self, i: int, j: int, text: str) -> int:
        """`∑_r`, `∑_{r,s}`, `∑ᵣ`, `sum_r`: an index sum; `∑_{r=0}^{k−1}` (mcalc's finite sum) is mcalc text."""
        indices, end = self.indices(j)
        if indices is None:
            self.add(K.WORD, text, i, j)
            return j
        self.add(K.SUM, "".join(indices), i, end)
        return end

    def letters(self, i: int) -> int:
        """A name (one letter, digits, a name subscript), a spelled Greek letter, a function word, δ; then
        its indices, if any. A run of Latin letters that is not a word is one-letter names, as in mcalc."""
        src = self.src
        j = i + 1
        if _is_letter(src[i]):
            while j < len(src) and _is_letter(src[j]):
                j += 1
            k = j
            while k < len(src) and src[k].isascii() and src[k].isdigit():
                k += 1
            word = src[i:j]
            for end in (k, j):
                if is_function_word(src[i:end]):
                    if src[i:end] == "sum" and src.startswith("_", end):
                        return self.summation(i, end, "sum")
                    self.add(K.WORD, src[i:end], i, end)
                    return end
            if word in GREEK or word in DELTAS:
                return self.name(i, j, GREEK.get(word, word))
            if word[0] == "d" and word[1:] in GREEK:  # dtheta_k: the d of a derivative, as --ascii prints it
                self.add(K.NAME, "d", i, i + 1)
                return self.name(i + 1, j, GREEK[word[1:]])
            for p in range(i, j - 1):
                self.add(K.NAME, src[p], p, p + 1)
            return self.name(j - 1, j, src[j - 1])
        return self.name(i, j, src[i])

    def name(self, i: int, j: int, letter: str) -> int:
        """The name that starts at i with its letter(s) read up to j: digits and a name subscript join it."""
        src = self.src
        while j < len(src) and ((src[j].isascii() and src[j].isdigit()) or src[j] in NAME_DIGITS):
            j += 1
        text = src[i:j]
        indices, end = self.indices(j, name=text, delta=letter == "δ")
        if indices is None and src.startswith("_", j):  # a name subscript: x_0, W_1, x_ij of the expression
            end = j + 1
            while end < len(src) and src[end].isascii() and src[end].isalnum():
                end += 1
            if end > j + 1:
                text, j = src[i:end], end
        is_delta = letter == "δ" and text in DELTAS and indices is not None and text not in self.names
        if letter == "Σ" and indices is not None and text not in self.names:  # Σᵢ, Sigma_i: a sum, as mcalc prints
            self.add(K.SUM, "".join(indices), i, end)
            return end
        self.add(K.DELTA if is_delta else K.NAME, text, i, j)
        if indices is not None:
            self.add(K.SUB, "".join(indices), j, end)
            return end
        return j

    def subscript(self, j: int) -> int:
        """Indices after a closing parenthesis: `(W x − t)_i`, `(XᵀX)_{ij}`, `(BC)ᵢⱼ`."""
        indices, end = self.indices(j)
        if indices is not None:
            self.add(K.SUB, "".join(indices), j, end)
        return end

    def indices(self, j: int, name: str = "", delta: bool = False) -> tuple[list[str] | None, int]:
        """The index letters at j (`_ij`, `_{i,j}`, `_{i j}`, `ᵢⱼ`) and where they end, or (None, j)."""
        src = self.src
        if j < len(src) and src[j] in UNICODE_INDEX:
            end = j
            while end < len(src) and src[end] in UNICODE_INDEX:
                end += 1
            return [UNICODE_INDEX[ch] for ch in src[j:end]], end
        if not src.startswith("_", j):
            return None, j
        if src.startswith("{", j + 1):
            close = src.find("}", j + 2)
            if close < 0:
                raise ParseError("a subscript opened with _{ is not closed", Span(j, j + 2))
            inner = src[j + 2 : close]
            letters = [ch for ch in inner if ch not in ", "]
            named = f"{name}_{''.join(letters)}" in self.names
            if letters and all(ch in INDEX_LETTERS for ch in letters) and not named:
                return letters, close + 1
            return None, j
        end = j + 1
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        letters = list(src[j + 1 : end])
        after = src[end : end + 1]
        allowed = INDEX_LETTERS if not delta else frozenset("abcdefghijklmnopqrstuvwxyz")  # δ_fg: any two
        if not letters or (after.isascii() and after.isdigit()) or any(ch not in allowed for ch in letters):
            return None, j
        if f"{name}_{''.join(letters)}" in self.names:
            return None, j
        return letters, end


def _closing(src: str, j: int) -> int:
    """The position of the brace that closes the one at j, or -1."""
    depth = 0
    for k in range(j, len(src)):
        depth += {"{": 1, "}": -1}.get(src[k], 0)
        if depth == 0:
            return k
    return -1


def tokens(src: str, names: Collection[str]) -> list[Tok]:
    """The claim's tokens; `names` are the expression's names (whose subscripts are theirs)."""
    return _Scanner(src, names).run()


def sized_identity_at(source: str, toks: list[Tok], k: int) -> bool:
    """Whether the subscript toks[k] is the size of an identity as mcalc prints one (`Iₙ`, `I_{mn}`), not
    the indices of an entry."""
    from mcalc.syntax import sized_identity

    before = toks[k - 1] if k else None
    return before is not None and before.text == "I" and sized_identity.written_at(source, before.span.start)


def is_index_notation(toks: list[Tok], names: Collection[str], source: str = "") -> bool:
    """Whether the claim uses index notation (else it is an ordinary claim, read as before): a δ, an index
    sum, or indices on a name of the expression or on a parenthesis. Indices on another name alone do not
    make it one (`K_{m,n}`, the commutation matrix, is ordinary syntax), nor does a `∂` alone (`∂f/∂x = …`)."""
    for k, t in enumerate(toks):
        if t.kind in (K.DELTA, K.SUM):
            return True
        if t.kind is K.SUB and k > 0 and not sized_identity_at(source, toks, k):
            before = toks[k - 1]
            if before.kind in (K.RP, K.WORD) or (before.kind is K.NAME and _name_of(before.text) in names):
                return True
    return False


def _name_of(text: str) -> str:
    """A name as the expression's lexer spells it: `theta` is θ."""
    return GREEK.get(text, text)
