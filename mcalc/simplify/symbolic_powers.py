"""Normalisers of powers with an expression for the exponent (x.^t, Xᵏ) and of finite sums over an index
(∑_{r=0}^{k−1}): a number exponent becomes an ordinary power, Xᵃ Xᵇ is Xᵃ⁺ᵇ (powers of one matrix commute),
and a sum whose body does not involve its index is k times the body: ∑_{r=0}^{k−1} (Xʳ)ᵀ (Xᵏ⁻¹⁻ʳ)ᵀ =
k (Xᵏ⁻¹)ᵀ, the gradient of tr(Xᵏ) (MC eq. 122)."""

from __future__ import annotations

from fractions import Fraction

from mcalc.simplify.engine import Simplifier
from mcalc.simplify.products import _mul
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul
from mcalc.syntax.nodes import ONE, Node


def element_power_of(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.ElementPowerOf)
    if isinstance(node.exponent, N.Number):
        return s.simp(N.ElementPower(node.base, node.exponent.value))
    return node


def power_of(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.PowerOf)
    if isinstance(node.exponent, N.Number):
        return s.simp(N.Power(node.base, node.exponent.value))
    return node


def sum_over(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.SumOver)
    body, index = node.body, N.Bound(node.index)
    if s.is_zero(body):
        return body
    if not N.contains(body, index):
        return s.simp(mul(node.count, body))
    if isinstance(node.count, N.Number) and node.count.value == 1:
        return s.simp(N.substitute(body, {index: N.Number(node.count.value - 1)}))
    return node


def _power_parts(f: Node) -> tuple[Node, Node, bool] | None:
    """(base, exponent, transposed) of a factor Xᵉ, (Xᵉ)ᵀ, X or Xᵀ of a square matrix X."""
    transposed = isinstance(f, N.Transpose)
    inner = f.arg if isinstance(f, N.Transpose) else f
    if isinstance(inner, N.PowerOf):
        return inner.base, inner.exponent, transposed
    if isinstance(inner, N.Power) and inner.exponent.denominator == 1 and inner.exponent > 0:
        return inner.base, N.Number(inner.exponent), transposed
    return inner, ONE, transposed


def mul_with_symbolic_powers(s: Simplifier, node: Node) -> Node:
    """Xᵃ Xᵇ → Xᵃ⁺ᵇ and (Xᵃ)ᵀ (Xᵇ)ᵀ → (Xᵃ⁺ᵇ)ᵀ where one of them has an expression exponent, before and
    after the ordinary product normaliser (which drops the I that kept (Xʳ)ᵀ I (Xᵏ⁻¹⁻ʳ)ᵀ apart)."""
    assert isinstance(node, N.Mul)
    if not _has_power_of(s, node):
        return _mul(s, node)
    merged = _merged(s, node)
    if merged is not None:
        return s.simp(merged)
    result = _mul(s, node)
    again = _merged(s, result) if isinstance(result, N.Mul) and result != node else None
    return result if again is None else s.simp(again)


def _has_power_of(s: Simplifier, node: Node) -> bool:
    """Is there an Xᵉ with an expression exponent in `node`? Remembered per sub-tree (by identity): walking
    the whole tree at every product was quadratic in an MLP's depth, whose sub-trees are shared and were
    walked again each time (time exponent 1.2 -> 1.9). None before the simplifier has met one at all."""
    if not s.saw_power_of:
        return False  # `node`'s children are results, and no result has held one
    memo = s.has_power_of
    stack = [node]
    while stack:
        n = stack[-1]
        hit = memo.get(id(n))
        if hit is not None and hit[0] is n:
            stack.pop()
            continue
        kids = () if isinstance(n, N.PowerOf) else n.children()
        todo = [c for c in kids if (h := memo.get(id(c))) is None or h[0] is not c]
        if todo:
            stack.extend(todo)
            continue
        memo[id(n)] = (n, isinstance(n, N.PowerOf) or any(memo[id(c)][1] for c in kids))
        stack.pop()
    return memo[id(node)][1]


def _merged(s: Simplifier, node: N.Mul) -> Node | None:
    cancelled = _inverse_run(s, list(node.factors))
    if cancelled is not None:
        return cancelled[0] if len(cancelled) == 1 else N.Mul(tuple(cancelled))
    out: list[Node] = []
    for f in node.factors:
        merged = _merge(s, out[-1], f) if out else None
        if merged is None:
            out.append(f)
        else:
            out[-1] = merged
    if len(out) == len(node.factors):
        return None
    return out[0] if len(out) == 1 else N.Mul(tuple(out))


def _inverse_run(s: Simplifier, factors: list[Node]) -> list[Node] | None:
    """Xʳ (Xᵏ)⁻¹ Xᵏ⁻¹⁻ʳ → X⁻¹ (and so transposed): a stretch of powers of one matrix with an inverse among
    them whose exponents add up to a number; d det(Xᵏ) = det(Xᵏ) ∑ᵣ tr((Xᵏ)⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ) reads
    k det(Xᵏ) X⁻ᵀ. A stretch whose sum keeps a symbol stays as it is (X^(r − k) is no textbook's)."""
    for i, first in enumerate(factors):
        head = _signed_parts(s, first)
        if head is None:
            continue
        base, total, transposed, inverted = head
        for j in range(i + 1, len(factors)):
            part = _signed_parts(s, factors[j])
            if part is None or part[0] != base or part[2] != transposed:
                break
            total, inverted = s.simp(add(total, part[1])), inverted or part[3]
            if inverted and isinstance(total, N.Number):
                power = s.simp(N.PowerOf(base, total))
                return [*factors[:i], N.Transpose(power) if transposed else power, *factors[j + 1 :]]
    return None


def _signed_parts(s: Simplifier, f: Node) -> tuple[Node, Node, bool, bool] | None:
    """(base, exponent, transposed, inverted) of a power of a matrix, (Xᵉ)⁻¹ being X to the −e."""
    if s.is_scalar(f):
        return None
    transposed = isinstance(f, N.Transpose)
    inner = f.arg if isinstance(f, N.Transpose) else f
    if isinstance(inner, N.Inverse) and isinstance(inner.arg, N.PowerOf):
        return inner.arg.base, mul(N.Number(Fraction(-1)), inner.arg.exponent), transposed, True
    parts = _power_parts(f)
    return None if parts is None else (*parts, False)


def _merge(s: Simplifier, a: Node, b: Node) -> Node | None:
    pa, pb = _power_parts(a), _power_parts(b)
    if pa is None or pb is None or s.is_scalar(a) or s.is_scalar(b):
        return None
    (base_a, exp_a, t_a), (base_b, exp_b, t_b) = pa, pb
    symbolic = not (isinstance(exp_a, N.Number) and isinstance(exp_b, N.Number))
    if not symbolic or base_a != base_b or t_a != t_b:
        return None
    power = N.PowerOf(base_a, s.simp(add(exp_a, exp_b)))
    return N.Transpose(power) if t_a else power
