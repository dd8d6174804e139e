"""Shape inference over whole expressions: kinds, initial dimensions, unification, sizes from values.

The whole expression is unified at once, so in `aᵀ X b` the rows of X meet the length of a. Symbols the
user names with `--shape` are rigid: `--shape A=m×n,B=p×q` and `A B` is a mismatch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from mcalc.errors import InputError, McalcError, ShapeError
from mcalc.records import Record, record
from mcalc.shapes import letters
from mcalc.shapes.by_use import scalars_by_use
from mcalc.shapes.env import ShapeEnv, _infer, name_dims
from mcalc.shapes.kinds import SCALAR_SHAPE, Declarations, Kind, Shape, dim_text, kind_of
from mcalc.syntax import nodes as N
from mcalc.syntax import vector_functions
from mcalc.syntax.nodes import Dim, Node


def _function_params(tree: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.FunctionOf):
            other = out.setdefault(n.name, n.param)
            if other != n.param:
                raise ShapeError(f"{n.name} is used as a function of both {other} and {n.param}", n.span)
        stack.extend(n.children())
    return out


def _check_function_use(tree: Node, functions: Mapping[str, str]) -> None:
    """A name written both as A(t) and as a bare A is an error. When the two spellings sit in different
    texts (an expression and a claim), the error has no position: a column would point into the wrong one."""
    own = _function_params(tree)
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.Symbol) and n.name in functions:
            p = functions[n.name]
            if n.name in own:
                raise ShapeError(f"{n.name} is a function of {p}: write {n.name}({p})", n.span)
            raise ShapeError(
                f"{n.name} is written {n.name}({p}) in one expression and {n.name} in the other: "
                f"write {n.name}({p}) in both"
            )
        stack.extend(n.children())


@record(frozen=True)
class Texts(Record):
    """What one inference reads: the expression's tree, the `extra` trees (a claim) unified with it, their
    texts (for errors), and the --wrt variables, which have a kind even where no tree mentions them."""

    tree: Node
    extra: tuple[Node, ...]
    sources: tuple[str, ...]
    variables: tuple[str, ...]

    @property
    def trees(self) -> list[Node]:
        return [self.tree, *self.extra]


def infer_shapes(
    tree: Node,
    decl: Declarations | None = None,
    source: str = "",
    extra: Iterable[Node] = (),
    variables: Iterable[str] = (),
    extra_sources: Iterable[str] = (),
) -> tuple[ShapeEnv, Node]:
    """Kinds and symbolic shapes of every variable in `tree` (and in `extra` trees, such as a
    claimed answer), unified across all of them. Returns the environment and the tree with each
    identity matrix given the size its context needs.

    A name's kind is decided, in order: declared; else (by the caller) read from its `--at` value; else
    by how the expression uses it. An undeclared lowercase name is a vector by convention, but one that
    only scales scalar-valued factors or is added to scalars is read as a scalar (`x^T A x + c`,
    `alpha x^T x`): broadcasting never makes an undeclared name a vector (README § Kinds and shapes).

    `extra_sources` are the texts of the `extra` trees (the claim of `mcalc check`): an error met in one
    of them quotes that text and says it is in the claim (its span counts in the claim).
    """
    decl = decl or Declarations()
    texts = Texts(tree, tuple(extra), (source, *extra_sources), tuple(variables))
    trees = texts.trees
    by_use = vector_functions.read_by_use(trees)
    try:
        env, fixed = _read(texts, decl, frozenset(by_use))
    except ShapeError:
        # f(x) read as a number does not fit (A f(x) + b): read every --function declared by name as
        # vector-valued, and keep that reading if it fits
        more = [f for f in vector_functions.applied_undecided(trees) if f not in by_use]
        if not more:
            raise
        try:
            env, fixed = _read(texts, decl, frozenset([*by_use, *more]))
        except ShapeError:
            pass
        else:
            by_use.update(dict.fromkeys(more, "read as a number it does not fit the expression"))
        if not set(more) <= set(by_use):
            raise
    env.notes += [vector_functions.by_use_note(f, why) for f, why in by_use.items()]
    return env, fixed


def _read(texts: Texts, decl: Declarations, vector_valued: frozenset[str]) -> tuple[ShapeEnv, Node]:
    """Shapes with the --function names in `vector_valued` read as vector-valued (infer_shapes)."""
    last: list[tuple[Declarations, tuple[ShapeEnv, Node]]] = []

    def trial(d: Declarations) -> tuple[ShapeEnv, Node]:
        last[:] = [(d, _infer_kinds(texts, d, vector_valued))]
        return last[0][1]

    scalars = scalars_by_use(texts.trees, decl, trial)
    if scalars:
        widened = replace(decl, scalars=decl.scalars | scalars)
        # the reading that held is the last one tried, as a rule: its inference is not done again (each
        # is a pass over the whole input, and a long sum of c_i x_iᵀ A x_i has thousands of such names)
        env, fixed = last[0][1] if last and last[0][0] == widened else _infer_kinds(texts, widened, vector_valued)
        env.inferred_scalars = scalars
        return env, fixed
    return _infer_kinds(texts, decl, vector_valued)


def _infer_kinds(texts: Texts, decl: Declarations, vector_valued: frozenset[str]) -> tuple[ShapeEnv, Node]:
    """Inference; again with K's subscript letters bound to the dimensions they name, when inference left
    a letter on a dimension of another name (mcalc.shapes.letters)."""
    env, fixed = _infer_once(texts, decl, vector_valued, {}, ())
    bound = letters.bindings(env)
    if bound is not None:
        names = letters.dimension_names(env)
        env, fixed = _infer_once(texts, decl, vector_valued, bound, names)
    return env, fixed


def _infer_once(
    texts: Texts,
    decl: Declarations,
    vector_valued: frozenset[str],
    bindings: dict[str, tuple[str, int] | None],
    dimension_names: tuple[str, ...],
) -> tuple[ShapeEnv, Node]:
    tree, sources, variables = texts.tree, texts.sources, texts.variables
    env = ShapeEnv(sources[0])
    env.vector_valued = vector_valued
    env.letter_bindings, env.dimension_names = bindings, dimension_names
    trees = texts.trees
    functions: dict[str, str] = {}
    for t in trees:
        for name, param in _function_params(t).items():
            if functions.setdefault(name, param) != param:
                raise ShapeError(f"{name} is used as a function of both {functions[name]} and {param}")
    for i, t in enumerate(trees) if functions else ():  # a name both A(t) and A: only where some A(t) is
        with _in_text(env, sources, i):
            _check_function_use(t, functions)
    env.functions = functions
    # in order of first appearance; a dict, not a list, for the membership test (a 3,000-term sum has
    # thousands of names: `in` on a list was quadratic)
    seen = dict.fromkeys(name for t in trees for name in N.free_symbols(t))
    params = set(functions.values())
    for name in variables:  # a --wrt variable the expression does not mention: its derivative is 0
        if name not in seen and name not in functions:
            seen[name] = None
            if name == "t":
                params.add(name)
    names = list(seen)
    for name in names:
        env.kinds[name] = kind_of(name, decl, name in params, name in functions)
    env.symmetric = frozenset(n for n in decl.symmetric if n in env.kinds)
    env.diagonal = frozenset(n for n in decl.diagonal if n in env.kinds)
    env.toeplitz = frozenset(n for n in decl.toeplitz if n in env.kinds)
    # the names whose kind was given (declared or an --at value), for error hints; the caller says which
    env.kind_sources = dict.fromkeys((n for n in names if n in decl.declared), "declared")
    rigid: set[str] = {str(d) for d in vector_functions.declared_lengths(trees) if isinstance(d, str)}
    for name in names:
        env.var_dims[name] = _initial_dims(env, name, decl, rigid)
    env._order, env._rigid = names, rigid
    for i, t in enumerate(trees):
        with _in_text(env, sources, i):
            _infer(env, t, unify=True)
    env._order = None
    name_dims(env, names, rigid)
    env._memo.clear()
    env._memo_by_id.clear()
    return env, _fix_identities(env, tree)


@contextmanager
def _in_text(env: ShapeEnv, sources: tuple[str, ...], i: int) -> Iterator[None]:
    """Tree i is read: an error there quotes its own text; past the expression (i > 0: the claim) it says so."""
    if i == 0:
        yield
        return
    env.source = sources[i] if i < len(sources) else ""  # no text: name the pieces, never cut another text
    try:
        yield
    except McalcError as exc:
        raise exc.in_claim() from None
    finally:
        env.source = sources[0]


def _initial_dims(env: ShapeEnv, name: str, decl: Declarations, rigid: set[str]) -> Shape:
    kind = env.kinds[name]
    given = decl.shapes.get(name)
    for d in given or ():
        if isinstance(d, str):
            rigid.add(d)
    if kind is Kind.SCALAR:
        if given and any(d != 1 for d in given):
            raise InputError(f"{name} is declared a scalar but --shape gives {given}")
        return SCALAR_SHAPE
    if kind is Kind.VECTOR:
        if given and len(given) == 2 and given[1] != 1:
            raise InputError(f"{name} is declared a vector but --shape gives two dimensions")
        return ((given[0] if given else env.uf.fresh()), 1)
    if given and len(given) == 2:
        r, c = given
        if env.structure(name) and r != c:
            raise InputError(f"{name} is {env.structure(name)} but --shape gives {dim_text(r)}×{dim_text(c)}")
        return (r, c)
    if given and len(given) == 1:
        return (given[0], given[0])
    r = env.uf.fresh()
    return (r, r) if env.structure(name) else (r, env.uf.fresh())


def fix_identities(env: ShapeEnv, tree: Node) -> Node:
    """The tree with each `I` given the size inference found for it (claims use this too)."""
    return _fix_identities(env, tree)


def _fix_identities(env: ShapeEnv, tree: Node) -> Node:
    from mcalc.shapes.spectral import spectral_norms

    return spectral_norms(env, _fix_sizes(env, tree))


def _fix_sizes(env: ShapeEnv, tree: Node) -> Node:
    if not env._identity_dims and not env.letters:
        return tree

    def walk(n: Node) -> Node:
        if isinstance(n, N.Commutation):
            return letters.fixed_commutation(env, n) or n
        if isinstance(n, N.Unvec) and (rc := letters.unvec_dims(env, n)) is not None:
            return N.Unvec(walk(n.arg), rc[0], rc[1], span=n.span)
        if isinstance(n, N.Identity) and n.dim is not None:
            return letters.fixed_identity(env, n) or n
        if isinstance(n, N.Identity):
            d = env._identity_dims.get(id(n))
            if d is None:
                return n
            return N.Identity(env.resolve(d), span=n.span)
        if isinstance(n, N.Ones) and n.rows == N.BY_CONTEXT:
            d = env._identity_dims.get(id(n))
            return n if d is None else N.Ones(env.resolve(d), n.cols, span=n.span)
        kids = n.children()
        if not kids:
            return n
        new = tuple(walk(k) for k in kids)
        return n if new == kids and all(a is b for a, b in zip(new, kids, strict=True)) else N.rebuild(n, new)

    try:
        return walk(tree)
    finally:
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        walk = None  # type: ignore[assignment]


def bind_sizes(env: ShapeEnv, arrays: Mapping[str, tuple[int, ...]]) -> None:
    """Unify each variable's dimensions with the size of the array given for it."""
    products: list[tuple[str, tuple[Dim, ...], int]] = []
    for name, shape in arrays.items():
        if name not in env.var_dims:
            continue
        kind = env.kinds[name]
        # be liberal in what we accept: a column n×1 for a vector, any single number for a scalar
        if kind is Kind.VECTOR and len(shape) == 2 and shape[1] == 1:
            shape = (shape[0],)
        if kind is Kind.SCALAR and len(shape) > 0 and all(x == 1 for x in shape):
            shape = ()
        want = {Kind.SCALAR: 0, Kind.VECTOR: 1, Kind.MATRIX: 2}[kind]
        if len(shape) != want:
            raise InputError(f"{name} is a {kind.value} but its value has {len(shape)} dimension(s) {tuple(shape)}")
        dims = env.var_dims[name]
        for d, size in zip(dims, shape, strict=False):
            r = env.resolve(d)
            if isinstance(r, int):
                if r != size:
                    raise InputError(f"{name} should have size {r} but its value has {size}")
                continue
            if isinstance(r, tuple):
                products.append((name, r, size))
                continue
            known = env.sizes.get(r)
            if known is not None and known != size:
                raise InputError(
                    f"dimension {r} is {known} elsewhere but {name} has size {size} there (shape {tuple(shape)})"
                )
            env.sizes[r] = size
        if env.structure(name) and len(shape) == 2 and shape[0] != shape[1]:
            raise InputError(f"{name} is declared {env.structure(name)} but its value is {shape[0]}×{shape[1]}")
    _bind_products(env, products)


def _bind_products(env: ShapeEnv, products: list[tuple[str, tuple[Dim, ...], int]]) -> None:
    """A size that is a product (the length of vec(X), a side of A ⊗ B): check it, or infer the
    one unknown factor from it."""
    pending = list(products)
    while pending:
        progress = False
        for item in list(pending):
            name, dims, size = item
            known, unknown = 1, []
            for x in dims:
                if isinstance(x, int):
                    known *= x
                elif isinstance(x, str) and x in env.sizes:
                    known *= env.sizes[x]
                else:
                    unknown.append(x)
            if not unknown:
                if known != size:
                    raise InputError(f"{name} should have size {dim_text(dims)} = {known} but its value has {size}")
            elif len(set(unknown)) == 1 and len(unknown) == 1:
                if size % known:
                    raise InputError(f"{name} has size {size}, not a multiple of {known} as {dim_text(dims)} needs")
                env.sizes[str(unknown[0])] = size // known
            else:
                continue
            pending.remove(item)
            progress = True
        if not progress:
            return


def unbound_dims(env: ShapeEnv) -> list[str]:
    out: list[str] = []
    for name in env.var_dims:
        for d in env.shape_of_var(name):
            for x in d if isinstance(d, tuple) else (d,):
                if isinstance(x, str) and x not in env.sizes and x not in out:
                    out.append(x)
    for d in [*env._identity_dims.values(), *(d for dims in env.function_dims.values() for d in dims)]:
        r = env.resolve(d)
        for x in r if isinstance(r, tuple) else (r,):
            if isinstance(x, str) and x not in env.sizes and x not in out:
                out.append(x)
    return out
