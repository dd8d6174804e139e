"""A derivative as a SymPy matrix expression, for those who continue in SymPy (`Derivative.to_sympy()`,
`mcalc diff --format sympy`).

Built from mcalc's own result tree, node by node (SymPy never differentiates or parses anything here):
a matrix is a `MatrixSymbol` with its dimensions as positive integer symbols, a vector an m×1
`MatrixSymbol`, a scalar a `Symbol`; `Trace`, `Determinant`, `Inverse`, `HadamardProduct`,
`KroneckerProduct`, `ElementwiseApplyFunction` (exp, tanh, ... entry by entry), `DiagMatrix`/`DiagonalOf`.
What SymPy has no class for is a `FunctionMatrix` with the entries spelled out: vec (columns stacked),
unvec and the commutation matrix Kₘₙ. A scalar-valued product (xᵀAx, a 1×1 matrix in SymPy) becomes the
scalar `Trace(xᵀAx)`, and a scalar meeting a matrix in a sum or an elementwise operation applies to every
entry (a `OneMatrix` times the scalar), as in mcalc.

The expression is the derivative in the layout asked for; in the default (mixed) layout its entries,
unfolded column-major into shape(EXPR) + shape(VAR), are the contract's `value`. sympy is imported lazily.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from mcalc import budget
from mcalc.errors import InputError, NoRuleError
from mcalc.export.python_names import identifiers
from mcalc.export.sympy_structured import SYMPY_FORMS
from mcalc.pipeline import Result, displayed
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node
from mcalc.view import Layout

Expr = Any  # a sympy expression; loose so that this module imports without sympy


def to_sympy(result: Result, layout: Layout) -> Expr:
    """The derivative of `result` in `layout` as a SymPy expression (`--let` names written out: SymPy has
    no names for them)."""
    from mcalc.lets import expand
    from mcalc.syntax.declared import refuse_code

    refuse_code([result.final.result], "SymPy form")
    return SympyBuilder(result.env)(expand(result.env.lets, displayed(result.final, layout, result.env)))


def sympy_source(result: Result, layout: Layout, name: str = "derivative") -> str:
    """Python that rebuilds the expression in SymPy: the symbols it uses, then `derivative = …` (`name`:
    `derivative_3` for line 3 of a batch). Each symbol is bound to an identifier of its own
    (python_names.identifiers): `if_ = Symbol('if', …)` for a dimension named `if`, `S_` for a matrix S
    (SymPy's `S` stays SymPy's)."""
    # imported before the timer is set: an import stopped halfway would leave SymPy broken for the next line
    import sympy  # noqa: F401
    import sympy.matrices.expressions.applyfunc
    import sympy.printing.str  # noqa: F401

    with budget.interruptible(DOING):  # SymPy's own steps run seconds without a tick
        return _sympy_source(result, layout, name)


def _sympy_source(result: Result, layout: Layout, name: str) -> str:
    import sympy
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    expr = to_sympy(result, layout)
    symbols = expr.atoms(sympy.Symbol)
    dims = sorted((s for s in symbols if s.is_integer and s.is_positive), key=str)
    indices = sorted((s for s in symbols if s.is_integer and not s.is_positive), key=str)
    matrices = sorted(expr.atoms(sympy.MatrixSymbol), key=str)
    scalars = sorted((s for s in expr.free_symbols if isinstance(s, sympy.Symbol) and not s.is_integer), key=str)
    functions = sorted({a.func for a in expr.atoms(sympy.core.function.AppliedUndef)}, key=str)  # f(t)
    # the variables first: they keep their names when an index would want the same one
    keys = [*matrices, *scalars, *functions, *dims, *indices]
    names: dict[Any, str] = identifiers({k: str(k) for k in keys}, _sympy_reserved())
    entry = sympy.Symbol(ENTRY, real=True)
    names[entry] = ENTRY  # identifiers never begin with `_`: no symbol of the expression takes it
    printer = _SourcePrinter(names)
    lines = ["from sympy import *", "from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction"]
    lines.append("from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf")
    for d in dims:  # one per line: symbols('m') is a Symbol, not a tuple to unpack
        lines.append(f"{names[d]} = Symbol({d.name!r}, integer=True, positive=True)")
    for index in indices:
        lines.append(f"{names[index]} = Symbol({index.name!r}, integer=True, nonnegative=True)  # an index")
    for sym in matrices:
        shape = ", ".join(printer.doprint(x) for x in sym.shape)
        lines.append(f"{names[sym]} = MatrixSymbol({sym.name!r}, {shape})")
    for sym in scalars:
        lines.append(f"{names[sym]} = Symbol({sym.name!r}, real=True)")
    for f in functions:
        lines.append(f"{names[f]} = Function({str(f)!r})")
    if expr.atoms(ElementwiseApplyFunction):
        lines.append(
            f"{names[entry]} = Symbol({ENTRY!r}, real=True)  # the entry an elementwise function is applied to"
        )
    lines.append(f"{name} = {printer.doprint(expr)}")
    return "\n".join(lines)


ENTRY = "_d"
DOING = "writing the SymPy form"


def _sympy_reserved() -> Callable[[str], bool]:
    """The names the printed program uses besides its symbols: all that `from sympy import *` binds (S, I,
    E, N, O, Q, pi, Symbol, …), the two imports after it and `derivative` (`derivative_3` in a batch)."""
    import sympy

    taken = frozenset(sympy.__all__) | {"ElementwiseApplyFunction", "DiagMatrix", "DiagonalOf", "derivative"}
    return lambda name: name in taken or re.fullmatch(r"derivative_\d+", name) is not None


class _Ticking:
    """A printer that reads the clock at each sub-expression it prints (printing a 6,000-term sum: 7 s)."""

    def _print(self, expr: Any, **kwargs: Any) -> str:
        budget.tick(DOING)
        return str(super()._print(expr, **kwargs))  # type: ignore[misc]


def _SourcePrinter(names: Mapping[Any, str]) -> Any:  # noqa: N802 - a class made on first use: sympy is imported lazily
    """SymPy's str printer, but printing what runs: `ElementwiseApplyFunction(Lambda(_d, tanh(_d)), A*x)`
    where sstr gives `Lambda(_d, tanh(_d)).(A*x)`, `Rational(1, 3)` where it gives 1/3 (a float in Python),
    and each symbol as the identifier the header binds it to (`names`)."""
    import sympy
    from sympy.printing.str import StrPrinter

    class SourcePrinter(_Ticking, StrPrinter):  # type: ignore[misc]
        def _print_ElementwiseApplyFunction(self, expr: Any) -> str:
            (var,), body = expr.function.variables, expr.function.expr
            entry = body.xreplace({var: sympy.Symbol(ENTRY, real=True)})
            lam = self._print(sympy.Symbol(ENTRY, real=True))
            return f"ElementwiseApplyFunction(Lambda({lam}, {self._print(entry)}), {self._print(expr.expr)})"

        # sstr writes these as 1, 0 and I (the imaginary unit after `from sympy import *`)
        def _print_OneMatrix(self, expr: Any) -> str:
            return f"OneMatrix({self._print(expr.shape[0])}, {self._print(expr.shape[1])})"

        def _print_ZeroMatrix(self, expr: Any) -> str:
            return f"ZeroMatrix({self._print(expr.shape[0])}, {self._print(expr.shape[1])})"

        def _print_Identity(self, expr: Any) -> str:
            return f"Identity({self._print(expr.shape[0])})"

        def _print_Rational(self, expr: Any) -> str:
            return str(expr.p) if expr.q == 1 else f"Rational({expr.p}, {expr.q})"

        def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
            if isinstance(item, sympy.Rational) and item.q != 1:
                return self._print_Rational(item)  # a call, Rational(1, 3)*A: never (Rational(1, 3))*A
            return str(super().parenthesize(item, level, strict))

        def _print_MatrixSymbol(self, expr: Any) -> str:
            return names.get(expr) or _identifier(expr.name)

        def _print_MatMul(self, expr: Any) -> str:
            """StrPrinter's, with the product's precedence found once: it asked for it per factor, each
            time negating the whole product (a 600-factor product printed in 55 s)."""
            from sympy.core.mul import _keep_coeff
            from sympy.printing.precedence import precedence

            c, m = expr.as_coeff_mmul()
            sign = ""
            if c.is_number:
                re, im = c.as_real_imag()
                if (im.is_zero and re.is_negative) or (re.is_zero and im.is_negative):
                    expr, sign = _keep_coeff(-c, m), "-"
            prec = precedence(expr)
            return sign + "*".join(self.parenthesize(arg, prec) for arg in expr.args)

        def _print_Symbol(self, expr: Any) -> str:
            return names.get(expr) or _identifier(expr.name)

        def _print_AppliedUndef(self, expr: Any) -> str:  # f(t)
            args = ", ".join(self._print(a) for a in expr.args)
            return f"{names.get(expr.func) or _identifier(str(expr.func))}({args})"

    return SourcePrinter()


def _identifier(name: str) -> str:
    """A symbol the header did not bind (none should reach here): as identifiers spells it alone."""
    return identifiers({name: name}, _sympy_reserved())[name]


def _elementwise(f: Callable[[Expr], Expr], arg: Expr) -> Expr:
    """f applied to every entry of the matrix expression `arg`."""
    import sympy
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    d = sympy.Dummy("d", real=True)
    return ElementwiseApplyFunction(sympy.Lambda(d, f(d)), arg)


def _relu(x: Expr) -> Expr:
    import sympy

    return sympy.Max(x, 0)


def _sigmoid(x: Expr) -> Expr:
    import sympy

    return 1 / (1 + sympy.exp(-x))


def _functions() -> dict[str, Callable[[Expr], Expr]]:
    import sympy

    return {
        "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
        "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh, "sqrt": sympy.sqrt, "abs": sympy.Abs,
        "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "sign": sympy.sign,
        "step": lambda x: sympy.Heaviside(x, 0), "relu": _relu, "sigmoid": _sigmoid,
    }  # fmt: skip


class SympyBuilder:
    """Node → SymPy, with the shapes of `env` (a vector is m×1, a scalar 1×1)."""

    def __init__(self, env: ShapeEnv) -> None:
        self.env = env

    def dim(self, d: Dim | None) -> Expr:
        import sympy

        d = self.env.resolve(d) if d is not None else d
        if isinstance(d, int):
            return sympy.Integer(d)
        if isinstance(d, tuple):
            return functools.reduce(operator.mul, (self.dim(x) for x in d), sympy.Integer(1))
        return sympy.Symbol(str(d), integer=True, positive=True)

    def shape(self, node: Node) -> tuple[Expr, Expr]:
        r, c = self.env.shape(node)
        return self.dim(r), self.dim(c)

    def scalar(self, node: Node) -> bool:
        return bool(self.env.shape(node) == (1, 1))

    def __call__(self, node: Node) -> Expr:
        import sympy

        out = self.build(node)
        if self.scalar(node) and isinstance(out, sympy.MatrixExpr):
            return sympy.Trace(out)  # xᵀAx is 1×1 in SymPy; its trace is the scalar mcalc means
        return out

    def broadcast(self, node: Node, value: Expr, like: Node) -> Expr:
        """A scalar in a sum or elementwise operation with a matrix: the scalar in every entry."""
        import sympy

        if self.scalar(node) and not self.scalar(like):
            return value * sympy.OneMatrix(*self.shape(like))
        return value

    def build(self, node: Node) -> Expr:
        budget.tick(DOING, len(node.children()) + 1)
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise NoRuleError(f"{type(node).__name__} has no SymPy form in mcalc's export")
        result: Expr = method(node)
        return result

    # --- leaves

    def _Symbol(self, node: N.Symbol) -> Expr:
        import sympy

        if self.scalar(node):
            return sympy.Symbol(node.name, real=True)
        return sympy.MatrixSymbol(node.name, *self.shape(node))

    def _Number(self, node: N.Number) -> Expr:
        import sympy

        return sympy.Rational(node.value.numerator, node.value.denominator)

    def _Identity(self, node: N.Identity) -> Expr:
        import sympy

        return sympy.Identity(self.shape(node)[0])

    def _Ones(self, node: N.Ones) -> Expr:
        import sympy

        return sympy.OneMatrix(*self.shape(node))

    def _Zero(self, node: N.Zero) -> Expr:
        import sympy

        return sympy.ZeroMatrix(*self.shape(node))

    def _Commutation(self, node: N.Commutation) -> Expr:
        """Kₘₙ vec(M) = vec(Mᵀ) for an m×n M: row i = r·n + c takes vec(M)'s entry j = c·m + r."""
        import sympy

        m, n = self.dim(node.rows), self.dim(node.cols)
        i, j = sympy.symbols("i j", integer=True, nonnegative=True)
        source = sympy.Mod(i, n) * m + sympy.floor(i / n)
        return sympy.FunctionMatrix(m * n, m * n, sympy.Lambda((i, j), sympy.KroneckerDelta(j, source)))

    def _FunctionOf(self, node: N.FunctionOf) -> Expr:
        """A(t) and its derivatives: a matrix symbol per derivative (`A′(t)`); f(t) a SymPy function of t."""
        import sympy

        t = sympy.Symbol(node.param, real=True)
        if self.scalar(node):
            f = sympy.Function(node.name)(t)
            return f.diff(t, node.order) if node.order else f
        return sympy.MatrixSymbol(f"{node.name}{'′' * node.order}({node.param})", *self.shape(node))

    # --- operators

    def _Add(self, node: N.Add) -> Expr:
        import sympy

        terms = [self.broadcast(t, self(t), node) for t in node.terms]
        # one n-ary sum: adding pairwise re-sorted the growing sum at every term (a 1,000-term sum's
        # export ran past 100 s; 200 terms took 5 s)
        if any(isinstance(t, sympy.MatrixExpr) for t in terms):
            return sympy.MatAdd(*terms).doit()
        return sympy.Add(*terms)

    def _Mul(self, node: N.Mul) -> Expr:
        import sympy

        factors = [self(f) for f in node.factors]
        # one n-ary product: multiplying pairwise normalised the growing product at every factor (the
        # export of a 600-factor product ran 30 s, 3,000 factors past any budget)
        if sum(isinstance(f, sympy.MatrixExpr) for f in factors) > 2:
            return sympy.MatMul(*factors).doit()
        return functools.reduce(operator.mul, factors)

    def _Hadamard(self, node: N.Hadamard) -> Expr:
        import sympy

        scalars = [self(f) for f in node.factors if self.scalar(f)]
        arrays = [self(f) for f in node.factors if not self.scalar(f)]
        coefficient = functools.reduce(operator.mul, scalars, sympy.Integer(1))
        if not arrays:
            return coefficient
        product = arrays[0] if len(arrays) == 1 else sympy.HadamardProduct(*arrays)
        return coefficient * product

    def _Kron(self, node: N.Kron) -> Expr:
        import sympy

        left, right = self(node.left), self(node.right)
        if self.scalar(node.left) or self.scalar(node.right):
            return left * right
        return sympy.KroneckerProduct(left, right)

    def _Transpose(self, node: N.Transpose) -> Expr:
        import sympy

        arg = self(node.arg)
        return arg if self.scalar(node.arg) else sympy.Transpose(arg)

    def _Inverse(self, node: N.Inverse) -> Expr:
        import sympy

        arg = self(node.arg)
        return 1 / arg if self.scalar(node.arg) else sympy.Inverse(arg)

    def _Power(self, node: N.Power) -> Expr:
        import sympy

        return self._number_power(node, sympy.MatPow)

    def _ElementPower(self, node: N.ElementPower) -> Expr:
        import sympy

        return self._number_power(node, sympy.HadamardPower)

    def _number_power(self, node: N.Power | N.ElementPower, of_matrix: Callable[[Expr, Expr], Expr]) -> Expr:
        """B^p and B.^p for a number p: the ordinary power of a scalar, else `of_matrix` (MatPow or
        HadamardPower); a power of numbers SymPy would compute exactly is sized first."""
        import sympy

        e = sympy.Rational(node.exponent.numerator, node.exponent.denominator)
        base = self(node.base)
        if isinstance(node.base, N.Number):
            _exact_power_fits(node.base.value, node.exponent)
        return base**e if self.scalar(node.base) else of_matrix(base, e)

    def _ElementPowerOf(self, node: N.ElementPowerOf) -> Expr:
        """B.^E: a HadamardPower for a scalar E, b**E entry by entry for a scalar b, else exp.(E ⊙ log.(B))."""
        import sympy

        base, exp = self(node.base), self(node.exponent)
        if self.scalar(node.base):
            return base**exp if self.scalar(node.exponent) else _elementwise(lambda d: base**d, exp)
        if self.scalar(node.exponent):
            return sympy.HadamardPower(base, exp)
        return _elementwise(sympy.exp, sympy.HadamardProduct(exp, _elementwise(sympy.log, base)))

    def _PowerOf(self, node: N.PowerOf) -> Expr:
        import sympy

        base, exp = self(node.base), self(node.exponent)
        return base**exp if self.scalar(node.base) else sympy.MatPow(base, exp)

    def _Bound(self, node: N.Bound) -> Expr:
        import sympy

        return sympy.Symbol(node.name, integer=True, nonnegative=True)

    def _SumOver(self, node: N.SumOver) -> Expr:
        """∑_{r=0}^{k−1} B(r): SymPy has no sum of matrices, so a scalar `Sum`, or a `FunctionMatrix` whose
        entry (i, j) is ∑_r B(r)[i, j]."""
        import sympy

        index = sympy.Symbol(node.index, integer=True, nonnegative=True)
        body, last = self(node.body), self(node.count) - 1
        if self.scalar(node):
            return sympy.Sum(body, (index, 0, last))
        i, j = sympy.symbols("i j", integer=True, nonnegative=True)
        entry = sympy.Lambda((i, j), sympy.Sum(body[i, j], (index, 0, last)))
        return sympy.FunctionMatrix(*self.shape(node), entry)

    def _Trace(self, node: N.Trace) -> Expr:
        import sympy

        return self(node.arg) if self.scalar(node.arg) else sympy.Trace(self(node.arg))

    def _Det(self, node: N.Det) -> Expr:
        import sympy

        return self(node.arg) if self.scalar(node.arg) else sympy.Determinant(self(node.arg))

    def _LogDet(self, node: N.LogDet) -> Expr:
        import sympy

        return sympy.log(self._Det(N.Det(node.arg)))

    def _Apply(self, node: N.Apply) -> Expr:
        f = _functions().get(node.func)
        if f is None:
            raise NoRuleError(f"{node.func} has no SymPy form in mcalc's export")
        arg = self(node.arg)
        return f(arg) if self.scalar(node.arg) else _elementwise(f, arg)

    def _Columnwise(self, node: N.Columnwise) -> Expr:
        """softmax(X) = exp(X) ⊙ (𝟙 (1 ./ 𝟙ᵀexp(X))), logsumexp(X) = log(𝟙ᵀexp(X)): column by column."""
        import sympy

        structured = SYMPY_FORMS.get(node.func)  # adj, chol, toeplitz, ... (mcalc.export.sympy_structured)
        if structured is not None:
            return structured(self, node)
        if node.func not in ("softmax", "logsumexp"):  # expm, logm, ...: SymPy's exp(X) is not a matrix
            raise NoRuleError(f"{node.func} has no SymPy form: SymPy 1.14 has no matrix function of a MatrixSymbol")
        m, n = self.shape(node.arg)
        e = _elementwise(sympy.exp, self(node.arg))
        sums = sympy.OneMatrix(1, m) * e
        if node.func == "logsumexp":
            return _elementwise(sympy.log, sums)
        return sympy.HadamardProduct(e, sympy.OneMatrix(m, 1) * _elementwise(lambda t: 1 / t, sums))

    def _Norm(self, node: N.Norm) -> Expr:
        import sympy

        if self.scalar(node.arg):
            return sympy.Abs(self(node.arg))
        if node.p == 1:
            return self._entry_sum(node.arg, lambda a: _elementwise(sympy.Abs, a))
        arg = self(node.arg)
        return sympy.sqrt(sympy.Trace(arg.T * arg))  # ‖M‖_F² = tr(MᵀM)

    def _Sum(self, node: N.Sum) -> Expr:
        if self.scalar(node.arg):
            return self(node.arg)
        return self._entry_sum(node.arg, lambda a: a)

    def _entry_sum(self, arg: Node, entries: Callable[[Expr], Expr]) -> Expr:
        """Σᵢⱼ of an elementwise image M of the r×c array `arg`: tr(𝟙ᵀM), 𝟙 the r×c matrix of ones."""
        import sympy

        r, c = self.shape(arg)
        return sympy.Trace(sympy.OneMatrix(c, r) * entries(self(arg)))

    def _Diag(self, node: N.Diag) -> Expr:
        from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf

        arg = self(node.arg)
        if self.env.shape(node.arg)[1] == 1:
            return DiagMatrix(arg)  # a vector to a diagonal matrix
        return DiagonalOf(arg)

    def _Vec(self, node: N.Vec) -> Expr:
        """vec(M)ᵢ = M[i mod m, ⌊i/m⌋]: the columns stacked."""
        import sympy

        arg = self(node.arg)
        m, n = self.shape(node.arg)
        i, j = sympy.symbols("i j", integer=True, nonnegative=True)
        return sympy.FunctionMatrix(m * n, 1, sympy.Lambda((i, j), arg[sympy.Mod(i, m), sympy.floor(i / m)]))

    def _Unvec(self, node: N.Unvec) -> Expr:
        """unvec(v)ᵢⱼ = v[j·m + i]: the inverse of vec, an m×n matrix."""
        import sympy

        arg = self(node.arg)
        m, n = self.dim(node.rows), self.dim(node.cols)
        i, j = sympy.symbols("i j", integer=True, nonnegative=True)
        return sympy.FunctionMatrix(m, n, sympy.Lambda((i, j), arg[j * m + i, 0]))


MAX_EXACT_DIGITS = 4000  # as the printer's limit on an exact number (render.printer.MAX_PRINT_DIGITS)


def _exact_power_fits(base: Fraction, p: Fraction) -> None:
    """SymPy computes a power of a number exactly, even when mcalc keeps it a power: (10³⁰⁰)^(10³⁰⁰) ran
    past every budget. Its digit count is estimated from the bit lengths first, and a long one refused."""
    bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    digits = float(abs(p)) * bits * 0.30103
    if digits > MAX_EXACT_DIGITS:
        raise InputError(
            f"number too large for the SymPy export: it would compute a power of about {digits:.3g} digits "
            f"exactly (at most {MAX_EXACT_DIGITS:,}); use --format text or numpy"
        )
