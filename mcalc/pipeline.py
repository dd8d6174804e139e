"""The one place the stages are chained: parse → shapes → differentiate → identify → simplify,
and, on request, evaluate and check. Renderers and the CLI only read the `Result` it returns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import field, replace
from fractions import Fraction
from typing import Any

from mcalc.calculus.differentiate import Derivation, differential
from mcalc.calculus.identify import gradient, vec_jacobian
from mcalc.calculus.structured import along_structure, jacobian_along_structure, require_symmetric_arguments
from mcalc.errors import InputError, MathError, McalcError, ShapeError, Span
from mcalc.reading import Reading, Source, read
from mcalc.records import Record, record
from mcalc.shapes import Declarations, Kind, ShapeEnv, default_kind, fix_identities, infer_shapes
from mcalc.shapes.ones import ones_for_one
from mcalc.shapes.powers import matrix_powers
from mcalc.simplify import Simplifier, shortest
from mcalc.simplify.textbook import textbook
from mcalc.syntax import commutation, euler
from mcalc.syntax import nodes as N
from mcalc.syntax.application import judge
from mcalc.syntax.index_gate import may_be_index
from mcalc.syntax.nodes import Node
from mcalc.syntax.parser import parse_read
from mcalc.view import Layout

Array = Any


class DerivKind(enum.StrEnum):
    GRADIENT = "gradient"  # scalar f, vector or matrix X: G shaped like X
    JACOBIAN = "jacobian"  # vector f, vector x: J (m×n)
    SCALAR_VAR = "derivative"  # anything w.r.t. a scalar: shaped like f
    TENSOR = "tensor"  # matrix or vector f w.r.t. a matrix: vec form ∂vec f/∂vec X


@record
class Stage(Record):
    var: str
    function: Node  # what was differentiated at this stage
    differential: Node  # d(function), linear in d(var), simplified
    kind: DerivKind
    result: Node  # layout-free matrix form (G, J, df/dt, or the vec Jacobian)
    derivation: Derivation
    # the simplifier that made `result`: `displayed` reuses its memo (a fresh one simplified a 3,000-term
    # result again, node by node, to transpose it: 1.4 s of a least-squares gradient)
    simp: Simplifier | None = None


@record
class Result(Record):
    source: str
    tree: Node
    env: ShapeEnv
    stages: list[Stage] = field(default_factory=list)
    # the index terms `value` is evaluated from, once computed (_index_terms: "form", None for the vec form),
    # their einsum plans by sizes ("plans"), the derivative before the last ("previous", for --check)
    index_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    @property
    def wrt(self) -> list[str]:
        return [s.var for s in self.stages]


def prepare(
    source: str,
    decl: Declarations | None = None,
    extra: tuple[str, ...] = (),
    wrt: tuple[str, ...] = (),
    value_shapes: Mapping[str, tuple[int, ...]] | None = None,
    standing: bool = False,
    claim_k: bool = False,
) -> tuple[Node, ShapeEnv, list[Node]]:
    """Parse and infer shapes. `value_shapes` (name → shape of its `--at` value) decides the kind of every
    name that is not declared: 0-d scalar, 1-d vector, 2-d matrix (README § How mcalc reads a name).
    `standing`: the declarations are a kept session's, made for many expressions, so one that this
    expression does not use is no typo (no warning). An expression in index notation (`x_i A_ij x_j`) is
    read as its matrix form (`x^T A x`), which the notes say (mcalc.syntax.index_expression). `claim_k`: the
    extra texts are claims of `mcalc check`, whose K_mn and bare K are the commutation matrix where the
    expression has no such name."""
    decl = decl or Declarations()
    index = None
    if may_be_index(source):  # the index reader is loaded only for a source that can be index notation
        from mcalc.syntax.index_expression import read as read_index_expression

        index = read_index_expression(source, {*wrt, *(value_shapes or {}), *decl.declared})
    if index is None:
        return _prepare(source, decl, extra, wrt, value_shapes, standing, claim_k)
    try:
        tree, env, extra_trees = _prepare(index.text, decl, extra, wrt, value_shapes, standing, claim_k)
    except McalcError as err:
        # its span counts in the matrix form, which the user did not type: the message names that form
        err.message, err.span = f"{err.message} (in {index.text}, the matrix form of the index expression)", None
        raise
    env.notes = [index.note, *env.notes]
    return tree, env, extra_trees


def _prepare(
    source: str,
    decl: Declarations,
    extra: tuple[str, ...],
    wrt: tuple[str, ...],
    value_shapes: Mapping[str, tuple[int, ...]] | None,
    standing: bool,
    claim_k: bool,
) -> tuple[Node, ShapeEnv, list[Node]]:
    for var in wrt:
        _check_name(var)
    declared = decl.declared
    decl = with_value_kinds(decl, value_shapes or {})
    params = frozenset(decl.scalars)
    tree, parser = parse_read(source, params)
    # F(x), f(x): a product with a warning, or refused (mcalc.syntax.application)
    variables = decl.declared | set(wrt) | {name for name, _ in decl.lets}
    applied = judge(parser.applied, tree, variables)
    extras = [_parse_extra(e, params) for e in extra]
    extras, commuted = _claim_k(tree, extras, extra, variables) if claim_k else (extras, [])
    tree, extras, constant = _euler(tree, extras, variables)  # e^x: exp(x) unless e is a variable here
    extra_trees = [t for t, _ in extras]

    def infer(tree: Node) -> tuple[ShapeEnv, Node]:
        if decl.lets:
            return _infer_with_lets(tree, decl, (source, *extra), extra_trees, wrt, declared, value_shapes or {})
        return infer_shapes(tree, decl, source, extra=extra_trees, variables=wrt, extra_sources=extra)

    parsed = tree
    try:
        env, tree = infer(parsed)
    except ShapeError as err:
        said = euler.refusal(err, source, [parsed]) if constant is not None else None
        raise (said or err) from None
    ones: list[str] = []
    if parser.ones or any(spans for _, spans in extras):
        # X 1, x^T 1: the 1 is 𝟙 where it multiplies an array (mcalc.shapes.ones), in the claim too; read again so
        with_ones, ones = ones_for_one(env, parsed, parser.ones, source)
        claims = [ones_for_one(env, t, spans, text) for (t, spans), text in zip(extras, extra, strict=True)]
        ones += [f"in the claim: {note}" for _, notes in claims for note in notes]
        if ones:
            extra_trees[:] = [t for t, _ in claims]
            env, tree = infer(with_ones)
    notes = [n.message for n in parser.notes] + applied + ones + commuted
    if constant is not None:
        notes += euler.notes([tree, *extra_trees], [source, *extra])
        tree, extra_trees[:] = euler.as_exp(tree), [euler.as_exp(t) for t in extra_trees]
    env.notes = notes + env.notes + _unused(frozenset() if standing else declared, value_shapes or {}, env)
    env.kind_sources = {n: Source.DECLARED if n in declared else Source.AT for n in decl.declared if n in env.kinds}
    tree, extra_trees = matrix_powers(tree, env), [matrix_powers(t, env) for t in extra_trees]
    return tree, env, [fix_identities(env, t) for t in extra_trees]


def _claim_k(
    tree: Node, extras: list[tuple[Node, list[Span]]], texts: tuple[str, ...], variables: frozenset[str]
) -> tuple[list[tuple[Node, list[Span]]], list[str]]:
    """K_mn and a bare K in a claim: the commutation matrix where the expression has no such name
    (mcalc.syntax.commutation), and the notes that say so."""
    if not any("K" in text for text in texts):
        return extras, []
    in_expr = set(N.free_symbols(tree)) | variables
    read_k = [commutation.in_claim(t, in_expr) for t, _ in extras]
    return [(t, spans) for (t, _), (_, spans) in zip(read_k, extras, strict=True)], [n for _, ns in read_k for n in ns]


def _euler(
    tree: Node, extras: list[tuple[Node, list[Span]]], variables: frozenset[str]
) -> tuple[Node, list[tuple[Node, list[Span]]], list[Node] | None]:
    """The expression and claims with each power of e given the base exp(1) (mcalc.syntax.euler), and those
    trees; unchanged (and None) when e is a variable here."""
    constant = euler.as_constant([tree, *(t for t, _ in extras)], variables)
    if constant is None:
        return tree, extras, None
    return constant[0], [(t, spans) for t, (_, spans) in zip(constant[1:], extras, strict=True)], constant


def _unused(declared: frozenset[str], values: Mapping[str, object], env: ShapeEnv) -> list[str]:
    """A declaration or an --at value for a name the expression never uses is most likely a typo
    (`--scalar lamda`, `--at X=...` for x): say so rather than ignore it."""
    present = set(env.kinds) | set(env.functions)
    primed = {f"{name}{'′' * k}" for name in env.functions for k in range(1, 4)}  # A′, A′′: values of A(t)
    out = [f"{name} is declared but does not occur in the expression" for name in sorted(declared - present)]
    out += [
        f"--at {name}: {name} does not occur in the expression; its value is not used"
        for name in sorted(set(values) - present - primed - declared)
    ]
    return out


def _infer_with_lets(
    tree: Node,
    decl: Declarations,
    sources: tuple[str, ...],
    extra: list[Node],
    wrt: tuple[str, ...],
    declared: frozenset[str],
    values: Mapping[str, object],
) -> tuple[ShapeEnv, Node]:
    """Shapes inferred with every `--let` name written out; each name then keeps its definition's shape
    (mcalc.lets). Lets the expression does not use are left out, with a note."""
    from mcalc import lets as L

    every = L.parse_lets(decl.lets, frozenset(decl.scalars))
    L.refuse_values(every, values)
    L.refuse_declared(every, declared, wrt)
    used = L.used_lets([tree, *extra], every)
    L.check_depth([tree, *extra], used)
    expand = L.Expander(used)
    written, written_extra = expand(tree), [expand(t) for t in extra]
    L.check_size([written, *written_extra])
    env, _ = infer_shapes(written, decl, sources[0], extra=written_extra, variables=wrt, extra_sources=sources[1:])
    L.attach(env, used, expand)
    env.notes = L.unused_note(every, used)
    return env, fix_identities(env, tree)


def with_value_kinds(decl: Declarations, value_shapes: Mapping[str, tuple[int, ...]]) -> Declarations:
    """The declarations with each undeclared name given the kind its value has: 0-d scalar, 1-d vector,
    2-d matrix; a one-column 2-d value for a lowercase name stays the column vector it is written as."""
    kinds: dict[int, set[str]] = {0: set(), 1: set(), 2: set()}
    for name, shape in value_shapes.items():
        ndim = len(shape)
        if ndim == 2 and shape[1] == 1 and default_kind(name) is Kind.VECTOR:
            ndim = 1
        if name not in decl.declared and ndim in kinds:
            kinds[ndim].add(name)
    return replace(
        decl,
        scalars=decl.scalars | kinds[0],
        vectors=decl.vectors | kinds[1],
        matrices=decl.matrices | kinds[2],
    )


def reading(result: Result) -> Reading:
    """What was read, and the warnings, for a derivative."""
    from mcalc.lets import expand

    return read(result.env, expand(result.env.lets, result.tree), result.wrt)


def _parse_extra(src: str, params: frozenset[str]) -> tuple[Node, list[Span]]:
    """A claim's tree, and the 1s in it that may be 𝟙 (mcalc.shapes.ones)."""
    try:
        tree, parser = parse_read(src, params)
    except McalcError as exc:
        raise exc.in_claim() from None
    return tree, parser.ones


def differentiate(source: str, wrt: list[str], decl: Declarations | None = None) -> Result:
    tree, env, _ = prepare(source, decl, wrt=tuple(wrt))
    return differentiate_tree(source, tree, env, wrt)


def _check_name(var: str) -> None:
    """A --wrt variable is one name of the expression syntax (x, W1, x_0, θ), nothing else."""
    from mcalc.syntax.lexer import Tok, tokenize

    try:
        tokens = tokenize(var)
    except McalcError:
        tokens = []
    if len(tokens) != 2 or tokens[0].kind is not Tok.NAME or tokens[0].text != var:
        hint = (  # `mcalc diff "-w" --wrt w`: -w is --wrt's short form, so the option parser took the expression
            "; an expression that starts with '-' goes after '--': mcalc diff --wrt w -- \"-w\""
            if var.startswith("-")
            else ""
        )
        raise InputError(f"--wrt {var!r} is not a variable name (one letter, then digits or _subscript){hint}")


def differentiate_tree(source: str, tree: Node, env: ShapeEnv, wrt: list[str]) -> Result:
    if not wrt:
        known = ", ".join(env.kinds) or "none"
        raise InputError(f"say which variable to differentiate by: --wrt NAME (variables: {known})")
    result = Result(source, tree, env)
    simp = Simplifier(env)
    function = simp(tree)
    for var in wrt:
        _check_name(var)
        if var not in env.kinds:
            known = ", ".join(env.kinds) or "none"
            raise InputError(f"{var} does not occur in the expression (variables: {known})")
        if var in env.functions:
            param = env.functions[var]
            raise InputError(f"{var} is a function of {param}; differentiate by {param}")
        stage = _derive(function, var, env, simp)
        result.stages.append(stage)
        function = stage.result
    return result


def derive_partial(function: Node, var: str, env: ShapeEnv, hold: frozenset[str]) -> Stage:
    """∂function/∂var with the `--let` names in `hold` as constants (`var` may be a let name): the
    factors of the chain rule that `--steps` shows (mcalc.steps.chain)."""
    simp = Simplifier(env)
    return _derive(simp(function), var, env, simp, hold)


def _derive(function: Node, var: str, env: ShapeEnv, simp: Simplifier, hold: frozenset[str] = frozenset()) -> Stage:
    derivation = Derivation()
    require_symmetric_arguments(function, var, env, simp.is_symmetric)  # chol's (mcalc.calculus.structured)
    raw = differential(function, var, env, derivation, hold)
    r, c = env.shape(function)
    vr, vc = env.shape_of_var(var)
    kind_var = env.kind(var)
    f_scalar = r == 1 and c == 1
    if kind_var is Kind.SCALAR:
        kind = DerivKind.SCALAR_VAR
    elif f_scalar:
        kind = DerivKind.GRADIENT
    elif c == 1 and kind_var is Kind.VECTOR:
        kind = DerivKind.JACOBIAN
    else:
        kind = DerivKind.TENSOR
    d = simp(raw) if raw is not None else None
    if d is None or isinstance(d, N.Zero) or (isinstance(d, N.Number) and d.value == 0):
        d_zero: Node = N.Zero(r, c) if not f_scalar else N.Number(Fraction(0))
        zero_shape = {
            DerivKind.SCALAR_VAR: (r, c),
            DerivKind.GRADIENT: (vr, vc),
            DerivKind.JACOBIAN: (r, vr),
            DerivKind.TENSOR: (env.resolve((r, c)), env.resolve((vr, vc))),
        }[kind]
        zr, zc = zero_shape
        zero: Node = N.Number(Fraction(0)) if (zr, zc) == (1, 1) else N.Zero(zr, zc)
        return Stage(var, function, d_zero, kind, zero, derivation, simp)
    result: Node
    if kind is DerivKind.SCALAR_VAR:
        result = simp(N.substitute(d, {N.Differential(var): N.Number(Fraction(1))}))
    elif kind is DerivKind.GRADIENT:
        result = simp(gradient(d, var, env))
        if var in env.symmetric and not simp.is_symmetric(result):
            # the gradient on symmetric matrices: the symmetric part, sym(G) = (G + Gᵀ)/2
            half = N.Number(Fraction(1, 2))
            result = simp(N.Mul((half, N.Add((result, N.Transpose(result))))))
        structured = along_structure(result, var, env)  # --diagonal, --toeplitz (mcalc.calculus.structured)
        if structured is not None:
            result = simp(structured)
    else:
        result = simp(vec_jacobian(d, var, env))
        if kind is DerivKind.TENSOR and var in env.symmetric:
            half = N.Number(Fraction(1, 2))
            n = env.resolve(vr)
            sym = N.Mul((half, N.Add((N.Identity(env.resolve((n, n))), N.Commutation(n, n)))))
            result = simp(N.Mul((result, sym)))
        structured = jacobian_along_structure(result, var, env) if kind is DerivKind.TENSOR else None
        if structured is not None:
            result = simp(structured)
    result = shortest(result, simp)
    if env.lets:
        from mcalc.lets import shorter

        result = shorter(env.lets, result, simp)
    return Stage(var, function, d, kind, result, derivation, simp)


# --- layouts ---


def flipped(stage: Stage, layout: Layout, env: ShapeEnv) -> bool:
    """Whether `layout` shows the transpose of mcalc's (mixed-layout) result: a gradient in numerator
    layout, a Jacobian or vec Jacobian in denominator layout, d/dt of a vector in denominator layout."""
    if stage.kind is DerivKind.GRADIENT:
        return layout is Layout.NUMERATOR
    if stage.kind in (DerivKind.JACOBIAN, DerivKind.TENSOR):
        return layout is Layout.DENOMINATOR
    return layout is Layout.DENOMINATOR and bool(env.is_vector(stage.result))


def displayed(stage: Stage, layout: Layout, env: ShapeEnv) -> Node:
    """The result as shown in the chosen layout (the numeric value never depends on it)."""
    simp = stage.simp if stage.simp is not None and stage.simp.env is env else Simplifier(env)
    shown = simp(N.Transpose(stage.result)) if flipped(stage, layout, env) else stage.result
    return textbook(shown, simp)  # transposes outside, common scalars out: the last step before printing


LAYOUT_NOTES = {
    Layout.MIXED: "gradients shaped like the variable, Jacobians as ∂fᵢ/∂xⱼ (rows follow f)",
    Layout.NUMERATOR: "numerator layout: rows follow f, columns follow the variable",
    Layout.DENOMINATOR: "denominator layout: rows follow the variable, columns follow f",
}


# --- numbers ---


def layout_free_shape(env: ShapeEnv, node: Node) -> tuple[int, ...]:
    r, c = env.shape(node)
    rs, cs = env.size(r), env.size(c)
    if r == 1 and c == 1:
        return ()
    if c == 1:
        return (rs,)
    return (rs, cs)


def var_shape(env: ShapeEnv, var: str) -> tuple[int, ...]:
    r, c = env.shape_of_var(var)
    kind = env.kind(var)
    if kind is Kind.SCALAR:
        return ()
    if kind is Kind.VECTOR:
        return (env.size(r),)
    return (env.size(r), env.size(c))


def value_shape(result: Result) -> tuple[int, ...]:
    shape = layout_free_shape(result.env, result.tree)
    for v in result.wrt:
        shape = shape + var_shape(result.env, v)
    return shape


def evaluate_value(result: Result, values: Mapping[str, Array]) -> Array:
    """The contract's `value`: shape(EXPR) + shape(VAR), entry [i…, k…] = ∂EXPR[i…]/∂VAR[k…]. A tensor-valued
    derivative is evaluated from its index terms where it has them (no Kronecker intermediates)."""
    from mcalc.numeric.einsum_terms import evaluate_terms
    from mcalc.numeric.evaluate import evaluate

    plans = _plans(result, None)
    if plans is not None:
        return evaluate_terms(plans, value_shape(result), result.env, values)
    stage = result.final
    if _index_terms(result) is not None:  # index splits that cross at these sizes: measured as it is built
        from mcalc.numeric.budget import check_trees

        check_trees(result.env, [stage.result], free=1)
    arr = evaluate(stage.result, result.env, values)
    return _arrange(arr, value_shape(result))


def _by_index_terms(result: Result) -> bool:
    """Whether the value is read off the index terms: a third or higher derivative, or any whose value has
    three axes or more (a matrix by a matrix, the Hessian of a vector), unless by a diagonal or Toeplitz
    matrix (whose derivative is taken along the structure, in the vec form)."""
    env = result.env
    if any(env.structure(v) in ("diagonal", "Toeplitz") for v in result.wrt):
        return False
    r, c = env.shape(result.tree)
    axes = 0 if (r, c) == (1, 1) else 1 if c == 1 else 2
    axes += sum({Kind.SCALAR: 0, Kind.VECTOR: 1}.get(env.kind(v), 2) for v in result.wrt)
    return len(result.stages) >= 3 or axes >= 3


def _index_terms(result: Result) -> Any:
    """The index terms of the n-th differential (calculus.index_terms, compound), computed once; None
    where the value is the vec form's (_by_index_terms) or a term has no entry-wise reading."""
    from mcalc.calculus.index_terms import NoIndexTerms, index_form

    if "form" not in result.index_cache:
        form = None
        if _by_index_terms(result):
            try:
                first = result.stages[0]
                simp = first.simp if first.simp is not None else Simplifier(result.env)
                form = index_form(first.function, result.wrt, result.env, simp, True, first.differential)
            except NoIndexTerms:
                form = None
        result.index_cache["form"] = form
    return result.index_cache["form"]


PLANS_KEPT = 8


def _plans(result: Result, free: int | None) -> Any:
    """The einsum plans of the value's terms at the bound sizes (a free one counts as `free`), made once
    for each set of sizes; None where the vec form is used."""
    from mcalc.numeric.einsum_terms import NoReading, plan_terms

    form = _index_terms(result)
    if form is None:
        return None
    env = result.env
    sizes = {x: env.size(d, free) for x, d in form.dims.items()}
    key = tuple(sizes.items())
    made = result.index_cache.setdefault("plans", {})
    if key not in made:
        if len(made) >= PLANS_KEPT:  # a Derivative evaluated at ever new sizes keeps a few plans, not all
            made.clear()
        out = [x for pair in (form.f_indices, *form.slot_indices) for x in pair if x]
        terms = [(float(t.coef), [(e.node, e.rows, e.cols) for e in t.entries], t.links) for t in form.terms]
        try:
            made[key] = plan_terms(terms, out, sizes)
        except NoReading:
            made[key] = None
    return made[key]


def _arrange(arr: Array, shape: tuple[int, ...]) -> Array:
    import numpy as np

    arr = np.asarray(arr, dtype=float)
    # vec forms stack columns, so the unfolding is column-major (Fortran order)
    return arr.reshape(shape, order="F") if arr.size == int(np.prod(shape)) else arr


def evaluate_expression(tree: Node, env: ShapeEnv, values: Mapping[str, Array]) -> Array:
    from mcalc.numeric.evaluate import evaluate

    return _arrange(evaluate(tree, env, values), layout_free_shape(env, tree))


def check(result: Result, seed: int | None = None) -> Any:
    """`--check`: the final derivative against finite differences of what it differentiates (the
    expression, or the previous derivative for a second --wrt), at random points; sizes restored."""
    from mcalc.numeric.check import check_derivative, domain_of

    _refuse_abstract(result, "values for --check")
    env = result.env
    if len(result.stages) == 1:

        def f_value(values: Mapping[str, Array]) -> Array:
            return evaluate_expression(result.tree, env, values)

    else:
        previous = _previous(result)

        def f_value(values: Mapping[str, Array]) -> Array:
            return evaluate_value(previous, values)

    def d_value(values: Mapping[str, Array]) -> Array:
        return evaluate_value(result, values)

    domain = domain_of([result.tree, result.stages[0].result], env)
    saved = dict(env.sizes)
    try:
        zero = isinstance(result.final.result, N.Zero)  # the zero array: 0 at every point, not by underflow
        return check_derivative(env, result.wrt, f_value, d_value, domain, seed=seed, zero=zero)
    finally:
        env.sizes.clear()
        env.sizes.update(saved)


def value_at(result: Result, loaded: Mapping[str, Array], rename: Callable[[str], str] | None = None) -> Array:
    """The derivative's value at the values given (`--at`, or `Derivative.value`): bad values are an
    InputError, a singular or undefined point a MathError. The sizes the values fix stay bound in
    `result.env` (the CLI then reports them); callers that reuse the result restore them."""
    import numpy as np

    from mcalc.numeric.evaluate import SINGULAR
    from mcalc.numeric.given import bind_values, explain_nonfinite, require_derivative_domain
    from mcalc.numeric.spectral import no_derivative

    env = result.env
    _refuse_abstract(result, "values")
    required = [n for n in env.kinds if n not in env.functions]
    for name in env.functions:
        required.extend(name + "′" * k for k in range(max(_orders(result, name)) + 1))
    values = bind_values(env, loaded, required, [result.tree], rename=rename)
    require_derivative_domain(env, result.tree, values, result.wrt)
    within_budget(result, free=1, reference=False)  # every size is bound by the values now
    with np.errstate(all="ignore"):
        # the derivative is reported only where the expression itself is defined (log of a negative
        # entry, logdet of a matrix with negative determinant: exit 1, as `mcalc eval` says)
        here = evaluate_expression(result.tree, env, values)
        if not np.all(np.isfinite(here)):
            problem = explain_nonfinite(result.tree, env, values)
            raise problem if problem is not None else MathError("the expression is not finite at the values given")
        problem = no_derivative([result.tree], env, values, SINGULAR)  # λ_max at a repeated eigenvalue
        if problem is not None:
            raise problem
        value = evaluate_value(result, values)
    if not np.all(np.isfinite(value)):
        problem = explain_nonfinite(result.tree, env, values)
        if problem is None:
            problem = MathError("the derivative is not finite at the values given (overflow or division by zero)")
        raise problem
    return value


def _refuse_abstract(result: Result, what: str) -> None:
    """A --function or --elementwise function has no values: one line before any work."""
    from mcalc.syntax.declared import refuse_numbers

    refuse_numbers([result.tree, *(stage.result for stage in result.stages)], what)


def _orders(result: Result, name: str) -> list[int]:
    """The orders of A(t)'s derivatives that the expression and its derivatives use (0 for A itself)."""
    orders = [0]
    for stage in result.stages:
        stack = [stage.result, result.tree]
        while stack:
            n = stack.pop()
            if isinstance(n, N.FunctionOf) and n.name == name:
                orders.append(n.order)
            stack.extend(n.children())
    return orders


def _previous(result: Result) -> Result:
    """The derivative before the last (--check differences its value), made once."""
    if "previous" not in result.index_cache:
        result.index_cache["previous"] = Result(result.source, result.tree, result.env, result.stages[:-1])
    previous: Result = result.index_cache["previous"]
    return previous


def within_budget(result: Result, free: int, reference: bool = True) -> None:
    """Array sizes estimated from the shapes before anything is allocated (mcalc.numeric.budget); a free
    dimension counts as `free` or as the largest size --check draws for this many dimensions. What is
    measured is what is built: for the value (and with `reference`, the one before it, which --check
    differences), the arrays of the index terms and the largest array of their contraction, or each
    sub-tree of the vec form."""
    from mcalc.numeric import budget
    from mcalc.numeric.einsum_terms import largest
    from mcalc.numeric.points import largest_draw

    free = max(free, largest_draw(result.env))
    trees: list[Node] = []
    built = 0
    for part in (result, _previous(result)) if reference and len(result.stages) > 1 else (result,):
        plans = _plans(part, free)
        if plans is None:
            trees.append(part.final.result)
        else:
            trees += [node for plan in plans for node, _ in plan.operands]
            built = max(built, largest(plans))
    budget.check_derivative(result.env, result.tree, trees, result.wrt, free)
    budget.require("an intermediate array of the derivative", built)
