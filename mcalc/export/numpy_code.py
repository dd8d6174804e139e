"""`--format numpy` and `Derivative.numpy_source`: one self-contained Python module (numpy only) with three
functions of the same parameters:

    def f(A, B, C):            # the expression's value
    def grad(A, B, C):         # its derivative: grad, jacobian, hessian or derivative (by a scalar)
    def f_and_grad(A, B, C):   # both, as (value, derivative); what they share is computed once

Inputs are taken as the contract gives them (a scalar, a 1-d vector, a 2-d matrix; a function of t as
its value and its derivatives `A, dA_dt, d2A_dt2`) and made 2-D inside. `f` returns a float for a scalar
expression, a 1-d array for a vector, a 2-d array for a matrix; the derivative is the contract's
layout-free `value` (shape(EXPR) + shape(VAR), the same numbers as `--at`).

Efficiency: the expression writer (mcalc.export.numpy_expr) picks the product order and solves instead of
inverses; a sub-expression used more than once in the trees a function computes is computed once (in
`f_and_grad`, across the function and its derivative); a tensor derivative (a matrix by a matrix) is
built with `np.einsum` from the factors of the vec form (mcalc.export.numpy_tensor), never as a dense
Kronecker or commutation matrix; the result is returned as a view, never copied.

`--format jax` and `--format torch` (`render_code` with mcalc.export.backends' JAX or TORCH) are this
module with another table of spellings: the same functions and parameters, pure and traceable (a scalar
value a 0-d array, a tensor term a functional einsum or broadcast product), in the inputs' dtype.
"""

from __future__ import annotations

import re
from collections import Counter

from mcalc.errors import InputError
from mcalc.export import numpy_tensor
from mcalc.export.backends import NUMPY, Backend
from mcalc.export.numpy_expr import NumpyWriter, derivative_param, strip
from mcalc.export.python_names import identifiers, numpy_reserved, spelled, why
from mcalc.pipeline import DerivKind, Result
from mcalc.records import Record, record
from mcalc.render.report import layout_free_dims
from mcalc.shapes import Kind
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node


def function_name(result: Result) -> str:
    kinds = [s.kind for s in result.stages]
    if len(kinds) == 2 and kinds[0] is DerivKind.GRADIENT:
        return "hessian"
    return {
        DerivKind.GRADIENT: "grad",
        DerivKind.JACOBIAN: "jacobian",
        DerivKind.TENSOR: "jacobian",
        DerivKind.SCALAR_VAR: "derivative",
    }[kinds[-1]]


def parameters(result: Result) -> list[str]:
    """The function's parameters: each variable in order of appearance; a function A(t) as A and its
    derivatives (as many as the result uses), as python_names writes them."""
    names = python_names(result)
    return [names[key] for key in _parameter_keys(result)]


def python_names(result: Result) -> dict[str, str]:
    """mcalc name → the identifier the module writes for it: the parameters (`A′` is dA/dt), the --let
    names and a sum's index; Greek spelled out (θ → theta), and renamed where that is not a free Python
    name (λ → lambda_, f → f_): the one mapping, python_names.identifiers."""
    return identifiers(_preferred(result), numpy_reserved)


def _preferred(result: Result) -> dict[str, str]:
    env = result.env
    wanted = {key: _spelling(result, key) for key in _parameter_keys(result)}
    for name in [*env.lets, *_indices(result)]:
        wanted.setdefault(name, spelled(name))
    return wanted


def _parameter_keys(result: Result) -> list[str]:
    """The parameters by mcalc name, in order: a variable, or A, A′, A′′ for a function A(t)."""
    env = result.env
    keys: list[str] = []
    unused = _unused_parameters(result)
    for name in env.kinds:
        if name in unused:
            continue
        orders = range(_max_order(result, name) + 1) if name in env.functions else range(1)
        keys.extend(name + "′" * k for k in orders)
    return keys


def _unused_parameters(result: Result) -> set[str]:
    """The t of A(t) B(t) when neither the value nor the derivative reads t itself (only A, dA/dt, …):
    the functions would take an argument they never use."""
    env = result.env
    params = set(env.functions.values())
    if not params:
        return set()
    roots = [result.stages[0].function, result.final.result, *env.lets.values()]
    used = {n.name for root in roots for n in _walk(root) if isinstance(n, N.Symbol)}
    return params - used


def _spelling(result: Result, key: str) -> str:
    name = key.rstrip("′")
    if name not in result.env.functions:
        return spelled(key)
    return derivative_param(name, result.env.functions[name], len(key) - len(name))


def _indices(result: Result) -> list[str]:
    """The index of each finite sum ∑_{r=0}^{k−1} the code loops over."""
    roots = [result.stages[0].function, result.final.result, *result.env.lets.values()]
    return list(dict.fromkeys(n.name for root in roots for n in _walk(root) if isinstance(n, N.Bound)))


def _renamed(result: Result, names: dict[str, str]) -> list[str]:
    """`lambda_ is λ`: the lines a docstring gives for each name not written as mcalc spells it."""
    wanted = _preferred(result)
    changed = [
        f"{names[k]} is {k} ({why(wanted[k], numpy_reserved)})"
        for k in _parameter_keys(result)
        if names[k] != wanted[k]
    ]
    return ["", f"    Renamed parameters: {'; '.join(changed)}."] if changed else []


def _walk(root: Node) -> list[Node]:
    out: list[Node] = []
    seen: set[Node] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue  # a shared sub-tree is walked once
        seen.add(n)
        out.append(n)
        stack.extend(n.children())
    return out


def _max_order(result: Result, name: str) -> int:
    orders = [n.order for n in _walk(result.final.result) if isinstance(n, N.FunctionOf) and n.name == name]
    return max(orders, default=0)


@record(frozen=True)
class _Output(Record):
    """One returned array: `name` computed from `tree`, returned with `dims` (the contract's shape)."""

    name: str
    tree: Node
    dims: tuple[Dim, ...]
    scalar_float: bool = False  # the value of a scalar expression: a Python float
    terms: tuple[numpy_tensor.Term, ...] | None = None  # a tensor derivative built by einsum
    split: tuple[Dim, Dim, Dim, Dim] = (1, 1, 1, 1)  # its 4-d shape: (rows, cols) of F and of X

    def roots(self) -> list[Node]:
        return [self.tree] if self.terms is None else numpy_tensor.operand_nodes(list(self.terms))


def _value_output(result: Result) -> _Output:
    tree = result.stages[0].function  # simplified like the derivative, so the two share sub-trees
    r, c = result.env.shape(tree)
    dims: tuple[Dim, ...] = () if (r, c) == (1, 1) else (r,) if c == 1 else (r, c)
    return _Output("value", tree, dims, scalar_float=not dims)


def _derivative_output(result: Result) -> _Output:
    stage = result.final
    dims = tuple(layout_free_dims(result))
    if stage.kind is not DerivKind.TENSOR:
        return _Output("out", stage.result, dims)
    env = result.env
    r, c = env.shape(stage.function)
    vr, vc = env.shape_of_var(stage.var)
    split = [env.resolve(d) for d in (r, c, vr, vc)]
    if any(isinstance(d, tuple) for d in split) or [d for d in split if d != 1] != [
        env.resolve(d) for d in dims if env.resolve(d) != 1
    ]:  # a derivative of a vec form (a third --wrt ...): its dense matrix, unfolded column-major
        return _Output("out", stage.result, dims)
    terms = numpy_tensor.plan(stage.result, env, (r, c), (vr, vc))
    if terms is None:  # a vec form the einsum reading does not cover: its dense matrix
        return _Output("out", stage.result, dims)
    return _Output("out", stage.result, dims, terms=tuple(numpy_tensor.ordered(terms)), split=(r, c, vr, vc))


# what `f` returns for a scalar expression: NumPy's code a Python float, traced code an array (jit needs one)
SCALAR_VALUE = {"numpy": "a float", "jax": "a 0-d array", "torch": "a 0-d tensor"}


def render_numpy(result: Result, line: int | None = None) -> str:
    """The module; in a batch (`line`, the input line number) its functions carry the number: `f_3`, `grad_3`."""
    return render_code(result, line, NUMPY)


def render_code(result: Result, line: int | None, backend: Backend) -> str:
    """The module in `backend`'s spelling (NumPy, JAX or PyTorch: mcalc.export.backends)."""
    from mcalc.syntax.declared import refuse_code

    refuse_code([result.tree, result.final.result], f"{backend.name} code")
    tag = "" if line is None else f"_{line}"
    name = function_name(result) + tag
    names = python_names(result)
    params = [names[key] for key in _parameter_keys(result)]
    renamed = _renamed(result, names)
    value, deriv = _value_output(result), _derivative_output(result)
    wrt = ", ".join(result.wrt)
    scalar = SCALAR_VALUE[backend.name]
    lets = "".join(f", {name} = {text}" for name, text in _let_sources(result))
    convention = [
        "    Scalars, 1-d vectors and 2-d matrices in; out the layout-free value of shape",
        "    shape(expression) + shape(variable), entry [i…, k…] = ∂f[i…]/∂x[k…] (mcalc --at).",
    ]
    docs = {
        f"f{tag}": [
            f"    {result.source}{lets}: its value ({scalar} for a scalar, a 1-d array for a vector).",
            *renamed,
        ],
        name: [f"    ∂/∂{wrt} of {result.source}{lets}.", "", *convention, *renamed],
        f"f_and_{name}": [
            f"    ({result.source}, ∂/∂{wrt}) as `f{tag}` and `{name}` return them; what the two",
            "    share is computed once.",
            *renamed,
        ],  # fmt: skip
    }
    outputs = {f"f{tag}": [value], name: [deriv], f"f_and_{name}": [value, deriv]}
    lines = list(backend.header)
    for fname, outs in outputs.items():
        doc = docs[fname]
        doc[0] = '    """' + doc[0][4:]
        doc[-1] += '"""'
        lines += ["", "", f"def {fname}({', '.join(params)}):", *doc, *_body(result, outs, names, backend)]
    text = "\n".join(lines)
    if backend is not NUMPY and re.search(r"\bnp\.[a-z]", text):  # a node type only NumPy's table spells yet
        raise InputError(f"no {backend.name} code for part of {result.source}: only --format numpy writes it")
    if backend.functions is None:  # NumPy: the catalogue's helpers, in the order the trees use them
        for helper in _helpers([value.tree, deriv.tree]):
            lines += ["", "", *helper]
    for helper_name, helper in backend.helpers.items():
        if f"{helper_name}(" in text:
            lines += ["", "", *helper]
    return "\n".join(lines)


def _body(result: Result, outputs: list[_Output], names: dict[str, str], backend: Backend) -> list[str]:
    env = result.env
    dims: dict[str, str] = {}
    lines: list[str] = []
    params = [names[key] for key in _parameter_keys(result)]
    for key in _parameter_keys(result):
        name = key.rstrip("′")
        lines.append(f"    {names[key]} = {backend.op('param', names[key])}{_shape2(env.kind(name))}")
        for axis, d in enumerate(env.shape_of_var(name)):
            d = env.resolve(d)
            if isinstance(d, str) and d not in dims:
                dims[d] = f"{names[name]}.shape[{axis}]"
    if backend.dtype_line:  # every constant array is made in the inputs' dtype (and device)
        lines.append("    " + backend.dtype_line.format(", ".join(params)))
    writer = NumpyWriter(env, dims, names, backend)
    for name, definition in env.lets.items():  # --let names, each computed once, in the order given
        lines.append(f"    {names[name]} = {strip(writer.w(definition))}")
    for temp, node in writer.plan_temps([r for o in outputs for r in o.roots()]):
        lines.append(f"    {temp} = {strip(writer.w(node))}")
        writer.temps[node] = temp
    returns: list[str] = []
    for out in outputs:
        stmts, ret = _emit(writer, out)
        lines += stmts
        returns.append(ret)
    lines = _drop_unused(lines)
    lines.append(f"    return {', '.join(returns)}")
    return lines


def _emit(writer: NumpyWriter, out: _Output) -> tuple[list[str], str]:
    """The statements computing `out.name` and the returned expression (a view of it, never a copy)."""
    if out.terms is not None:
        return _emit_tensor(writer, out)
    body = strip(writer.w(out.tree))
    if out.scalar_float:
        return [f"    {out.name} = {writer.op('scalar_value', body)}"], out.name
    shape = ", ".join(writer.dim(d) for d in out.dims) + ("," if len(out.dims) == 1 else "")
    return [f"    {out.name} = {writer.op('value', body)}"], writer.op("reshape_f", out.name, shape)


def _emit_tensor(writer: NumpyWriter, out: _Output) -> tuple[list[str], str]:
    assert out.terms is not None
    sizes4 = (writer.dim(out.split[0]), writer.dim(out.split[1]), writer.dim(out.split[2]), writer.dim(out.split[3]))
    split = ", ".join(sizes4)
    in_place = writer.backend.in_place  # NumPy adds into (views of) one array; JAX and PyTorch never write
    lines: list[str] = []
    started = False
    for term in out.terms:
        code = {i: writer.atom(o.node) for i, o in enumerate(term.operands)}
        sizes = {x: writer.dim(d) for x, d in term.sizes.items()}
        coef = None if abs(term.coef) == 1 else repr(float(abs(term.coef)))
        spelled = numpy_tensor.spell(term, code, sizes, coef, writer.backend, sizes4)
        sign = "-" if term.coef < 0 else "+"
        if not started and spelled.fills:
            value = spelled.value if sign == "+" else f"-{spelled.value}"
            lines.append(f"    {out.name} = {value}")
        else:
            if not started:
                lines.append(f"    {out.name} = {writer.op('zeros', split)}")
            if in_place and not started:  # the zeros are written, not read and added to: one page fault a page
                lines.append(f"    {spelled.view} = {spelled.value if sign == '+' else f'-{spelled.value}'}")
            elif in_place:
                lines.append(f"    {spelled.view} {sign}= {spelled.value}")
            else:
                lines.append(f"    {out.name} = {out.name} {sign} {spelled.value}")
        started = True
    if not started:
        lines.append(f"    {out.name} = {writer.op('zeros', split)}")
    shape = ", ".join(writer.dim(d) for d in out.dims) + ("," if len(out.dims) == 1 else "")
    return lines, f"{out.name}.reshape(({shape}))"


def _let_sources(result: Result) -> list[tuple[str, str]]:
    from mcalc.render.printer import render_text

    return [(name, render_text(tree)) for name, tree in result.env.lets.items()]


def _helpers(trees: list[Node]) -> list[tuple[str, ...]]:
    """The helper definitions (sigmoid's stable form) of the catalogue functions the code calls, once each."""
    used: dict[str, None] = {}
    seen: set[Node] = set()
    stack = list(trees)
    while stack:
        n = stack.pop()
        if n in seen:
            continue  # a shared sub-tree is walked once
        seen.add(n)
        if isinstance(n, (N.Apply, N.Columnwise, N.Frechet)):  # a Frechet node calls its function's helper
            used.setdefault(n.func)
        stack.extend(n.children())
    helpers = [functions.get(name).numpy_helper for name in used]
    return list(dict.fromkeys(h for h in helpers if h))


_TEMP = r"    (_t\d+) = "
_TEMP_NAME = re.compile(r"\b_t\d+\b")


def _drop_unused(lines: list[str]) -> list[str]:
    """Temporaries that every use turned into a solve (or that the other output of the function
    needed) are not computed. Every temporary's uses are counted in one pass over the text (one search per
    temporary was quadratic: 34 s of a 3,000-term sum's gradient)."""
    while True:
        uses = Counter(_TEMP_NAME.findall("\n".join(lines)))
        unused = {i for i, ln in enumerate(lines) if (m := re.match(_TEMP, ln)) and uses[m.group(1)] == 1}
        if not unused:
            return lines
        lines = [ln for i, ln in enumerate(lines) if i not in unused]


def _shape2(kind: Kind) -> str:
    return {Kind.SCALAR: ".reshape(1, 1)", Kind.VECTOR: ".reshape(-1, 1)", Kind.MATRIX: ""}[kind]


__all__ = ["derivative_param", "function_name", "parameters", "python_names", "render_code", "render_numpy"]
