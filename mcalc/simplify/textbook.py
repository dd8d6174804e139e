"""The shown form of a result: what a textbook prints, applied after simplification, just before printing.

The canonical form (the simplifier's) pushes transposes down to the leaves and keeps scalars inside each
term, which makes equal trees compare equal; a textbook keeps them where they read better. This pass
rewrites a finished result, equal in value, and nothing simplifies it again afterwards (it would undo it):
- a row vector made by an elementwise function, an elementwise power, a sum or a Hadamard product is a
  transposed column when that removes transposes: `tanh(W₁x)ᵀ` rather than `tanh(xᵀW₁ᵀ)`, `(x − μ)ᵀ`
  rather than `xᵀ − μᵀ`; so is a matrix sum that is a factor of a product (`(X − WWᵀX)ᵀX`);
- a scalar factor common to every term of a sum comes out of it: `(xᵀx)⁻¹ (A + Aᵀ)`, not
  `(xᵀx)⁻¹ A + (xᵀx)⁻¹ Aᵀ`.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from mcalc import budget
from mcalc.simplify.engine import Simplifier, split_coefficient
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

ONE = Fraction(1)

# where a transpose can stand outside: it commutes with these (entry by entry, or term by term)
_TRANSPOSABLE: tuple[type[Node], ...] = (N.Apply, N.ElementPower, N.Add, N.Hadamard)
# a sum of more terms is shown in its canonical orientation: whether its transpose has fewer transposes is
# known only by simplifying that transpose, term by term (a 3,000-term least-squares gradient's Σ Aᵢᵀ(Aᵢx − bᵢ):
# 0.15 s, 7% of its run, to keep it as it was); no output of a sum this long was ever a textbook's
FLIP_TERMS = 200


def textbook(node: Node, simp: Simplifier) -> Node:
    memo: dict[tuple[Node, bool], Node] = {}
    flips: dict[Node, int] = {}

    def walk(n: Node, factor: bool = False) -> Node:
        done = memo.get((n, factor))
        if done is None:
            budget.tick("simplifying")
            done = _rewrite(n, factor, simp, walk, flips)
            memo[(n, factor)] = done
        return done

    try:
        return walk(node)
    finally:
        # a closure that calls itself is a reference cycle (holding memo, simp): freed now
        walk = None  # type: ignore[assignment]


Walk = Callable[[Node, bool], Node]


def _rewrite(n: Node, factor: bool, simp: Simplifier, walk: Walk, flips: dict[Node, int]) -> Node:
    """`factor`: n is a factor of a product, where a matrix difference is written transposed too
    ((X − WWᵀX)ᵀX, not (Xᵀ − XᵀWWᵀ)X); a whole result or a term keeps its form ((Rᵀ ⊗ I)Kₘₙ + I ⊗ Rᵀ)."""
    # (a candidate with at most one transpose cannot lose two: its transpose, simplified, is not needed)
    if (
        isinstance(n, _TRANSPOSABLE)
        and len(n.children()) <= FLIP_TERMS
        and (_is_row(n, simp) or (factor and isinstance(n, N.Add)))
        and _transposes(n, flips) > 1
    ):
        flipped = simp(N.Transpose(n))
        # strictly fewer transposes, counting the one outside: xᵀ − μᵀ (2) becomes (x − μ)ᵀ (1)
        if _transposes(flipped, flips) + 1 < _transposes(n, flips):
            return N.Transpose(walk(flipped, False))
    kids = n.children()
    if not kids:
        return n
    shown = tuple([walk(k, isinstance(n, N.Mul)) for k in kids])
    out = n if all(a is b for a, b in zip(shown, kids, strict=True)) else N.rebuild(n, shown)
    if isinstance(out, N.Add):
        return _common_scalars(_plain_first(out, simp, flips), simp)
    if isinstance(out, N.Mul):  # s (A + B) inside (…)x reads s (A + B)x: a non-scalar sub-product is a chain part
        flat: list[Node] = []
        for f in out.factors:
            flat.extend(f.factors if isinstance(f, N.Mul) and not simp.is_scalar(f) else (f,))
        return _named_scalars_first(N.Mul(tuple(flat)) if len(flat) != len(out.factors) else out, simp)
    return out


def _named_scalars_first(n: N.Mul, simp: Simplifier) -> N.Mul:
    """k det(Xᵏ) X⁻ᵀ, not det(Xᵏ) k X⁻ᵀ: a scalar variable stands before a leading determinant (the canonical
    order sorts the scalar factors by their text, which puts `det(` first)."""
    fs = n.factors
    start = 1 if isinstance(fs[0], N.Number) else 0
    if start >= len(fs) or not isinstance(fs[start], N.Det):
        return n
    named = [f for f in fs[start:] if isinstance(f, N.Symbol) and simp.is_scalar(f)]
    if not named:
        return n
    rest = [f for f in fs[start:] if f not in named]
    return N.Mul((*fs[:start], *named, *rest))


def _plain_first(n: N.Add, simp: Simplifier, flips: dict[Node, int]) -> N.Add:
    """A + Aᵀ, not Aᵀ + A: a sum of a matrix and its transpose with its fewer transposes first (the
    transpose of A + Aᵀ, pushed down to the leaves, reads Aᵀ + A)."""
    if len(n.terms) != 2:
        return n
    a, b = n.terms
    if _transposes(a, flips) <= _transposes(b, flips) or simp.is_scalar(a) or simp.transpose(a) != b:
        return n
    return N.Add((b, a))


def _is_row(n: Node, simp: Simplifier) -> bool:
    """A row vector, which a textbook writes as a transposed column."""
    r, c = simp.env.shape(n)
    return r == 1 and c != 1


def _transposes(n: Node, memo: dict[Node, int]) -> int:
    count = memo.get(n)
    if count is None:
        count = isinstance(n, N.Transpose) + sum(_transposes(k, memo) for k in n.children())
        memo[n] = count
    return count


def _common_scalars(n: N.Add, simp: Simplifier) -> Node:
    """s A + s B → s (A + B) for a scalar s (not a number) that every term has as a factor; when only some
    terms share their scalars, each such group is factored on its own: s A + s Aᵀ − t B − t Bᵀ →
    s (A + Aᵀ) − t (B + Bᵀ)."""
    parts = [split_coefficient(t) for t in n.terms]
    first = [f for f in parts[0][1] if simp.is_scalar(f)]
    common = [f for f in dict.fromkeys(first) if all(f in rest for _, rest in parts[1:])]
    if common and all(len(rest) > len(common) for _, rest in parts):
        return N.Mul((*common, _inner_sum(parts, common)))
    if (quotient := _least_inverse_power(parts, simp)) is not None:
        return quotient
    groups: dict[tuple[Node, ...], list[int]] = {}
    for i, (_, rest) in enumerate(parts):
        scalars = tuple(f for f in rest if simp.is_scalar(f))
        if scalars and len(scalars) < len(rest):
            groups.setdefault(scalars, []).append(i)
    shared = {members[0]: key for key, members in groups.items() if len(members) > 1}
    if not shared:
        return n
    taken = {i for key in shared.values() for i in groups[key]}
    terms: list[Node] = []
    for i, t in enumerate(n.terms):
        if i in shared:
            key = shared[i]
            members = [parts[j] for j in groups[key]]
            sign = Fraction(-1) if all(c < 0 for c, _ in members) else Fraction(1)
            inner = _inner_sum([(c * sign, rest) for c, rest in members], list(key))
            terms.append(N.Mul(((N.Number(sign),) if sign != 1 else ()) + (*key, inner)))
        elif i not in taken:
            terms.append(t)
    return terms[0] if len(terms) == 1 else N.Add(tuple(terms))


def _least_inverse_power(parts: list[tuple[Fraction, list[Node]]], simp: Simplifier) -> Node | None:
    """g⁻¹ u − 2 f g⁻² v → g⁻¹ (u − 2 f g⁻¹ v): a scalar g that every term divides by, to different powers,
    comes out at its least one; the quotient rule as textbooks print it, 1/g (f′ − (f/g) g′) (the Rayleigh
    quotient's 2/(xᵀx) (Ax − (xᵀAx/xᵀx) x)). A number common to every term up to sign comes out with it;
    a sum that would keep fractions inside stays as it was."""

    def inverse_powers(rest: list[Node]) -> dict[Node, Fraction]:
        return {f.base: f.exponent for f in rest if isinstance(f, N.Power) and f.exponent < 0}

    first = inverse_powers(parts[0][1])
    if not first:  # most sums (a 3,000-term one too) stop here, having looked at one term
        return None
    inverse = [first, *(inverse_powers(rest) for _, rest in parts[1:])]
    for base in first:
        exponents = [powers.get(base) for powers in inverse]
        if any(e is None for e in exponents) or len(set(exponents)) == 1 or not simp.is_scalar(base):
            continue
        least = max(e for e in exponents if e is not None)  # g⁻¹ of g⁻¹ and g⁻²
        number = abs(parts[0][0]) if len({abs(c) for c, _ in parts}) == 1 else ONE
        if any((c / number).denominator != 1 for c, _ in parts):  # 1/2 u − 1/4 v: fractions inside read no better
            return None
        terms: list[Node] = []
        for (coef, rest), e in zip(parts, exponents, strict=True):
            assert e is not None
            kept = [f if f != N.Power(base, e) else N.Power(base, e - least) for f in rest if f != N.Power(base, least)]
            factors = ([N.Number(coef / number)] if coef != number else []) + kept
            terms.append(factors[0] if len(factors) == 1 else N.Mul(tuple(factors)) if factors else N.Number(ONE))
        head: tuple[Node, ...] = (N.Number(number),) if number != 1 else ()
        return N.Mul((*head, N.Power(base, least), N.Add(tuple(terms))))
    return None


def _inner_sum(parts: list[tuple[Fraction, list[Node]]], common: list[Node]) -> Node:
    terms = []
    for coef, rest in parts:
        kept = list(rest)
        for f in common:
            kept.remove(f)
        factors = ([N.Number(coef)] if coef != 1 else []) + kept
        terms.append(factors[0] if len(factors) == 1 else N.Mul(tuple(factors)))
    return N.Add(tuple(terms))
