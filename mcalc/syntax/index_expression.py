"""An expression written in index notation (`x_i A_ij x_j`, `A_ij B_jk`, `∑_i exp(x_i)`, `δ_ij x_j`), read
as the matrix expression it is (`x^T A x`, `A B`, `sum(exp(x))`, `x`), which every command then answers.

When an expression is index notation (README § Index notation, "in expressions"): it has a Kronecker delta,
an index sum, Unicode subscript letters (`Aᵢⱼ`), or a name the command refers to (`--wrt x`, `--at x=…`, a
declaration) written only with index subscripts (`x_i` with `--wrt x`). Anything else is read as before:
`x_i` alone stays a name, as the contract says.

How: Einstein's convention (an index twice in a product is summed, once is free), deltas contracted away,
then each product's factors are walked as chains: a vector is a chain's end, a matrix a link (read
transposed when the chain enters it by its column), a free index an open end, a closed loop a trace. Free
indices, in alphabetical order, are the result's axes (at most two: a vector or a matrix). What cannot be
written so is refused with one line naming the index (three uses in one product, a free index missing from
a term, more than two free indices).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from fractions import Fraction

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax import index_reader as R
from mcalc.syntax.index_gate import UNICODE_SUBSCRIPTS as _UNICODE_SUBSCRIPTS
from mcalc.syntax.index_gate import may_be_index
from mcalc.syntax.index_tokens import K, Tok, sized_identity_at, tokens


@record(frozen=True)
class IndexReading(Record):
    """The expression's matrix form (mcalc text) and what the reading line says."""

    text: str
    note: str


@record(frozen=True)
class _Piece(Record):
    """A sub-expression as mcalc text with its free indices (rows first), at most two."""

    text: str
    indices: tuple[str, ...]
    span: Span


def read(source: str, referred: Collection[str]) -> IndexReading | None:
    """The matrix reading of `source` when it is index notation, else None (read as before). `referred`:
    the names the command refers to (`--wrt`, `--at`, declarations)."""
    if not may_be_index(source):
        return None
    toks = _tokens(source, referred)
    if toks is None or not _is_index_expression(source, toks, referred):
        return None
    _no_transposed_entries(toks)
    try:
        claim = R.read_index_claim(source, toks)
    except ParseError:
        return None  # not index notation the reader knows (`∑_{i=1}^n`): the ordinary reading, and its error

    if claim.side is not None:
        raise ParseError(
            "an expression in index notation has no left side: write the right side alone", claim.side.span
        )
    piece = _Converter().convert(claim.body, frozenset())
    text = _bare(_oriented(piece, tuple(sorted(piece.indices))))
    free = ", ".join(sorted(piece.indices))
    summed = sorted(_indices(claim.body) - set(piece.indices))
    told = f"free {free}" if free else "a scalar"
    told += f"; summed {', '.join(summed)}" if summed else ""
    return IndexReading(text, f"index notation: {source.strip()} read as {text} ({told})")


def _tokens(source: str, referred: Collection[str]) -> list[Tok] | None:
    try:
        # a referred name with its subscript (`--vector x_i`) keeps it: it is a name, not an entry
        return tokens(source, {n for n in referred if "_" in n})
    except ParseError:
        return None


def _is_index_expression(source: str, toks: list[Tok], referred: Collection[str]) -> bool:
    for k, t in enumerate(toks):
        if t.kind in (K.DELTA, K.SUM):
            return True
        if t.kind is K.SUB and not sized_identity_at(source, toks, k):
            written = source[t.span.start : t.span.end]
            if any(c in _UNICODE_SUBSCRIPTS for c in written):
                return True
            before = toks[k - 1] if k else None
            if before is not None and before.kind in (K.RP, K.WORD):  # (W x)_i: a parenthesis has no name
                return True
            if before is not None and before.kind is K.NAME and before.text in referred:
                return True
    return False


def _no_transposed_entries(toks: list[Tok]) -> None:
    """`x_i^T A_ij x_j` mixes the notations: an entry is a number, its transpose itself."""
    for k in range(1, len(toks) - 1):
        t, after = toks[k], toks[k + 1]
        marked = after.kind is K.MARK and after.text in "ᵀ⊤'′"
        caret_t = after.kind is K.CARET and k + 2 < len(toks) and toks[k + 2].text == "T"
        if t.kind is K.SUB and (marked or caret_t):
            raise ParseError(
                "a transposed entry: in index notation an entry is a number",
                Span(toks[k - 1].span.start, after.span.end),
                hint="write the entries alone (x_i A_ij x_j) or the matrices alone (x^T A x)",
            )


def _indices(node: R.IndexNode) -> set[str]:
    """Every index the expression writes."""
    out: set[str] = set()
    for n in R.walk(node):
        if isinstance(n, R.Entry):
            out.update(n.indices)
        elif isinstance(n, R.Delta):
            out.update((n.a, n.b))
        elif isinstance(n, R.SumOver):
            out.update(n.indices)
    return out


def _bare(text: str) -> str:
    """`text` without the parentheses around the whole of it."""
    while text.startswith("(") and _balanced(text):
        text = text[1:-1]
    return text


_CALL = re.compile(r"[^\W\d]\w*(\(.*\))?", re.UNICODE)  # a name, or a function applied: x, tr(X), exp(W x)


def _paren(text: str) -> str:
    """`text` as one factor of a product: a name, a call or a parenthesised text as it is, else in parentheses."""
    match = _CALL.fullmatch(text)
    simple = match is not None and (match.group(1) is None or _balanced(match.group(1)))
    simple = simple or (text.startswith("(") and _balanced(text)) or text.isdigit()
    return text if simple else f"({text})"


def _balanced(text: str) -> bool:
    """Whether the parenthesis that opens `text` is the one that closes it."""
    depth = 0
    for k, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if depth == 0 and k < len(text) - 1:
            return False
    return True


def _transposed(text: str) -> str:
    return f"{_paren(text)}^T"


def _oriented(piece: _Piece, order: tuple[str, ...]) -> str:
    """The piece as a matrix whose rows and columns follow `order` (transposed where they do not)."""
    return piece.text if piece.indices == order else _transposed(piece.text)


class _Converter:
    """Index nodes → pieces of mcalc text."""

    def convert(self, node: R.IndexNode, summed: frozenset[str]) -> _Piece:
        if isinstance(node, R.Sum):
            return self._sum(node, summed)
        if isinstance(node, R.SumOver):
            return self.convert(node.body, summed | frozenset(node.indices))
        return self._product(node.factors if isinstance(node, R.Product) else (node,), node_span(node), summed)

    def _sum(self, node: R.Sum, summed: frozenset[str]) -> _Piece:
        pieces = [self.convert(t, summed) for t in node.terms]
        order = tuple(sorted(pieces[0].indices))
        for term, piece in zip(node.terms, pieces, strict=True):
            if set(piece.indices) != set(order):
                missing = sorted(set(order) ^ set(piece.indices))[0]
                raise ParseError(f"index {missing} is free in one term and not in another", node_span(term))
        texts = [_oriented(p, order) for p in pieces]
        joined = texts[0] + "".join(f" - {t[1:].lstrip()}" if t.startswith("-") else f" + {t}" for t in texts[1:])
        return _Piece(f"({joined})", order, node.span)

    def _leaf(self, node: R.IndexNode, summed: frozenset[str]) -> _Piece:
        """One factor of a product, before contraction."""
        if isinstance(node, R.Num):
            return _Piece(_number(node.value), (), Span(0, 0))
        if isinstance(node, R.Entry):
            return self._entry(node)
        if isinstance(node, R.Delta):
            return _Piece("I", (node.a, node.b), node.span)
        # what is inside a function, a power or parentheses has its own sums: a ∑ outside it sums the result
        if isinstance(node, R.Power) and isinstance(node.base, R.Num) and node.exponent.denominator == 1:
            return _Piece(
                _number(Fraction(node.base.value) ** int(node.exponent)), (), node_span(node)
            )  # 1/2 is 1 · 2⁻¹
        if isinstance(node, R.Power):
            base = self.convert(node.base, frozenset())
            power = _number(node.exponent)
            op = "^" if not base.indices else ".^"
            return _Piece(f"{_paren(base.text)}{op}{_paren(power)}", base.indices, node_span(node))
        if isinstance(node, R.Apply):
            arg = self.convert(node.arg, frozenset())
            return _Piece(f"{node.function}({_bare(arg.text)})", arg.indices, node.span)
        return self.convert(node, frozenset())

    def _entry(self, node: R.Entry) -> _Piece:
        text = node.text.strip()
        if len(node.indices) > 2:
            raise ParseError(f"{text} has {len(node.indices)} indices; an entry of a matrix has at most two", node.span)
        if len(node.indices) == 2 and node.indices[0] == node.indices[1]:
            return _Piece(f"tr({text})", (), node.span)  # A_ii: summed, the trace
        return _Piece(_paren(text), node.indices, node.span)

    def _product(self, factors: tuple[R.IndexNode, ...], span: Span, summed: frozenset[str]) -> _Piece:
        pieces = [self._leaf(f, summed) for f in factors]
        pieces = _contract_deltas(pieces)
        uses = _uses(pieces)
        for index, where in uses.items():
            if len(where) > 2:
                raise ParseError(f"index {index} is used {len(where)} times in one product (at most twice)", span)
            if index in summed and len(where) == 1:
                pieces.append(_Piece("ones", (index,), span))  # ∑ᵢ over an index written once: 𝟙ᵀ(…)
        return _chains(pieces, span)


def node_span(node: R.IndexNode) -> Span:
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else Span(0, 0)


def _number(value: Fraction) -> str:
    text = str(value)
    return f"({text})" if value < 0 or "/" in text else text


def _uses(pieces: list[_Piece]) -> dict[str, list[tuple[int, int]]]:
    uses: dict[str, list[tuple[int, int]]] = {}
    for f, piece in enumerate(pieces):
        for p, index in enumerate(piece.indices):
            uses.setdefault(index, []).append((f, p))
    return uses


def _contract_deltas(pieces: list[_Piece]) -> list[_Piece]:
    """δ_ij with j used elsewhere: j renamed i there and the δ dropped (δ_ij x_j = x_i)."""
    out = list(pieces)
    changed = True
    while changed:
        changed = False
        for k, piece in enumerate(out):
            if piece.text != "I" or len(piece.indices) != 2:
                continue
            a, b = piece.indices
            others = [p for m, p in enumerate(out) if m != k]
            used = {i for p in others for i in p.indices}
            keep, gone = (a, b) if b in used else (b, a) if a in used else (None, None)
            if keep is None or gone is None or keep == gone:
                continue
            out = [_renamed(p, gone, keep) for p in others]
            changed = True
            break
    return out


def _renamed(piece: _Piece, old: str, new: str) -> _Piece:
    return _Piece(piece.text, tuple(new if i == old else i for i in piece.indices), piece.span)


def _chains(pieces: list[_Piece], span: Span) -> _Piece:
    """The product of the pieces, its contracted indices walked as chains of matrix products."""
    uses = _uses(pieces)
    free = sorted(i for i, where in uses.items() if len(where) == 1)
    if len(free) > 2:
        raise ParseError(f"{len(free)} free indices ({', '.join(free)}): mcalc reads vectors and matrices", span)
    scalars = [p.text for p in pieces if not p.indices]
    seen: set[int] = set()
    components: list[_Piece] = []
    for index in free:  # open chains, from their free ends
        f, p = uses[index][0]
        if f not in seen:
            components.append(_walk(pieces, uses, f, p, seen, span))
    for f, piece in enumerate(pieces):  # chains closed by vectors at both ends: scalars
        if f not in seen and len(piece.indices) == 1:
            scalars.append(_walk(pieces, uses, f, 0, seen, span, start_row=True).text)
    for f, piece in enumerate(pieces):  # loops of matrices: traces
        if f not in seen and len(piece.indices) == 2:
            scalars.append(f"tr({_walk(pieces, uses, f, 0, seen, span).text})")
    return _joined(scalars, components, span)


def _walk(
    pieces: list[_Piece],
    uses: dict[str, list[tuple[int, int]]],
    f: int,
    p: int,
    seen: set[int],
    span: Span,
    start_row: bool = False,
) -> _Piece:
    """The chain entered at piece f by its index position p: its text and its open indices (the index it
    was entered by, then the one it leaves by if it ends open). `start_row`: f is a vector that closes
    the chain's left end (a row vector, no open index)."""
    texts: list[str] = []
    start = (f, p)

    def step_in(f: int, p: int) -> tuple[int, int] | None:
        """Piece f entered by position p; where the chain leaves it, or None where a vector ends it."""
        seen.add(f)
        piece = pieces[f]
        if len(piece.indices) == 1:
            texts.append(_paren(piece.text))
            return None
        texts.append(_paren(piece.text) if p == 0 else _transposed(piece.text))
        return (f, 1 - p)

    open_left: tuple[str, ...] = () if start_row else (pieces[f].indices[p],)
    out: tuple[int, int] | None
    if start_row:
        seen.add(f)
        texts.append(_transposed(pieces[f].text))
        out = (f, 0)
    else:
        out = step_in(f, p)
    while out is not None:
        index = pieces[out[0]].indices[out[1]]
        partners = [w for w in uses[index] if w != out]
        if not partners:  # the chain ends at a free index
            return _Piece(" ".join(texts), open_left + (index,), span)
        if partners[0] == start and not start_row:  # back where it started: a loop, closed by a trace
            return _Piece(" ".join(texts), (), span)
        out = step_in(*partners[0])
    if start_row and texts[1:] == ["ones"]:  # ∑ᵢ vᵢ: sum(v) rather than vᵀ𝟙
        return _Piece(f"sum({_bare(texts[0].removesuffix('^T'))})", (), span)
    return _Piece(" ".join(texts), open_left, span)


def _joined(scalars: list[str], components: list[_Piece], span: Span) -> _Piece:
    if len(components) == 2:  # x_i y_j: the outer product x yᵀ, rows i
        a, b = sorted(components, key=lambda c: c.indices[0])
        main = _Piece(f"{_paren(a.text)} {_transposed(b.text)}", (a.indices[0], b.indices[0]), span)
    elif components:
        main = components[0]
    else:
        main = _Piece("", (), span)
    factors = [s for s in scalars if s != "1"] + ([main.text] if main.text else [])
    if not factors:
        return _Piece("1", (), span)
    if factors[0] == "(-1)":
        rest = " ".join(factors[1:]) or "1"
        return _Piece(f"-{rest}", main.indices, span)
    return _Piece(" ".join(factors), main.indices, span)
