"""Source text → tokens.

Names are one letter (Latin or Greek, or a Greek letter spelled out) optionally followed by digits or
`_subscript`; a run of letters that is not a known word (`ABA`) is split into single-letter names,
which is how `ABA^TC` means the product A B Aᵀ C. Every token carries its half-open span.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import field

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax import declared, functions


class Tok(enum.Enum):
    NAME = "name"
    WORD = "function name"
    NUMBER = "number"
    LPAREN = "'('"
    RPAREN = "')'"
    LBRACE = "'{'"
    RBRACE = "'}'"
    COMMA = "','"
    PLUS = "'+'"
    MINUS = "'-'"
    STAR = "'*'"
    SLASH = "'/'"
    CARET = "'^'"
    DOTSTAR = "'.*'"
    DOTSLASH = "'./'"
    DOTCARET = "'.^'"
    HADAMARD = "'⊙'"
    KRON = "'⊗'"
    TRANSPOSE = "'ᵀ'"
    INVERSE = "'⁻¹'"
    INVERSE_T = "'⁻ᵀ'"
    SUPERSCRIPT = "superscript power"
    NORM = "'‖'"
    PRIME = "'′'"
    UNDERSCORE = "'_'"
    INDEX = "a sum's index _{r=0}"
    COMMUTATION = "the commutation matrix K[m,n]"
    IDENTITY = "a sized identity Iₙ"
    EOF = "end of input"


@record(frozen=True, slots=True)
class Token(Record):
    kind: Tok
    text: str
    span: Span
    # True when whitespace separates this token from the previous one (A(t) vs A (t)).
    spaced: bool = False


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip

# Words that name functions or constants besides the elementwise functions of the catalogue
# (`functions.py`, which adds its names and aliases); everything else made of letters is a product of names.
OTHER_WORDS = frozenset({
    "tr", "det", "logdet", "sum", "norm", "norm1", "norm2", "diag", "vec", "inv", "eye", "kron", "trace",
    "ones", "unvec",
})  # fmt: skip


def is_function_word(word: str) -> bool:
    return word in OTHER_WORDS or functions.lookup(word) is not None


def function_words() -> list[str]:
    """Every word that names a function, sorted (for suggestions)."""
    return sorted(OTHER_WORDS | functions.spellings())


SUPERSCRIPT_DIGITS = {"⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}

SINGLE = {
    "(": Tok.LPAREN, ")": Tok.RPAREN, "{": Tok.LBRACE, "}": Tok.RBRACE, ",": Tok.COMMA,
    "+": Tok.PLUS, "-": Tok.MINUS, "−": Tok.MINUS, "*": Tok.STAR, "·": Tok.STAR, "⋅": Tok.STAR, "/": Tok.SLASH,
    "^": Tok.CARET, "⊙": Tok.HADAMARD, "∘": Tok.HADAMARD, "⊗": Tok.KRON, "'": Tok.TRANSPOSE,
    "ᵀ": Tok.TRANSPOSE, "⊤": Tok.TRANSPOSE, "‖": Tok.NORM, "_": Tok.UNDERSCORE,
}  # fmt: skip


# Symbols books use for functions and numbers, read as their words
UNICODE_WORDS = {"√": "sqrt", "∑": "sum"}  # not Σ: a name (a covariance)
VULGAR_FRACTIONS = {"½": "1/2", "⅓": "1/3", "¼": "1/4", "¾": "3/4", "⅔": "2/3"}

# Spellings from other languages, refused with the mcalc spelling (never read as something else)
HABITS = {
    "@": "numpy's @ is not mcalc syntax: write A x or A*x for a matrix product",
    "*": "** is not mcalc syntax: write x^2 for a power (x.^2 entrywise)",
    "×": "× is not mcalc syntax: write A B or A*B for a product, x^T y for an inner product, kron(A, B) for ⊗",
}


def _is_latin(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_greek(ch: str) -> bool:
    return "\u0391" <= ch <= "\u03a9" or "\u03b1" <= ch <= "\u03c9"


SUBSCRIPT_NAME_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def name_text(raw: str) -> str:
    """A name as typed → the name: `x₁` is `x_1` (the spelling every output reads back as), others unchanged."""
    if raw[-1] in "₀₁₂₃₄₅₆₇₈₉":
        base = raw.rstrip("₀₁₂₃₄₅₆₇₈₉")
        return f"{base}_{raw[len(base) :].translate(SUBSCRIPT_NAME_DIGITS)}"
    return raw


def _subscript(src: str, i: int) -> int:
    """End of the digits, `_subscript` or subscript digits (`x₁`) that may follow a one-letter name at i."""
    n = len(src)
    j = i
    if j < n and src[j] in "₀₁₂₃₄₅₆₇₈₉":
        while j < n and src[j] in "₀₁₂₃₄₅₆₇₈₉":
            j += 1
        return j
    while j < n and src[j].isascii() and src[j].isdigit():
        j += 1
    if j < n and src[j] == "_" and j + 1 < n and (src[j + 1].isascii() and src[j + 1].isalnum()):
        j += 1
        while j < n and src[j].isascii() and src[j].isalnum():
            j += 1
    return j


MAX_EXPONENT = 300  # 1e300 is the largest power of ten a number may carry (bounded arithmetic)


def _exponent(src: str, j: int) -> int:
    """End of a number's exponent (`1e-3`, `2.5E+2`) starting at j, or j when none follows. A letter e
    after digits is an exponent only when digits follow it (`2e` stays 2·e); `1e3` is never a name."""
    n = len(src)
    if j >= n or src[j] not in "eE":
        return j
    k = j + 1
    if k < n and src[k] in "+-":
        k += 1
    start = k
    while k < n and src[k].isascii() and src[k].isdigit():
        k += 1
    if k == start:
        if start > j + 1:  # `1e+ x`, `2E-`: a number's exponent with its sign typed and its digits missing
            raise ParseError(
                f"an exponent without digits: '{src[j:start]}' after a number (a number reads 1e-3; for the name "
                f"{src[j]}, leave a space before it)",
                Span(j, start),
            )
        return j
    if k - start > 6 or int(src[start:k]) > MAX_EXPONENT:
        raise ParseError(f"exponent too large: at most e±{MAX_EXPONENT}", Span(j, k))
    return k


def _digits_ok(count: int, start: int, end: int) -> None:
    """A number (or a superscript exponent) of at most 300 digits: bounded arithmetic and printing."""
    if count > 300:
        raise ParseError("number too long: at most 300 digits", Span(start, end))


def _suggest(word: str, src: str = "", j: int = -1) -> str | None:
    """An unknown function's hint: by meaning first (mcalc.syntax.habits: dot(u, v) → uᵀv, mean → sum(x)/n,
    said with the call's arguments at j when given), then a close spelling of a known function (Tr → tr),
    else how to declare one."""
    import difflib

    from mcalc.syntax.habits import call_arguments, function_hint

    meant = function_hint(word, call_arguments(src, j) if j >= 0 else None)
    if meant is not None:
        return meant
    close = difflib.get_close_matches(word, function_words(), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}?"
    return f"mcalc identities lists the functions mcalc knows; --function {word} declares an abstract one"


@record
class _Lexer(Record):
    """The text being read and the tokens read so far (a scanner appends to them)."""

    src: str
    tokens: list[Token] = field(default_factory=list)
    # True when whitespace separates the next token from the previous one (A(t) vs A (t)).
    spaced: bool = False
    # LaTeX braces read as other tokens (\\frac{a}{b} is ((a)/(b))): the position of a `}` → where reading
    # goes on after it and the tokens it stands for (mcalc.syntax.latex)
    rewrites: dict[int, tuple[int, tuple[tuple[Tok, str], ...]]] = field(default_factory=dict)

    def add(self, kind: Tok, text: str, start: int, end: int) -> None:
        self.tokens.append(Token(kind, text, Span(start, end), self.spaced))
        self.spaced = False

    def run(self, j: int, accept: Callable[[str], bool]) -> int:
        """The end of the run of characters from j that `accept` takes."""
        while j < len(self.src) and accept(self.src[j]):
            j += 1
        return j


def _ascii_digit(ch: str) -> bool:
    return ch.isascii() and ch.isdigit()


def _superscript_digit(ch: str) -> bool:
    return ch in SUPERSCRIPT_DIGITS


# A scanner reads one token (or a few) at i and returns where it stopped, or None when the text at i is
# not its kind; tokenize tries them in the order of SCANNERS. A scanner may refuse the text (ParseError).
Scanner = Callable[[_Lexer, int], int | None]


def _space(lx: _Lexer, i: int) -> int | None:
    if not lx.src[i].isspace():
        return None
    lx.spaced = True
    return i + 1


def _number(lx: _Lexer, i: int) -> int | None:
    src, n = lx.src, len(lx.src)
    if not (_ascii_digit(src[i]) or (src[i] == "." and i + 1 < n and src[i + 1].isdigit())):
        return None
    j = lx.run(i, _ascii_digit)
    if j < n and src[j] == "." and j + 1 < n and src[j + 1].isdigit():
        j = lx.run(j + 1, _ascii_digit)
    if j - i > 300:
        raise ParseError("number too long: at most 300 digits", Span(i, j))
    j = _exponent(src, j)
    lx.add(Tok.NUMBER, src[i:j], i, j)
    return j


DOT_OPERATORS = {".*": Tok.DOTSTAR, "./": Tok.DOTSLASH, ".^": Tok.DOTCARET}


def _dot(lx: _Lexer, i: int) -> int | None:
    if lx.src[i] != ".":
        return None
    two = lx.src[i : i + 2]
    kind = DOT_OPERATORS.get(two)
    if kind is None and two == ".T":
        raise ParseError("numpy's .T is not mcalc syntax: write x^T or x' for the transpose", Span(i, i + 2))
    if kind is None:
        from mcalc.syntax.habits import module_prefix  # np.exp(x): only on the way to an error

        module = module_prefix(lx.src, i, is_function_word)
        if module is not None:
            raise ParseError(module[0], Span(module[1], module[2]))
        raise ParseError("unexpected '.': elementwise operators are .* ./ .^", Span(i, i + 1))
    lx.add(kind, two, i, i + 2)
    return i + 2


def _double_bar(lx: _Lexer, i: int) -> int | None:
    if not lx.src.startswith("||", i):
        return None
    lx.add(Tok.NORM, "||", i, i + 2)
    return i + 2


def _superscript(lx: _Lexer, i: int) -> int | None:
    """X⁻¹ and X⁻ᵀ; X², X⁻² (X^-2) and X⁻¹² as superscript powers."""
    src, n = lx.src, len(lx.src)
    if src.startswith("⁻¹", i) and not (i + 2 < n and src[i + 2] in SUPERSCRIPT_DIGITS):
        lx.add(Tok.INVERSE, "⁻¹", i, i + 2)
        return i + 2
    if src.startswith("⁻ᵀ", i):
        lx.add(Tok.INVERSE_T, "⁻ᵀ", i, i + 2)
        return i + 2
    start = i + 1 if src[i] == "⁻" else i
    if start >= n or src[start] not in SUPERSCRIPT_DIGITS:
        return None
    j = lx.run(start, _superscript_digit)
    _digits_ok(j - i, i, j)
    lx.add(Tok.SUPERSCRIPT, src[i:j], i, j)
    return j


_SUM_INDEX = re.compile(r"_\{\s*([A-Za-z])\s*=\s*0\s*\}")


def _sum_index(lx: _Lexer, i: int) -> int | None:
    """`_{r=0}` after ∑ or sum: the index of a finite sum, as mcalc prints it (∑_{r=0}^{k−1} …)."""
    if not (lx.tokens and lx.tokens[-1].kind is Tok.WORD and lx.tokens[-1].text == "sum"):
        return None
    hit = _SUM_INDEX.match(lx.src, i)
    if hit is None:
        return None
    lx.add(Tok.INDEX, hit.group(1), i, hit.end())
    return hit.end()


def _norm_subscript(lx: _Lexer, i: int) -> int | None:
    """‖x‖₁, ‖X‖₂: a norm's subscript; ‖A‖_inf (or _∞), read by the norm, never a product i·n·f."""
    src, ch = lx.src, lx.src[i]
    if ch in "₁₂":
        lx.add(Tok.UNDERSCORE, "_", i, i)
        lx.add(Tok.NUMBER, "1" if ch == "₁" else "2", i, i + 1)
        return i + 1
    if src.startswith(("_inf", "_∞"), i) and lx.tokens and lx.tokens[-1].kind is Tok.NORM:
        end = i + (4 if src.startswith("_inf", i) else 2)
        lx.add(Tok.UNDERSCORE, "_", i, i + 1)
        lx.add(Tok.NAME, "inf", i + 1, end)
        return end
    return None


# Book symbols read as one token each: √x, ∑(x) (the function's symbol), ½ x, 𝟙 (the ones vector, as
# mcalc prints it)
SYMBOLS = {
    **{ch: (Tok.WORD, word) for ch, word in UNICODE_WORDS.items()},
    **{ch: (Tok.NUMBER, text) for ch, text in VULGAR_FRACTIONS.items()},
    "𝟙": (Tok.WORD, "ones"),
}


def _symbol(lx: _Lexer, i: int) -> int | None:
    hit = SYMBOLS.get(lx.src[i])
    if hit is None:
        return None
    lx.add(hit[0], hit[1], i, i + 1)
    return i + 1


def _habit(lx: _Lexer, i: int) -> int | None:
    ch = lx.src[i]
    if ch in HABITS and not (ch == "*" and not lx.src.startswith("**", i)):
        raise ParseError(HABITS[ch], Span(i, i + (2 if ch == "*" else 1)))
    return None


def _single(lx: _Lexer, i: int) -> int | None:
    kind = SINGLE.get(lx.src[i])
    if kind is None:
        return None
    lx.add(kind, lx.src[i], i, i + 1)
    return i + 1


def _word_or_underscore(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _greek(lx: _Lexer, i: int) -> int | None:
    if not _is_greek(lx.src[i]):
        return None
    j = _subscript(lx.src, i + 1)
    if is_function_word(lx.src[i:j]):  # λ_max, σ_max
        return _function_word(lx, i, j)
    lx.add(Tok.NAME, name_text(lx.src[i:j]), i, j)
    return j


def _latin(lx: _Lexer, i: int) -> int | None:
    """A function word (`norm2`, `tr`), a Greek letter spelled out, or a run of one-letter names."""
    src = lx.src
    if not _is_latin(src[i]):
        return None
    j = lx.run(i, _is_latin)
    k = lx.run(j, _ascii_digit)  # a word followed by digits ("norm2") is still a word
    _refuse_word_with_digits(lx, i, j)
    u = lx.run(k, _word_or_underscore)  # lambda_max, eigvec_max: a function word with underscores
    for end in (u, k, j) if u > k else (k, j):
        if is_function_word(src[i:end]):
            return _function_word(lx, i, end)
    word = src[i:j]
    if word in GREEK:
        end = _subscript(src, j)
        lx.add(Tok.NAME, name_text(GREEK[word] + src[j:end]), i, end)
        return end
    if j - i >= 2 and j < len(src) and src[j] == "(" and (word.islower() or is_function_word(word.lower())):
        # tan(x), Tr(AB): a word before '(' is meant as a function, never as a product of letters
        raise ParseError(f"unknown function {word!r}", Span(i, j), hint=_suggest(word.lower(), src, j))
    if j - i >= 3:
        _refuse_glued_function(src, i, j)
    for p in range(i, j - 1):  # all letters but the last are one-letter names
        lx.add(Tok.NAME, src[p], p, p + 1)
    end = _subscript(src, j)
    lx.add(Tok.NAME, name_text(src[j - 1 : end]), j - 1, end)
    return end


def _refuse_glued_function(src: str, i: int, j: int) -> None:
    """`trAB`, `detX`: a function's name glued to the letters after it. By the letter rule it is the product
    t·r·A·B, which nobody writing trAB means: refused with the function applied (did you mean tr(AB)?)."""
    from mcalc.syntax.habits import glued_function

    glued = glued_function(src[i:j], is_function_word)
    if glued is not None:
        word, rest = glued
        end = j
        while end < len(src) and not src[end].isspace() and src[end] not in "+-−),=":
            end += 1  # trA^TB: the argument runs on to the next space or sum (tr(A^TB))
        rest += src[j:end]
        letters = " ".join(src[i:j])
        raise ParseError(
            f"{src[i:j]!r} starts with the function {word}",
            Span(i, j),
            hint=f"did you mean {word}({rest})? (for the product of the letters write {letters})",
        )


PRIMES = {"′": 1, "'": 1, "″": 2, "’": 1}


def _function_word(lx: _Lexer, i: int, end: int) -> int:
    """A function word; `g′(`, `g''(` of a declared --elementwise g is its derivative, as mcalc prints it."""
    src = lx.src
    j = lx.run(end, lambda ch: ch in PRIMES)
    order = sum(PRIMES[ch] for ch in src[end:j])
    spelled = declared.typed_entry(src[i:end], order) if order and src.startswith("(", j) else None
    if order and spelled is None and declared.typed_entry(src[i:end], gradient=True):  # f′(x) of a --function f
        word = src[i:end]
        raise ParseError(f"{word} is a --function: its gradient is written ∇{word}(…) or grad_{word}(…)", Span(end, j))
    if spelled is None:
        lx.add(Tok.WORD, src[i:end], i, end)
        return end
    lx.add(Tok.WORD, spelled, i, j)
    return j


def _gradient(lx: _Lexer, i: int) -> int | None:
    """`∇f(…)` (ASCII `grad_f(…)`): the gradient of a --function f, as mcalc prints it."""
    src = lx.src
    for prefix in ("∇²", "hess_", "J_"):  # the Hessian ∇²f, the Jacobian J_f of a --function f
        if src.startswith(prefix, i):
            j = lx.run(i + len(prefix), lambda ch: ch.isascii() and ch.isalnum())
            spelled = declared.derivative_entry(prefix, src[i + len(prefix) : j]) if src.startswith("(", j) else None
            if spelled is not None:
                lx.add(Tok.WORD, spelled, i, j)
                return j
    start = i + 1 if src[i] == "∇" else i + 5 if src.startswith("grad_", i) else None
    if start is None:
        return None
    j = lx.run(start, lambda ch: ch.isascii() and ch.isalnum())
    spelled = declared.typed_entry(src[start:j], gradient=True)
    if spelled is None and src[i] == "∇":
        hint = "for the gradient of an expression, run mcalc diff EXPR --wrt x"
        message = "∇ is written only before a function declared with --function f (∇f(A x))"
        raise ParseError(message, Span(i, i + 1), hint=hint)
    if spelled is None:
        return None
    lx.add(Tok.WORD, spelled, i, j)
    return j


def _refuse_word_with_digits(lx: _Lexer, i: int, j: int) -> None:
    """log1p(x), atan2(y): digits inside a word before '(' make it one unknown function name."""
    src = lx.src
    run = lx.run(j, lambda ch: ch.isascii() and ch.isalnum())
    spelled = src[i:run]
    if j - i >= 2 and j < run < len(src) and src[run] == "(" and spelled.islower() and not is_function_word(spelled):
        raise ParseError(f"unknown function {spelled!r}", Span(i, run), hint=_suggest(spelled))


# tokens after which `\\` is Matlab's left division (A\\b), not a LaTeX command
OPERAND_END = frozenset({Tok.NAME, Tok.NUMBER, Tok.RPAREN, Tok.TRANSPOSE, Tok.NORM, Tok.SUPERSCRIPT})


def _prime(lx: _Lexer, i: int) -> int | None:
    """′ ″ and the curly quote ’ (a PDF's spellings) read as ' and '': a transpose, or a derivative before
    (t) as `A'(t)` is."""
    count = {"′": 1, "’": 1, "″": 2}.get(lx.src[i])
    if count is None:
        return None
    for _ in range(count):
        lx.add(Tok.TRANSPOSE, "'", i, i + 1)
    return i + 1


def _rewrite(lx: _Lexer, i: int) -> int | None:
    """A `}` that LaTeX reading gave other tokens (the `}{` of \\frac{a}{b} is `)/(`)."""
    hit = lx.rewrites.pop(i, None)
    if hit is None:
        return None
    stop, tokens = hit
    for kind, text in tokens:
        lx.add(kind, text, i, i + 1)
    return stop


def _latex(lx: _Lexer, i: int) -> int | None:
    """A LaTeX spelling of what mcalc reads (x^\\top, \\mathrm{tr}, \\det, \\otimes, \\frac{1}{2}, \\alpha), read
    as that; None for any other backslash (refused by `_unexpected` with the mcalc spelling)."""
    from mcalc.syntax import latex

    src = lx.src
    if i + 1 < len(src) and src[i + 1] in latex.SPACING:
        lx.spaced = True
        return i + 2
    found = latex.command(src, i)
    if found is None:
        return None
    name, end = found
    if name in latex.TOKENS:
        for kind_name, text in latex.TOKENS[name]:
            lx.add(Tok[kind_name], text, i, end)
        return end
    if name in latex.WRAPPERS:
        hit = latex.wrapped(src, end, is_function_word, GREEK)
        if hit is None:
            return None
        (kind_name, text), stop = hit
        kind = Tok[kind_name]
        if kind is Tok.NAME:  # \mathbf{x}_1
            sub = _subscript(src, stop)
            text, stop = name_text(text + src[stop:sub]), sub
        lx.add(kind, text, i, stop)
        return stop
    if name in ("frac", "dfrac", "tfrac", "sqrt"):
        return _latex_braces(lx, i, name, end)
    if name in GREEK:
        stop = _subscript(src, end)
        lx.add(Tok.NAME, name_text(GREEK[name] + src[end:stop]), i, stop)
        return stop
    if is_function_word(name):  # \det, \log, \exp, \tr
        lx.add(Tok.WORD, name, i, end)
        return end
    return None


def _latex_braces(lx: _Lexer, i: int, name: str, end: int) -> int | None:
    """\\frac{a}{b} → ((a)/(b)), \\sqrt{x} → sqrt(x): the braces become parentheses as they are met."""
    from mcalc.syntax.latex import braced_group

    src = lx.src
    close = braced_group(src, end)
    if close is None:
        return None
    if name == "sqrt":
        lx.add(Tok.WORD, "sqrt", i, end)
        lx.add(Tok.LPAREN, "(", end, end + 1)
        lx.rewrites[close] = (close + 1, ((Tok.RPAREN, ")"),))
        return end + 1
    k = close + 1
    while k < len(src) and src[k].isspace():
        k += 1
    close2 = braced_group(src, k)
    if close2 is None:
        return None
    lx.add(Tok.LPAREN, "(", i, end)
    lx.add(Tok.LPAREN, "(", i, end)
    lx.rewrites[close] = (k + 1, ((Tok.RPAREN, ")"), (Tok.SLASH, "/"), (Tok.LPAREN, "(")))
    lx.rewrites[close2] = (close2 + 1, ((Tok.RPAREN, ")"), (Tok.RPAREN, ")")))
    return end + 1


def _unexpected(lx: _Lexer, i: int) -> int | None:
    ch = lx.src[i]
    if ch == "∂":
        message = "unexpected character '∂': for a derivative run mcalc diff EXPR --wrt x (mcalc check for a claim)"
        raise ParseError(message, Span(i, i + 1))
    if ch in "\\=":
        from mcalc.syntax import habits  # LaTeX, Matlab, an equation: only on the way to an error

        if ch == "=":
            raise ParseError(habits.equation(lx.src, i), Span(i, i + 1))
        after = bool(lx.tokens) and lx.tokens[-1].kind in OPERAND_END
        message, end = habits.backslash(lx.src, i, after, GREEK)
        raise ParseError(message, Span(i, end))
    if ch == "|":
        from mcalc.syntax.habits import bars  # |X|, log|X|: only on the way to an error

        last = lx.tokens[-1] if lx.tokens else None
        beside = last is not None and last.kind is Tok.WORD and not lx.src[last.span.end : i].strip()
        word = last.text if last is not None and beside else ""
        message, start, end = bars(lx.src, i, word)
        raise ParseError(message, Span(start, end))
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    raise ParseError(f"unexpected character {shown}", Span(i, i + 1))


def _commutation(lx: _Lexer, i: int) -> int | None:
    """Kₘₙ, K[m,n], K_{m,n}, K_{mn}: the commutation matrix (mcalc.syntax.commutation)."""
    from mcalc.syntax import commutation

    hit = commutation.scan(lx.src, i)
    if hit is None:
        return None
    lx.add(Tok.COMMUTATION, hit[1], i, hit[0])
    return hit[0]


def _identity(lx: _Lexer, i: int) -> int | None:
    """Iₙ, Iₘₙ, I_{mn}: an identity of a named size (mcalc.syntax.sized_identity)."""
    from mcalc.syntax import sized_identity

    hit = sized_identity.scan(lx.src, i)
    if hit is None:
        return None
    lx.add(Tok.IDENTITY, hit[1], i, hit[0])
    return hit[0]


SCANNERS: tuple[Scanner, ...] = (
    _space, _number, _dot, _double_bar, _superscript, _sum_index, _norm_subscript, _gradient, _symbol, _habit,
    _rewrite, _prime, _single, _greek, _commutation, _identity, _latin, _latex, _unexpected,
)  # fmt: skip


# The characters each scanner can start at (a scanner not listed can start anywhere): a scanner that cannot
# start at a character returns None there, so it is skipped without a call (a long input tried a dozen
# scanners at every letter). The order of SCANNERS is kept.
_STARTS: dict[Scanner, Callable[[str], bool]] = {
    _space: str.isspace,
    _number: lambda ch: _ascii_digit(ch) or ch == ".",
    _dot: lambda ch: ch == ".",
    _double_bar: lambda ch: ch == "|",
    _superscript: lambda ch: ch == "⁻" or ch in SUPERSCRIPT_DIGITS,
    _sum_index: lambda ch: ch == "_",
    _norm_subscript: lambda ch: ch in ("₁", "₂", "_"),
    _gradient: lambda ch: ch in ("∇", "g", "h", "J"),
    _symbol: lambda ch: ch in SYMBOLS,
    _habit: lambda ch: ch in HABITS,
    _rewrite: lambda ch: ch == "}",
    _prime: lambda ch: ch in "′″’",
    _commutation: lambda ch: ch == "K",
    _identity: lambda ch: ch == "I",
    _single: lambda ch: ch in SINGLE,
    _latex: lambda ch: ch == "\\",
    _greek: _is_greek,
    _latin: _is_latin,
}
_BY_FIRST: dict[str, tuple[Scanner, ...]] = {}


def _scanners(ch: str) -> tuple[Scanner, ...]:
    found = _BY_FIRST.get(ch)
    if found is None:
        found = tuple(scan for scan in SCANNERS if scan not in _STARTS or _STARTS[scan](ch))
        _BY_FIRST[ch] = found
    return found


def tokenize(src: str) -> list[Token]:
    lx = _Lexer(src)
    i = 0
    while i < len(src):
        for scan in _scanners(src[i]):
            end = scan(lx, i)
            if end is not None:
                i = end
                break
    lx.add(Tok.EOF, "", len(src), len(src))
    return lx.tokens
