"""`∑_{r=0}^{k−1} body` (ASCII `sum_{r=0}^{k-1} body`) read back as input: the finite sum over an index
that mcalc prints for the derivatives of Xᵏ (`a^T X^k b` by X is ∑_{r=0}^{k−1} (Xʳ)ᵀ a bᵀ (X^(k−1−r))ᵀ),
so a printed result is a claim or an `eval` expression. The body is the product that follows, as for a
function written without parentheses; the index is bound in it (r is no variable there).
"""

from __future__ import annotations

from typing import Any

from mcalc.errors import Span
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, num
from mcalc.syntax.lexer import Tok, Token

POSTFIX = 40  # the parser's postfix power: an unbraced bound is one operand


def index_sum(parser: Any, tok: Token, body_power: int) -> N.Node:
    """After the word `sum` and its index token: `^{TOP}` (or `^TOP` for a name or number), then the body."""
    index = parser.advance().text
    parser.expect(Tok.CARET, f"after the sum's index {index}=0 (∑_{{{index}=0}}^{{k−1}})")
    if parser.peek().kind is Tok.LBRACE:
        parser.advance()
        top = parser.expression(0)
        parser.expect(Tok.RBRACE, "to close the sum's upper bound")
    else:
        top = parser.expression(POSTFIX)  # ∑_{r=0}^k: a name or a number, before the body
    body = parser.expression(body_power)
    bound = N.substitute(body, {N.Symbol(index): N.Bound(index)})
    span = Span(tok.span.start, body.span.end) if body.span is not None else tok.span
    return N.SumOver(index, add(top, num(1)), bound, span=span)
