"""Index notation of a derivative of any order, read off the n-th differential dⁿf[dV₁, …, dVₙ]
(mcalc.calculus.multilinear): ∂³det(X)/∂Xₖₗ∂Xₘₙ∂Xₚᵣ = det(X) (X⁻¹)ₗₖ (X⁻¹)ₙₘ (X⁻¹)ᵣₚ − …

Each term of the form is expanded into entries with indices, as the seeds write tensor derivatives
(∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ): a product L·M gives L_{ab} M_{bc} with b summed, a trace closes the chain, a
transpose swaps the indices, a Hadamard product repeats them, sum(·) sums them. Each slot's increment
dVₐ, entry (r, c), then stands for the unit increment at (kₐ, lₐ): the Kronecker deltas δ_{r kₐ} δ_{c lₐ}
are contracted, and what is still summed is written with Σ. A vec/Kronecker form is not read (NoIndexForm).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from mcalc import budget
from mcalc.calculus.multilinear import Form, multilinear, slot_name, slot_of
from mcalc.pipeline import DerivKind, Result
from mcalc.render.index import IndexWriter, NoIndexForm, render_index
from mcalc.render.printer import LATEX, TEXT, Printer, subscript
from mcalc.render.steps.lines import REWRITES
from mcalc.shapes import ShapeEnv
from mcalc.simplify import Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten
from mcalc.syntax.nodes import Node

MAX_TERMS = 400  # a form that expands to more index terms than this is left to the vec form
LETTERS = "ijklmnprstuvaehxo"  # letters with a Unicode subscript; q has none
_BARE = (N.Symbol, N.Power, N.Norm)  # and every function call, det(X), lse(x) (_is_call)
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
Index = str | None


@dataclass(frozen=True)
class Entry:
    """One factor of an index term: entry (rows, cols) of `node`, or a Kronecker delta when node is None."""

    node: Node | None
    rows: Index
    cols: Index

    def renamed(self, old: str, new: str) -> Entry:
        return Entry(self.node, new if self.rows == old else self.rows, new if self.cols == old else self.cols)


@dataclass(frozen=True)
class Term:
    coef: Fraction
    entries: tuple[Entry, ...] = ()
    slots: tuple[tuple[int, Index, Index], ...] = ()  # (slot, r, c): the entry of dVₐ this term holds

    def times(self, other: Term) -> Term:
        return Term(self.coef * other.coef, self.entries + other.entries, self.slots + other.slots)


@dataclass
class IndexForm:
    """dⁿf as a sum of index terms. Output indices: `f_indices` then each slot's (k, l); summation
    indices start with '_'. `letters` maps every index name to the letter printed."""

    form: Form
    f_indices: tuple[Index, Index]
    slot_indices: list[tuple[Index, Index]]
    terms: list[Term] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, env: ShapeEnv) -> None:
        self.env = env
        self.simp = Simplifier(env)
        self.count = 0

    def fresh(self, dim: object) -> Index:
        if dim == 1:
            return None
        self.count += 1
        return f"_{self.count}"

    def expand(self, node: Node, r: Index, c: Index) -> list[Term]:
        budget.tick("writing the index form")
        if not _has_slot(node):
            return [_constant(node, r, c, self.env)]
        rule = _EXPAND.get(type(node))
        if rule is None:
            raise NoIndexForm
        terms = rule(self, node, r, c)
        if len(terms) > MAX_TERMS:
            raise NoIndexForm
        return terms

    def product(self, parts: list[list[Term]]) -> list[Term]:
        out = [Term(Fraction(1))]
        for part in parts:
            out = [a.times(b) for a in out for b in part]
            if len(out) > MAX_TERMS:
                raise NoIndexForm
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
    return [t for term in node.terms for t in rd.expand(term, r, c)]


def _mul(rd: _Reader, node: Node, r: Index, c: Index) -> list[Term]:
    """Scalars apart; the matrix chain with a summed index at each inner dimension (none where it is 1),
    consecutive factors without an increment kept together as one entry ((X⁻¹A)ₖₗ)."""
    assert isinstance(node, N.Mul)
    env = rd.env
    parts = [rd.expand(f, None, None) for f in node.factors if env.is_scalar(f)]
    chain: list[Node] = []
    for f in (f for f in node.factors if not env.is_scalar(f)):
        if chain and not _has_slot(f) and not _has_slot(chain[-1]):
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
    plain = [f for f in node.factors if not _has_slot(f)]
    rest = [f for f in node.factors if _has_slot(f)]
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
                raise NoIndexForm  # a trace of an identity: the form would need a dimension's size
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


def _merge_entries(term: Term, simp: Simplifier) -> Term:
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


def _skeleton(function: Node, wrt: list[str], env: ShapeEnv) -> IndexForm:
    """The output indices: f's (i, j; none where a dimension is 1), then each slot's, lettered in order."""
    rows, cols = env.shape(function)
    f_indices: tuple[Index, Index] = ("i" if rows != 1 else None, "j" if cols != 1 else None)
    slot_indices: list[tuple[Index, Index]] = []
    for slot, var in enumerate(wrt, start=1):
        vr, vc = env.shape_of_var(var)
        slot_indices.append((f"s{slot}r" if vr != 1 else None, f"s{slot}c" if vc != 1 else None))
    out = IndexForm(Form(function, tuple(wrt), None), f_indices, slot_indices)
    names = [x for x in (*f_indices, *(x for pair in slot_indices for x in pair)) if x]
    out.letters = {name: LETTERS[n] if n < len(LETTERS) else f"i{n}" for n, name in enumerate(names)}
    return out


def index_form(function: Node, wrt: list[str], env: ShapeEnv) -> IndexForm:
    """The index terms of ∂ⁿf/∂V₁…∂Vₙ (raises NoIndexForm where the form has no entry-wise reading)."""
    out = _skeleton(function, wrt, env)
    out.form = multilinear(function, wrt, env, Simplifier(env))
    if out.form.form is not None:
        reader = _Reader(env)
        terms = reader.expand(out.form.form, *out.f_indices)
        order = {name: n for n, name in enumerate(out.letters)}
        contracted = [_delta_canonical(_contract(t, out.slot_indices), order) for t in terms]
        out.terms = [_merge_entries(t, reader.simp) for t in contracted]
    return out


# --- printing ---


def _summed(term: Term) -> list[str]:
    seen: dict[str, None] = {}
    for e in term.entries:
        for x in (e.rows, e.cols):
            if x and x.startswith("_"):
                seen.setdefault(x)
    return list(seen)


def _term_text(writer: IndexWriter, form: IndexForm, term: Term, latex: bool) -> tuple[tuple[str, ...], list[str]]:
    """The term's key (its factors sorted, summed letters chosen least, so that equal terms compare
    equal), and the term as shown: the Σ, then the factors in the order the form has them."""
    summed = _summed(term)
    free = [x for x in LETTERS if x not in form.letters.values()]
    if len(summed) > len(free):
        raise NoIndexForm
    best: tuple[tuple[str, ...], list[str]] | None = None
    for perm in itertools.permutations(free[: len(summed)]) if len(summed) <= 4 else [free[: len(summed)]]:
        letters = dict(form.letters, **dict(zip(summed, perm, strict=True)))
        texts = [_entry_text(writer, e, letters) for e in term.entries]
        if best is None or tuple(sorted(texts)) < best[0]:
            best = (tuple(sorted(texts)), texts)
    assert best is not None
    if summed:
        names = "".join(sorted(free[: len(summed)]))
        sigma = f"\\sum_{{{names}}}" if latex else f"Σ{subscript(names) or '_' + names}"
        return best[0], [sigma, *best[1]]
    return best


def _entry_text(writer: IndexWriter, e: Entry, letters: dict[str, str]) -> str:
    a = letters[e.rows] if e.rows else None
    b = letters[e.cols] if e.cols else None
    if e.node is None:
        assert a and b
        return writer.delta(a, b)
    return writer.entry(e.node, a, b)


def _by_differential(result: Result) -> bool:
    """Whether the index form is read off the n-th differential: not for a first derivative, nor for a
    second one whose first stage is a gradient (those are ∂(F)ᵢⱼ/∂Xₖₗ of the last stage, render.index)."""
    first = result.stages[0]
    return not (len(result.stages) == 1 or (len(result.stages) == 2 and first.kind is DerivKind.GRADIENT))


def render_any_index(result: Result, latex: bool = False) -> str:
    """The index form of any derivative (`index:` line, `--format index`, JSON `index`)."""
    if not _by_differential(result):
        return render_index(result, latex)
    return render_index_higher(result.stages[0].function, result.wrt, result.env, latex)


def index_steps(result: Result, latex: bool = False) -> list[str]:
    """`--steps` for an index form read off the n-th differential: that differential with numbered
    increments, then the index form; nothing for the derivatives render.index reads."""
    if not _by_differential(result):
        return []
    env, wrt, function = result.env, result.wrt, result.stages[0].function
    pr = Printer(LATEX if latex else TEXT)
    increments: dict[Node, Node] = {}
    for slot, var in enumerate(wrt, start=1):
        name = f"d{var}_{slot}" if latex else f"d{pr.s.name(var)}{subscript(str(slot)) or slot}"
        increments[N.Differential(slot_name(var, slot))] = N.Symbol(name)
    form = multilinear(function, wrt, env, Simplifier(env)).form
    shown = "0" if form is None else pr.p(flatten(N.substitute(form, increments)))
    order = f"^{{{len(wrt)}}}" if latex else str(len(wrt)).translate(SUPERSCRIPT)
    slots = ", ".join(pr.p(x) for x in increments.values())
    f_text = pr.p(flatten(function))
    if not (_is_call(Printer(TEXT).p(flatten(function))) or isinstance(function, _BARE)):
        f_text = pr.paren(f_text)
    lines = [
        (f"d{order} {f_text}[{slots}] = {shown}", REWRITES["nth-differential"]),
        (render_index_higher(function, wrt, env, latex), REWRITES["index-form"]),
    ]
    if latex:
        return [rf"{body} \qquad \left[\text{{{r.name}: }} {r.latex}\right]" for body, r in lines]
    return [f"{body}    [{r.name}: {r.identity}]" for body, r in lines]


def render_index_higher(function: Node, wrt: list[str], env: ShapeEnv, latex: bool = False) -> str:
    """`∂ⁿ(F)ᵢⱼ/∂Xₖₗ∂Xₘₙ… = …`, or the left side with the line saying there is no index form."""
    writer = IndexWriter(env, wrt[0], latex)
    try:
        form = index_form(function, wrt, env)
    except NoIndexForm:
        lhs = _lhs(writer, function, wrt, _skeleton(function, wrt, env), latex)
        return (
            f"{lhs} = \\text{{no index form (see the vec form)}}"
            if latex
            else f"{lhs}: no index form (see the vec form)"
        )
    lhs = _lhs(writer, function, wrt, form, latex)
    merged: dict[tuple[str, ...], tuple[Fraction, list[str]]] = {}
    for term in form.terms:
        key, texts = _term_text(writer, form, term, latex)
        before = merged.get(key, (Fraction(0), texts))
        merged[key] = (before[0] + term.coef, before[1])
    shown = [(coef, texts) for coef, texts in merged.values() if coef != 0]
    return f"{lhs} = {_join(writer, shown, latex)}" if shown else f"{lhs} = 0"


def _lhs(writer: IndexWriter, function: Node, wrt: list[str], form: IndexForm, latex: bool) -> str:
    pr = writer.pr
    f_text = pr.p(flatten(function))
    bare = _is_call(Printer(TEXT).p(flatten(function))) or isinstance(function, _BARE)
    if not bare or form.f_indices != (None, None):
        f_text = pr.paren(f_text)  # (XᵀX)ᵢⱼ, (sin(Ax))ᵢ; a scalar det(X), (xᵀx)² as printed
    f_idx = _sub(form, form.f_indices, latex)
    n = len(wrt)
    parts = []
    for var, pair in zip(wrt, form.slot_indices, strict=True):
        name = pr.s.name(var)
        if len(var) > 1:
            name = f"{{{name}}}" if latex else f"({name})"
        parts.append(("\\partial " if latex else "∂") + name + _sub(form, pair, latex))
    if latex:
        return f"\\frac{{\\partial^{{{n}}} {f_text}{f_idx}}}{{{' '.join(parts)}}}"
    power = str(n).translate(SUPERSCRIPT)
    return f"∂{power}{f_text}{f_idx}/{''.join(parts)}"


def _is_call(text: str) -> bool:
    """`name(…)` with the parenthesis that opens after the name closing at the end: det(X), lse(x)."""
    head, paren, _ = text.partition("(")
    if not (paren and head.isalpha() and text.endswith(")")):
        return False
    depth = 0
    for n, ch in enumerate(text[len(head) :]):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return n == len(text) - len(head) - 1
    return False


def _sub(form: IndexForm, pair: tuple[Index, Index], latex: bool) -> str:
    text = "".join(form.letters.get(x, "?") for x in pair if x)
    if not text:
        return ""
    if latex:
        return f"_{{{text}}}"
    return subscript(text) or f"[{','.join(text)}]"


def _join(writer: IndexWriter, terms: list[tuple[Fraction, list[str]]], latex: bool) -> str:
    """Signed terms: coefficient, Σ, factors; a coefficient of 1 left out."""
    minus, plus, neg = (" - ", " + ", "-") if latex else (" − ", " + ", "−")
    out = ""
    for n, (coef, factors) in enumerate(terms):
        shown = " ".join(x for x in factors if x != "1") or "1"
        if abs(coef) != 1:
            shown = f"{writer.pr.p(N.Number(abs(coef)))} {shown}"
        out += (neg if coef < 0 else "") + shown if n == 0 else (minus if coef < 0 else plus) + shown
    return out
