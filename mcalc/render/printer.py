"""Trees → one-line text or LaTeX. One precedence table decides every parenthesis, from the tree,
never from printed strings; the two styles differ only in their spellings.

Text output is valid mcalc input again (`ᵀ`, `⁻¹`, `⊙`, `‖x‖` are part of the syntax), so a result
can be pasted back into `mcalc` or `mcalc check --claim`. Text comes in two spellings, Unicode and
ASCII (`C^T A B^T`, for `--ascii` and terminals without Unicode): the table rows of `spelling.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mcalc import budget
from mcalc.errors import InputError
from mcalc.records import Record, record
from mcalc.render import identity_sizes, latex_names, spelling
from mcalc.syntax import functions, matrix_functions
from mcalc.syntax import nodes as N
from mcalc.syntax.lexer import GREEK
from mcalc.syntax.nodes import Dim, Node

PREC_ADD = 10
PREC_MUL = 20
PREC_ELEMENTWISE = 20  # ⊙ and ⊗ inside a product get parentheses, and the other way round
PREC_UNARY = 30
PREC_POSTFIX = 40
PREC_ATOM = 50

SUPERSCRIPTS = spelling.SUPERSCRIPTS
SUBSCRIPTS = {
    **{str(i): chr(0x2080 + i) for i in range(10)},
    "a": "ₐ", "e": "ₑ", "h": "ₕ", "i": "ᵢ", "j": "ⱼ", "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ",
    "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ", "u": "ᵤ", "v": "ᵥ", "x": "ₓ",
}  # fmt: skip
GREEK_LATEX = {v: "\\" + k for k, v in GREEK.items()}


def subscript(text: str) -> str | None:
    if all(ch in SUBSCRIPTS for ch in text):
        return "".join(SUBSCRIPTS[ch] for ch in text)
    return None


def dim_label(d: Dim | None) -> str:
    if d is None:
        return ""
    if isinstance(d, tuple):
        return "".join(dim_label(x) for x in d)
    return str(d)


def _mul_precedence(node: N.Mul) -> int:
    first = node.factors[0]
    if isinstance(first, N.Number) and first.value < 0:
        return PREC_UNARY - 5  # −2x binds like a product
    return PREC_MUL


def _number_precedence(node: N.Number) -> int:
    if node.value < 0:
        return PREC_UNARY - 5
    if node.value.denominator != 1:
        return PREC_MUL
    return PREC_ATOM


def _element_power_precedence(node: N.ElementPower) -> int:
    return PREC_ELEMENTWISE if node.exponent == -1 else PREC_POSTFIX


def _ones_matrix(node: N.Ones) -> bool:
    return node.rows != 1 and node.cols != 1 and node.rows != N.BY_CONTEXT


# each node type's binding, looked up by type: a chain of isinstance tests ran for every factor of every
# product printed (10⁶ in a 100-deep sin tower's third derivative; an Apply went through all of them)
_PRECEDENCE: dict[type, int | Callable[[Any], int]] = {
    N.Add: PREC_ADD,
    N.Mul: _mul_precedence,
    N.Hadamard: PREC_ELEMENTWISE,
    N.Kron: PREC_ELEMENTWISE,
    N.Number: _number_precedence,
    N.ElementPower: _element_power_precedence,
    N.Transpose: PREC_POSTFIX,
    N.Inverse: PREC_POSTFIX,
    N.Power: PREC_POSTFIX,
    N.ElementPowerOf: PREC_POSTFIX,
    N.PowerOf: PREC_POSTFIX,
    N.SumOver: PREC_ADD,  # ∑ reaches to the end of its body: parenthesised inside anything
}


def precedence(node: Node) -> int:
    found = _PRECEDENCE.get(type(node), PREC_ATOM)
    return found if isinstance(found, int) else found(node)


_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


@record(frozen=True)
class Style(Record):
    latex: bool

    def name(self, name: str) -> str:
        base, _, sub = name.partition("_")
        if not sub and len(name) > 1 and name[1:].isdigit():
            if self.latex and (apart := latex_names.typed(name, GREEK_LATEX)) is not None:
                return apart  # x0 beside x_0 in one answer: \mathit{x0}, never x_{0} for both
            base, sub = name[0], name[1:]
        if self.latex:
            head = GREEK_LATEX.get(base, base)
            if sub:  # u₁ (a `where` name) is u_{1}: LaTeX has no subscript characters
                return f"{head}_{{{sub.translate(_SUBSCRIPT_DIGITS)}}}"
            return head
        return spelling.ascii_name(name) if spelling.current().spell_greek else name


TEXT = Style(latex=False)
LATEX = Style(latex=True)


class Printer:
    def __init__(self, style: Style, *, every_size: bool = False) -> None:
        self.s = style
        self.latex = style.latex
        self.every_size = every_size  # each I with its size in text too (check's advice: how to write a claim)
        # the text spelling is fixed when the printer is made: Unicode, or ASCII for `--ascii`
        self.sp = spelling.current()
        self._printed: dict[int, tuple[Node, str]] = {}
        self._written = 0  # characters of the texts made so far (each distinct part's once)
        self._unvec_depth = 0  # inside unvec(…): I's sizes are left to the context (see p_Unvec)

    def __call__(self, node: Node) -> str:
        if not self.latex and not self.every_size and identity_sizes.needed(node):
            # an I whose size its context would not fix on reading: then every I prints its size, which the
            # reading binds, for the neighbours of one sized I take their sizes from its product dimensions
            # ((Aᵀ ⊗ I)(Iₙ ⊗ Kₚₘ ⊗ Iₚ) read A's I apart); a printer of its own, its cache of sized texts
            return Printer(self.s, every_size=True)(node)
        return self.p(node)

    def wrap(self, node: Node, min_prec: int) -> str:
        text = self.p(node)
        prec = precedence(node)
        if isinstance(node, N.Kron) and not self.latex and not self.sp.infix_kron:
            prec = PREC_ATOM  # kron(A, B) is a call, an atom
        if isinstance(node, N.Ones) and not self.latex and _ones_matrix(node):
            prec = PREC_MUL  # a ones matrix is 𝟙 𝟙ᵀ in text: a product
        if prec < min_prec:
            return self.paren(text)
        return text

    def paren(self, text: str) -> str:
        return f"\\left({text}\\right)" if self.latex else f"({text})"

    def p(self, node: Node) -> str:
        # a node prints the same wherever it sits: a derivative shares sub-trees (the Hessian of a deep
        # chain repeats each factor), so each object is printed once, looked up by identity
        seen = self._printed.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        budget.tick("printing the result")
        method = getattr(self, "p_" + type(node).__name__)
        result: str = method(node)
        # a shared part is printed once but written out at every place it occurs: the text of a derivative
        # whose parts repeat level after level (nested softmaxes of a matrix) doubles with each level, so the
        # clock counts its length (a tick a KiB), and its size is bounded (memory, before the clock runs out)
        budget.tick("printing the result", len(result) >> 10)
        self._written += len(result)
        if self._written > MAX_WRITTEN:
            raise budget.BudgetError(
                f"the result written out passes {MAX_WRITTEN:,} characters: a part of it is written again at "
                "every place it is used (nested softmaxes of a matrix double it with each level; a tower of 150 sin "
                "has a third derivative past it); a shallower expression is answered"
            )
        self._printed[id(node)] = (node, result)  # holds the node, so its id is not reused meanwhile
        return result

    # -- leaves --
    def p_Symbol(self, n: N.Symbol) -> str:
        return self.s.name(n.name)

    def p_Number(self, n: N.Number) -> str:
        v = n.value
        _check_digits(v)
        minus = "-" if self.latex else self.sp.minus
        sign = minus if v < 0 else ""
        a = abs(v)
        scientific = _scientific(a)
        if scientific is not None:  # 1e-20 as the user typed it, not 1/100000000000000000000
            mantissa, exponent = scientific
            if self.latex:
                power = f"10^{{{exponent}}}"
                return f"{sign}{power}" if mantissa == "1" else f"{sign}{mantissa} \\cdot {power}"
            return f"{sign}{mantissa}e{exponent}"
        if a.denominator == 1:
            return f"{sign}{a.numerator}"
        decimal = _decimal(a)
        if decimal is not None:  # 0.001 as the user typed it (1e-3 or 0.001), not 1/1000
            return f"{sign}{decimal}"
        if self.latex:
            return f"{sign}\\frac{{{a.numerator}}}{{{a.denominator}}}"
        return f"{sign}{a.numerator}/{a.denominator}"

    def p_Identity(self, n: N.Identity) -> str:
        if self.latex and n.dim is not None:
            return f"I_{{{dim_label(n.dim)}}}"
        if self.every_size and n.dim is not None and not self._unvec_depth:
            return identity_sizes.text(n.dim, self.sp.compact)
        return "I"

    def p_Ones(self, n: N.Ones) -> str:
        row = n.rows == 1 and n.cols != 1  # 𝟙ᵀ: a row of ones
        if self.latex:
            return "\\mathbf{1}^{\\top}" if row else "\\mathbf{1}"
        if _ones_matrix(n):  # 𝟙 𝟙ᵀ: a bare 𝟙 reads back as a vector (sum(A X) by X printed Aᵀ 𝟙, an n×p matrix)
            return f"{self.sp.ones} {self.sp.ones_row}"
        return self.sp.ones_row if row else self.sp.ones

    def p_Zero(self, n: N.Zero) -> str:
        return "0"

    def p_Commutation(self, n: N.Commutation) -> str:
        r, c = dim_label(n.rows), dim_label(n.cols)
        if self.latex:
            return f"K_{{{r},{c}}}"
        # Kₘₙ only of two letters: K₃₂ would read back as a matrix named K_32, K₃ₘ not at all (K[3,2])
        letters = r.isalpha() and c.isalpha()
        sub = subscript(r + c) if len(r) == 1 and len(c) == 1 and letters and self.sp.compact else None
        return f"K{sub}" if sub else f"K[{r},{c}]"

    def p_Differential(self, n: N.Differential) -> str:
        return f"d{self.s.name(n.name)}" if not self.latex else f"d{self.s.name(n.name)}"

    def p_FunctionOf(self, n: N.FunctionOf) -> str:
        primes = ("'" if self.latex else self.sp.prime) * n.order
        return f"{self.s.name(n.name)}{primes}({self.s.name(n.param)})"

    # -- operators --
    def p_Add(self, n: N.Add) -> str:
        # parts joined once: `out +=` copies the growing text per term (quadratic in a 20,000-term sum)
        minus = f" {'-' if self.latex else self.sp.minus} "
        out = [self.wrap(n.terms[0], PREC_ADD)]
        for t in n.terms[1:]:
            neg = _negated(t)
            if neg is not None:
                out += (minus, self.wrap(neg, PREC_ADD + 1))
            else:
                out += (" + ", self.wrap(t, PREC_ADD + 1))
        return "".join(out)

    def p_Mul(self, n: N.Mul) -> str:
        fs = list(n.factors)
        prefix = ""
        if isinstance(fs[0], N.Number):
            c = fs[0].value
            fs = fs[1:]
            minus = "-" if self.latex else self.sp.minus
            if c == -1:
                prefix = minus
            elif c != 1:
                prefix = self.p_Number(N.Number(c))
                if (c.denominator != 1 or _scientific(abs(c)) is not None) and not self.latex:
                    prefix += " "  # 1/2 x, 5e8 x: a fraction or an e-number stands apart from what it scales
        parts = [self.wrap(f, PREC_MUL + 1) for f in fs]
        # a factor that prints with a leading minus after another factor would read back as a subtraction
        # (`2 −xᵀx x` is 2 − xᵀx·x): parenthesise it
        minus_sign = "-" if self.latex else self.sp.minus
        parts = [self.paren(p) if (i > 0 or prefix) and p.startswith(minus_sign) else p for i, p in enumerate(parts)]
        compact = self.sp.compact and all(_is_compact(f) for f in fs)
        if self.latex:
            body = " ".join(parts) if not compact else " ".join(parts)
            return prefix + body
        body = "".join(parts) if compact else " ".join(parts)
        if prefix and not prefix.endswith(" ") and prefix != self.sp.minus and not compact:
            prefix += " "
        return prefix + body

    def p_Hadamard(self, n: N.Hadamard) -> str:
        op = " \\odot " if self.latex else self.sp.hadamard
        div = " \\oslash " if self.latex else " ./ "
        out = [self.wrap(n.factors[0], PREC_ELEMENTWISE + 1)]
        for f in n.factors[1:]:
            if isinstance(f, N.ElementPower) and f.exponent < 0:
                shown = f.base if f.exponent == -1 else N.ElementPower(f.base, -f.exponent)
                out += (div, self.wrap(shown, PREC_ELEMENTWISE + 1))
            else:
                out += (op, self.wrap(f, PREC_ELEMENTWISE + 1))
        return "".join(out)

    def p_Kron(self, n: N.Kron) -> str:
        left = n.left
        # Iₙ ⊗ Kₙₘ ⊗ Iₘ: sizes that read back the same
        sized = not self.latex and not self._unvec_depth and identity_sizes.sized_factors(n)
        if not self.latex and not self.sp.infix_kron:  # kron(A, B): the call needs no parentheses
            return self.sp.kron.format(left=self._factor(left, sized), right=self._factor(n.right, sized))
        lhs = self.p(left) if isinstance(left, N.Kron) else self._factor(left, sized, PREC_ELEMENTWISE + 1)
        rhs = self._factor(n.right, sized, PREC_ELEMENTWISE + 1)
        return f"{lhs} \\otimes {rhs}" if self.latex else self.sp.kron.format(left=lhs, right=rhs)

    def _factor(self, f: Node, sized: bool, min_prec: int = 0) -> str:
        """A Kronecker factor; an identity (or vec of one) with its size where the other factor does not fix it."""
        if sized and isinstance(f, N.Identity) and f.dim is not None:
            return identity_sizes.text(f.dim, self.sp.compact)
        if sized and isinstance(f, N.Vec) and isinstance(f.arg, N.Identity) and f.arg.dim is not None:
            return f"vec({identity_sizes.text(f.arg.dim, self.sp.compact)})"  # _func's text spelling
        return self.wrap(f, min_prec)

    def _postfix(self, arg: Node, text_sup: str, latex_sup: str) -> str:
        base = self.wrap(arg, PREC_ATOM)
        if self.latex:
            return f"{_latex_base(arg, base)}^{{{latex_sup}}}"
        return base + text_sup

    def p_Transpose(self, n: N.Transpose) -> str:
        if isinstance(n.arg, N.Inverse):
            return self._postfix(n.arg.arg, self.sp.inverse_transpose, "-\\top")
        return self._postfix(n.arg, self.sp.transpose, "\\top")

    def p_Inverse(self, n: N.Inverse) -> str:
        if isinstance(n.arg, N.Transpose):  # (Xᵀ)⁻¹ = (X⁻¹)ᵀ: X⁻ᵀ either way, as the README promises
            return self._postfix(n.arg.arg, self.sp.inverse_transpose, "-\\top")
        return self._postfix(n.arg, self.sp.inverse, "-1")

    def p_Power(self, n: N.Power) -> str:
        p = n.exponent
        if p.denominator == 1:
            sup = str(p.numerator).translate(SUPERSCRIPTS)
            return self._postfix(n.base, self.sp.power.format(sup=sup, n=p.numerator), str(p.numerator))
        if self.latex:
            return self._postfix(n.base, "", f"{p.numerator}/{p.denominator}")
        return self.wrap(n.base, PREC_ATOM) + f"^({p.numerator}/{p.denominator})"

    def p_ElementPower(self, n: N.ElementPower) -> str:
        p = n.exponent
        if p == -1:
            one = "\\mathbf{1} \\oslash " if self.latex else "1 ./ "
            return one + self.wrap(n.base, PREC_ELEMENTWISE + 1)
        exp = str(p.numerator) if p.denominator == 1 else f"{p.numerator}/{p.denominator}"
        if self.latex:
            return f"{_latex_base(n.base, self.wrap(n.base, PREC_ATOM))}^{{\\circ {exp}}}"
        if p.denominator != 1 or p < 0:
            exp = f"({exp})"
        return f"{self.wrap(n.base, PREC_ATOM)}.^{exp}"

    def _exponent(self, e: Node) -> str:
        """The exponent of x.^t, Xᵏ: bare when a name or a whole number, else in parentheses (text)."""
        text = self.p(e)
        if self.latex:
            return text
        bare = isinstance(e, (N.Symbol, N.Bound)) or (
            isinstance(e, N.Number) and e.value >= 0 and e.value.denominator == 1
        )
        return text if bare else self.paren(text)

    def p_ElementPowerOf(self, n: N.ElementPowerOf) -> str:
        base = self.wrap(n.base, PREC_ATOM)
        if self.latex:
            return f"{_latex_base(n.base, base)}^{{\\circ {self._exponent(n.exponent)}}}"
        return f"{base}.^{self._exponent(n.exponent)}"

    def p_PowerOf(self, n: N.PowerOf) -> str:
        base = self.wrap(n.base, PREC_ATOM)
        if self.latex:
            return f"{_latex_base(n.base, base)}^{{{self._exponent(n.exponent)}}}"
        return f"{base}^{self._exponent(n.exponent)}"

    def p_Bound(self, n: N.Bound) -> str:
        return self.s.name(n.name)

    def p_SumOver(self, n: N.SumOver) -> str:
        index = self.s.name(n.index)
        last = self.p(_minus_one(n.count)).replace(" ", "")  # k−1: a compact bound, as books write it
        body = self.wrap(n.body, PREC_MUL)
        if self.latex:
            return f"\\sum_{{{index}=0}}^{{{last}}} {body}"
        return f"{self.sp.sigma}_{{{index}=0}}^{{{last}}} {body}"

    def _func(self, name: str, arg: Node) -> str:
        inner = self.p(arg)
        if self.latex:
            named = {"det": "\\det", "logdet": "\\log\\det"}.get(name, f"\\operatorname{{{name}}}")
            return f"{named}\\left({inner}\\right)"
        # a declared function's derivative (g′, ∇f: mcalc.syntax.declared) in the style's spelling
        name = name.replace("∇²", "∇²" if self.sp.gradient == "∇" else "hess_")  # the Hessian of a --function
        return f"{name.replace('∇', self.sp.gradient).replace('′', self.sp.prime)}({inner})"

    def p_Trace(self, n: N.Trace) -> str:
        return self._func("tr", n.arg)

    def p_Det(self, n: N.Det) -> str:
        return self._func("det", n.arg)

    def p_LogDet(self, n: N.LogDet) -> str:
        return self._func("logdet", n.arg)

    def p_Apply(self, n: N.Apply) -> str:
        entry = functions.lookup(n.func)  # the catalogue's LaTeX; the text spelling is the name
        if self.latex and entry is not None:
            return entry.latex_of(self.p(n.arg))
        return self._func(n.func, n.arg)

    def p_Columnwise(self, n: N.Columnwise) -> str:
        p = matrix_functions.power_of(n.func)
        if p is not None:  # S^p of a symmetric positive definite S, written as typed
            return self.p_Power(N.Power(n.arg, p))
        entry = functions.get(n.func)
        if self.latex:
            return entry.latex_of(self.p(n.arg))
        spelled = entry.ascii if self.sp.spell_greek else entry.text  # ‖X‖₂ / ||X||_2, λ_max / lambda_max
        if spelled:
            return spelled.replace("{}", self.p(n.arg), 1)
        return self._func(n.func, n.arg)

    def p_Frechet(self, n: N.Frechet) -> str:
        """L_expm(X, dX), the Fréchet derivative (L2_expm(X, E1, E2) the second); K_expm(X) its matrix."""
        matrix = isinstance(n, N.FrechetMatrix)
        text, tex = matrix_functions.operator_names(n.func, len(n.args) - 1 + matrix, matrix)
        inner = ", ".join(self.p(a) for a in n.args)
        return f"{tex}\\left({inner}\\right)" if self.latex else f"{text}({inner})"

    p_FrechetMatrix = p_Frechet

    def p_Norm(self, n: N.Norm) -> str:
        inner = self.p(n.arg)
        if self.latex:
            return f"\\left\\|{inner}\\right\\|" + ("_1" if n.p == 1 else "")
        return (self.sp.norm1 if n.p == 1 else self.sp.norm).format(arg=inner)

    def p_Sum(self, n: N.Sum) -> str:
        return self._func("sum", n.arg)

    def p_Diag(self, n: N.Diag) -> str:
        return self._func("diag", n.arg)

    def p_Vec(self, n: N.Vec) -> str:
        return self._func("vec", n.arg)

    def p_Unvec(self, n: N.Unvec) -> str:
        # unvec(v) reads its shape from the order of the factors of v's length (n·m: an m×n matrix), which a
        # printed I_{mn} would fix in the order the tree holds, not always vec's; bare, the context sizes them
        self._unvec_depth += 1
        try:
            return self._func("unvec", n.arg)
        finally:
            self._unvec_depth -= 1


# characters of the texts one printer makes (each distinct part's text once, holding its parts' texts written
# out): about 2 GB of memory. The 100-deep sin tower's third derivative makes 264 million in plain text.
MAX_WRITTEN = 400_000_000
MAX_PRINT_DIGITS = 4_000  # below Python's int-to-text limit (4,300 digits), which would end in ValueError


SCIENTIFIC_FROM = 6  # a power of ten with at least this many zeros prints in e-notation (1e-6, 2.5e8)
SCIENTIFIC_DIGITS = 6  # of at most this many significant digits; other numbers print exactly


def _decimal_places(den: int) -> tuple[int, int] | None:
    """(k, b) for a denominator 2ᵃ5ᵇ, the fewest decimal places k = max(a, b) with den | 10ᵏ; None for any other
    denominator (1/3 has no decimal)."""
    twos = (den & -den).bit_length() - 1
    rest, fives = den >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    return (max(twos, fives), fives) if rest == 1 else None


def _decimal(a: Fraction) -> str | None:
    """A positive non-integer typed as a decimal of three to five places (0.001, 0.002, 0.125e-2),
    of at most SCIENTIFIC_DIGITS significant digits, written as that decimal; else None."""
    places = _decimal_places(a.denominator)
    # the fifths at least 5²: the denominators of decimals typed with places (1000, 500, 200, 125), not of
    # halves, quarters and eighths (2, 4, 8, 40), which stay fractions as textbooks write them
    if places is None or places[1] < 2 or not 3 <= places[0] < SCIENTIFIC_FROM:
        return None
    k = places[0]
    scaled = a.numerator * 10**k // a.denominator
    if len(str(scaled).strip("0")) > SCIENTIFIC_DIGITS:
        return None
    whole, frac = divmod(scaled, 10**k)
    return f"{whole}.{str(frac).rjust(k, '0').rstrip('0')}"


def _scientific(a: Fraction) -> tuple[str, int] | None:
    """(mantissa, exponent) of a positive number that is a few significant digits times a large or small
    power of ten (1/10²⁰ → ("1", −20), 25·10⁷ → ("2.5", 8)), else None: the e-notation mcalc reads."""
    num, den = a.numerator, a.denominator
    if den != 1:  # a terminating decimal: num/den = num·10ᵏ/den / 10ᵏ
        places = _decimal_places(den)
        if places is None or places[0] < SCIENTIFIC_FROM:
            return None
        k = places[0]
        num, zeros = num * 10**k // den, -k
    else:
        zeros = 0
    digits = str(num)
    trailing = len(digits) - len(digits.rstrip("0"))
    num, zeros = num // 10**trailing, zeros + trailing
    if den == 1 and zeros < SCIENTIFIC_FROM:
        return None
    digits = str(num)
    if len(digits) > SCIENTIFIC_DIGITS:
        return None
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return mantissa, zeros + len(digits) - 1


def _check_digits(v: Fraction) -> None:
    """A number too long to print is refused by its size (from its bit length, before converting)."""
    bits = max(abs(v.numerator).bit_length(), v.denominator.bit_length())
    digits = int(bits * 0.30103) + 1
    if digits > MAX_PRINT_DIGITS:
        raise InputError(
            f"number too large: the result holds an exact number of about {digits:,} digits; "
            f"mcalc prints numbers of at most {MAX_PRINT_DIGITS:,} digits"
        )


def _latex_base(node: Node, text: str) -> str:
    """The base of a LaTeX superscript: `A^{\\top}`, `W_{1}^{\\top}`, `\\left(A + B\\right)^{\\top}` need no
    braces; a differential keeps them, `{dA}^{\\top}`, so it reads as (dA)ᵀ and not d(Aᵀ); a square root
    gets parentheses, `\\left(\\sqrt{x}\\right)^{-1}`, as a radical with an exponent is ambiguous."""
    if isinstance(node, N.Differential):
        return f"{{{text}}}"
    entry = functions.lookup(node.func) if isinstance(node, N.Apply) else None
    if entry is not None and not entry.latex_delimited:
        return f"\\left({text}\\right)"
    return text


def _minus_one(count: Node) -> Node:
    """The last index of a sum of `count` terms: k − 1, and k for k + 1 (the numbers added up)."""
    terms = count.terms if isinstance(count, N.Add) else (count,)
    number = sum((t.value for t in terms if isinstance(t, N.Number)), Fraction(-1))
    rest = [t for t in terms if not isinstance(t, N.Number)]
    if not rest:
        return N.Number(number)
    return N.Add((*rest, N.Number(number))) if number else (rest[0] if len(rest) == 1 else N.Add(tuple(rest)))


def _negated(node: Node) -> Node | None:
    """If `node` prints with a leading minus, the node without it."""
    if isinstance(node, N.Number) and node.value < 0:
        return N.Number(-node.value)
    if isinstance(node, N.Mul) and isinstance(node.factors[0], N.Number) and node.factors[0].value < 0:
        c = -node.factors[0].value
        rest = node.factors[1:]
        if c == 1:
            return rest[0] if len(rest) == 1 else N.Mul(rest)
        return N.Mul((N.Number(c), *rest))
    return None


def _is_compact(node: Node) -> bool:
    """Single-letter factors print without spaces (CᵀABᵀ); anything longer gets spaces."""
    while isinstance(node, (N.Transpose, N.Inverse, N.Power)):
        node = node.children()[0]
    if isinstance(node, N.Symbol):
        return len(node.name) == 1
    if isinstance(node, N.Identity):
        return True
    return isinstance(node, (N.Add,))


def render_text(node: Node) -> str:
    return Printer(TEXT)(node)


def render_latex(node: Node) -> str:
    return Printer(LATEX)(node)


def fraction_text(value: Fraction) -> str:
    return render_text(N.Number(value))
