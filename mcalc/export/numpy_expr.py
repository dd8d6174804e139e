"""The spelling of one expression tree as array code: `NumpyWriter.w(node)` is a Python expression over
2-D arrays, in NumPy, JAX or PyTorch as its backend's tables say (mcalc.export.backends: one walk, three
spellings; the examples below are NumPy's).

Efficiency:
- products are `@`, evaluated in the cheap order: a product that ends in a vector from the right
  (matrix-vector products only), one that starts with a row from the left, and `… u vᵀ …` as the outer
  product of its two halves;
- an inverse inside a product is a solve: `X⁻¹ b` is `np.linalg.solve(X, b)`, `aᵀ X⁻¹` is
  `np.linalg.solve(X.T, a).T`; `np.linalg.inv` only where the inverse itself is the answer;
- a sub-expression used more than once, in any of the trees a function computes, is computed once into a
  local variable (`plan_temps`: common sub-expressions by structural equality of the trees).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from mcalc.errors import InputError
from mcalc.export.backends import NUMPY, Backend
from mcalc.export.python_names import spelled
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions, matrix_functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

_CHEAP = (N.Symbol, N.Number, N.Identity, N.Ones, N.Zero, N.Differential, N.FunctionOf, N.Commutation)


def derivative_param(name: str, param: str, order: int) -> str:
    """The preferred Python name of the order-th derivative of A(t): `A`, `dA_dt`, `d2A_dt2` (before
    python_names.identifiers makes it a free name)."""
    base, p = spelled(name), spelled(param)
    if order == 0:
        return base
    if order == 1:
        return f"d{base}_d{p}"
    return f"d{order}{base}_d{p}{order}"


def _reciprocal(n: Node) -> bool:
    return isinstance(n, N.ElementPower) and n.exponent < 0


def _flipped(n: Node) -> Node:
    """nᵀ, without a double transpose."""
    return n.arg if isinstance(n, N.Transpose) else N.Transpose(n)


def _stored(n: Node) -> bool:
    """A matrix the caller passed, or its transpose: multiplying it needs no computation first."""
    return isinstance(n.arg if isinstance(n, N.Transpose) else n, N.Symbol)


def _is_inverse(n: Node) -> bool:
    return isinstance(n, N.Inverse) or (isinstance(n, N.Transpose) and isinstance(n.arg, N.Inverse))


class NumpyWriter:
    def __init__(self, env: ShapeEnv, dims: dict[str, str], names: Mapping[str, str], backend: Backend = NUMPY) -> None:
        self.env = env
        self.backend = backend  # how each operation is spelled (mcalc.export.backends)
        self.dims = dims
        self.names = names  # mcalc name (`A′` for dA/dt) → its identifier (numpy_code.python_names)
        self.temps: dict[Node, str] = {}

    def name(self, name: str) -> str:
        return self.names[name]

    def op(self, name: str, *args: str) -> str:
        return self.backend.op(name, *args)

    # -- sizes --

    def dim(self, d: Dim | None) -> str:
        if d is None:
            return "1"
        d = self.env.resolve(d)
        if isinstance(d, int):
            return str(d)
        if isinstance(d, tuple):
            return " * ".join(self.dim(x) for x in d)
        if d not in self.dims:  # written as its name it would be an undefined name (np.eye(n)): refused
            raise InputError(
                f"no numpy code: the size {d} is fixed by no variable of the expression (as --at would say); "
                "give it as a number (such as I_3 for I_k)"
            )
        return self.dims[d]

    def rows(self, n: Node) -> Dim:
        return self.env.shape(n)[0]

    def cols(self, n: Node) -> Dim:
        return self.env.shape(n)[1]

    # -- common sub-expressions --

    def plan_temps(self, roots: Sequence[Node]) -> list[tuple[str, Node]]:
        """Sub-expressions used more than once across `roots` (the trees one function computes: the
        function and its derivative in `f_and_grad`), in an order where each comes after those it uses.
        An inverse inside a product is not one (there it becomes a solve), unless the inverse itself is
        computed elsewhere too (−½Σ⁻¹ + ½Σ⁻¹rrᵀΣ⁻¹): then it is one `inv` and the products multiply by it."""
        counts: Counter[Node] = Counter()
        solved: Counter[Node] = Counter()  # inverses met inside products
        seen: set[Node] = set()

        def walk(n: Node, in_product: bool) -> None:
            if isinstance(n, _CHEAP) or (isinstance(n, N.Transpose) and isinstance(n.arg, _CHEAP)):
                return
            if in_product and _is_inverse(n):  # a solve: only its matrix is computed
                inv = n.arg if isinstance(n, N.Transpose) else n
                assert isinstance(inv, N.Inverse)
                solved[inv] += 1
                walk(inv.arg, False)
                return
            counts[n] += 1
            if n in seen or isinstance(n, N.SumOver):
                return  # its insides are computed with it (a sum's body once per value of its index)
            seen.add(n)
            chain = isinstance(n, N.Mul) and sum(not self.env.is_scalar(f) for f in n.factors) > 1
            inside = chain or (in_product and isinstance(n, N.Add))  # (S⁻¹ + S⁻ᵀ) x: two solves
            for c in n.children():
                walk(c, inside)  # −½ S⁻¹ is no product: its inverse is computed

        for root in roots:
            walk(root, False)
        for inv, k in solved.items():
            if counts[inv]:  # computed by np.linalg.inv anyway
                counts[inv] += k
        repeated = {n for n, c in counts.items() if c >= 2}
        order: list[tuple[str, Node]] = []
        done: set[Node] = set()

        def emit(n: Node) -> None:
            if n in done:
                return
            done.add(n)
            for c in n.children():
                emit(c)
            if n in repeated:
                name = f"_t{len(order) + 1}"
                order.append((name, n))

        for root in roots:
            emit(root)
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        walk = None  # type: ignore[assignment]
        emit = None  # type: ignore[assignment]
        return order

    # -- expressions --

    def w(self, n: Node) -> str:
        """The NumPy expression of `n` (a temporary's name when `n` is one): `_WRITERS`, by node type."""
        hit = self.temps.get(n)
        if hit is not None:
            return hit
        for cls in type(n).__mro__:
            write = _WRITERS.get(cls)
            if write is not None:
                return write(self, n)
        raise NotImplementedError(type(n).__name__)

    def symbolic_power(self, n: Node) -> str:
        """x.^t, Xᵏ, and the sum ∑_{r=0}^{k−1} of d(Xᵏ), a generator over r."""
        if isinstance(n, N.Bound):
            return self.name(n.name)
        if isinstance(n, N.SumOver):
            count = self.op("count", self.w(n.count))
            zero = self.op("zeros", f"{self.dim(self.rows(n))}, {self.dim(self.cols(n))}")
            return f"sum(({self.w(n.body)} for {self.name(n.index)} in range({count})), {zero})"
        assert isinstance(n, (N.ElementPowerOf, N.PowerOf))
        if isinstance(n, N.PowerOf) and not self.env.is_scalar(n.base):
            return self.op("matrix_power", self.w(n.base), self.op("count", self.w(n.exponent)))
        return f"({self.atom(n.base)} ** {self.atom(n.exponent)})"

    def negated(self, n: Node) -> Node | None:
        """u when n is −u (and not already computed into a temporary)."""
        if n in self.temps or not isinstance(n, N.Mul) or len(n.factors) != 2:
            return None
        first, rest = n.factors
        return rest if isinstance(first, N.Number) and first.value == -1 else None

    def atom(self, n: Node) -> str:
        """`w(n)` safe before `.T`, `**`, `@` or `[...]`."""
        text = self.w(n)
        return text if _is_primary(text) else f"({text})"

    # -- products --

    def product(self, factors: list[Node]) -> str:
        env = self.env
        flat: list[Node] = []
        for f in factors:  # (−Aᵀ(W + Wᵀ))(x − As): one chain, so it can run right to left
            if isinstance(f, N.Mul) and f not in self.temps and not env.is_scalar(f):
                flat.extend(f.factors)
            else:
                flat.append(f)
        factors = flat
        scalars = [f for f in factors if env.is_scalar(f)]
        chain = [f for f in factors if not env.is_scalar(f)]
        coef = 1.0
        texts: list[str] = []
        for s in scalars:
            if isinstance(s, N.Number):
                coef *= float(s.value)
            else:
                texts.append(self.atom(s))
        if chain:  # a scalar multiplies the chain's result, never its first matrix: 2.0 * (X.T @ r)
            texts.append(_group(self.chain(chain)) if texts or coef != 1.0 else self.chain(chain))
        body = " * ".join(texts) if texts else "1.0"
        if coef == -1.0:
            return f"-{body}" if len(texts) == 1 and not texts[0].startswith("-") else f"(-{body})"
        if coef != 1.0:
            return f"({coef!r} * {body})"
        return body if len(texts) == 1 else f"({body})"

    def chain(self, fs: list[Node]) -> str:
        """A product of matrices and vectors, in the cheap order, inverses as solves."""
        if len(fs) == 1:
            return self.w(fs[0])
        structured = self._gram(fs) or self._distributed(fs) or self._outer(fs)
        if structured is not None:
            return structured
        if _is_inverse(fs[0]) or _is_inverse(fs[-1]):  # X⁻¹ M Y⁻¹: M, then a solve on each side
            lo, hi = 0, len(fs)
            while lo < hi - 1 and _is_inverse(fs[lo]):
                lo += 1
            while hi - 1 > lo and _is_inverse(fs[hi - 1]):
                hi -= 1
            acc = self.chain(fs[lo:hi])
            for f in reversed(fs[:lo]):
                acc = self.times_left(f, acc)
            for f in fs[hi:]:
                acc = self.times_right(acc, f)
            return acc
        if self.cols(fs[-1]) == 1 and self.rows(fs[0]) != 1:
            acc = self.w(fs[-1])  # ends in a vector: right to left, matrix-vector products only
            for f in reversed(fs[:-1]):
                acc = self.times_left(f, acc, column=True)
            return acc
        if self._scales(fs[0]):  # diag(v) M: the rows of M scaled, never an n×n diagonal matrix
            return self.times_left(fs[0], self.chain(fs[1:]))
        if self._scales(fs[-1]):  # M diag(v): its columns scaled
            return self.times_right(self.chain(fs[:-1]), fs[-1])
        acc = self.w(fs[0])  # left to right (Python's own order for @): vector-matrix from a row
        for f in fs[1:]:
            acc = self.times_right(acc, f)
        return acc

    def _gram(self, fs: list[Node]) -> str | None:
        """Mᵀ diag(v) M (GLM Hessians) as `_gram(M, v)`, a symmetric product."""
        if len(fs) == 3 and self._scales(fs[1]) and isinstance(fs[0], N.Transpose) and fs[0].arg == fs[2]:
            assert isinstance(fs[1], N.Diag)
            return self.op("gram", self.atom(fs[2]), strip(self.w(fs[1].arg)))
        return None

    def _outer(self, fs: list[Node]) -> str | None:
        """… u vᵀ …: the outer product of the two halves; (Aᵀs)(sᵀA) as u uᵀ with u = Aᵀs computed once,
        not a second product sᵀA (the logsumexp Hessian's rank-one term)."""
        for i in range(len(fs) - 1):
            if self.cols(fs[i]) == 1 and self.rows(fs[i + 1]) == 1 and self.rows(fs[0]) != 1:
                if i > 0 and fs[i + 1 :] == [_flipped(f) for f in reversed(fs[: i + 1])]:
                    return self.op("outer_self", strip(self.chain(fs[: i + 1])))
                return f"({_group(self.chain(fs[: i + 1]))} @ {_group(self.chain(fs[i + 1 :]))})"
        return None

    def _distributed(self, fs: list[Node]) -> str | None:
        """M (diag(s) − s sᵀ) N as M diag(s) N − (M s)(sᵀ N): a sum of structured terms inside a product is
        never formed densely (the logsumexp Hessian: O(md²) for A of m×d, not the m×m middle's O(m²d))."""
        for i in range(1, len(fs) - 1):
            f = fs[i]
            if isinstance(f, N.Add) and f not in self.temps and all(self._structured(t) for t in f.terms):
                return _add(self, N.Add(tuple(N.Mul((*fs[:i], t, *fs[i + 1 :])) for t in f.terms)))
        return None

    def _structured(self, term: Node) -> bool:
        """diag(v) or a (scaled) outer product u vᵀ: a term that costs a vector, not a matrix, in a product
        (the middle of a softmax or logsumexp Hessian, Aᵀ (diag(s) − s sᵀ) A)."""
        factors = [f for f in (term.factors if isinstance(term, N.Mul) else (term,)) if not self.env.is_scalar(f)]
        if len(factors) == 1:
            return self._scales(factors[0])
        return any(self.cols(a) == 1 and self.rows(b) == 1 for a, b in zip(factors, factors[1:], strict=False))

    def _scales(self, f: Node) -> bool:
        return isinstance(f, N.Diag) and self.env.is_vector(f.arg)

    def _computed_inverse(self, f: Node) -> bool:
        """An inverse (or its transpose) already computed into a temporary: a product, not a solve."""
        inv = f.arg if isinstance(f, N.Transpose) else f
        return isinstance(inv, N.Inverse) and inv in self.temps

    def times_left(self, f: Node, acc: str, column: bool = False) -> str:
        """f @ acc (`column`: acc is a column vector)."""
        if self._computed_inverse(f):
            return f"{self.atom(f)} @ {acc if _is_primary(acc) else f'({acc})'}"
        if isinstance(f, N.Add) and acc.isidentifier() and self._distributes(f, column):
            return "(" + " + ".join(self.times_left(t, acc) for t in f.terms) + ")"  # (S⁻¹ + S⁻ᵀ) x
        if isinstance(f, N.Diag) and self.env.is_vector(f.arg):  # diag(v) M scales the rows of M
            return f"{self.atom(f.arg)} * {_paren(acc)}"
        if isinstance(f, N.Inverse):
            return self.op("solve", strip(self.w(f.arg)), strip(acc))
        if isinstance(f, N.Transpose) and isinstance(f.arg, N.Inverse):
            return self.op("solve", f"{self.atom(f.arg.arg)}.T", acc)
        return f"{self.atom(f)} @ {acc if _is_primary(acc) else f'({acc})'}"

    def _distributes(self, f: N.Add, column: bool) -> bool:
        """Whether a sum times a named operand is written as the sum of the products: a sum with an inverse
        ((S⁻¹ + S⁻ᵀ) x: two solves), or a sum of stored matrices times a column ((A + Aᵀ) x as
        A @ x + A.T @ x: two matrix-vector products, streaming over A, never the n×n sum, whose transposed
        read costs more than both products: 41 ms against 2.3 ms at n = 2048)."""
        if any(_is_inverse(t) for t in f.terms):
            return True
        shape = self.env.shape(f)  # a scalar term broadcasts over the sum: (A + c) x is not A x + c x
        stored = [t for t in f.terms if self.env.shape(t) == shape]
        return column and len(stored) == len(f.terms) and all(_stored(t) for t in stored)

    def times_right(self, acc: str, f: Node) -> str:
        """acc @ f."""
        if self._computed_inverse(f):
            return f"{acc} @ {self.atom(f)}"
        if isinstance(f, N.Add) and any(_is_inverse(t) for t in f.terms) and acc.isidentifier():
            return "(" + " + ".join(self.times_right(acc, t) for t in f.terms) + ")"
        if isinstance(f, N.Diag) and self.env.is_vector(f.arg):  # M diag(v) scales the columns of M
            return f"{_paren(acc)} * {_t(self.atom(f.arg))}"
        if isinstance(f, N.Inverse):  # acc X⁻¹ = (X⁻ᵀ accᵀ)ᵀ
            return self.op("solve", f"{self.atom(f.arg)}.T", _t(acc)) + ".T"
        if isinstance(f, N.Transpose) and isinstance(f.arg, N.Inverse):  # acc X⁻ᵀ = (X⁻¹ accᵀ)ᵀ
            return self.op("solve", self.w(f.arg.arg), _t(acc)) + ".T"
        return f"{acc} @ {self.atom(f)}"


# --- one writer per node type ---


def _add(wr: NumpyWriter, n: N.Add) -> str:
    texts = _mirrored(wr, n.terms)
    if len(texts) == 1:  # X + Xᵀ: one call
        return texts[0]
    parts = [texts[0]]  # joined once: a long sum would be copied once per term
    for text in texts[1:]:
        neg = text.startswith("-") and _paren(text[1:]) == text[1:]  # -A @ s: minus the product
        inner = strip(text[1:]) if neg and _paren(strip(text[1:])) == strip(text[1:]) else text[1:]
        parts.append(f" - {inner}" if neg else f" + {text}")  # y - Phi @ theta: @ binds tighter than -
    return f"({''.join(parts)})"


def _mirrored(wr: NumpyWriter, terms: Sequence[Node]) -> list[str]:
    """The terms' code, a matrix term and its transpose (X + Xᵀ) as one `sym_sum` where the backend has
    that operation (JAX: `_sym_sum`, a blocked loop on the CPU; backends.SYM_SUM says what it buys)."""
    if "sym_sum" not in wr.backend.ops:
        return [wr.w(t) for t in terms]
    # the terms not yet written or paired, by value, in order: each term finds its first mirror after it at
    # once (a search of the later terms for each was quadratic: 5.7 s for a 2,000-term sum's gradient)
    waiting: dict[Node, deque[int]] = {}
    for i, t in enumerate(terms):
        waiting.setdefault(t, deque()).append(i)
    texts: list[str] = []
    paired: set[int] = set()
    for i, t in enumerate(terms):
        if i in paired:
            continue
        waiting[t].popleft()  # this one: the earlier ones of its value are written or paired
        mirrors = waiting.get(_flipped(t))
        if not mirrors or wr.env.is_scalar(t):
            texts.append(wr.w(t))
            continue
        paired.add(mirrors.popleft())
        texts.append(wr.op("sym_sum", strip(wr.w(t.arg if isinstance(t, N.Transpose) else t))))
    return texts


def _hadamard(wr: NumpyWriter, n: N.Hadamard) -> str:
    num = [f for f in n.factors if not _reciprocal(f)]
    den = [f.base if f.exponent == -1 else N.ElementPower(f.base, -f.exponent)
           for f in n.factors if isinstance(f, N.ElementPower) and _reciprocal(f)]  # fmt: skip
    out = " * ".join(wr.atom(f) for f in num) if num else "1.0"
    for f in den:
        out += f" / {wr.atom(f)}"
    return f"({out})"


def _inverse(wr: NumpyWriter, n: N.Inverse) -> str:
    if wr.env.is_scalar(n.arg):
        return f"(1.0 / {wr.atom(n.arg)})"
    return wr.op("inv", wr.w(n.arg))


def _power(wr: NumpyWriter, n: N.Power) -> str:
    if wr.env.is_scalar(n.base):
        p = n.exponent
        exp = str(int(p)) if p.denominator == 1 else repr(float(p))
        return f"({wr.atom(n.base)} ** {exp})"
    return wr.op("matrix_power", wr.w(n.base), str(int(n.exponent)))


def _element_power(wr: NumpyWriter, n: N.ElementPower) -> str:
    if n.exponent == -1:
        return f"(1.0 / {wr.atom(n.base)})"
    if n.exponent == Fraction(1, 2):
        return wr.op("sqrt", strip(wr.w(n.base)))
    if n.exponent.denominator == 1:
        return f"({wr.atom(n.base)} ** {int(n.exponent)})"
    return f"({wr.atom(n.base)} ** {float(n.exponent)!r})"


def _norm(wr: NumpyWriter, n: N.Norm) -> str:
    return wr.op("abs_sum" if n.p == 1 else "norm", wr.w(n.arg))


def _diag(wr: NumpyWriter, n: N.Diag) -> str:
    if wr.env.is_vector(n.arg):
        return wr.op("diag_matrix", wr.atom(n.arg))
    return wr.op("diag_vector", wr.w(n.arg))


def _function(wr: NumpyWriter, n: N.Apply | N.Columnwise) -> str:
    if isinstance(n, N.Apply) and n.func == "sigmoid" and (u := wr.negated(n.arg)) is not None:
        return wr.op("sigmoid_neg", strip(wr.w(u)))  # σ(−u) = 1/(1 + eᵘ): two negations saved
    spellings = wr.backend.functions
    if spellings is None:
        return functions.get(n.func).numpy_of(strip(wr.w(n.arg)))  # the catalogue's spelling
    if n.func not in spellings:
        raise InputError(f"no {wr.backend.name} code for {n.func}: it has no {wr.backend.name} spelling yet; "
                         "--format numpy writes it")  # fmt: skip
    return spellings[n.func].replace("{}", strip(wr.w(n.arg)), 1)


def _frechet(wr: NumpyWriter, n: N.Frechet) -> str:
    """L_f(A, E, …) as `_matfun(f, A, E, …)`, its matrix K as `_matfun_matrix(f, A, …)` (the catalogue's helper)."""
    if wr.backend.functions is not None:  # scipy's Fréchet derivatives have no JAX or PyTorch spelling here
        raise InputError(f"no {wr.backend.name} code for the derivative of {n.func}: --format numpy writes it")
    helper = "_matfun_matrix" if isinstance(n, N.FrechetMatrix) else "_matfun"
    args = ", ".join(strip(wr.w(a)) for a in n.args)
    return f"{helper}({matrix_functions.numpy_name(n.func)}, {args})"


_WRITERS: dict[type, Callable[[NumpyWriter, Any], str]] = {
    N.Symbol: lambda wr, n: wr.name(n.name),
    N.FunctionOf: lambda wr, n: wr.name(n.name + "′" * n.order),
    N.Number: lambda wr, n: repr(float(n.value)),
    N.Identity: lambda wr, n: wr.op("eye", wr.dim(n.dim)),
    N.Ones: lambda wr, n: wr.op("ones", wr.dim(n.rows), wr.dim(n.cols)),
    N.Zero: lambda wr, n: wr.op("zeros", f"{wr.dim(n.rows)}, {wr.dim(n.cols)}"),
    N.Commutation: lambda wr, n: wr.op("commutation", wr.dim(n.rows), wr.dim(n.cols)),
    N.Add: _add,
    N.Mul: lambda wr, n: wr.product(list(n.factors)),
    N.Hadamard: _hadamard,
    N.Kron: lambda wr, n: wr.op("kron", wr.w(n.left), wr.w(n.right)),
    N.Transpose: lambda wr, n: _t(wr.w(n.arg)),
    N.Inverse: _inverse,
    N.Power: _power,
    N.ElementPower: _element_power,
    N.Trace: lambda wr, n: wr.op("trace", wr.w(n.arg)),
    N.Det: lambda wr, n: wr.op("det", wr.w(n.arg)),
    N.LogDet: lambda wr, n: wr.op("logdet", wr.w(n.arg)),
    N.Apply: _function,
    N.Columnwise: _function,
    N.Frechet: _frechet,
    N.FrechetMatrix: _frechet,
    N.Norm: _norm,
    N.Sum: lambda wr, n: wr.op("sum", wr.w(n.arg)),
    N.Diag: _diag,
    N.Vec: lambda wr, n: wr.op("vec", wr.atom(n.arg)),
    N.Unvec: lambda wr, n: wr.op("reshape_f", wr.atom(n.arg), f"{wr.dim(n.rows)}, {wr.dim(n.cols)}"),
    N.ElementPowerOf: lambda wr, n: wr.symbolic_power(n),
    N.PowerOf: lambda wr, n: wr.symbolic_power(n),
    N.Bound: lambda wr, n: wr.symbolic_power(n),
    N.SumOver: lambda wr, n: wr.symbolic_power(n),
}


def _group(text: str) -> str:
    """A half of `u vᵀ` kept together: `(S @ u) @ (vᵀ @ S)`, never `S @ u @ vᵀ @ S` (which Python would
    evaluate left to right, an n×n product)."""
    return f"({text})" if len(_top_level_split(text, " @ ")) > 1 else text


def _paren(text: str) -> str:
    """`text` as the right operand of `@` or `*`: a chain of primaries joined by `@` needs no
    parentheses (@ is associative), anything else does."""
    return text if all(_is_primary(p) for p in _top_level_split(text, " @ ")) else f"({text})"


def _top_level_split(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _t(text: str) -> str:
    if text.endswith(".T") and _is_primary(text[:-2]):
        return text[:-2]
    return f"{text}.T" if _is_primary(text) else f"({text}).T"


def _is_primary(text: str) -> bool:
    """A name, call, attribute or parenthesised expression: `x`, `np.exp(x)`, `(a + b)`, `x.T`,
    `np.diag(x[:, 0])` — safe to follow with `.T` or to put next to an operator."""
    i = 0
    n = len(text)
    if i < n and text[i] == "(":
        pass
    elif i < n and (text[i].isalpha() or text[i] == "_"):
        while i < n and (text[i].isalnum() or text[i] in "_."):
            i += 1
    else:
        return False
    while i < n:
        if text[i] in "([":
            close = {"(": ")", "[": "]"}[text[i]]
            depth = 0
            j = i
            while j < n:
                depth += text[j] in "(["
                depth -= text[j] in ")]"
                if depth == 0:
                    break
                j += 1
            if j >= n or text[j] != close:
                return False
            i = j + 1
        elif text[i] == "." and i + 1 < n and (text[i + 1].isalpha() or text[i + 1] == "_"):
            i += 1
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
        else:
            return False
    return True


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def strip(text: str) -> str:
    """`(a + b)` → `a + b`: the outer parentheses of a whole expression."""
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        return text[1:-1]
    return text
