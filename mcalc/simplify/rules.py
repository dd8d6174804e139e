"""Normalisers of every other node type (transpose, inverse, powers, traces, determinants, norms, vec,
Kronecker products) and the table that gives each node type its normaliser."""

from __future__ import annotations

from fractions import Fraction

from mcalc.errors import MathError
from mcalc.simplify import spectral
from mcalc.simplify.engine import NORMALISERS, ZERO, Simplifier, split_coefficient
from mcalc.simplify.products import _add, _logistic, _merge_powers
from mcalc.simplify.symbolic_powers import element_power_of, mul_with_symbolic_powers, power_of, sum_over
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import ONE, Node


def _transpose(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Transpose)
    x = node.arg
    env = s.env
    if env.is_scalar(x):
        return x
    if isinstance(x, N.Transpose):
        return x.arg
    known = s.transposed(x)  # x is simplified (the engine works bottom-up): its transpose may be known
    if known is not None:
        return known
    if isinstance(x, N.Zero):
        return N.Zero(x.cols, x.rows)
    if isinstance(x, N.Ones):
        return N.Ones(x.cols, x.rows)
    if isinstance(x, N.Commutation):
        return N.Commutation(x.cols, x.rows)
    if isinstance(x, N.Mul):
        # (c s A B)ᵀ = c s Bᵀ Aᵀ: the scalar factors stay in front, untransposed (the product's normal form
        # sorts them there anyway), so the product is often normal as built (products._already_normal)
        scalar = [env.is_scalar(f) for f in x.factors]
        scalars = [f for f, one in zip(x.factors, scalar, strict=True) if one]
        rest = [N.Transpose(f) for f, one in zip(reversed(x.factors), reversed(scalar), strict=True) if not one]
        return s.simp(N.Mul((*scalars, *rest)))
    if isinstance(x, (N.Add, N.Hadamard)):
        return s.simp(N.rebuild(x, tuple(N.Transpose(t) for t in x.children())))
    if isinstance(x, (N.Apply, N.ElementPower, N.Power)):
        return s.simp(N.rebuild(x, (N.Transpose(x.children()[0]),)))
    if isinstance(x, N.Kron):
        return s.simp(N.Kron(N.Transpose(x.left), N.Transpose(x.right)))
    if isinstance(x, N.SumOver):  # (∑ᵣ Bᵣ)ᵀ = ∑ᵣ Bᵣᵀ
        return s.simp(N.SumOver(x.index, x.count, N.Transpose(x.body)))
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
        if x.value == 0 and p < 0:  # x / (1 - 1): the parser refuses a literal 0 only; this is the same
            raise MathError(
                "division by zero: a denominator of the expression is 0 (or 0 is raised to a negative power)"
            )
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


def _all_ones(node: Node) -> bool:
    """𝟙, or a product of ones such as 𝟙 𝟙ᵀ (the matrix of ones): a factor ⊙ drops."""
    return isinstance(node, N.Ones) or (isinstance(node, N.Mul) and all(isinstance(f, N.Ones) for f in node.factors))


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
    rest = [f for f in rest if not _all_ones(f)] or rest[:1]
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
    flipped = [s.transpose(f) for f in reversed(chain)]
    families = []
    for family in (chain, flipped):
        scalar = [k for k in range(len(family)) if _rotation_is_scalar(s, family, k)]
        families.append((0 if scalar else 1, sum(s.flips(f) for f in family), scalar, family))
    if families[0][:2] != families[1][:2]:  # decided before any text: the factors' keys are not printed
        families = [min(families, key=lambda f: f[:2])]
    best: tuple[tuple[int, int, list[str]], list[Node]] | None = None
    for head, flips, scalar, family in families:
        texts = [s.key(f)[1] for f in family]
        # the least rotation found in linear time: building every rotation was quadratic (a 3,000-factor
        # trace spent a second here); a scalar rotation, when there is one, is preferred over all others
        start = min(scalar, key=lambda k: texts[k:] + texts[:k]) if scalar else least_rotation(texts)
        key = (head, flips, texts[start:] + texts[:start])
        if best is None or key < best[0]:
            best = (key, family[start:] + family[:start])
    assert best is not None
    (scalar_first, _, _), rot = best
    if scalar_first == 0:
        return s.simp(N.Mul(tuple(rot)))
    arg = node.arg if isinstance(node, N.Trace) else None
    if isinstance(arg, N.Mul) and _identical(rot, arg.factors):
        return node  # the trace as it stands (what the comparison below finds, without comparing)
    result = N.Trace(N.Mul(tuple(rot)))
    return node if result == node else result


def _identical(a: list[Node], b: tuple[Node, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _rotation_is_scalar(s: Simplifier, chain: list[Node], k: int) -> bool:
    """Is chain[k:] + chain[:k] a row times … times a column?"""
    return s.env.shape(chain[k])[0] == 1 and s.env.shape(chain[k - 1])[1] == 1


def least_rotation(items: list[str]) -> int:
    """Start of the lexicographically least rotation of `items` (Booth's algorithm, linear time); the
    first such start when several rotations are equal."""
    doubled = items + items
    fail = [-1] * len(doubled)
    k = 0
    for j in range(1, len(doubled)):
        item = doubled[j]
        i = fail[j - k - 1]
        while i != -1 and item != doubled[k + i + 1]:
            if item < doubled[k + i + 1]:
                k = j - i - 1
            i = fail[i]
        if item != doubled[k + i + 1]:  # here i == -1
            if item < doubled[k]:
                k = j
            fail[j - k] = -1
        else:
            fail[j - k] = i + 1
    return k


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
    if (trace := spectral.sum_of(s, x)) is not None:  # sum(eig(X)) = tr(X)
        return trace
    if isinstance(x, N.Columnwise) and x.func == "softmax":  # each column of softmax sums to 1
        cols = s.env.resolve(s.env.shape(x)[1])
        if isinstance(cols, int):
            return N.Number(Fraction(cols))
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
    return _linear_pull(s, node) or node  # vec(4I) → 4 vec(I), so 2 vec(4I) xᵀ reads 8 vec(I) xᵀ


def _unvec(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Unvec)
    x = node.arg
    if node.cols == 1:
        return x
    if node.rows == 1:
        return s.simp(N.Transpose(x))
    if isinstance(x, N.Vec) and s.env.shape(x.arg) == (node.rows, node.cols):
        return x.arg
    if isinstance(x, N.Mul):  # unvec is linear: unvec(c vec(P)) = c P, which reads back (`unvec(` does not)
        scalars = [f for f in x.factors if s.is_scalar(f)]
        rest = [f for f in x.factors if not s.is_scalar(f)]
        if scalars and len(rest) == 1:
            return s.simp(N.Mul((*scalars, N.Unvec(rest[0], node.rows, node.cols))))
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
    if isinstance(b, N.Kron):  # A ⊗ (B ⊗ C) = (A ⊗ B) ⊗ C: one grouping, printed A ⊗ B ⊗ C
        return s.simp(N.Kron(N.Kron(a, b.left), b.right))
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
    if isinstance(node.arg, N.Ones) and s.env.is_vector(node.arg):
        return N.Identity(node.arg.rows)  # diag(𝟙) = I
    return _linear_pull(s, node) or node


NORMALISERS.update(
    {
        N.Add: _add,
        N.Mul: mul_with_symbolic_powers,
        N.ElementPowerOf: element_power_of,
        N.PowerOf: power_of,
        N.SumOver: sum_over,
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
)
