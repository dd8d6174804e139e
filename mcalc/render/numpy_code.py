"""`--format numpy`: a self-contained Python function computing the derivative with numpy.

Inputs are taken as the contract gives them (scalars, 1-d vectors, 2-d matrices) and made 2-D
inside; the function returns the contract's layout-free `value`. Products are `@`; an inverse
multiplied from the left is `np.linalg.solve`.
"""

from __future__ import annotations

from mcalc.pipeline import Result
from mcalc.render.report import layout_free_dims
from mcalc.shapes import Kind, ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

FUNCS = {
    "exp": "np.exp({})", "log": "np.log({})", "sin": "np.sin({})", "cos": "np.cos({})",
    "tanh": "np.tanh({})", "sqrt": "np.sqrt({})", "abs": "np.abs({})", "relu": "np.maximum({}, 0.0)",
    "sigmoid": "(1.0 / (1.0 + np.exp(-({}))))", "sign": "np.sign({})", "step": "(({}) > 0).astype(float)",
}  # fmt: skip


def _ident(name: str) -> str:
    from mcalc.syntax.lexer import GREEK

    reverse = {v: k for k, v in GREEK.items()}
    base = "".join(reverse.get(ch, ch) for ch in name)
    return base.replace("′", "_prime")


class NumpyWriter:
    def __init__(self, env: ShapeEnv, dims: dict[str, str]) -> None:
        self.env = env
        self.dims = dims

    def dim(self, d: Dim) -> str:
        d = self.env.resolve(d)
        if isinstance(d, int):
            return str(d)
        if isinstance(d, tuple):
            return " * ".join(self.dim(x) for x in d)
        return self.dims.get(d, d)

    def w(self, n: Node) -> str:  # noqa: C901 - a dispatch over node types
        env = self.env
        if isinstance(n, N.Symbol):
            return _ident(n.name)
        if isinstance(n, N.FunctionOf):
            return _ident(n.name + "_d" * n.order)
        if isinstance(n, N.Number):
            return repr(float(n.value))
        if isinstance(n, N.Identity):
            return f"np.eye({self.dim(n.dim) if n.dim is not None else '1'})"
        if isinstance(n, N.Ones):
            return f"np.ones(({self.dim(n.rows)}, {self.dim(n.cols)}))"
        if isinstance(n, N.Zero):
            return f"np.zeros(({self.dim(n.rows)}, {self.dim(n.cols)}))"
        if isinstance(n, N.Commutation):
            return f"_commutation({self.dim(n.rows)}, {self.dim(n.cols)})"
        if isinstance(n, N.Add):
            return "(" + " + ".join(self.w(t) for t in n.terms) + ")"
        if isinstance(n, N.Mul):
            return self._mul(list(n.factors))
        if isinstance(n, N.Hadamard):
            return "(" + " * ".join(self.w(f) for f in n.factors) + ")"
        if isinstance(n, N.Kron):
            return f"np.kron({self.w(n.left)}, {self.w(n.right)})"
        if isinstance(n, N.Transpose):
            return f"{self.w(n.arg)}.T"
        if isinstance(n, N.Inverse):
            return f"np.linalg.inv({self.w(n.arg)})"
        if isinstance(n, N.Power):
            if env.is_scalar(n.base):
                return f"({self.w(n.base)} ** {float(n.exponent)!r})"
            return f"np.linalg.matrix_power({self.w(n.base)}, {int(n.exponent)})"
        if isinstance(n, N.ElementPower):
            return f"({self.w(n.base)} ** {float(n.exponent)!r})"
        if isinstance(n, N.Trace):
            return f"np.trace({self.w(n.arg)})"
        if isinstance(n, N.Det):
            return f"np.linalg.det({self.w(n.arg)})"
        if isinstance(n, N.LogDet):
            return f"np.linalg.slogdet({self.w(n.arg)})[1]"
        if isinstance(n, N.Apply):
            return FUNCS[n.func].format(self.w(n.arg))
        if isinstance(n, N.Norm):
            return f"np.abs({self.w(n.arg)}).sum()" if n.p == 1 else f"np.linalg.norm({self.w(n.arg)})"
        if isinstance(n, N.Sum):
            return f"np.sum({self.w(n.arg)})"
        if isinstance(n, N.Diag):
            if env.is_vector(n.arg):
                return f"np.diag({self.w(n.arg)}[:, 0])"
            return f"np.diag({self.w(n.arg)}).reshape(-1, 1)"
        if isinstance(n, N.Vec):
            return f"{self.w(n.arg)}.reshape(-1, 1, order='F')"
        if isinstance(n, N.Unvec):
            return f"{self.w(n.arg)}.reshape(({self.dim(n.rows)}, {self.dim(n.cols)}), order='F')"
        raise NotImplementedError(type(n).__name__)

    def _mul(self, factors: list[Node]) -> str:
        env = self.env
        scalars = [self.w(f) for f in factors if env.is_scalar(f)]
        chain = [f for f in factors if not env.is_scalar(f)]
        parts: list[str] = []
        i = 0
        while i < len(chain):
            f = chain[i]
            if isinstance(f, N.Inverse) and i + 1 < len(chain):
                rest = self._mul(chain[i + 1 :]) if len(chain) - i > 2 else self.w(chain[i + 1])
                parts.append(f"np.linalg.solve({self.w(f.arg)}, {rest})")
                break
            parts.append(self.w(f))
            i += 1
        body = " @ ".join(parts)
        if scalars:
            body = " * ".join(scalars + ([f"({body})"] if body else []))
        return f"({body})" if body else "1.0"


def render_numpy(result: Result) -> str:
    env = result.env
    names = list(env.kinds)
    params = [_ident(n) for n in names if n not in env.functions]
    for name in env.functions:
        params.append(_ident(name))
        params.append(_ident(name + "_d"))
    dims: dict[str, str] = {}
    lines = ["import numpy as np", "", ""]
    stage = result.final
    fn = "grad" if stage.kind.value == "gradient" else "derivative"
    lines.append(f"def {fn}({', '.join(params)}):")
    shown = "∂/∂" + ", ".join(result.wrt)
    lines.append(f'    """{shown} of {result.source}; returns shape(expr) + shape(var) (mcalc value)."""')
    for name in names:
        ident = _ident(name)
        kind = env.kind(name)
        lines.append(f"    {ident} = np.asarray({ident}, dtype=float){_shape2(kind)}")
        for axis, d in enumerate(env.shape_of_var(name)):
            if isinstance(d, str) and d not in dims:
                dims[d] = f"{ident}.shape[{axis}]"
    for name in env.functions:
        ident = _ident(name + "_d")
        lines.append(f"    {ident} = np.asarray({ident}, dtype=float){_shape2(env.kind(name))}")
    writer = NumpyWriter(env, dims)
    body = writer.w(stage.result)
    shape_expr = ", ".join(writer.dim(d) for d in layout_free_dims(result))
    lines.append(f"    out = np.asarray({body}, dtype=float)")
    lines.append(f"    return out.reshape(({shape_expr}{',' if len(layout_free_dims(result)) == 1 else ''}), order='F')")
    if "_commutation" in body:
        lines += [
            "",
            "",
            "def _commutation(r, c):",
            "    k = np.zeros((r * c, r * c))",
            "    for i in range(r):",
            "        for j in range(c):",
            "            k[j + i * c, i + j * r] = 1.0",
            "    return k",
        ]
    return "\n".join(lines)


def _shape2(kind: Kind) -> str:
    return {Kind.SCALAR: ".reshape(1, 1)", Kind.VECTOR: ".reshape(-1, 1)", Kind.MATRIX: ""}[kind]


__all__ = ["render_numpy"]
