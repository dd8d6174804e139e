"""Normalisers of sums and products: like terms merged, common factors pulled out, chains of factors
cancelled, merged into powers and put in their least orientation."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mcalc.simplify import kron_chain
from mcalc.simplify.engine import ONE_FRACTION, Simplifier, _power_parts, split_coefficient
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


def _add(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Add)
    flat: list[Node] = []
    for t in node.terms:
        if isinstance(t, N.Add):
            flat.extend(t.terms)
        elif not s.is_zero(t):
            flat.append(t)
    coefs: dict[object, Fraction] = {}
    alone: dict[object, Node | None] = {}  # the term itself while no other term has merged into it
    factors: dict[object, list[Node]] = {}
    for t in flat:
        c, rest = split_coefficient(t)
        k = _like_key(t, rest)
        if k in coefs:
            coefs[k] += c
            alone[k] = None
        else:
            coefs[k] = c
            alone[k] = t
            factors[k] = rest
    # terms in order of appearance (a product rule reads d(A)B + A d(B)), positive terms first
    order = [k for k, c in coefs.items() if c >= 0] + [k for k, c in coefs.items() if c < 0]
    terms: list[Node] = []
    for k in order:
        c = coefs[k]
        if c == 0:
            continue
        kept = alone[k]
        # a term that merged with none is kept as it is (the object: rebuilt, it was interned again)
        terms.append(kept if kept is not None and _rebuilt_equal(kept) else s.make_mul(c, factors[k], node))
    if not terms:
        return s.zero_like(node)
    if len(terms) == 1:
        return terms[0]
    return _factor_common(s, terms, node)


_NO_FACTORS = object()  # the like-term key of a number: a term without factors


def _like_key(term: Node, rest: list[Node]) -> object:
    """What makes two terms alike: the product of `rest` (the term without its number) as one node, equal
    for equal factor lists. A node caches its hash, where a tuple of the factors hashed every factor again
    at each of the four dictionary uses per term (a sin tower's third derivative: 10⁴ terms of 150 factors,
    12 million hash calls, about 10 % of its run)."""
    if not rest:
        return _NO_FACTORS
    if len(rest) == 1:  # a product as the one factor stays apart from a product of its factors (tuples did)
        return (rest[0],) if isinstance(rest[0], N.Mul) else rest[0]
    if isinstance(term, N.Mul) and len(term.factors) == len(rest):
        return term  # no number: its factors are `rest`
    return N.Mul(tuple(rest))


def _rebuilt_equal(term: Node) -> bool:
    """Does make_mul(split_coefficient(term)) give back a tree equal to the (non-zero) `term`? Not for a
    product of one factor, nor for one whose number is 0 or 1 (both dropped)."""
    if not isinstance(term, N.Mul):
        return True
    first = term.factors[0]
    if isinstance(first, N.Number):
        return len(term.factors) >= 2 and first.value not in (0, 1)
    return len(term.factors) >= 2


def _factor_common(s: Simplifier, terms: list[Node], like: Node) -> Node:
    """Pull a common rightmost (then leftmost) matrix factor out of two or more terms."""
    chains = [(i, chain) for i, t in enumerate(terms) if len(chain := _chain_of(s, t)) >= 2]
    if any(_repeated([chain[side] for _, chain in chains]) for side in (-1, 0)):
        # a scalar broadcast over the sum (xᵀx in xᵀx + Ax) shares no factor with the others
        whole = s.env.shape(like)
        chains = [(i, chain) for i, chain in chains if s.env.shape(terms[i]) == whole]
    else:
        chains = []  # no factor ends two chains: nothing to pull out, and no shape is needed (a long sum's)
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        for i, chain in chains:
            groups.setdefault(chain[side], []).append(i)
        for factor, members in groups.items():
            if len(members) < 2:
                continue
            rests: list[Node] = []
            for i in members:
                rests.append(_drop_factor(s, terms[i], factor, side))
            inner = s.simp(N.Add(tuple(rests)))
            common = _common_coefficient(inner)
            if common != 1:
                assert isinstance(inner, N.Add)
                inner = N.Add(
                    tuple(s.make_mul(split_coefficient(t)[0] / common, split_coefficient(t)[1], t) for t in inner.terms)
                )
            body: tuple[Node, ...] = (inner, factor) if side == -1 else (factor, inner)
            if isinstance(inner, N.Mul):  # factored again inside: one flat product, its number in front
                common, rest = split_coefficient(inner)
                body = (*rest, factor) if side == -1 else (factor, *rest)
            combined = N.Mul(((N.Number(common),) if common != 1 else ()) + body)
            taken = set(members)  # a list here was quadratic: 3,000 members against 3,000 terms
            new_terms = [t for i, t in enumerate(terms) if i not in taken]
            new_terms.insert(members[0], combined)
            if len(new_terms) == 1:
                return combined
            return _factor_common(s, new_terms, like)
    assert isinstance(like, N.Add)
    if len(terms) == len(like.terms) and all(a is b for a, b in zip(terms, like.terms, strict=True)):
        return like  # nothing changed: the sum itself, not an equal copy
    return N.Add(tuple(terms))


def _repeated(items: list[Node]) -> bool:
    seen: set[Node] = set()
    for x in items:
        if x in seen:
            return True
        seen.add(x)
    return False


def _common_coefficient(node: Node) -> Fraction:
    """2A + 2Aᵀ → 2; −A − Aᵀ → −1; mixed signs or no common factor → 1."""
    if not isinstance(node, N.Add):
        return Fraction(1)
    coefs = [split_coefficient(t)[0] for t in node.terms]
    first = coefs[0]
    if all(c == first for c in coefs):
        return first
    return Fraction(1)


def _chain_of(s: Simplifier, term: Node) -> list[Node]:
    if isinstance(term, N.Mul):
        return [f for f in term.factors if not s.is_scalar(f)]
    return []


def _drop_factor(s: Simplifier, term: Node, factor: Node, side: int) -> Node:
    assert isinstance(term, N.Mul)
    fs = list(term.factors)
    positions = [i for i, f in enumerate(fs) if f == factor and not s.is_scalar(f)]
    fs.pop(positions[side])
    return fs[0] if len(fs) == 1 else N.Mul(tuple(fs))


def _mul(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Mul)
    if _already_normal(s, node.factors):
        return node
    repeated = _repeated_scalar_products(s, node)
    if repeated is not None:
        return s.simp(repeated)
    sorted_ = _sort_factors(s, _flatten(s, node))
    if sorted_ is None:
        return s.zero_like(node)
    coef, scalars, chain = sorted_
    of_scalars = not chain
    scalars = _merge_scalar_powers(s, scalars)
    if any(isinstance(x, N.Number) for x in scalars):
        for x in [x for x in scalars if isinstance(x, N.Number)]:
            coef *= x.value
        scalars = [x for x in scalars if not isinstance(x, N.Number)]
    chain = _periodic(_column_sums(s, _cancel_chain(s, chain)))
    rewritten = kron_chain.rewrite(s, chain)
    if rewritten is not None:
        return s.simp(N.Mul((N.Number(coef), *scalars, *rewritten)))
    cancelled = _cancelled_inner(s, chain)
    if cancelled is not None:
        return s.simp(N.Mul((N.Number(coef), *scalars, cancelled)))
    scalars, chain = _softmax_form(s, scalars, chain)
    inner_scalars, chain = _extract_scalar_segments(s, chain)
    if inner_scalars:
        return s.simp(N.Mul((N.Number(coef), *scalars, *inner_scalars, *chain)))
    if len(chain) > 1 and _chain_is_scalar(s, chain):
        chain = _least_orientation(s, chain)
    scalars.sort(key=s.key)
    factors = scalars + chain
    if not factors:
        return N.Number(coef)
    if coef == 1 and len(factors) == 1:
        return factors[0]
    if coef != 1 and len(factors) == 1 and isinstance(factors[0], N.Mul):
        return s.simp(s.make_mul(coef, factors, node))
    if _unchanged(node, coef, factors):
        return node  # already normal: the product itself, not an equal copy to be shape-checked and interned
    out = s.make_mul(coef, factors, node)
    if of_scalars:  # a product of scalars, and its result: the engine's shape check needs no inference
        s.note_scalar(node)
        s.note_scalar(out)
    return out


# factors that no pass of _mul rewrites when they stand alone or beside one other such factor (a pass
# rewrites products, powers, Kronecker products, diag(vec(I)), softmax after 𝟙ᵀ, inverses, identities)
_PLAIN: tuple[type[Node], ...] = (N.Symbol, N.Differential, N.Add, N.Hadamard, N.ElementPower, N.Apply, N.Ones)


def _already_normal(s: Simplifier, factors: tuple[Node, ...]) -> bool:
    """Is the product one that _mul gives back as it is, seen without its passes: a number (not 0 or 1) or
    none, then one or two factors, each a symbol, a differential, a sum, an elementwise product, power or
    function, 𝟙, or the transpose of a symbol or a differential; none a scalar, two of them different and
    not a row times a column (whose orientation is chosen). Each pass below leaves such a product alone:
    nothing is nested, sorted, cancelled, merged, Kronecker-rewritten or oriented. 24,000 of a least-squares
    sum's 30,000 products are such (Aᵢx, xᵀAᵢᵀ, Aᵢdx, 2Aᵢᵀrᵢ, rᵢᵀAᵢ for 3,000 terms), and each skipped about
    fifteen passes (bench/slow_inputs.py)."""
    start = 1 if isinstance(factors[0], N.Number) else 0
    chain = factors[start:]
    if not 1 <= len(chain) <= 2 or (start and factors[0].value in (0, 1)):  # type: ignore[attr-defined]
        return False
    env = s.env
    for f in chain:
        plain = f.arg if isinstance(f, N.Transpose) and not isinstance(f.arg, N.Add) else f
        if not isinstance(plain, _PLAIN) or env.is_scalar(f):
            return False
    if len(chain) == 1:
        return bool(start)  # a product of one factor and no number is that factor
    left, right = chain
    return left != right and not (env.shape(left)[0] == 1 and env.shape(right)[1] == 1)


def _repeated_scalar_products(s: Simplifier, node: N.Mul) -> Node | None:
    """(xᵀx)(xᵀx)…(xᵀx) → (xᵀx)ⁿ before anything else: flattened, the scalar sub-products became one long
    chain whose scalar stretches were taken out one per pass, each pass re-reading the whole chain (a
    product of 5,000 xᵀx: 12.5 million factor visits, over the 10 s budget; as a power it is one factor).
    None when no scalar sub-product repeats."""
    counts: dict[Node, int] = {}
    for f in node.factors:
        if isinstance(f, N.Mul):
            counts[f] = counts.get(f, 0) + 1
    if not any(k > 1 and s.env.is_scalar(f) for f, k in counts.items()):
        return None
    out: list[Node] = []
    for f in node.factors:
        k = counts.get(f, 1)
        if k > 1 and s.env.is_scalar(f):
            out.append(N.Power(f, Fraction(k)))
            counts[f] = 0  # the later copies are in the power
        elif k != 0:
            out.append(f)
    return N.Mul(tuple(out)) if len(out) > 1 else out[0]


# A chain longer than this that repeats one stretch is written as that stretch's power: its derivative by
# the product rule has as many terms as factors, each as long as the chain (tr(ABAB…) of 20,000 factors:
# 2·10⁸ factors), where d tr(Pᵏ) = k tr(Pᵏ⁻¹ dP) has one. At or below it the chain stays written out, so every
# output mcalc printed before stays as it was. The same bound as d(Xⁿ)'s expansion (calculus.rules).
PERIODIC_FROM = 64


def _periodic(chain: list[Node]) -> list[Node]:
    """ABAB…AB (more than PERIODIC_FROM factors) → (AB)ᵏ: the shortest period, found by the prefix function
    (Knuth–Morris–Pratt) in one pass; factors compare by identity first (they are interned)."""
    n = len(chain)
    if n <= PERIODIC_FROM:
        return chain
    border = [0] * n
    for i in range(1, n):
        k = border[i - 1]
        while k and chain[i] is not chain[k] and chain[i] != chain[k]:
            k = border[k - 1]
        if chain[i] is chain[k] or chain[i] == chain[k]:
            k += 1
        border[i] = k
    period = n - border[-1]
    if period == n or n % period:
        return chain
    base = chain[0] if period == 1 else N.Mul(tuple(chain[:period]))
    return [N.Power(base, Fraction(n // period))]


def _unchanged(node: N.Mul, coef: Fraction, factors: list[Node]) -> bool:
    """Is make_mul(coef, factors) equal to `node`, made of the very same factors (and an equal number)?"""
    own = node.factors
    if coef == 0:
        return False
    if coef != 1:
        if not (isinstance(own[0], N.Number) and own[0].value == coef):
            return False
        own = own[1:]
    return len(own) == len(factors) and all(a is b for a, b in zip(own, factors, strict=True))


def _flatten(s: Simplifier, node: N.Mul) -> list[Node]:
    """The factors of nested products; a scalar sub-product such as (xᵀa) stays one factor, its sign out."""
    env = s.env
    if not any(isinstance(f, N.Mul) for f in node.factors):
        return list(node.factors)  # nothing nested (the common case): no factor's shape needed
    raw: list[Node] = []
    all_scalar_outside = [env.is_scalar(f) for f in node.factors]
    for i, f in enumerate(node.factors):
        if isinstance(f, N.Mul):
            others_scalar = all(all_scalar_outside[:i] + all_scalar_outside[i + 1 :])
            if env.is_scalar(f) and not others_scalar and any(not env.is_scalar(g) for g in f.factors):
                c, rest = split_coefficient(f)
                raw.extend([N.Number(c), rest[0] if len(rest) == 1 else N.Mul(tuple(rest))])
            else:
                raw.extend(f.factors)
        else:
            raw.append(f)
    return raw


def _sort_factors(s: Simplifier, raw: list[Node]) -> tuple[Fraction, list[Node], list[Node]] | None:
    """(the numbers multiplied, the scalar factors, the matrix chain), or None when a factor is zero."""
    coef = ONE_FRACTION
    scalars: list[Node] = []
    chain: list[Node] = []
    for f in raw:
        if isinstance(f, N.Number):
            coef *= f.value
        elif isinstance(f, N.Zero):  # s.is_zero(f), a number being taken above
            return None
        elif s.env.is_scalar(f):
            scalars.append(f)
        else:
            chain.append(f)
    return None if coef == 0 else (coef, scalars, chain)


def _column_sums(s: Simplifier, chain: list[Node]) -> list[Node]:
    """𝟙ᵀ softmax(X) → 𝟙ᵀ: each column of softmax sums to 1 (sum(softmax(x)) is 1)."""
    out: list[Node] = []
    for f in chain:
        prev = out[-1] if out else None
        if isinstance(f, N.Columnwise) and f.func == "softmax" and isinstance(prev, N.Ones) and prev.rows == 1:
            out[-1] = N.Ones(1, s.env.shape(f)[1])
            continue
        out.append(f)
    return out


def _reciprocals(node: Node) -> int:
    factors = node.factors if isinstance(node, N.Hadamard) else (node,)
    return sum(isinstance(f, N.ElementPower) and f.exponent < 0 for f in factors)


def _cancelled_inner(s: Simplifier, chain: list[Node]) -> Node | None:
    """uᵀ(v ⊙ u.^-1) → sum(v): a row times a column is sum(p ⊙ q), shorter when the entrywise product
    cancels a reciprocal (softmax cross-entropy's sᵀ(y ./ s) is sum(y))."""
    if len(chain) != 2 or not _chain_is_scalar(s, chain) or not s.env.is_vector(chain[1]):
        return None
    left, right = s.transpose(chain[0]), chain[1]
    before = _reciprocals(left) + _reciprocals(right)
    if before == 0:
        return None
    product = s.simp(N.Hadamard((left, right)))
    if _reciprocals(product) >= before:
        return None
    return s.simp(N.Sum(product))


def _softmax_form(s: Simplifier, scalars: list[Node], chain: list[Node]) -> tuple[list[Node], list[Node]]:
    """sum(exp(x))⁻¹ exp(x) → softmax(x) for a vector x: the gradient of log(sum(exp(x)))."""
    if len(chain) != 1 or not isinstance(chain[0], N.Apply) or chain[0].func != "exp":
        return scalars, chain
    x = chain[0].arg
    normaliser = N.Power(N.Sum(chain[0]), Fraction(-1))
    if normaliser not in scalars or not s.env.is_vector(x):
        return scalars, chain
    kept = list(scalars)
    kept.remove(normaliser)
    return kept, [N.Columnwise("softmax", x)]


def _extract_scalar_segments(s: Simplifier, chain: list[Node]) -> tuple[list[Node], list[Node]]:
    """b xᵀ a → (xᵀa) b: a row-times-column stretch inside a longer chain is a scalar."""
    env = s.env
    n = len(chain)
    if n < 3:
        return [], chain
    for i in range(n):
        if env.shape(chain[i])[0] != 1:
            continue
        for j in range(i + 1, n):
            if env.shape(chain[j])[1] == 1:
                if i == 0 and j == n - 1:
                    break
                segment = N.Mul(tuple(chain[i : j + 1]))
                return [segment], chain[:i] + chain[j + 1 :]
        break
    return [], chain


def _chain_is_scalar(s: Simplifier, chain: list[Node]) -> bool:
    r, _ = s.env.shape(chain[0])
    _, c = s.env.shape(chain[-1])
    return r == 1 and c == 1


def _least_orientation(s: Simplifier, chain: list[Node]) -> list[Node]:
    flipped = [s.transpose(f) for f in reversed(chain)]
    if all(a is b for a, b in zip(flipped, chain, strict=True)):
        return chain  # its own transpose, as rᵀr is (the keys of two equal products were printed to compare them)
    # a product's key is (its factors' transposes, its text): the counts decide first, and the texts (two
    # more products keyed and printed) are needed only when the counts are equal
    flips, flips_kept = sum(s.flips(f) for f in flipped), sum(s.flips(f) for f in chain)
    if flips != flips_kept:
        return flipped if flips < flips_kept else chain
    if s.key(N.Mul(tuple(flipped))) < s.key(N.Mul(tuple(chain))):
        return flipped
    return chain


def _merge_powers(
    factors: list[Node], power_type: type[N.Power] | type[N.ElementPower], make: Callable[[Node, Fraction], Node]
) -> list[Node]:
    """s·s → s², s·s⁻¹ → (nothing): sum the exponents of equal bases, in order of appearance. A base met
    once keeps its factor as it is: remaking and simplifying sᵏ for every factor of every product was most
    of a deep chain's third derivative (a 40-deep sin tower: a million powers remade, none changed)."""
    # base → [its exponent so far, its one factor or None once the base is met again]: one dictionary, one
    # hash per factor; a plain factor met once (exponent the shared 1) is kept without comparing Fractions
    seen: dict[Node, list[Any]] = {}
    for x in factors:
        base, p = (x.base, x.exponent) if isinstance(x, power_type) else (x, ONE_FRACTION)
        entry = seen.get(base)
        if entry is None:
            seen[base] = [p, x]
        else:
            entry[0] = _plus(entry[0], p)
            entry[1] = None
    out: list[Node] = []
    for base, (p, kept) in seen.items():
        if kept is not None and p is ONE_FRACTION:
            out.append(kept)
        elif p != 0:
            out.append(kept if kept is not None else base if p == 1 else make(base, p))
    return out


_WHOLE: dict[int, Fraction] = {}  # small whole exponents, made once (see _plus)


def _plus(a: Fraction, b: Fraction) -> Fraction:
    """a + b, without Fraction's arithmetic when both are whole (most exponents merged are): 0.4 µs where
    Fraction's sum took 1.8 µs, 490,000 times in a 100-deep sin tower's third derivative."""
    if a.denominator != 1 or b.denominator != 1:
        return a + b
    n = a.numerator + b.numerator
    out = _WHOLE.get(n)
    if out is None:
        out = Fraction(n)
        if -256 <= n <= 256:
            _WHOLE[n] = out
    return out


def _merge_scalar_powers(s: Simplifier, scalars: list[Node]) -> list[Node]:
    merged = _merge_powers(_sign_times_itself(scalars), N.Power, s.power)
    return _logistic(merged, N.Power)


def _sign_times_itself(factors: list[Node]) -> list[Node]:
    """u sign(u) → |u| (then |u| |u|⁻¹ cancels): d log|det X| = det(X) sign(det X) |det X|⁻¹ tr(X⁻¹dX) is
    tr(X⁻¹dX), as the books print it (∂/∂X log|det X| = X⁻ᵀ)."""
    signs = {f.arg: k for k, f in enumerate(factors) if isinstance(f, N.Apply) and f.func == "sign"}
    if not signs:
        return factors
    for k, f in enumerate(factors):
        j = signs.get(f, -1)
        if j >= 0:
            rest = [g for m, g in enumerate(factors) if m not in (j, k)]
            return [N.Apply("abs", f), *_sign_times_itself(rest)]
    return factors


def _logistic(factors: list[Node], power_type: type[N.Power] | type[N.ElementPower]) -> list[Node]:
    """exp(u) (1 + exp(u))⁻¹ → σ(u): the logistic function, as textbooks write the softplus slope."""
    # the reciprocals indexed by base first: a pairwise scan is quadratic in a long product (a deep chain
    # of exp's derivative has hundreds of factors)
    reciprocals: dict[Node, int] = {}
    for j, g in enumerate(factors):
        if isinstance(g, power_type) and g.exponent == -1:
            reciprocals.setdefault(g.base, j)
    if not reciprocals:
        return factors
    for i, f in enumerate(factors):
        if not (isinstance(f, N.Apply) and f.func == "exp"):
            continue
        j = reciprocals.get(N.Add((N.Number(Fraction(1)), f)), -1)
        if j >= 0:
            rest = [h for k, h in enumerate(factors) if k not in (i, j)]
            return [N.Apply("sigmoid", f.arg), *rest]
    return factors


def _cancel_chain(s: Simplifier, chain: list[Node]) -> list[Node]:
    """Drop identities, cancel X X⁻¹, and merge equal neighbours into powers."""
    out: list[Node] = []
    for f in chain:
        if isinstance(f, N.Identity) and (out or len(chain) > 1):
            continue
        if out:
            prev = out[-1]
            if _are_inverses(s, prev, f):
                out.pop()
                continue
            pb, pp = _power_parts(prev)
            fb, fp = _power_parts(f)
            if pb == fb and not isinstance(pb, N.Identity):
                r, c = s.env.shape(pb)
                if r == c:
                    out.pop()
                    total = pp + fp
                    if total != 0:
                        out.append(pb if total == 1 else N.Power(pb, total))
                    continue
        out.append(f)
    if not out and chain:
        r, _ = s.env.shape(chain[0])
        return [N.Identity(r)]
    return out


def _are_inverses(s: Simplifier, a: Node, b: Node) -> bool:
    return (
        (isinstance(b, N.Inverse) and b.arg == a)
        or (isinstance(a, N.Inverse) and a.arg == b)
        or (isinstance(a, N.Transpose) and isinstance(b, N.Transpose) and _are_inverses(s, a.arg, b.arg))
    )
