"""The n-th differential as index terms: dⁿf[dV₁, …, dVₙ] (calculus.multilinear) expanded entry by entry,
as the seeds write tensor derivatives (∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ).

A product L·M gives L_{ab} M_{bc} with b summed, a trace closes the chain, a transpose swaps the indices,
a Hadamard product repeats them, sum(·) sums them. Each slot's increment dVₐ, entry (r, c), then stands
for the unit increment at (kₐ, lₐ): the Kronecker deltas δ_{r kₐ} δ_{c lₐ} are contracted; indices still
summed start with '_'. The terms are printed by render.index_higher and evaluated by numeric.einsum_terms
(the value of a tensor-valued derivative). A vec or Kronecker product, unvec and the commutation matrix have
no entry-wise reading with one letter per dimension (NoIndexTerms, and the printed form says so); read with
`compound=True` (for values only) each is a link between one index and a tuple of indices, row-major as
numpy's kron: (A ⊗ B)₍ᵢₖ₎₍ⱼₗ₎ = Aᵢⱼ Bₖₗ, vec(M)₍ⱼᵢ₎ = Mᵢⱼ, K₍ᵢⱼ₎₍ⱼᵢ₎ = 1; numeric.einsum_terms splits the
indices so linked, and no Kronecker or commutation matrix is ever built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from fractions import Fraction

from mcalc import budget
from mcalc.calculus.multilinear import Form, multilinear, slot_of
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


class NoIndexTerms(Exception):
    """The differential holds an operator on an increment with no entry-wise reading (kron, vec)."""


MAX_TERMS = 400  # a form that expands to more index terms than this is left to the vec form
LETTERS = "ijklmnprstuvaehxo"  # letters with a Unicode subscript; q has none
Index = str | None
Link = tuple[tuple[str, ...], tuple[str, ...]]  # an index equal to a tuple of indices (row-major): δ₍ₐ₎₍ᵦ꜀₎


@record(frozen=True)
class Entry(Record):
    """One factor of an index term: entry (rows, cols) of `node`, or a Kronecker delta when node is None."""

    node: Node | None
    rows: Index
    cols: Index

    def renamed(self, old: str, new: str) -> Entry:
        return Entry(self.node, new if self.rows == old else self.rows, new if self.cols == old else self.cols)


@record(frozen=True)
class Term(Record):
    coef: Fraction
    entries: tuple[Entry, ...] = ()
    slots: tuple[tuple[int, Index, Index], ...] = ()  # (slot, r, c): the entry of dVₐ this term holds
    links: tuple[Link, ...] = ()  # read with compound=True only

    def times(self, other: Term) -> Term:
        return Term(
            self.coef * other.coef, self.entries + other.entries, self.slots + other.slots, self.links + other.links
        )


@record
class IndexForm(Record):
    """dⁿf as a sum of index terms. Output indices: `f_indices` then each slot's (k, l); summation
    indices start with '_'. `letters` maps every index name to the letter printed."""

    form: Form
    f_indices: tuple[Index, Index]
    slot_indices: list[tuple[Index, Index]]
    terms: list[Term] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)
    dims: dict[str, N.Dim] = field(default_factory=dict)  # every index's dimension (compound=True)


class _Reader:
    def __init__(self, env: ShapeEnv, simp: Callable[[Node], Node], compound: bool = False) -> None:
        self.env = env
        self.simp = simp
        self.count = 0
        self.compound = compound
        self.rules = {**_EXPAND, **_COMPOUND} if compound else _EXPAND
        self.dims: dict[str, N.Dim] = {}

    def fresh(self, dim: N.Dim) -> Index:
        if dim == 1:
            return None
        self.count += 1
        name = f"_{self.count}"
        self.dims[name] = dim
        return name

    def plain(self, node: Node) -> bool:
        """Read as one entry: no increment in it, and (compound) no Kronecker or commutation matrix that the
        rules can read through (a constant A ⊗ B would otherwise be built whole)."""
        return not _has_slot(node) and not (self.compound and _structural(node))

    def expand(self, node: Node, r: Index, c: Index) -> list[Term]:
        budget.tick("writing the index form")
        if self.plain(node):
            return [_constant(node, r, c, self.env)]
        rule = self.rules.get(type(node))
        if rule is None:
            raise NoIndexTerms
        terms = rule(self, node, r, c)
        if len(terms) > MAX_TERMS:
            raise NoIndexTerms
        return terms

    def product(self, parts: list[list[Term]]) -> list[Term]:
        out = [Term(Fraction(1))]
        for part in parts:
            out = [a.times(b) for a in out for b in part]
            if len(out) > MAX_TERMS:
                raise NoIndexTerms
        return out


def _has_slot(node: Node) -> bool:
    if isinstance(node, N.Differential):
        return slot_of(node.name) is not None
    return any(_has_slot(c) for c in node.children())


def _constant(node: Node, r: Index, c: Index, env: ShapeEnv) -> Term:
    if isinstance(node, N.Number):
        return Term(node.value)
    if isinstance(node, N.Ones):
        return Term(Fraction(1))
    if isinstance(node, N.Identity):
        return Term(Fraction(1), (Entry(None, r, c),) if r and c else ())
    if env.is_scalar(node):
        return Term(Fraction(1), (Entry(node, None, None),))
    return Term(Fraction(1), (Entry(node, r, c),))


def _add(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Add)
    out: list[Term] = []
    for term in node.terms:
        out += rd.expand(term, r, c)
        if len(out) > MAX_TERMS:  # at once, not after reading all 3,000 terms of a long sum
            raise NoIndexTerms
    return out


def _mul(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """Scalars apart; the matrix chain with a summed index at each inner dimension (none where it is 1),
    consecutive factors without an increment kept together as one entry ((X⁻¹A)ₖₗ)."""
    assert isinstance(node, N.Mul)
    env = rd.env
    parts = [rd.expand(f, None, None) for f in node.factors if env.is_scalar(f)]
    chain: list[Node] = []
    for f in (f for f in node.factors if not env.is_scalar(f)):
        if chain and rd.plain(f) and rd.plain(chain[-1]):
            last = chain.pop()
            f = N.Mul((*(last.factors if isinstance(last, N.Mul) else (last,)), f))
        chain.append(f)
    left = r
    for n, f in enumerate(chain):
        right = c if n == len(chain) - 1 else rd.fresh(env.shape(f)[1])
        parts.append(rd.expand(f, left, right))
        left = right
    return rd.product(parts)


def _transpose(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Transpose)
    return rd.expand(node.arg, c, r)


def _differential(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Differential)
    slot = slot_of(node.name)
    assert slot is not None
    return [Term(Fraction(1), (), ((slot, r, c),))]


def _trace(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Trace)
    p = rd.fresh(rd.env.shape(node.arg)[0])
    return rd.expand(node.arg, p, p)


def _sum(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Sum)
    rows, cols = rd.env.shape(node.arg)
    return rd.expand(node.arg, rd.fresh(rows), rd.fresh(cols))


def _hadamard(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Hadamard)
    # the factors without an increment as one entry, simplified ((s ⊙ s⁻¹)ᵢ is 1, not sᵢ (1 ./ s)ᵢ)
    plain = [f for f in node.factors if rd.plain(f)]
    rest = [f for f in node.factors if not rd.plain(f)]
    if len(plain) > 1:
        plain = [rd.simp(N.Hadamard(tuple(plain)))]
    return rd.product([rd.expand(f, r, c) for f in plain + rest])


def _diag(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    assert isinstance(node, N.Diag)
    if rd.env.shape(node.arg)[1] == 1:  # diag(v)ᵣ꜀ = vᵣ δᵣ꜀
        return [t.times(Term(Fraction(1), (Entry(None, r, c),))) for t in rd.expand(node.arg, r, None)]
    return rd.expand(node.arg, r, r)  # diag(M)ᵣ = Mᵣᵣ


_EXPAND: dict[type[Node], Callable[[_Reader, Node, Index, Index], list[Term]]] = {
    N.Add: _add,
    N.Mul: _mul,
    N.Transpose: _transpose,
    N.Differential: _differential,
    N.Trace: _trace,
    N.Sum: _sum,
    N.Hadamard: _hadamard,
    N.Diag: _diag,
}


# --- compound indices (compound=True: values only) ---


def _structural(node: Node) -> bool:
    """A Kronecker or commutation matrix reached through operators the rules read."""
    if isinstance(node, N.Kron | N.Commutation):
        return True
    known = type(node) in _EXPAND or type(node) in _COMPOUND
    return known and any(_structural(c) for c in node.children())


def _link(whole: Index, *parts: Index) -> Term:
    """`whole` is the tuple `parts`, row-major (sizes of 1 have no index and drop out)."""
    return Term(Fraction(1), links=(((whole,) if whole else (), tuple(p for p in parts if p)),))


def _kron(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """(A ⊗ B)₍ᵢₖ₎₍ⱼₗ₎ = Aᵢⱼ Bₖₗ: the row index is (i, k), i major, as numpy's kron."""
    assert isinstance(node, N.Kron)
    (ar, ac), (br, bc) = rd.env.shape(node.left), rd.env.shape(node.right)
    i, j, k, l_ = rd.fresh(ar), rd.fresh(ac), rd.fresh(br), rd.fresh(bc)
    links = [_link(r, i, k), _link(c, j, l_)]
    return rd.product([[links[0].times(links[1])], rd.expand(node.left, i, j), rd.expand(node.right, k, l_)])


def _vec(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """vec(M)₍ⱼᵢ₎ = Mᵢⱼ: columns stacked, so the column index is the major one."""
    assert isinstance(node, N.Vec)
    rows, cols = rd.env.shape(node.arg)
    i, j = rd.fresh(rows), rd.fresh(cols)
    return rd.product([[_link(r, j, i)], rd.expand(node.arg, i, j)])


def _unvec(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """unvec(v)ᵢⱼ = v₍ⱼᵢ₎."""
    assert isinstance(node, N.Unvec)
    y = rd.fresh(rd.env.shape(node.arg)[0])
    return rd.product([[_link(y, c, r)], rd.expand(node.arg, y, None)])


def _commutation(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """K vec(M) = vec(Mᵀ) for an m×n M: K₍ᵢⱼ₎₍ⱼᵢ₎ = 1 (row index i·n + j, column index j·m + i)."""
    assert isinstance(node, N.Commutation)
    i, j = rd.fresh(node.rows), rd.fresh(node.cols)
    return [_link(r, i, j).times(_link(c, j, i))]


_COMPOUND: dict[type[Node], Callable[[_Reader, Node, Index, Index], list[Term]]] = {
    N.Kron: _kron,
    N.Vec: _vec,
    N.Unvec: _unvec,
    N.Commutation: _commutation,
}


def _slot_links(term: Term, slot_indices: list[tuple[Index, Index]]) -> Term:
    """dVₐ's entry (r, c) as the unit at (kₐ, lₐ): the links r = kₐ, c = lₐ."""
    links = list(term.links)
    for slot, r, c in term.slots:
        k, l_ = slot_indices[slot - 1]
        links += [(tuple(x for x in (a,) if x), tuple(x for x in (b,) if x)) for a, b in ((r, k), (c, l_))]
    return Term(term.coef, term.entries, (), tuple(link for link in links if link != ((), ())))


# --- contraction ---


def _contract(term: Term, slot_indices: list[tuple[Index, Index]]) -> Term:
    """dVₐ's entry (r, c) set to the unit at (kₐ, lₐ): δ_{r kₐ} δ_{c lₐ}; then every delta with a summed
    index is contracted (the summed index renamed), deltas between output indices kept."""
    entries = list(term.entries)
    for slot, r, c in term.slots:
        k, l_ = slot_indices[slot - 1]
        entries.extend(Entry(None, a, b) for a, b in ((r, k), (c, l_)) if a and b)
    changed = True
    while changed:
        changed = False
        for n, e in enumerate(entries):
            if e.node is not None or e.rows is None or e.cols is None:
                continue
            old, new = (e.rows, e.cols) if e.rows.startswith("_") else (e.cols, e.rows)
            if not old.startswith("_"):
                continue
            if old == new:
                raise NoIndexTerms  # a trace of an identity: the form would need a dimension's size
            entries = [x.renamed(old, new) for x in entries[:n] + entries[n + 1 :]]
            changed = True
            break
    return Term(term.coef, tuple(entries))


def _delta_canonical(term: Term, order: dict[str, int]) -> Term:
    """Under δₐᵦ (a before b among the output indices) b may be written a everywhere else in the term:
    yⱼ δᵢⱼ is yᵢ δᵢⱼ, δᵢⱼ δⱼₖ is δᵢⱼ δᵢₖ, a repeated δᵢⱼ is 1; so equal terms are written alike."""
    entries = list(term.entries)
    n = 0
    while n < len(entries):
        e = entries[n]
        if e.node is None and e.rows and e.cols and e.rows in order and e.cols in order:
            a, b = sorted((e.rows, e.cols), key=order.__getitem__)
            if a == b:  # δₐₐ of an output index is 1
                del entries[n]
                continue
            entries = [Entry(None, a, b) if m == n else x.renamed(b, a) for m, x in enumerate(entries)]
        n += 1
    return Term(term.coef, tuple(entries), term.slots)


def _merge_entries(term: Term, simp: Callable[[Node], Node]) -> Term:
    """Entries of arrays with the same index pair are one entry of their Hadamard product:
    (1 ./ s)ᵢ sᵢ yᵢ is (y ⊙ s ⊙ 1 ./ s)ᵢ = yᵢ once simplified."""
    groups: dict[tuple[Index, Index], list[Node]] = {}
    for e in term.entries:
        if e.node is not None and (e.rows or e.cols):
            groups.setdefault((e.rows, e.cols), []).append(e.node)
    if all(len(g) == 1 for g in groups.values()):
        return term
    out: list[Entry] = []
    for e in term.entries:
        key = (e.rows, e.cols)
        if e.node is None or not (e.rows or e.cols):
            out.append(e)
        elif key in groups:
            merged = simp(N.Hadamard(tuple(groups.pop(key)))) if len(groups[key]) > 1 else groups.pop(key)[0]
            if not isinstance(merged, N.Ones):
                out.append(Entry(merged, *key))
    return Term(term.coef, tuple(out), term.slots)


def skeleton(function: Node, wrt: list[str], env: ShapeEnv) -> IndexForm:
    """The output indices: f's (i, j; none where a dimension is 1), then each slot's, lettered in order;
    a first derivative keeps the letters of render.index, ∂Fᵢⱼ/∂Xₖₗ, whichever dimensions are 1."""
    rows, cols = env.shape(function)
    f_indices: tuple[Index, Index] = ("i" if rows != 1 else None, "j" if cols != 1 else None)
    slot_indices: list[tuple[Index, Index]] = []
    for slot, var in enumerate(wrt, start=1):
        vr, vc = env.shape_of_var(var)
        slot_indices.append((f"s{slot}r" if vr != 1 else None, f"s{slot}c" if vc != 1 else None))
    out = IndexForm(Form(function, tuple(wrt), None), f_indices, slot_indices)
    names = [x for x in (*f_indices, *(x for pair in slot_indices for x in pair)) if x]
    out.letters = {name: LETTERS[n] if n < len(LETTERS) else f"i{n}" for n, name in enumerate(names)}
    if len(wrt) == 1:
        fixed = dict(zip(("i", "j", "s1r", "s1c"), "ijkl", strict=True))
        out.letters = {name: fixed[name] for name in names}
    return out


def index_form(
    function: Node,
    wrt: list[str],
    env: ShapeEnv,
    simp: Callable[[Node], Node],
    compound: bool = False,
    first: Node | None = None,
) -> IndexForm:
    """The index terms of ∂ⁿf/∂V₁…∂Vₙ (NoIndexTerms where the form has no entry-wise reading); `simp`,
    the simplifier (a layer above), brings each differential and each merged entry to canonical form.
    `compound`: for values, Kronecker products, vec, unvec and K read as links (module docstring), each
    slot's increment as links to its indices, nothing contracted (numeric.einsum_terms does that).
    `first`: the first differential, when the caller has it (calculus.multilinear)."""
    out = skeleton(function, wrt, env)
    out.form = multilinear(function, wrt, env, simp, first)
    if out.form.form is not None and compound:
        reader = _Reader(env, simp, compound=True)
        out.terms = [_slot_links(t, out.slot_indices) for t in reader.expand(out.form.form, *out.f_indices)]
        shapes = [env.shape(function), *(env.shape_of_var(v) for v in wrt)]
        pairs = [out.f_indices, *out.slot_indices]
        out.dims = {
            x: d for pair, shape in zip(pairs, shapes, strict=True) for x, d in zip(pair, shape, strict=True) if x
        }
        out.dims.update(reader.dims)
    elif out.form.form is not None:
        reader = _Reader(env, simp)
        terms = reader.expand(out.form.form, *out.f_indices)
        order = {name: n for n, name in enumerate(out.letters)}
        contracted = [_delta_canonical(_contract(t, out.slot_indices), order) for t in terms]
        out.terms = [_merge_entries(t, reader.simp) for t in contracted]
    return out
