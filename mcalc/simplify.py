"""Bring a tree to mcalc's canonical form: compact, deterministic, and equal in value.

The canonical form (documented in README § Canonical form):
- zeros and identities removed (`I X → X`, `X + 0 → X`, `0 ⊙ X → 0`); scalars `tr`, `ᵀ` dropped;
- transposes pushed down to the leaves (`(AB)ᵀ → BᵀAᵀ`), cancelled in pairs and dropped on
  symmetric matrices; `(X⁻¹)ᵀ` is kept as X⁻ᵀ and `(Xᵀ)⁻¹` becomes X⁻ᵀ;
- exact rational coefficients collected in front, like terms merged (`CAB + CAB → 2CAB`), equal
  factors merged into powers (`s s⁻¹ → 1`, `X X → X²`), scalar factors sorted;
- a trace of a product in its least cyclic rotation, or without the trace when a rotation is a
  scalar product (`tr(a bᵀ) → bᵀa`); a scalar product in its least orientation (`xᵀa` ~ `aᵀx`);
- common left or right factors of a sum pulled out when that is shorter (`Bx + Bᵀx → (B + Bᵀ)x`).

Each normaliser below handles one node type and returns its input unchanged when nothing applies;
`simplify` applies them bottom-up, memoised, so a rewritten node is simplified once.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from mcalc import budget
from mcalc.errors import McalcError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import ONE, Node
from mcalc.syntax.sexpr import to_sexpr

ZERO = N.Number(Fraction(0))


class Simplifier:
    def __init__(self, env: ShapeEnv) -> None:
        self.env = env
        self.memo: dict[Node, Node] = {}
        self._by_id: dict[int, tuple[Node, Node]] = {}  # holds each node, so its id is not reused
        self.keys: dict[Node, tuple[int, str]] = {}

    # -- engine --
    def __call__(self, node: Node) -> Node:
        return self.simp(node)

    def simp(self, node: Node) -> Node:
        budget.tick("simplifying")
        seen = self._by_id.get(id(node))  # identity first: see ShapeEnv.shape
        if seen is not None and seen[0] is node:
            return seen[1]
        done = self.memo.get(node)
        if done is not None:
            self._by_id[id(node)] = (node, done)
            return done
        kids = node.children()
        if kids:
            new_kids = tuple(self.simp(k) for k in kids)
            current = N.rebuild(node, new_kids)
        else:
            current = node
        rule = NORMALISERS.get(type(current))
        result = rule(self, current) if rule is not None else current
        if result is not current:
            result = self._keep_shape(current, result)
        self.memo[node] = result
        self.memo.setdefault(result, result)
        self._by_id[id(node)] = (node, result)
        return result

    def _keep_shape(self, before: Node, after: Node) -> Node:
        """A rewrite never changes a shape; a sum that lost its matrix terms (2 + (x − x)) still
        broadcasts its scalar over every entry."""
        want, got = self.env.shape(before), self.env.shape(after)
        if want == got:
            return after
        if got == (1, 1):
            return N.Mul((after, N.Ones(*want))) if not self.is_zero(after) else N.Zero(*want)
        raise AssertionError(f"simplification changed a shape from {want} to {got}")

    def key(self, node: Node) -> tuple[int, str]:
        """Total order used for canonical choices: fewer transposes first, then the S-expression."""
        k = self.keys.get(node)
        if k is None:
            # built from the children's cached keys: each distinct subtree is printed once
            kids = node.children()
            child_keys = [self.key(c) for c in kids]
            flips = sum(ck[0] for ck in child_keys) + isinstance(node, (N.Transpose, N.Inverse))
            text = to_sexpr(node, [ck[1] for ck in child_keys]) if kids else to_sexpr(node)
            k = (flips, text)
            self.keys[node] = k
        return k

    # -- helpers --
    def zero_like(self, node: Node) -> Node:
        r, c = self.env.shape(node)
        if r == 1 and c == 1:
            return ZERO
        return N.Zero(r, c)

    def is_zero(self, node: Node) -> bool:
        return isinstance(node, N.Zero) or (isinstance(node, N.Number) and node.value == 0)

    def is_scalar(self, node: Node) -> bool:
        return self.env.is_scalar(node)

    def is_symmetric(self, node: Node) -> bool:
        env = self.env
        if env.is_scalar(node):
            return True
        if isinstance(node, N.Symbol):
            return node.name in env.symmetric
        if isinstance(node, (N.Identity, N.Ones)):
            r, c = env.shape(node)
            return r == c
        if isinstance(node, N.Zero):
            return node.rows == node.cols
        if isinstance(node, N.Diag):
            return env.is_vector(node.arg)
        if isinstance(node, (N.Inverse, N.Power, N.Apply, N.ElementPower)):
            return self.is_symmetric(node.children()[0])
        if isinstance(node, (N.Add, N.Hadamard)):
            return all(self.is_symmetric(t) for t in node.children())
        if isinstance(node, N.Mul):
            chain = [f for f in node.factors if not env.is_scalar(f)]
            if len(chain) == 1:
                return self.is_symmetric(chain[0])
            flipped = [self.simp(N.Transpose(f)) for f in reversed(chain)]
            return flipped == chain
        if isinstance(node, N.Kron):
            return self.is_symmetric(node.left) and self.is_symmetric(node.right)
        return False

    def make_mul(self, coef: Fraction, factors: list[Node], like: Node) -> Node:
        if coef == 0:
            return self.zero_like(like)
        out: list[Node] = [] if coef == 1 else [N.Number(coef)]
        out.extend(factors)
        if not out:
            return N.Number(coef)
        if len(out) == 1:
            return out[0]
        return N.Mul(tuple(out))


def split_coefficient(node: Node) -> tuple[Fraction, list[Node]]:
    """c·rest → (c, factors of rest)."""
    if isinstance(node, N.Number):
        return node.value, []
    if isinstance(node, N.Mul):
        if isinstance(node.factors[0], N.Number):
            return node.factors[0].value, list(node.factors[1:])
        return Fraction(1), list(node.factors)
    return Fraction(1), [node]


def _power_parts(node: Node) -> tuple[Node, Fraction]:
    if isinstance(node, N.Power):
        return node.base, node.exponent
    return node, Fraction(1)


# --- normalisers, one per node type ---


def _add(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Add)
    flat: list[Node] = []
    for t in node.terms:
        if isinstance(t, N.Add):
            flat.extend(t.terms)
        elif not s.is_zero(t):
            flat.append(t)
    order: list[tuple[Node, ...]] = []
    coefs: dict[tuple[Node, ...], Fraction] = {}
    for t in flat:
        c, rest = split_coefficient(t)
        k = tuple(rest)
        if k not in coefs:
            order.append(k)
            coefs[k] = Fraction(0)
        coefs[k] += c
    # terms in order of appearance (a product rule reads d(A)B + A d(B)), positive terms first
    order.sort(key=lambda k: coefs[k] < 0)
    terms: list[Node] = []
    for k in order:
        c = coefs[k]
        if c == 0:
            continue
        terms.append(s.make_mul(c, list(k), node))
    if not terms:
        return s.zero_like(node)
    if len(terms) == 1:
        return terms[0]
    return _factor_common(s, terms, node)


def _factor_common(s: Simplifier, terms: list[Node], like: Node) -> Node:
    """Pull a common rightmost (then leftmost) matrix factor out of two or more terms."""
    whole = s.env.shape(like)
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        for i, t in enumerate(terms):
            chain = _chain_of(s, t)
            # a scalar broadcast over the sum (xᵀx in xᵀx + Ax) shares no factor with the others
            if len(chain) >= 2 and s.env.shape(t) == whole:
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
            body = (inner, factor) if side == -1 else (factor, inner)
            combined = N.Mul(((N.Number(common),) if common != 1 else ()) + body)
            new_terms = [t for i, t in enumerate(terms) if i not in members]
            new_terms.insert(members[0], combined)
            if len(new_terms) == 1:
                return combined
            return _factor_common(s, new_terms, like)
    return N.Add(tuple(terms))


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
    env = s.env
    raw: list[Node] = []
    all_scalar_outside = [env.is_scalar(f) for f in node.factors]
    for i, f in enumerate(node.factors):
        if isinstance(f, N.Mul):
            others_scalar = all(all_scalar_outside[:i] + all_scalar_outside[i + 1 :])
            if env.is_scalar(f) and not others_scalar and any(not env.is_scalar(g) for g in f.factors):
                raw.append(f)  # a scalar sub-product such as (xᵀa) stays one factor
            else:
                raw.extend(f.factors)
        else:
            raw.append(f)
    coef = Fraction(1)
    scalars: list[Node] = []
    chain: list[Node] = []
    for f in raw:
        if isinstance(f, N.Number):
            coef *= f.value
        elif s.is_zero(f):
            return s.zero_like(node)
        elif env.is_scalar(f):
            scalars.append(f)
        else:
            chain.append(f)
    if coef == 0:
        return s.zero_like(node)
    scalars = _merge_scalar_powers(s, scalars)
    if any(isinstance(x, N.Number) for x in scalars):
        for x in [x for x in scalars if isinstance(x, N.Number)]:
            coef *= x.value
        scalars = [x for x in scalars if not isinstance(x, N.Number)]
    chain = _cancel_chain(s, chain)
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
    result = s.make_mul(coef, factors, node)
    if coef != 1 and len(factors) == 1 and isinstance(factors[0], N.Mul):
        return s.simp(result)
    return result


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
    flipped = [s.simp(N.Transpose(f)) for f in reversed(chain)]
    if s.key(N.Mul(tuple(flipped))) < s.key(N.Mul(tuple(chain))):
        return flipped
    return chain


def _merge_powers(
    factors: list[Node], power_type: type[N.Power] | type[N.ElementPower], make: Callable[[Node, Fraction], Node]
) -> list[Node]:
    """s·s → s², s·s⁻¹ → (nothing): sum the exponents of equal bases, in order of appearance."""
    exps: dict[Node, Fraction] = {}
    for x in factors:
        base, p = (x.base, x.exponent) if isinstance(x, power_type) else (x, Fraction(1))
        exps[base] = exps.get(base, Fraction(0)) + p
    return [base if p == 1 else make(base, p) for base, p in exps.items() if p != 0]


def _merge_scalar_powers(s: Simplifier, scalars: list[Node]) -> list[Node]:
    merged = _merge_powers(scalars, N.Power, lambda b, p: s.simp(N.Power(b, p)))
    return _logistic(merged, N.Power)


def _logistic(factors: list[Node], power_type: type[N.Power] | type[N.ElementPower]) -> list[Node]:
    """exp(u) (1 + exp(u))⁻¹ → σ(u): the logistic function, as textbooks write the softplus slope."""
    for i, f in enumerate(factors):
        if not (isinstance(f, N.Apply) and f.func == "exp"):
            continue
        one_plus = N.Add((N.Number(Fraction(1)), f))
        for j, g in enumerate(factors):
            if isinstance(g, power_type) and g.exponent == -1 and g.base == one_plus:
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


def _transpose(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Transpose)
    x = node.arg
    env = s.env
    if env.is_scalar(x):
        return x
    if isinstance(x, N.Transpose):
        return x.arg
    if isinstance(x, N.Zero):
        return N.Zero(x.cols, x.rows)
    if isinstance(x, N.Ones):
        return N.Ones(x.cols, x.rows)
    if isinstance(x, N.Commutation):
        return N.Commutation(x.cols, x.rows)
    if isinstance(x, N.Mul):
        return s.simp(N.Mul(tuple(N.Transpose(f) for f in reversed(x.factors))))
    if isinstance(x, (N.Add, N.Hadamard)):
        return s.simp(N.rebuild(x, tuple(N.Transpose(t) for t in x.children())))
    if isinstance(x, (N.Apply, N.ElementPower, N.Power)):
        return s.simp(N.rebuild(x, (N.Transpose(x.children()[0]),)))
    if isinstance(x, N.Kron):
        return s.simp(N.Kron(N.Transpose(x.left), N.Transpose(x.right)))
    if s.is_symmetric(x):
        return x
    return node


def _inverse(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Inverse)
    x = node.arg
    if s.is_scalar(x):
        return s.simp(N.Power(x, Fraction(-1)))
    if isinstance(x, N.Inverse):
        return x.arg
    if isinstance(x, N.Transpose):
        return s.simp(N.Transpose(N.Inverse(x.arg)))
    if isinstance(x, N.Identity):
        return x
    if isinstance(x, N.Mul):
        coef, rest = split_coefficient(x)
        scalars = [f for f in rest if s.is_scalar(f)]
        if coef != 1 or scalars:
            chain = [f for f in rest if not s.is_scalar(f)]
            inv_scalars = [N.Power(f, Fraction(-1)) for f in scalars]
            inner = chain[0] if len(chain) == 1 else N.Mul(tuple(chain))
            return s.simp(N.Mul((N.Number(1 / coef), *inv_scalars, N.Inverse(inner))))
    if isinstance(x, N.Power):
        return s.simp(N.Power(x.base, -x.exponent))
    return node


MAX_FOLD_DIGITS = 300  # a power of a number is computed exactly only up to the size of an input number


def _power_digits(base: Fraction, p: Fraction) -> float:
    """Decimal digits of base^p, from the bit lengths (digits ≈ |p|·log10(base)), without computing it."""
    bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    return float(abs(p)) * bits * 0.30103


def _power(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Power)
    x, p = node.base, node.exponent
    if p == 1:
        return x
    if p == 0:
        r, _ = s.env.shape(x)
        return ONE if s.is_scalar(x) else N.Identity(r)
    if isinstance(x, N.Number):
        # exact only while small: 2^99999999 stays a power (evaluated in floating point), and so does
        # (2^64)^64, whose 1,233 digits are estimated from the base's size before anything is computed
        if (
            p.denominator == 1
            and (x.value != 0 or p > 0)
            and abs(p) <= 64
            and _power_digits(x.value, p) <= MAX_FOLD_DIGITS
        ):
            return N.Number(x.value ** int(p))
        return node
    if isinstance(x, N.Power) and p.denominator == 1 and x.exponent.denominator == 1:
        return s.simp(N.Power(x.base, x.exponent * p))
    if isinstance(x, N.Identity):
        return x
    if not s.is_scalar(x) and p == -1:
        return s.simp(N.Inverse(x))
    if isinstance(x, N.Mul) and p.denominator == 1 and all(s.is_scalar(f) for f in x.factors):
        return s.simp(N.Mul(tuple(N.Power(f, p) for f in x.factors)))
    return node


def _element_power(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.ElementPower)
    x, p = node.base, node.exponent
    if p == 1:
        return x
    if s.is_scalar(x):
        return s.simp(N.Power(x, p))
    if p == 0:
        r, c = s.env.shape(x)
        return N.Ones(r, c)
    if s.is_zero(x) and p > 0:
        return x
    if isinstance(x, N.Ones):  # 1 ./ 𝟙 = 𝟙
        return x
    return node


def _hadamard(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Hadamard)
    flat: list[Node] = []
    coef = Fraction(1)
    work = list(reversed(node.factors))
    while work:
        g = work.pop()
        if isinstance(g, N.Hadamard):
            work.extend(reversed(g.factors))
            continue
        c, rest = split_coefficient(g)
        if c != 1 and rest:
            coef *= c
            work.append(rest[0] if len(rest) == 1 else N.Mul(tuple(rest)))
            continue
        if isinstance(g, N.Mul) and len(rest) >= 2 and isinstance(rest[-1], N.Ones):
            if all(s.is_scalar(f) for f in rest[:-1]):  # s𝟙 ⊙ Y = s Y: the scalar leaves, 𝟙 is dropped
                flat.extend(rest[:-1])
                flat.append(rest[-1])
                continue
        flat.append(g)
    if coef != 1:
        return s.simp(N.Mul((N.Number(coef), N.Hadamard(tuple(flat)))))
    scalars = [f for f in flat if s.is_scalar(f)]
    rest = [f for f in flat if not s.is_scalar(f)]
    if any(s.is_zero(f) for f in flat):
        return s.zero_like(node)
    rest = [f for f in rest if not isinstance(f, N.Ones)] or rest[:1]
    merged = _logistic(_merge_powers(rest, N.ElementPower, N.ElementPower), N.ElementPower)
    if not merged:
        rows, cols = s.env.shape(node)
        merged = [N.Ones(rows, cols)]
    # a positive factor first reads better: a ⊙ b.^-1 prints as a ./ b
    merged.sort(key=lambda f: (isinstance(f, N.ElementPower) and f.exponent < 0, s.key(f)))
    core = merged[0] if len(merged) == 1 else N.Hadamard(tuple(merged))
    if scalars:
        return s.simp(N.Mul((*scalars, core)))
    return core


def _trace(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Trace)
    x = node.arg
    env = s.env
    if env.is_scalar(x):
        return x
    if s.is_zero(x):
        return ZERO
    if isinstance(x, N.Add):
        # a scalar term of a matrix sum is added to every entry: tr(c + A) = c tr(𝟙) + tr(A)
        r, c = env.shape(x)
        return s.simp(N.Add(tuple(N.Trace(N.Mul((t, N.Ones(r, c))) if env.is_scalar(t) else t) for t in x.terms)))
    if isinstance(x, N.Transpose):
        return s.simp(N.Trace(x.arg))
    if isinstance(x, N.Ones) and isinstance(x.rows, int):
        return N.Number(Fraction(x.rows))
    if isinstance(x, N.Identity) and isinstance(x.dim, int):
        return N.Number(Fraction(x.dim))
    if isinstance(x, N.Kron):  # tr(A ⊗ B) = tr(A) tr(B)
        return s.simp(N.Mul((N.Trace(x.left), N.Trace(x.right))))
    if isinstance(x, N.Mul):
        coef, rest = split_coefficient(x)
        scalars = [f for f in rest if env.is_scalar(f)]
        chain = [f for f in rest if not env.is_scalar(f)]
        if coef != 1 or scalars:
            inner = chain[0] if len(chain) == 1 else N.Mul(tuple(chain))
            return s.simp(N.Mul((N.Number(coef), *scalars, N.Trace(inner))))
        return _cyclic_canonical(s, chain, node)
    return node


def _cyclic_canonical(s: Simplifier, chain: list[Node], node: Node) -> Node:
    """tr(ABC) = tr(BCA) = tr(CᵀBᵀAᵀ): the least rotation of the chain or of its transpose (a scalar
    product without trace first, then fewer transposes, then the factors' keys in order)."""
    flipped = [s.simp(N.Transpose(f)) for f in reversed(chain)]
    best: tuple[tuple[int, int, list[str]], list[Node]] | None = None
    for family in (chain, flipped):
        keys = [s.key(f) for f in family]
        flips = sum(k[0] for k in keys)
        texts = [k[1] for k in keys]
        for k in range(len(family)):
            rot = family[k:] + family[:k]
            key = (0 if _chain_is_scalar(s, rot) else 1, flips, texts[k:] + texts[:k])
            if best is None or key < best[0]:
                best = (key, rot)
    assert best is not None
    (scalar_first, _, _), rot = best
    if scalar_first == 0:
        return s.simp(N.Mul(tuple(rot)))
    result = N.Trace(N.Mul(tuple(rot)))
    return node if result == node else result


def _det(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Det)
    x = node.arg
    if s.is_scalar(x):
        return x
    if isinstance(x, N.Transpose):
        return s.simp(N.Det(x.arg))
    if isinstance(x, N.Inverse):
        return s.simp(N.Power(N.Det(x.arg), Fraction(-1)))
    if isinstance(x, N.Identity):
        return ONE
    return node


def _logdet(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.LogDet)
    x = node.arg
    if s.is_scalar(x):
        return s.simp(N.Apply("log", x))
    if isinstance(x, N.Transpose):
        return s.simp(N.LogDet(x.arg))
    if isinstance(x, N.Inverse):
        return s.simp(N.Mul((N.Number(Fraction(-1)), N.LogDet(x.arg))))
    if isinstance(x, N.Identity):
        return ZERO
    return node


def _norm(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Norm)
    x = node.arg
    if isinstance(x, N.Transpose):
        return s.simp(N.Norm(x.arg, node.p))
    if isinstance(x, N.Mul) and isinstance(x.factors[0], N.Number):
        c = abs(x.factors[0].value)
        rest = x.factors[1:]
        inner = rest[0] if len(rest) == 1 else N.Mul(rest)
        return s.simp(N.Mul((N.Number(c), N.Norm(inner, node.p))))
    return node


def _sum(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Sum)
    x = node.arg
    if s.is_scalar(x):
        return x
    if isinstance(x, N.Transpose):
        return s.simp(N.Sum(x.arg))
    if isinstance(x, N.Kron):  # sum(A ⊗ B) = sum(A) sum(B)
        return s.simp(N.Mul((N.Sum(x.left), N.Sum(x.right))))
    if s.is_zero(x):
        return ZERO
    return _linear_pull(s, node) or node


def _vec(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Vec)
    x = node.arg
    r, c = s.env.shape(x)
    if c == 1:
        return x
    if r == 1:
        return s.simp(N.Transpose(x))
    if isinstance(x, N.Unvec):
        return x.arg
    if s.is_zero(x):
        return s.zero_like(node)
    return node


def _unvec(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Unvec)
    x = node.arg
    if node.cols == 1:
        return x
    if node.rows == 1:
        return s.simp(N.Transpose(x))
    if isinstance(x, N.Vec) and s.env.shape(x.arg) == (node.rows, node.cols):
        return x.arg
    return node


def _kron(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Kron)
    a, b = node.left, node.right
    if s.is_scalar(a) or s.is_scalar(b):
        return s.simp(N.Mul((a, b)))
    if s.is_zero(a) or s.is_zero(b):
        return s.zero_like(node)
    ca, ra = split_coefficient(a)
    cb, rb = split_coefficient(b)
    if ca != 1 or cb != 1:
        left = ra[0] if len(ra) == 1 else N.Mul(tuple(ra))
        right = rb[0] if len(rb) == 1 else N.Mul(tuple(rb))
        return s.simp(N.Mul((N.Number(ca * cb), N.Kron(left, right))))
    if isinstance(a, N.Identity) and isinstance(b, N.Identity):
        return N.Identity(s.env.resolve((a.dim, b.dim)) if a.dim and b.dim else None)
    return node


def _commutation(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Commutation)
    if node.rows == 1 or node.cols == 1:
        return N.Identity(s.env.resolve((node.rows, node.cols)))
    return node


def _identity(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Identity)
    return ONE if node.dim == 1 else node


def _ones(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Ones)
    return ONE if node.rows == 1 and node.cols == 1 else node


def _zero(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Zero)
    return ZERO if node.rows == 1 and node.cols == 1 else node


def _linear_pull(s: Simplifier, node: Node) -> Node | None:
    """L(c·X) → c·L(X) for a linear map L (diag, vec, sum, unvec) and a number c."""
    (arg,) = node.children()
    c, rest = split_coefficient(arg)
    if c == 1 or not rest:
        return None
    inner = rest[0] if len(rest) == 1 else N.Mul(tuple(rest))
    return s.simp(N.Mul((N.Number(c), N.rebuild(node, (inner,)))))


def _diag(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Diag)
    if s.is_scalar(node.arg):
        return node.arg
    if s.is_zero(node.arg):
        return s.zero_like(node)
    return _linear_pull(s, node) or node


NORMALISERS: dict[type, Callable[[Simplifier, Node], Node]] = {
    N.Add: _add,
    N.Mul: _mul,
    N.Transpose: _transpose,
    N.Inverse: _inverse,
    N.Power: _power,
    N.ElementPower: _element_power,
    N.Hadamard: _hadamard,
    N.Trace: _trace,
    N.Det: _det,
    N.LogDet: _logdet,
    N.Norm: _norm,
    N.Sum: _sum,
    N.Vec: _vec,
    N.Unvec: _unvec,
    N.Kron: _kron,
    N.Commutation: _commutation,
    N.Identity: _identity,
    N.Ones: _ones,
    N.Zero: _zero,
    N.Diag: _diag,
}


def simplify(node: Node, env: ShapeEnv) -> Node:
    return Simplifier(env).simp(node)


EXPAND_LIMIT = 200  # nodes: a larger result is not multiplied out (an MLP's would explode)


def distribute(node: Node, env: ShapeEnv, limit: int = 4 * EXPAND_LIMIT) -> Node | None:
    """Products and elementwise products multiplied out over sums, everywhere; None if too large.
    A scalar term of a matrix sum stands for that scalar times 𝟙: A(1 + v) = A𝟙 + Av."""
    budget = [limit]

    def spread(n: Node) -> Node:
        """Distribute at the top of `n`, whose children are already multiplied out."""
        if not isinstance(n, (N.Mul, N.Hadamard)):
            return n
        factors = n.children()
        for i, f in enumerate(factors):
            if isinstance(f, N.Add):
                budget[0] -= len(f.terms)
                if budget[0] < 0:
                    raise OverflowError
                r, c = env.shape(f)
                terms = [N.Mul((t, N.Ones(r, c))) if env.is_scalar(t) and (r, c) != (1, 1) else t for t in f.terms]
                cls = type(n)
                return N.Add(tuple(spread(cls((*factors[:i], t, *factors[i + 1 :]))) for t in terms))
        return n

    memo: dict[Node, Node] = {}

    def walk(n: Node) -> Node:
        done = memo.get(n)
        if done is None:
            kids = n.children()
            done = spread(N.rebuild(n, tuple(walk(k) for k in kids)) if kids else n)
            memo[n] = done
        return done

    try:
        return walk(node)
    except (OverflowError, RecursionError):
        return None


def shortest(node: Node, simp: Simplifier) -> Node:
    """The simplified result, or its multiplied-out form when that is shorter: y ⊙ (1 − σ) −
    (1 − y) ⊙ σ becomes y − σ, while −2Φᵀ(y − Φθ) stays factored."""
    size = N.tree_size(node)
    if size > EXPAND_LIMIT:
        return node
    expanded = distribute(node, simp.env)
    if expanded is None:
        return node
    try:
        candidate = simp(expanded)
    except (McalcError, AssertionError):  # an alternative form only: never a reason to fail
        return node
    if N.contains_type(candidate, N.Ones) and not N.contains_type(node, N.Ones):
        return node  # A𝟙 is shorter only on paper: 𝟙 has no input spelling
    # clearly shorter only: σ(1 − σ) stays as textbooks write it rather than σ − σ²
    return candidate if N.tree_size(candidate) <= 0.75 * size else node
