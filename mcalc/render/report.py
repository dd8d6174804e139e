"""A derivative `Result` → the things users see: the equation in text and LaTeX, the shape line, the
pieces of the JSON object of the contract (assembled, each written out once, by mcalc.render.forms).
No rich, no typer here: plain data and strings."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from mcalc.pipeline import LAYOUT_NOTES, DerivKind, Result, displayed, flipped
from mcalc.render import latex_names
from mcalc.render.printer import LATEX, PREC_POSTFIX, TEXT, Printer
from mcalc.render.spelling import SUPERSCRIPTS, UNICODE, Spelling
from mcalc.shapes import Kind, ShapeEnv
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten, numbers_merged
from mcalc.syntax.nodes import Dim, Node
from mcalc.view import Layout


def as_read(node: Node, env: ShapeEnv) -> Node:
    """The differentiated expression as the user wrote it, for the left side: the parser's nested sums and
    products flattened (syntax.build.flatten), except a scalar product among other factors, which keeps its
    parentheses, and a run of matrix factors that makes a scalar beside one, which gets them: (xᵀAx) (xᵀx)⁻¹
    for x^T A x / (x^T x) and 2 (xᵀx) y for 2 (x^T x) y, where xᵀ A x (xᵀx)⁻¹ and 2xᵀxy were printed."""
    flat = flatten(node)
    if not any(isinstance(n, N.Mul) and _has_scalar_group(n, env) for n in N.distinct_nodes(node)):
        return flat  # the common case: nothing to keep apart
    return _grouped(node, env)


def _is_group(f: Node, env: ShapeEnv) -> bool:
    """A scalar product of two or more factors besides numbers (−(xᵀx) is a number times one)."""
    return isinstance(f, N.Mul) and sum(not isinstance(g, N.Number) for g in f.factors) > 1 and env.is_scalar(f)


def _has_scalar_group(node: N.Mul, env: ShapeEnv) -> bool:
    """A scalar product beside another factor that is not a number: −yᵀ log(s) reads as it did."""
    return sum(not isinstance(f, N.Number) for f in node.factors) > 1 and any(_is_group(f, env) for f in node.factors)


def _spliced_once(node: Node) -> Node:
    """A sum's sums and a product's products spliced in, one level (the numbers of a product merged)."""
    if not isinstance(node, (N.Mul, N.Add)):
        return node
    flat = [g for c in node.children() for g in (c.children() if type(c) is type(node) else (c,))]
    if isinstance(node, N.Mul):
        flat = numbers_merged(flat)
    return flat[0] if len(flat) == 1 else type(node)(tuple(flat), span=node.span)


def _grouped(node: Node, env: ShapeEnv) -> Node:
    kids = node.children()
    if not kids:
        return node
    node = N.rebuild(node, tuple(_grouped(k, env) for k in kids))
    if not isinstance(node, N.Mul) or not _has_scalar_group(node, env):
        return _spliced_once(node)  # its children are grouped already: flatten would undo their groups
    parts: list[Node] = []
    run: list[Node] = []

    def close_run() -> None:
        if len(run) > 1 and env.is_scalar(N.Mul(tuple(run))):
            parts.append(N.Mul(tuple(run)))
        else:
            parts.extend(run)
        run.clear()

    for f in node.factors:
        if _is_group(f, env):
            close_run()
            parts.append(f)
        elif isinstance(f, N.Mul):  # −(x) or a matrix chain: its factors join this product, as flatten does
            for g in f.factors:
                if env.is_scalar(g):
                    close_run()
                    parts.append(g)
                else:
                    run.append(g)
        elif env.is_scalar(f):
            close_run()
            parts.append(f)
        else:
            run.append(f)
    close_run()
    parts = numbers_merged(parts)  # −(2 (xᵀx) y) reads −2 (xᵀx) y
    return N.Mul(tuple(parts), span=node.span) if len(parts) > 1 else parts[0]


def _expr(printer: Printer, node: Node) -> str:
    """The differentiated expression after ∂/∂X: parenthesised unless it is one operand."""
    return printer.wrap(node, PREC_POSTFIX)


def higher_operator(names: list[str], scalar: bool, latex: bool = False, sp: Spelling = UNICODE) -> str:
    """The operator of a derivative of order n ≥ 2, worded as textbooks do and the same in every command:
    ∂²/∂x² (one variable), ∂²/∂x∂y (mixed), d²/dt² (a scalar parameter: an ordinary derivative),
    ∂³/∂X³; in ASCII d^2/dx^2, d^2/dx dy; in LaTeX \\frac{\\partial^{2}}{\\partial x^{2}}."""
    n = len(names)
    same = len(set(names)) == 1
    if latex:
        d = "d" if scalar else "\\partial"
        denom = f"{d} {names[0]}^{{{n}}}" if same else " ".join(f"{d} {v}" for v in names)
        return f"\\frac{{{d}^{{{n}}}}}{{{denom}}}"
    d = "d" if scalar else sp.partial
    sup = str(n).translate(SUPERSCRIPTS) if sp.compact else f"^{n}"
    if same:
        return f"{d}{sup}/{d}{names[0]}{sup}"
    return f"{d}{sup}/" + ("" if sp.compact else " ").join(f"{d}{v}" for v in names)


def lhs(result: Result, layout: Layout, latex: bool = False, printer: Printer | None = None) -> str:
    """∂/∂A tr(ABAᵀC), ∂(Ax)/∂x, d/dt (A(t)B(t)), ∂vec(RᵀR)/∂vec(R), ∂²/∂x² (xᵀAx), ∂²/∂x∂y; in a layout
    that shows the transpose of mcalc's result, the label says so: ∂/∂Aᵀ tr(AB) (numerator layout),
    ∂(Ax)ᵀ/∂x and ∂vec(RᵀR)ᵀ/∂vec(R) (denominator layout)."""
    pr = printer or Printer(LATEX if latex else TEXT)
    if flipped(result.final, layout, result.env):
        return _lhs_transposed(result, latex, pr)
    stage = result.final
    expr = _expr(pr, as_read(result.tree, result.env))
    vars_ = [pr.s.name(v) for v in result.wrt]
    d = pr.sp.partial  # ∂, or d in ASCII
    if len(vars_) > 1:
        scalar = all(result.env.kinds.get(w) is Kind.SCALAR for w in result.wrt)
        return f"{higher_operator(vars_, scalar, latex, pr.sp)} {expr}"
    v = vars_[0]
    kind = stage.kind
    if kind is DerivKind.SCALAR_VAR:
        return f"\\frac{{d}}{{d{v}}} {expr}" if latex else f"d/d{v} {expr}"
    if kind is DerivKind.GRADIENT:
        return f"\\frac{{\\partial}}{{\\partial {v}}} {expr}" if latex else f"{d}/{d}{v} {expr}"
    inner = pr.p(as_read(result.tree, result.env))
    if kind is DerivKind.JACOBIAN:
        return f"\\frac{{\\partial ({inner})}}{{\\partial {v}}}" if latex else f"{d}({inner})/{d}{v}"
    if latex:
        return f"\\frac{{\\partial \\operatorname{{vec}}({inner})}}{{\\partial \\operatorname{{vec}}({v})}}"
    return f"{d}vec({inner})/{d}vec({v})"


def _lhs_transposed(result: Result, latex: bool, pr: Printer) -> str:
    """The label of the transpose: the ᵀ on the variable for a gradient, on the function otherwise."""
    t = "^{\\top}" if latex else pr.sp.transpose
    v = pr.s.name(result.wrt[0])
    d = "\\partial" if latex else pr.sp.partial
    expr = _expr(pr, as_read(result.tree, result.env))
    inner = pr.p(as_read(result.tree, result.env))
    if len(result.wrt) > 1:
        plain = lhs(result, Layout.MIXED, latex, pr)  # the label of mcalc's own orientation, transposed
        return f"\\left({plain}\\right){t}" if latex else f"({plain}){t}"
    kind = result.final.kind
    if kind is DerivKind.GRADIENT:
        return f"\\frac{{{d}}}{{{d} {v}{t}}} {expr}" if latex else f"{d}/{d}{v}{t} {expr}"
    if kind is DerivKind.SCALAR_VAR:
        return f"\\frac{{d}}{{d{v}}} {expr}{t}" if latex else f"d/d{v} {expr}{t}"
    if kind is DerivKind.JACOBIAN:
        return f"\\frac{{{d} ({inner}){t}}}{{{d} {v}}}" if latex else f"{d}({inner}){t}/{d}{v}"
    if latex:
        return f"\\frac{{{d} \\operatorname{{vec}}({inner}){t}}}{{{d} \\operatorname{{vec}}({v})}}"
    return f"{d}vec({inner}){t}/{d}vec({v})"


def equation(result: Result, layout: Layout, latex: bool = False) -> str:
    pr = Printer(LATEX if latex else TEXT)
    return f"{lhs(result, layout, latex)} = {pr(displayed(result.final, layout, result.env))}"


def derivative_text(result: Result, layout: Layout) -> str:
    return Printer(TEXT)(displayed(result.final, layout, result.env))


def derivative_latex(result: Result, layout: Layout) -> str:
    return Printer(LATEX)(displayed(result.final, layout, result.env))


def _dims_of(env: ShapeEnv, node: Node) -> list[Dim]:
    r, c = env.shape(node)
    if r == 1 and c == 1:
        return []
    if c == 1:
        return [r]
    return [r, c]


def var_dims(env: ShapeEnv, var: str) -> list[Dim]:
    r, c = env.shape_of_var(var)
    kind = env.kind(var)
    if kind is Kind.SCALAR:
        return []
    if kind is Kind.VECTOR:
        return [r]
    return [r, c]


def _json_dim(env: ShapeEnv, d: Dim) -> str | int:
    text = env.size_text(d)
    return int(text) if text.isdigit() else text


def dims_json(env: ShapeEnv, shape: tuple[Dim, Dim]) -> list[str | int]:
    """A matrix shape as JSON's `shape`: [] a scalar, [m] a column, [1, n] a row, [m, n] a matrix; sizes
    where known, dimension names otherwise."""
    r, c = shape
    dims = [] if (r, c) == (1, 1) else [r] if c == 1 else [r, c]
    return [_json_dim(env, d) for d in dims]


def shape_json(result: Result) -> list[str | int]:
    """JSON's `shape`: shape(EXPR) + shape(VAR), whatever the layout; sizes where known, names otherwise."""
    return [_json_dim(result.env, d) for d in layout_free_dims(result)]


def layout_free_dims(result: Result) -> list[Dim]:
    dims = _dims_of(result.env, result.tree)
    for v in result.wrt:
        dims += var_dims(result.env, v)
    return dims


def shape_line(result: Result, layout: Layout, shown: Node | None = None) -> str:
    env = result.env
    stage = result.final
    if stage.kind is DerivKind.TENSOR:
        parts = [_dims_of(env, stage.function), var_dims(env, stage.var)]
        if layout is Layout.DENOMINATOR:
            parts.reverse()
        texts = ["×".join(env.size_text(d) for d in p) or "1" for p in parts]
        return "×".join(f"({t})" if len(p) > 1 else t for t, p in zip(texts, parts, strict=True))
    if shown is None:
        shown = displayed(stage, layout, env)
    r, c = env.shape(shown)
    if r == 1 and c == 1:
        return "scalar"
    if c == 1:
        return f"{env.size_text(r)} (vector)"
    return f"{env.size_text(r)}×{env.size_text(c)}"


def variables_json(env: ShapeEnv) -> dict[str, list[str | int]]:
    return {name: [_json_dim(env, d) for d in var_dims(env, name)] for name in env.kinds}


def names_apart(result: Result) -> AbstractContextManager[None]:
    """LaTeX printed in the block tells the result's names apart (x0 beside x_0: mcalc.render.latex_names)."""
    return latex_names.apart([*result.env.kinds, *result.env.lets, *result.wrt])


def operator_lines(shown: Node, env: ShapeEnv, latex: bool = False) -> list[str]:
    """What each operator the derivative names is (L_expm, the Fréchet derivative of expm; K_expm, its matrix):
    not closed matrix expressions, so the answer says what they are and how they are computed."""
    from mcalc.syntax.matrix_functions import where_latex, where_lines

    found: dict[tuple[str, int, bool, bool], None] = {}
    for n in N.distinct_nodes(shown):
        if isinstance(n, N.Frechet):
            matrix = isinstance(n, N.FrechetMatrix)
            symmetric = all(name in env.symmetric for name in N.free_symbols(n.at))
            found.setdefault((n.func, len(n.args) - 1 + matrix, matrix, symmetric))
    lines = [line for key in found for line in (where_latex if latex else where_lines)(*key)]
    return list(dict.fromkeys(lines))


def definitions(node: Node) -> list[tuple[str, str]]:
    """The definition (text, LaTeX) of each catalogue operator the derivative names and a reader cannot
    guess (Φ of chol as cholphi, α as toepsum, diagsums: entries with a `definition`), first seen first."""
    found: dict[str, tuple[str, str]] = {}
    for n in N.distinct_nodes(node):
        if isinstance(n, (N.Apply, N.Columnwise)) and (entry := functions.lookup(n.func)) is not None:
            if entry.definition:
                found.setdefault(entry.name, entry.definition)
    return list(found.values())


def lets_json(env: ShapeEnv) -> dict[str, dict[str, Any]]:
    """Each `--let` name the expression uses: its definition (text and LaTeX) and its shape."""
    text, latex = Printer(TEXT), Printer(LATEX)
    out: dict[str, dict[str, Any]] = {}
    for name, tree in env.lets.items():
        out[name] = {
            "definition": text(tree),
            "latex": latex(tree),
            "equation": f"{text.s.name(name)} = {text(tree)}",
            "equation_latex": f"{latex.s.name(name)} = {latex(tree)}",
            "shape": dims_json(env, env.shape(N.Symbol(name))),
        }
    return out


def is_zero(node: Node) -> bool:
    return isinstance(node, N.Zero) or (isinstance(node, N.Number) and node.value == 0)


def layout_note(layout: Layout) -> str:
    return LAYOUT_NOTES[layout]
