"""The benchmark corpus: the golden-table expressions, each with its variable(s), its declarations and,
where SymPy's matrix expressions can say the same thing, an equivalent `MatrixSymbol` construction.

Also the helpers every benchmark shares: node counting for both engines, a time limit that works
inside SymPy, a runner for SymPy work in a separate process (so that a hang or a blow-up is a
timeout, not a stuck suite), log-log exponent fitting and markdown tables.

Nothing heavy is imported at module level: the mcalc side of a benchmark never pays for SymPy.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SympyBuilder = Callable[["SympyNS"], tuple[Any, Any]]


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    src: str  # mcalc input
    wrt: tuple[str, ...]
    sympy: SympyBuilder | None = None  # S -> (expr, var) or (expr, (var, var)) for a second derivative
    scalars: tuple[str, ...] = ()
    symmetric: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()  # --shape specs, e.g. "A=n×n"
    note: str = ""  # why SymPy has no construction, or a caveat about the one given

    def decl(self) -> Any:
        from mcalc.shapes import Declarations, parse_shape_spec

        return Declarations(
            scalars=frozenset(self.scalars),
            symmetric=frozenset(self.symmetric),
            shapes=dict(parse_shape_spec(s) for s in self.shapes),
        )


class SympyNS:
    """Constructors for the SymPy side, with the dimension symbols m, n, p, q a user would write."""

    def __init__(self) -> None:
        import sympy as sp

        self.sp = sp
        self.m, self.n, self.p, self.q = sp.symbols("m n p q", integer=True, positive=True)
        k = sp.Dummy("k")
        self.sigmoid = sp.Lambda(k, 1 / (1 + sp.exp(-k)))
        self.softplus = sp.Lambda(k, sp.log(1 + sp.exp(k)))
        self.log_sigmoid = sp.Lambda(k, sp.log(1 / (1 + sp.exp(-k))))
        self.log_one_minus_sigmoid = sp.Lambda(k, sp.log(1 - 1 / (1 + sp.exp(-k))))
        self.tanh = sp.Lambda(k, sp.tanh(k))
        self.exp = sp.Lambda(k, sp.exp(k))
        self.abs = sp.Lambda(k, sp.Abs(k))

    def M(self, name: str, r: Any, c: Any = None) -> Any:  # noqa: N802 - a matrix
        return self.sp.MatrixSymbol(name, r, r if c is None else c)

    def v(self, name: str, r: Any) -> Any:
        return self.sp.MatrixSymbol(name, r, 1)

    def s(self, name: str) -> Any:
        return self.sp.Symbol(name)

    def tr(self, x: Any) -> Any:
        return self.sp.Trace(x)

    def det(self, x: Any) -> Any:
        return self.sp.Determinant(x)

    def logdet(self, x: Any) -> Any:
        return self.sp.log(self.sp.Determinant(x))

    def sum(self, v: Any) -> Any:
        """1ᵀv for a vector v (a 1×1 matrix expression)."""
        return self.sp.OneMatrix(1, v.shape[0]) * v

    def sq(self, v: Any) -> Any:
        """‖v‖² of a vector as vᵀv."""
        return v.T * v

    def fro2(self, x: Any) -> Any:
        """‖X‖²_F as tr(XᵀX)."""
        return self.sp.Trace(x.T * x)

    def ew(self, f: Any, x: Any) -> Any:
        """f applied entrywise (ElementwiseApplyFunction)."""
        return x.applyfunc(f)

    def ones(self, r: Any) -> Any:
        return self.sp.OneMatrix(r, 1)


def _c(
    id: str,
    group: str,
    src: str,
    wrt: str | tuple[str, ...],
    sympy: SympyBuilder | None = None,
    **kw: Any,
) -> Case:
    return Case(id, group, src, (wrt,) if isinstance(wrt, str) else wrt, sympy, **kw)


SQUARE_AXB = ("A=n×n", "X=n×n", "B=n×n")

# fmt: off
CASES: list[Case] = [
    # --- traces ---
    _c("tr_AB", "trace", "tr(A B)", "A",
       lambda S: (S.tr(S.M("A", S.m, S.n) * S.M("B", S.n, S.m)), S.M("A", S.m, S.n))),
    _c("tr_AtB", "trace", "tr(A^T B)", "A",
       lambda S: (S.tr(S.M("A", S.m, S.n).T * S.M("B", S.m, S.n)), S.M("A", S.m, S.n))),
    _c("tr_ABAtC", "trace", "tr(A B A^T C)", "A",
       lambda S: (S.tr(S.M("A", S.m, S.n) * S.M("B", S.n) * S.M("A", S.m, S.n).T * S.M("C", S.m)),
                  S.M("A", S.m, S.n))),
    _c("tr_XtX", "trace", "tr(X^T X)", "X",
       lambda S: (S.tr(S.M("X", S.m, S.n).T * S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("tr_X2", "trace", "tr(X^2)", "X", lambda S: (S.tr(S.M("X", S.n) ** 2), S.M("X", S.n))),
    _c("tr_X3", "trace", "tr(X^3)", "X", lambda S: (S.tr(S.M("X", S.n) ** 3), S.M("X", S.n))),
    _c("tr_X", "trace", "tr(X)", "X", lambda S: (S.tr(S.M("X", S.n)), S.M("X", S.n))),
    _c("tr_AXB", "trace", "tr(A X B)", "X",
       lambda S: (S.tr(S.M("A", S.p, S.m) * S.M("X", S.m, S.n) * S.M("B", S.n, S.p)), S.M("X", S.m, S.n))),
    _c("tr_AXtB", "trace", "tr(A X^T B)", "X",
       lambda S: (S.tr(S.M("A", S.p, S.n) * S.M("X", S.m, S.n).T * S.M("B", S.m, S.p)), S.M("X", S.m, S.n))),
    _c("tr_XAXt", "trace", "tr(X A X^T)", "X",
       lambda S: (S.tr(S.M("X", S.m, S.n) * S.M("A", S.n) * S.M("X", S.m, S.n).T), S.M("X", S.m, S.n))),
    _c("tr_XtAX", "trace", "tr(X^T A X)", "X",
       lambda S: (S.tr(S.M("X", S.m, S.n).T * S.M("A", S.m) * S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("tr_XAXtB", "trace", "tr(X A X^T B)", "X",
       lambda S: (S.tr(S.M("X", S.m, S.n) * S.M("A", S.n) * S.M("X", S.m, S.n).T * S.M("B", S.m)),
                  S.M("X", S.m, S.n))),
    _c("tr_XinvB", "trace", "tr(X^-1 B)", "X",
       lambda S: (S.tr(S.M("X", S.n).I * S.M("B", S.n)), S.M("X", S.n))),
    _c("tr_AXinvB", "trace", "tr(A X^-1 B)", "X",
       lambda S: (S.tr(S.M("A", S.p, S.n) * S.M("X", S.n).I * S.M("B", S.n, S.p)), S.M("X", S.n))),
    _c("tr_XhadX", "trace", "tr(X .* X)", "X",
       lambda S: (S.tr(S.sp.HadamardProduct(S.M("X", S.n), S.M("X", S.n))), S.M("X", S.n))),
    _c("tr_expX", "trace", "tr(exp(X))", "X",
       lambda S: (S.tr(S.ew(S.exp, S.M("X", S.n))), S.M("X", S.n))),
    # --- determinants ---
    _c("det_X", "det", "det(X)", "X", lambda S: (S.det(S.M("X", S.n)), S.M("X", S.n))),
    _c("logdet_X", "det", "logdet(X)", "X", lambda S: (S.logdet(S.M("X", S.n)), S.M("X", S.n))),
    _c("log_det_X", "det", "log det(X)", "X", lambda S: (S.logdet(S.M("X", S.n)), S.M("X", S.n))),
    _c("det_AXB", "det", "det(A X B)", "X",
       lambda S: (S.det(S.M("A", S.n) * S.M("X", S.n) * S.M("B", S.n)), S.M("X", S.n)), shapes=SQUARE_AXB),
    _c("logdet_AXB", "det", "logdet(A X B)", "X",
       lambda S: (S.logdet(S.M("A", S.n) * S.M("X", S.n) * S.M("B", S.n)), S.M("X", S.n)), shapes=SQUARE_AXB),
    _c("logdet_XtX", "det", "logdet(X^T X)", "X",
       lambda S: (S.logdet(S.M("X", S.m, S.n).T * S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("det_XtAX", "det", "det(X^T A X)", "X",
       lambda S: (S.det(S.M("X", S.m, S.n).T * S.M("A", S.m) * S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("det_Xinv", "det", "det(X^-1)", "X", lambda S: (S.det(S.M("X", S.n).I), S.M("X", S.n))),
    _c("logdet_S_sym", "det", "logdet(S)", "S", lambda S: (S.logdet(S.M("S", S.n)), S.M("S", S.n)),
       symmetric=("S",), note="SymPy has no symmetric MatrixSymbol; at a symmetric point S⁻ᵀ = S⁻¹"),
    # --- inverses ---
    _c("aXinvb", "inverse", "a^T X^-1 b", "X",
       lambda S: (S.v("a", S.n).T * S.M("X", S.n).I * S.v("b", S.n), S.M("X", S.n))),
    _c("tr_Xinv", "inverse", "tr(X^-1)", "X", lambda S: (S.tr(S.M("X", S.n).I), S.M("X", S.n))),
    _c("xXinvx", "inverse", "x^T X^-1 x", "X",
       lambda S: (S.v("x", S.n).T * S.M("X", S.n).I * S.v("x", S.n), S.M("X", S.n))),
    _c("a_XplusA_inv_b", "inverse", "a^T (X + A)^-1 b", "X",
       lambda S: (S.v("a", S.n).T * (S.M("X", S.n) + S.M("A", S.n)).I * S.v("b", S.n), S.M("X", S.n))),
    _c("Xinv_b", "inverse", "X^-1 b", "b",
       lambda S: (S.M("X", S.n).I * S.v("b", S.n), S.v("b", S.n))),
    # --- quadratic and bilinear forms ---
    _c("aXb", "quadratic", "a^T X b", "X",
       lambda S: (S.v("a", S.m).T * S.M("X", S.m, S.n) * S.v("b", S.n), S.M("X", S.m, S.n))),
    _c("aXtb", "quadratic", "a^T X^T b", "X",
       lambda S: (S.v("a", S.n).T * S.M("X", S.m, S.n).T * S.v("b", S.m), S.M("X", S.m, S.n))),
    _c("xBx", "quadratic", "x^T B x", "x",
       lambda S: (S.v("x", S.n).T * S.M("B", S.n) * S.v("x", S.n), S.v("x", S.n))),
    _c("xAx_sym", "quadratic", "x^T A x", "x",
       lambda S: (S.v("x", S.n).T * S.M("A", S.n) * S.v("x", S.n), S.v("x", S.n)), symmetric=("A",),
       note="SymPy cannot declare A symmetric: it gives (A + Aᵀ)x"),
    _c("xAx_wrtA", "quadratic", "x^T A x", "A",
       lambda S: (S.v("x", S.n).T * S.M("A", S.n) * S.v("x", S.n), S.M("A", S.n))),
    _c("quad_s", "quadratic", "(x - A s)^T W (x - A s)", "s",
       lambda S: ((S.v("x", S.m) - S.M("A", S.m, S.n) * S.v("s", S.n)).T * S.M("W", S.m)
                  * (S.v("x", S.m) - S.M("A", S.m, S.n) * S.v("s", S.n)), S.v("s", S.n)),
       symmetric=("W",), note="W symmetric in mcalc only"),
    _c("quad_A", "quadratic", "(x - A s)^T W (x - A s)", "A",
       lambda S: ((S.v("x", S.m) - S.M("A", S.m, S.n) * S.v("s", S.n)).T * S.M("W", S.m)
                  * (S.v("x", S.m) - S.M("A", S.m, S.n) * S.v("s", S.n)), S.M("A", S.m, S.n)),
       symmetric=("W",), note="W symmetric in mcalc only"),
    _c("bXtXc", "quadratic", "b^T X^T X c", "X",
       lambda S: (S.v("b", S.n).T * S.M("X", S.m, S.n).T * S.M("X", S.m, S.n) * S.v("c", S.n),
                  S.M("X", S.m, S.n))),
    _c("bXtDXc", "quadratic", "b^T X^T D X c", "X",
       lambda S: (S.v("b", S.n).T * S.M("X", S.m, S.n).T * S.M("D", S.m) * S.M("X", S.m, S.n)
                  * S.v("c", S.n), S.M("X", S.m, S.n))),
    _c("affine_bilinear", "quadratic", "(A x + b)^T C (D x + e)", "x",
       lambda S: ((S.M("A", S.m, S.n) * S.v("x", S.n) + S.v("b", S.m)).T * S.M("C", S.m, S.p)
                  * (S.M("D", S.p, S.n) * S.v("x", S.n) + S.v("e", S.p)), S.v("x", S.n))),
    _c("atx", "quadratic", "a^T x", "x", lambda S: (S.v("a", S.n).T * S.v("x", S.n), S.v("x", S.n))),
    _c("xta", "quadratic", "x^T a", "x", lambda S: (S.v("x", S.n).T * S.v("a", S.n), S.v("x", S.n))),
    # --- norms ---
    _c("norm2sq_x", "norm", "||x||^2", "x", lambda S: (S.sq(S.v("x", S.n)), S.v("x", S.n))),
    _c("norm2_x", "norm", "||x||", "x",
       lambda S: (S.sp.sqrt(S.sq(S.v("x", S.n))), S.v("x", S.n)), note="SymPy: sqrt(xᵀx)"),
    _c("fro2_X", "norm", "||X||^2", "X", lambda S: (S.fro2(S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("fro_X", "norm", "||X||", "X",
       lambda S: (S.sp.sqrt(S.fro2(S.M("X", S.m, S.n))), S.M("X", S.m, S.n)), note="SymPy: sqrt(tr(XᵀX))"),
    _c("fro2_AXmB", "norm", "||A X - B||^2", "X",
       lambda S: (S.fro2(S.M("A", S.p, S.m) * S.M("X", S.m, S.n) - S.M("B", S.p, S.n)), S.M("X", S.m, S.n))),
    _c("norm2sq_xma", "norm", "||x - a||^2", "x",
       lambda S: (S.sq(S.v("x", S.n) - S.v("a", S.n)), S.v("x", S.n))),
    _c("norm1_x", "norm", "norm1(x)", "x",
       lambda S: (S.sum(S.ew(S.abs, S.v("x", S.n))), S.v("x", S.n)), note="SymPy: 1ᵀ|x|"),
    # --- least squares ---
    _c("ls_theta", "least squares", "||y - Φ θ||^2", "θ",
       lambda S: (S.sq(S.v("y", S.m) - S.M("Φ", S.m, S.n) * S.v("θ", S.n)), S.v("θ", S.n))),
    _c("ls_W", "least squares", "1/2 ||W x - t||^2", "W",
       lambda S: (S.sq(S.M("W", S.m, S.n) * S.v("x", S.n) - S.v("t", S.m)) / 2, S.M("W", S.m, S.n))),
    _c("ridge", "least squares", "||y - X b||^2 + λ ||b||^2", "b",
       lambda S: (S.sq(S.v("y", S.m) - S.M("X", S.m, S.n) * S.v("b", S.n)) + S.s("λ") * S.sq(S.v("b", S.n)),
                  S.v("b", S.n)), scalars=("λ",)),
    _c("wls", "least squares", "(y - X b)^T W (y - X b)", "b",
       lambda S: ((S.v("y", S.m) - S.M("X", S.m, S.n) * S.v("b", S.n)).T * S.M("W", S.m)
                  * (S.v("y", S.m) - S.M("X", S.m, S.n) * S.v("b", S.n)), S.v("b", S.n)),
       symmetric=("W",), note="W symmetric in mcalc only"),
    _c("ls_A", "least squares", "||A x - b||^2", "A",
       lambda S: (S.sq(S.M("A", S.m, S.n) * S.v("x", S.n) - S.v("b", S.m)), S.M("A", S.m, S.n))),
    _c("ls_matrix", "least squares", "1/2 ||X W - Y||^2", "W",
       lambda S: (S.fro2(S.M("X", S.m, S.n) * S.M("W", S.n, S.p) - S.M("Y", S.m, S.p)) / 2,
                  S.M("W", S.n, S.p))),
    # --- logistic and softmax-style losses ---
    _c("logistic", "loss", "sum(log(1 + exp(X w))) - y^T X w", "w",
       lambda S: (S.sum(S.ew(S.softplus, S.M("X", S.m, S.n) * S.v("w", S.n)))
                  - S.v("y", S.m).T * S.M("X", S.m, S.n) * S.v("w", S.n), S.v("w", S.n))),
    _c("bce", "loss", "-(y^T log(sigmoid(X w)) + (1 - y)^T log(1 - sigmoid(X w)))", "w",
       lambda S: (-(S.v("y", S.m).T * S.ew(S.log_sigmoid, S.M("X", S.m, S.n) * S.v("w", S.n))
                    + (S.ones(S.m) - S.v("y", S.m)).T
                    * S.ew(S.log_one_minus_sigmoid, S.M("X", S.m, S.n) * S.v("w", S.n))), S.v("w", S.n))),
    _c("logsumexp", "loss", "log(sum(exp(x)))", "x",
       lambda S: (S.sp.log(S.tr(S.sum(S.ew(S.exp, S.v("x", S.n))))), S.v("x", S.n)),
       note="SymPy: log(tr(1ᵀexp(x)))"),
    _c("softmax_ce", "loss", "log(sum(exp(W x))) - y^T W x", "W",
       lambda S: (S.sp.log(S.tr(S.sum(S.ew(S.exp, S.M("W", S.m, S.n) * S.v("x", S.n)))))
                  - S.tr(S.v("y", S.m).T * S.M("W", S.m, S.n) * S.v("x", S.n)), S.M("W", S.m, S.n)),
       note="SymPy: log(tr(1ᵀexp(Wx))) − tr(yᵀWx)"),
    _c("sigmoid_sq", "loss", "||sigmoid(W x) - y||^2", "W",
       lambda S: (S.sq(S.ew(S.sigmoid, S.M("W", S.m, S.n) * S.v("x", S.n)) - S.v("y", S.m)),
                  S.M("W", S.m, S.n))),
    _c("sum_tanh", "loss", "sum(tanh(A x))", "x",
       lambda S: (S.sum(S.ew(S.tanh, S.M("A", S.m, S.n) * S.v("x", S.n))), S.v("x", S.n))),
    _c("sum_exp", "loss", "sum(exp(x))", "x", lambda S: (S.sum(S.ew(S.exp, S.v("x", S.n))), S.v("x", S.n))),
    _c("mlp2", "loss", "||W2 tanh(W1 x) - y||^2", "W1",
       lambda S: (S.sq(S.M("W2", S.m, S.p) * S.ew(S.tanh, S.M("W1", S.p, S.n) * S.v("x", S.n)) - S.v("y", S.m)),
                  S.M("W1", S.p, S.n))),
    # --- Jacobians ---
    _c("jac_Ax", "jacobian", "A x", "x", lambda S: (S.M("A", S.m, S.n) * S.v("x", S.n), S.v("x", S.n))),
    _c("jac_Axb", "jacobian", "A x + b", "x",
       lambda S: (S.M("A", S.m, S.n) * S.v("x", S.n) + S.v("b", S.m), S.v("x", S.n))),
    _c("jac_sigmoid", "jacobian", "sigmoid(x)", "x", lambda S: (S.ew(S.sigmoid, S.v("x", S.n)), S.v("x", S.n))),
    _c("jac_expAx", "jacobian", "exp(A x)", "x",
       lambda S: (S.ew(S.exp, S.M("A", S.m, S.n) * S.v("x", S.n)), S.v("x", S.n))),
    _c("jac_xhady", "jacobian", "x .* y", "x",
       lambda S: (S.sp.HadamardProduct(S.v("x", S.n), S.v("y", S.n)), S.v("x", S.n))),
    _c("jac_xhadx", "jacobian", "x .* x", "x",
       lambda S: (S.sp.HadamardProduct(S.v("x", S.n), S.v("x", S.n)), S.v("x", S.n))),
    _c("jac_tanh", "jacobian", "tanh(W x + b)", "x",
       lambda S: (S.ew(S.tanh, S.M("W", S.m, S.n) * S.v("x", S.n) + S.v("b", S.m)), S.v("x", S.n))),
    # --- tensors (matrix by matrix) ---
    _c("ten_BC", "tensor", "B C", "B",
       lambda S: (S.M("B", S.m, S.n) * S.M("C", S.n, S.p), S.M("B", S.m, S.n))),
    _c("ten_RtR", "tensor", "R^T R", "R",
       lambda S: (S.M("R", S.m, S.n).T * S.M("R", S.m, S.n), S.M("R", S.m, S.n))),
    _c("ten_Xinv", "tensor", "X^-1", "X", lambda S: (S.M("X", S.n).I, S.M("X", S.n))),
    _c("ten_AXB", "tensor", "A X B", "X",
       lambda S: (S.M("A", S.p, S.m) * S.M("X", S.m, S.n) * S.M("B", S.n, S.q), S.M("X", S.m, S.n))),
    _c("ten_Xt", "tensor", "X^T", "X", lambda S: (S.M("X", S.m, S.n).T, S.M("X", S.m, S.n))),
    _c("ten_XhadX", "tensor", "X .* X", "X",
       lambda S: (S.sp.HadamardProduct(S.M("X", S.m, S.n), S.M("X", S.m, S.n)), S.M("X", S.m, S.n))),
    _c("ten_X2", "tensor", "X^2", "X", lambda S: (S.M("X", S.n) ** 2, S.M("X", S.n))),
    # --- second derivatives ---
    _c("hess_xAx", "hessian", "x^T A x", ("x", "x"),
       lambda S: (S.v("x", S.n).T * S.M("A", S.n) * S.v("x", S.n), (S.v("x", S.n), S.v("x", S.n)))),
    _c("hess_ls", "hessian", "||A x - b||^2", ("x", "x"),
       lambda S: (S.sq(S.M("A", S.m, S.n) * S.v("x", S.n) - S.v("b", S.m)), (S.v("x", S.n), S.v("x", S.n)))),
    # --- functions of a scalar ---
    _c("fun_AB", "function of t", "A(t) B(t)", "t", note="SymPy has no matrix-valued function of t"),
    _c("fun_inv", "function of t", "inv(A(t))", "t", note="SymPy has no matrix-valued function of t"),
    _c("fun_logdet", "function of t", "logdet(A(t))", "t", note="SymPy has no matrix-valued function of t"),
]
# fmt: on


def case(case_id: str) -> Case:
    for c in CASES:
        if c.id == case_id:
            return c
    raise KeyError(case_id)


def sympy_build(c: Case, S: SympyNS | None = None) -> tuple[Any, tuple[Any, ...]]:
    """(expr, variables) for a case; variables is a tuple (two entries for a second derivative)."""
    assert c.sympy is not None, c.id
    S = S or SympyNS()
    expr, var = c.sympy(S)
    return expr, var if isinstance(var, tuple) else (var,)


def sympy_diff(expr: Any, variables: Sequence[Any]) -> Any:
    out = expr
    for v in variables:
        out = out.diff(v)
    return out


# --- mcalc helpers ---


def mcalc_diff(c: Case) -> Any:
    from mcalc import pipeline

    return pipeline.differentiate(c.src, list(c.wrt), c.decl())


def mcalc_nodes(node: Any) -> tuple[int, int, int]:
    """(tree nodes, operator nodes, distinct sub-trees) of an mcalc tree."""
    total = ops = 0
    seen: set[Any] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        kids = n.children()
        total += 1
        if kids:
            ops += 1
        seen.add(n)
        stack.extend(kids)
    return total, ops, len(seen)


def mcalc_dag_size(node: Any) -> int:
    """Distinct sub-trees: the size the result would have if repeated sub-expressions were shared."""
    seen: set[Any] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(n.children())
    return len(seen)


# --- SymPy helpers (call only inside a SymPy worker process) ---


def sympy_nodes(expr: Any) -> tuple[int, int]:
    """(nodes, operator nodes) of a SymPy expression; symbols, numbers and sized constants are leaves."""
    import sympy as sp
    from sympy.matrices.expressions.special import GenericIdentity, GenericZeroMatrix

    leaf_types = (
        sp.MatrixSymbol,
        sp.Symbol,
        sp.Number,
        sp.Identity,
        sp.ZeroMatrix,
        sp.OneMatrix,
        GenericIdentity,
        GenericZeroMatrix,
        sp.NumberSymbol,
    )
    total = ops = 0
    stack = [expr]
    while stack:
        e = stack.pop()
        total += 1
        if isinstance(e, leaf_types) or not getattr(e, "args", ()):
            continue
        ops += 1
        if isinstance(e, sp.Lambda):
            stack.append(e.expr)
        else:
            stack.extend(a for a in e.args if isinstance(a, sp.Basic))
    return total, ops


def sympy_status(result: Any) -> str:
    """'matrix' | 'array' (tensor-algebra form) | 'unevaluated' | 'zero' | 'scalar'."""
    import sympy as sp

    if result.has(sp.Derivative) or type(result).__name__ in ("ArrayDerivative", "Derivative"):
        return "unevaluated"
    if getattr(result, "is_ZeroMatrix", False) or result == 0:
        return "zero"
    mod = type(result).__module__
    if "tensor.array" in mod:
        return "array"
    if isinstance(result, sp.MatrixExpr):
        return "matrix"
    return "scalar"


class Timeout(BaseException):  # noqa: N818 - a BaseException so SymPy's `except Exception` cannot swallow it
    pass


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise Timeout after `seconds` of wall time (main thread, POSIX). None: no limit."""
    if not seconds:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Timeout(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_worker(module: str, func: str, payload: Any, timeout: float, env: dict[str, str] | None = None) -> Any:
    """Run bench.<module>.<func>(payload) in a fresh interpreter; JSON in, JSON out.

    Returns {"error": ...} instead of raising when the worker dies or exceeds `timeout`. `env` is
    added to this process's environment.
    """
    import os

    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"from bench.{module} import {func}\n"
        f"out = {func}(json.loads(sys.stdin.read()))\n"
        "sys.stdout.write('\\n@@RESULT@@' + json.dumps(out))\n"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"worker timed out after {timeout:g} s"}
    marker = "@@RESULT@@"
    if proc.returncode != 0 or marker not in proc.stdout:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"worker failed (exit {proc.returncode}): {' | '.join(tail)}"}
    return json.loads(proc.stdout.rsplit(marker, 1)[1])


# --- statistics and tables ---


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Slope of the least-squares line through (log x, log y)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""

    def cell(x: Any) -> str:
        if x is None:
            return "—"
        if isinstance(x, float):
            if math.isnan(x):
                return "—"
            return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.3e}"
        return str(x).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


@dataclass
class Section:
    """What each benchmark returns: JSON-able data and the markdown to print."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
