"""An index-notation claim → its tree: entries, Kronecker deltas, products (Einstein's convention: an
index repeated within a product is summed), sums, explicit sums `∑_r`, powers, functions of entries, and
ordinary mcalc text (a scalar such as `c`, `tr(X)`, `(xᵀAx)`) kept as text for mcalc's parser.

`∂A_ij/∂B_kl = …`, `dK_ij/dR_kl = …`, `∂L/∂W_ij = …` and `J_ijkl = …` state the order of the free indices
(the left side); a bare claim leaves it to the convention (claims.index_claim). Tokens: syntax.index_tokens.
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax.index_tokens import K, Tok

SUPERSCRIPT_POWERS = {"²": 2, "³": 3, "⁴": 4}
FRACTIONS = {"½": Fraction(1, 2), "¼": Fraction(1, 4), "¾": Fraction(3, 4), "⅓": Fraction(1, 3), "⅔": Fraction(2, 3)}


@record(frozen=True)
class Num(Record):
    value: Fraction


@record(frozen=True)
class Entry(Record):
    """The entry `indices` of the mcalc expression `text` (which starts at column `offset` of the claim);
    no indices: a scalar written in mcalc syntax (`c`, `tr(X)`, `(xᵀAx)`)."""

    text: str
    offset: int
    indices: tuple[str, ...]
    span: Span


@record(frozen=True)
class Delta(Record):
    a: str
    b: str
    span: Span


@record(frozen=True)
class Product(Record):
    factors: tuple[IndexNode, ...]
    span: Span


@record(frozen=True)
class Sum(Record):
    terms: tuple[IndexNode, ...]
    span: Span


@record(frozen=True)
class Power(Record):
    base: IndexNode
    exponent: Fraction


@record(frozen=True)
class Apply(Record):
    """An elementwise function of an index expression: `exp(x_k)`."""

    function: str
    arg: IndexNode
    span: Span


@record(frozen=True)
class SumOver(Record):
    indices: tuple[str, ...]
    body: IndexNode
    span: Span


IndexNode = Num | Entry | Delta | Product | Sum | Power | Apply | SumOver


@record(frozen=True)
class Side(Record):
    """The left side of an equation claim: what is differentiated (its text and indices) and by what
    (one slot per derivative: the variable's text and indices); a tensor `J_ijkl` has only `indices`."""

    f_text: str
    f_indices: tuple[str, ...]
    slots: tuple[tuple[str, tuple[str, ...]], ...]
    indices: tuple[str, ...]  # every free index, in the order stated
    span: Span


@record(frozen=True)
class IndexClaim(Record):
    side: Side | None
    body: IndexNode


def children(node: IndexNode) -> tuple[IndexNode, ...]:
    """An index node's sub-expressions."""
    if isinstance(node, Product):
        return node.factors
    if isinstance(node, Sum):
        return node.terms
    if isinstance(node, Power):
        return (node.base,)
    if isinstance(node, Apply):
        return (node.arg,)
    if isinstance(node, SumOver):
        return (node.body,)
    return ()


def walk(node: IndexNode) -> list[IndexNode]:
    """Every node of an index expression (without recursion)."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out


class _Reader:
    def __init__(self, src: str, toks: list[Tok]) -> None:
        self.src = src
        self.toks = toks
        self.pos = 0
        self.partner = _partners(src, toks)

    def peek(self, ahead: int = 0) -> Tok | None:
        k = self.pos + ahead
        return self.toks[k] if k < len(self.toks) else None

    def is_op(self, text: str, ahead: int = 0) -> bool:
        t = self.peek(ahead)
        return t is not None and t.kind is K.OP and t.text == text

    def fail(self, message: str, tok: Tok | None = None) -> ParseError:
        span = tok.span if tok is not None else Span(len(self.src), len(self.src))
        return ParseError(message, span)

    # --- the right side ---

    def expression(self, end: int) -> IndexNode:
        start = self.here()
        terms: list[IndexNode] = []
        sign = 1
        if self.is_op("+") or self.is_op("-"):
            sign = -1 if self.take().text == "-" else 1
        while True:
            term = self.product(end)
            terms.append(term if sign == 1 else Product((Num(Fraction(-1)), term), _span_of(term, start)))
            if self.pos < end and (self.is_op("+") or self.is_op("-")):
                sign = -1 if self.take().text == "-" else 1
                continue
            break
        if self.pos < end:
            raise self.fail(f"unexpected {self.toks[self.pos].text!r} in the index claim", self.toks[self.pos])
        return terms[0] if len(terms) == 1 else Sum(tuple(terms), Span(start, self.here()))

    def here(self) -> int:
        t = self.peek()
        return t.span.start if t is not None else len(self.src)

    def take(self) -> Tok:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def product(self, end: int) -> IndexNode:
        start = self.here()
        factors: list[IndexNode] = []
        while self.pos < end:
            t = self.toks[self.pos]
            if t.kind is K.OP and t.text in "+-=" and factors:
                break
            if t.kind is K.OP and t.text == "*" and factors:
                self.take()
                continue
            if t.kind is K.OP and t.text == "/" and factors:
                self.take()
                factors.append(Power(self.factor(end), Fraction(-1)))
                continue
            if t.kind is K.SUM:
                self.take()
                body = self.product(end)
                factors.append(SumOver(tuple(t.text), body, Span(t.span.start, self.here())))
                break
            factors.append(self.factor(end))
        if not factors:
            raise self.fail("a term is missing in the index claim", self.peek())
        return factors[0] if len(factors) == 1 else Product(tuple(factors), Span(start, self.here()))

    def factor(self, end: int) -> IndexNode:
        if self.pos >= end:
            raise self.fail("a term is missing in the index claim", self.peek())
        t = self.toks[self.pos]
        if t.kind is K.OP and t.text == "-":
            self.take()
            return Product((Num(Fraction(-1)), self.factor(end)), t.span)
        base = self.base(end)
        return self.power(base, end)

    def power(self, base: IndexNode, end: int) -> IndexNode:
        t = self.peek()
        if self.pos < end and t is not None and t.kind is K.MARK and t.text in SUPERSCRIPT_POWERS:
            self.take()
            return Power(base, Fraction(SUPERSCRIPT_POWERS[t.text]))
        if self.pos < end and t is not None and t.kind is K.CARET:
            self.take()
            sign = -1 if self.is_op("-") and self.take() else 1
            n = self.peek()
            if n is None or n.kind is not K.NUM:
                raise self.fail("an entry's power is a number: x_k^2", n or t)
            self.take()
            return Power(base, sign * Fraction(n.text))
        return base

    def base(self, end: int) -> IndexNode:
        t = self.toks[self.pos]
        if t.kind is K.NUM:
            self.take()
            return Num(FRACTIONS.get(t.text) or Fraction(t.text))  # 2, 0.5, ½, 1/2 (from \\frac{1}{2})
        if t.kind is K.DELTA:
            self.take()
            sub = self.take() if self.peek() is not None else None
            assert sub is not None and sub.kind is K.SUB
            if len(sub.text) != 2:
                raise self.fail(f"δ takes two indices, δ_ij; {t.text}_{sub.text} has {len(sub.text)}", sub)
            return Delta(sub.text[0], sub.text[1], Span(t.span.start, sub.span.end))
        if t.kind is K.NAME and self._sub_at(self.pos + 1):
            self.take()
            sub = self.take()
            return Entry(t.text, t.span.start, tuple(sub.text), Span(t.span.start, sub.span.end))
        if t.kind is K.LP:
            return self.group(end)
        applied = self._applied_entry()
        if applied is not None:
            return applied
        if t.kind is K.WORD and self._call_with_indices():
            return self.call(end)
        return self.plain(end)

    def _applied_entry(self) -> Entry | None:
        """`A(t)_ij`, `A′(t)_ik`, `exp(x)_i`: an entry of a function's value (no space before the parenthesis)."""
        t = self.toks[self.pos]
        if t.kind not in (K.NAME, K.WORD):
            return None
        k = self.pos + 1
        while k < len(self.toks) and self.toks[k].kind is K.MARK and self.toks[k].text in "′'″":
            k += 1
        if k >= len(self.toks) or self.toks[k].kind is not K.LP or self.toks[k].spaced:
            return None
        close = self.partner[k]
        if not self._sub_at(close + 1) or self._has_indices(k + 1, close):
            return None
        sub = self.toks[close + 1]
        self.pos = close + 2
        text = self.src[t.span.start : self.toks[close].span.end]
        return Entry(text, t.span.start, tuple(sub.text), Span(t.span.start, sub.span.end))

    def _sub_at(self, k: int) -> bool:
        return k < len(self.toks) and self.toks[k].kind is K.SUB

    def _has_indices(self, a: int, b: int) -> bool:
        return any(t.kind in (K.SUB, K.DELTA, K.SUM, K.PARTIAL) for t in self.toks[a:b])

    def _call_with_indices(self) -> bool:
        k = self.pos + 1
        if k >= len(self.toks) or self.toks[k].kind is not K.LP:
            return False
        close = self.partner[k]
        return self._has_indices(k + 1, close) and not self._sub_at(close + 1)

    def group(self, end: int) -> IndexNode:
        """`( … )ᵢ`: an entry of the mcalc expression inside; `( … )` with indices inside: a group."""
        t = self.take()
        close = self.partner[self.pos - 1]
        if self._sub_at(close + 1):
            if self._has_indices(self.pos, close):
                raise self.fail("the expression of an entry (…)ᵢ is written without indices inside", t)
            text = self.src[t.span.end : self.toks[close].span.start]
            self.pos = close + 1
            sub = self.take()
            return Entry(text, t.span.end, tuple(sub.text), Span(t.span.start, sub.span.end))
        if not self._has_indices(self.pos, close):
            self.pos -= 1
            return self.plain(end)
        inner = self.expression(close)
        self.take()
        return inner

    def call(self, end: int) -> IndexNode:
        word = self.take()
        self.take()
        close = self.partner[self.pos - 1]
        arg = self.expression(close)
        self.take()
        return Apply(word.text, arg, Span(word.span.start, self.toks[close].span.end))

    def plain(self, end: int) -> IndexNode:
        """A run of ordinary mcalc text (names, functions of plain arguments, transposes, norms): a scalar."""
        start = self.pos
        while self.pos < end:
            t = self.toks[self.pos]
            if t.kind in (K.NAME, K.WORD) and not self._sub_at(self.pos + 1):
                self.pos += 1
            elif t.kind is K.MARK and self.pos > start:
                self.pos += 1
            elif t.kind is K.CARET and self.pos > start:
                self.pos += 2 if not self.is_op("-", 1) else 3
            elif t.kind is K.LP and not self._has_indices(self.pos, self.partner[self.pos]):
                if self._sub_at(self.partner[self.pos] + 1):
                    break
                self.pos = self.partner[self.pos] + 1
            elif t.kind is K.NORM:
                self.pos = self._norm_end(self.pos)
            else:
                break
        if self.pos == start:
            t = self.toks[start]
            if t.text.startswith("\\"):  # a LaTeX command the index reader does not take
                told = (
                    "read: \\delta, \\partial, \\sum, \\cdot, \\left, \\right; "
                    "\\frac without indices inside, or as ∂A_{ij}/∂B_{kl}"
                )
                raise self.fail(f"{t.text} is not read in an index claim ({told})", t)
            raise self.fail(f"unexpected {t.text!r} in the index claim", t)
        self.pos = min(self.pos, len(self.toks))
        a, b = self.toks[start].span.start, self.toks[self.pos - 1].span.end
        return Entry(self.src[a:b], a, (), Span(a, b))

    def _norm_end(self, k: int) -> int:
        bar = self.toks[k].text
        for m in range(k + 1, len(self.toks)):
            if self.toks[m].kind is K.NORM and self.toks[m].text == bar:
                if self._has_indices(k + 1, m):
                    raise self.fail("a norm of an index expression: write it with a sum, ∑_i x_i^2", self.toks[k])
                return m + 1
        raise self.fail(f"{bar} is not closed", self.toks[k])


def _partners(src: str, toks: list[Tok]) -> dict[int, int]:
    out: dict[int, int] = {}
    stack: list[int] = []
    for k, t in enumerate(toks):
        if t.kind is K.LP:
            stack.append(k)
        elif t.kind is K.RP:
            if not stack:
                raise ParseError("unmatched ')'", t.span)
            out[stack.pop()] = k
    if stack:
        raise ParseError("unmatched '('", toks[stack[-1]].span)
    return out


def _span_of(node: IndexNode, start: int) -> Span:
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else Span(start, start)


def read_index_claim(src: str, toks: list[Tok]) -> IndexClaim:
    """The claim's tree; an equation's left side is read by `_side`."""
    equals = [k for k, t in enumerate(toks) if t.kind is K.OP and t.text == "="]
    if len(equals) > 1:
        raise ParseError("an index claim has at most one '=': ∂A_ij/∂B_kl = …", toks[equals[1]].span)
    side = None
    start = 0
    if equals:
        side = _side(src, toks[: equals[0]])
        start = equals[0] + 1
    reader = _Reader(src, toks)
    reader.pos = start
    if start >= len(toks):
        raise ParseError("the right side of the claim is empty", Span(len(src), len(src)))
    return IndexClaim(side, reader.expression(len(toks)))


def _side(src: str, toks: list[Tok]) -> Side:
    """`∂K_ij/∂R_kl`, `dK_ij/dR_kl`, `∂(RᵀR)ᵢⱼ/∂Rₖₗ`, `∂L/∂W_ij`, `∂³f/∂Xᵢⱼ∂Xₖₗ∂Xₘₙ`, or `J_ijkl`."""
    if not toks:
        raise ParseError("the left side of the claim is empty: write ∂A_ij/∂B_kl = …", Span(0, 1))
    span = Span(toks[0].span.start, toks[-1].span.end)
    if len(toks) == 2 and toks[0].kind is K.NAME and toks[1].kind is K.SUB:
        return Side(toks[0].text, (), (), tuple(toks[1].text), span)
    first = toks[0]
    marker = "∂" if first.kind is K.PARTIAL else "d" if first.kind is K.NAME and first.text == "d" else None
    slash = [k for k, t in enumerate(toks) if t.kind is K.OP and t.text == "/" and _depth(toks, k) == 0]
    if marker is None or len(slash) != 1:
        raise ParseError(
            "the left side of an index claim is ∂A_ij/∂B_kl, dA_ij/dB_kl or J_ijkl", span, hint="or leave it out"
        )
    k = 1
    while k < slash[0] and toks[k].kind is K.MARK:  # ∂³: the order, counted from the slots below
        k += 1
    f_toks = toks[k : slash[0]]
    f_indices: tuple[str, ...] = ()
    if f_toks and f_toks[-1].kind is K.SUB:
        f_indices = tuple(f_toks[-1].text)
        f_toks = f_toks[:-1]
    f_text = src[f_toks[0].span.start : f_toks[-1].span.end] if f_toks else ""
    slots = _slots(toks[slash[0] + 1 :], marker, span)
    every = f_indices + tuple(x for _, idx in slots for x in idx)
    return Side(f_text, f_indices, tuple(slots), every, span)


def _depth(toks: list[Tok], k: int) -> int:
    """How many parentheses are open at token k."""
    return sum(1 if t.kind is K.LP else -1 if t.kind is K.RP else 0 for t in toks[:k])


def _slots(toks: list[Tok], marker: str, span: Span) -> list[tuple[str, tuple[str, ...]]]:
    """`∂Xₖₗ`, `∂(W1)ₖₗ`, `dR_kl`, one per derivative: the variable's name and its indices."""
    slots: list[tuple[str, tuple[str, ...]]] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if not (t.kind is K.PARTIAL or (t.kind is K.NAME and t.text == "d")):
            raise ParseError(f"expected {marker} before the variable on the left side", t.span)
        k += 1
        wrapped = k < len(toks) and toks[k].kind is K.LP  # ∂(W1)ₖₗ: a long name in parentheses
        k += wrapped
        if k >= len(toks) or toks[k].kind is not K.NAME:
            raise ParseError(f"expected the variable after {marker} on the left side", t.span)
        name = toks[k].text
        k += 1
        if wrapped:
            if k >= len(toks) or toks[k].kind is not K.RP:
                raise ParseError("expected ')' after the variable on the left side", t.span)
            k += 1
        indices: tuple[str, ...] = ()
        if k < len(toks) and toks[k].kind is K.SUB:
            indices = tuple(toks[k].text)
            k += 1
        slots.append((name, indices))
    if not slots:
        raise ParseError("the left side names no variable: ∂A_ij/∂B_kl", span)
    return slots
