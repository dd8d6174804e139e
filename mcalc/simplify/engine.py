"""The simplifier's engine: bottom-up, memoised application of one normaliser per node type, and the
choice of the shortest equal form."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from fractions import Fraction
from operator import is_not

from mcalc import budget
from mcalc.errors import McalcError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node
from mcalc.syntax.sexpr import to_sexpr

ZERO = N.Number(Fraction(0))
ONE_FRACTION = Fraction(1)  # shared: a Fraction is immutable, and making one is slow (every factor of every product)
# one normaliser per node type; filled by mcalc.simplify.rules (which imports this module, not the reverse)
NORMALISERS: dict[type, Callable[[Simplifier, Node], Node]] = {}


_KEY_CHARS = 2000


def _bounded(text: str) -> str:
    """A key's text cut to its first _KEY_CHARS characters and a digest of the rest: the order is kept up
    to there, and a tree whose sub-trees are shared (nested softmax) no longer doubles its key at every
    level (100 levels took 4 GB before any clock read)."""
    if len(text) <= _KEY_CHARS:
        return text
    return text[:_KEY_CHARS] + "#" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Simplifier:
    def __init__(self, env: ShapeEnv) -> None:
        self.env = env
        self.memo: dict[Node, Node] = {}
        self._by_id: dict[int, tuple[Node, Node]] = {}  # holds each node, so its id is not reused
        self.keys: dict[Node, tuple[int, str]] = {}
        self.canon: dict[Node, Node] = {}
        self._interned: dict[int, tuple[Node, Node]] = {}  # by identity, holding each node (see _by_id)
        self.has_power_of: dict[int, tuple[Node, bool]] = {}  # for symbolic_powers, by identity likewise
        self._transposed: dict[int, tuple[Node, Node]] = {}  # node → its simplified transpose, by identity
        self._flips: dict[int, tuple[Node, int]] = {}  # node → key(node)[0], by identity
        self._powers: dict[tuple[int, int, int], tuple[Node, Node]] = {}  # (base, p) → simp(baseᵖ), see power
        self._scalars: dict[int, Node] = {}  # nodes known to be scalars, by identity (see note_scalar)
        # whether any result so far holds an Xᵉ with an expression exponent (every result is interned, node
        # by node): until one does, no product needs symbolic_powers' search for one
        self.saw_power_of = False

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
        current = node
        if kids:
            new_kids = tuple([self.simp(k) for k in kids])
            # a copy only when a child changed (a node's constructor is slow; most children of a tree built
            # from simplified parts come back as they are)
            if any(map(is_not, new_kids, kids)):
                current = N.rebuild(node, new_kids)
        rule = NORMALISERS.get(type(current))
        result = rule(self, current) if rule is not None else current
        if result is not current:
            result = self._keep_shape(current, result)
            budget.tick("simplifying", len(result.children()))  # a flattening rule's work is its output
        # one object per distinct result (hash-consing): trees built from shared children compare by
        # identity at once, where equal copies were compared node by node on every dictionary hit
        # (quadratic in an MLP's depth, whose back-propagated factors repeat the forward activations)
        # a node the rule kept has simplified, interned children: only the node itself is interned (a
        # 150-factor product looked each factor up again)
        result = self.intern(result) if result is not current or not kids else self._intern_node(current)
        if type(current) is N.Transpose:
            self._pair(current.arg, result)
        self.memo[node] = result
        self._by_id.setdefault(id(result), (result, result))  # a result simplifies to itself
        self._by_id[id(node)] = (node, result)
        return result

    def transpose(self, node: Node) -> Node:
        """simp(nodeᵀ), remembered by the identity of `node`: the least orientation of every scalar product
        asks for the transpose of each factor, in every pass over a long sum."""
        seen = self._transposed.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        if isinstance(node, N.Transpose) and self._is_result(node) and not self.env.is_scalar(node):
            out = node.arg  # (Yᵀ)ᵀ = Y, the interned child of a simplified result: what simp gives
        else:
            out = self.simp(N.Transpose(node))  # pairs node and out (see _pair)
        self._transposed[id(node)] = (node, out)
        return out

    def power(self, base: Node, p: Fraction) -> Node:
        """simp(baseᵖ) for a simplified `base`, remembered by the base's identity and the exponent's numerator
        and denominator: a product merging equal factors (c c² → c³) asked for the same power again and
        again, each time a new node hashed with its Fraction (slow in Python) and compared to the memo's
        (a 100-deep sin tower's third derivative: 490,000 merges, about a tenth of its run)."""
        key = (id(base), p.numerator, p.denominator)
        seen = self._powers.get(key)
        if seen is not None and seen[0] is base:
            return seen[1]
        out = self.simp(N.Power(base, p))
        self._powers[key] = (base, out)  # holds the base, so its id is not reused meanwhile
        return out

    def transposed(self, node: Node) -> Node | None:
        """simp(nodeᵀ) if it is known already, else None."""
        seen = self._transposed.get(id(node))
        return seen[1] if seen is not None and seen[0] is node else None

    def _pair(self, arg: Node, out: Node) -> None:
        """out = simp(argᵀ), arg a simplified result: each is the other's simplified transpose. The way back
        is remembered too: a least-squares term's (A x − b)ᵀ, pushed down to xᵀAᵀ − bᵀ, was transposed back
        to A x − b node by node to choose the product's orientation, and a gradient's (Sᵀ)ᵀ pushed a
        3,000-term sum S down and back up."""
        self._transposed.setdefault(id(arg), (arg, out))
        self._transposed.setdefault(id(out), (out, arg))

    def _is_result(self, node: Node) -> bool:
        """Is `node` a simplified result, interned (and so are its children)?"""
        seen = self._by_id.get(id(node))
        return seen is not None and seen[0] is node and seen[1] is node

    def flips(self, node: Node) -> int:
        """key(node)[0], the number of transposes and inverses in `node`, without printing its text."""
        seen = self._flips.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        count = sum(self.flips(c) for c in node.children()) + isinstance(node, (N.Transpose, N.Inverse))
        self._flips[id(node)] = (node, count)
        return count

    def intern(self, node: Node) -> Node:
        """The one object standing for `node`'s structure, its children interned first (so that equality
        of two interned trees is decided at the top, by the identity of their children)."""
        seen = self._interned.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        if isinstance(node, N.PowerOf):
            self.saw_power_of = True
        kids = node.children()
        if kids:
            shared = tuple([self.intern(k) for k in kids])
            if any(map(is_not, shared, kids)):
                node = N.rebuild(node, shared)
        out = self.canon.setdefault(node, node)
        self._interned[id(node)] = (node, out)
        return out

    def note_scalar(self, node: Node) -> None:
        """`node` is a scalar, as a normaliser knows (a product of scalars): the shape check after a rewrite
        looks it up, where it inferred a product factor by factor (a fifth of a 100-deep sin tower's third
        derivative, whose products have 150 factors)."""
        self._scalars[id(node)] = node  # holds the node, so its id is not reused meanwhile

    def _intern_node(self, node: Node) -> Node:
        """intern(node) for a node whose children are interned already."""
        seen = self._interned.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        if isinstance(node, N.PowerOf):
            self.saw_power_of = True
        out = self.canon.setdefault(node, node)
        self._interned[id(node)] = (node, out)
        return out

    def _keep_shape(self, before: Node, after: Node) -> Node:
        """A rewrite never changes a shape; a sum that lost its matrix terms (2 + (x − x)) still
        broadcasts its scalar over every entry."""
        if self._scalars.get(id(before)) is before and self._scalars.get(id(after)) is after:
            return after
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
            k = (flips, _bounded(text))
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
            return node.name in env.symmetric or node.name in env.diagonal
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
            flipped = [self.transpose(f) for f in reversed(chain)]
            return flipped == chain
        if isinstance(node, N.Kron):
            return self.is_symmetric(node.left) and self.is_symmetric(node.right)
        if isinstance(node, N.Frechet) and type(node) is N.Frechet or _matrix_map(node):
            return all(self.is_symmetric(a) for a in node.children())  # f(S), L_f(S, E) with E symmetric
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


def _matrix_map(node: Node) -> bool:
    """expm(X), logm(X), ...: a matrix function, symmetric at a symmetric argument."""
    if not isinstance(node, N.Columnwise):
        return False
    entry = functions.lookup(node.func)
    return entry is not None and entry.kind is functions.Kind.MATRIX_MAP


def split_coefficient(node: Node) -> tuple[Fraction, list[Node]]:
    """c·rest → (c, factors of rest)."""
    if isinstance(node, N.Number):
        return node.value, []
    if isinstance(node, N.Mul):
        if isinstance(node.factors[0], N.Number):
            return node.factors[0].value, list(node.factors[1:])
        return ONE_FRACTION, list(node.factors)
    return ONE_FRACTION, [node]


def _power_parts(node: Node) -> tuple[Node, Fraction]:
    if isinstance(node, N.Power):
        return node.base, node.exponent
    return node, ONE_FRACTION


# --- normalisers, one per node type ---


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
    finally:
        # closures that call themselves are reference cycles: freed now, not by the collector
        walk = None  # type: ignore[assignment]
        spread = None  # type: ignore[assignment]


def _size_up_to(node: Node, limit: int) -> int | None:
    """N.tree_size(node) when it is at most `limit`, else None: counted only until it passes the limit
    (a 3,000-term result was measured whole to learn that it is over 200 nodes)."""
    count = 0
    stack = [node]
    while stack:
        count += 1
        if count > limit:
            return None
        stack.extend(stack.pop().children())
    return count


def shortest(node: Node, simp: Simplifier) -> Node:
    """The simplified result, or its multiplied-out form when that is shorter: y ⊙ (1 − σ) −
    (1 − y) ⊙ σ becomes y − σ, while −2Φᵀ(y − Φθ) stays factored."""
    size = _size_up_to(node, EXPAND_LIMIT)
    if size is None:
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
