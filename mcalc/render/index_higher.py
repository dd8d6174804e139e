"""Index notation of a derivative of any order, printed from the index terms of the n-th differential
(mcalc.calculus.index_terms): ∂³det(X)/∂Xᵢⱼ∂Xₖₗ∂Xₘₙ = det(X) (X⁻¹)ⱼᵢ (X⁻¹)ₗₖ (X⁻¹)ₙₘ − …

Output indices are lettered f's first, then each --wrt's; what is still summed is written with Σ and
lettered so that equal terms print alike (and are added up). A vec/Kronecker product of the variable has
no index form, and the line says so.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from mcalc.calculus.index_terms import LETTERS, Entry, Index, IndexForm, NoIndexTerms, Term, index_form, skeleton
from mcalc.pipeline import DerivKind, Result
from mcalc.render.index import IndexWriter, NoIndexForm, render_index
from mcalc.render.printer import TEXT, Printer, subscript
from mcalc.render.report import as_read
from mcalc.shapes import ShapeEnv
from mcalc.simplify import Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

BARE = (N.Symbol, N.Power, N.Norm)  # and every function call, det(X), lse(x) (is_call)
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


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


def by_differential(result: Result) -> bool:
    """Whether the index form is read off the n-th differential: not for a first derivative, nor for a
    second one whose first stage is a gradient (those are ∂(F)ᵢⱼ/∂Xₖₗ of the last stage, render.index)."""
    first = result.stages[0]
    return not (len(result.stages) == 1 or (len(result.stages) == 2 and first.kind is DerivKind.GRADIENT))


def render_any_index(result: Result, latex: bool = False) -> str:
    """The index form of any derivative (`index:` line, `--format index`, JSON `index`). A first (or
    gradient-then-second) derivative whose differential render.index cannot read term by term (a
    Hadamard product: A.^2, sum(exp(Ax)) by x twice) is read off its differential here instead."""
    function = result.stages[0].function
    if _structured(result):
        return _no_index_form(function, result.wrt, result.env, latex)
    if by_differential(result):
        return render_index_higher(function, result.wrt, result.env, latex)
    found = found_index(result, latex)
    return found if found is not None else render_index(result, latex)


def found_index(result: Result, latex: bool = False) -> str | None:
    """The index form of a derivative that is not read off the n-th differential (`by_differential`), None
    where it has none (render_any_index then says so)."""
    if _structured(result):
        return None
    try:
        return render_index(result, latex, strict=True)
    except NoIndexForm:
        return _index_text(result.stages[0].function, result.wrt, result.env, latex)


def _structured(result: Result) -> bool:
    """By a structured matrix the entries are not free: no index form by ∂Xₖₗ (the vec form holds it)."""
    return any(result.env.structure(v) in ("diagonal", "Toeplitz") for v in result.wrt)


def render_index_higher(function: Node, wrt: list[str], env: ShapeEnv, latex: bool = False) -> str:
    """`∂ⁿ(F)ᵢⱼ/∂Xₖₗ∂Xₘₙ… = …`, or the left side with the line saying there is no index form."""
    text = _index_text(function, wrt, env, latex)
    if text is not None:
        return text
    return _no_index_form(function, wrt, env, latex)


def _no_index_form(function: Node, wrt: list[str], env: ShapeEnv, latex: bool) -> str:
    lhs = _lhs(IndexWriter(env, wrt[0], latex), function, wrt, skeleton(function, wrt, env), latex)
    return (
        f"{lhs} = \\text{{no index form (see the vec form)}}" if latex else f"{lhs}: no index form (see the vec form)"
    )


def _index_text(function: Node, wrt: list[str], env: ShapeEnv, latex: bool) -> str | None:
    """The index form read off the n-th differential; None where it has none."""
    writer = IndexWriter(env, wrt[0], latex)
    try:
        form = index_form(function, wrt, env, Simplifier(env))
    except (NoIndexForm, NoIndexTerms):
        return None
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
    read = as_read(function, writer.env)  # as the equation's left side: ((xᵀAx) X)ᵢⱼ
    f_text = pr.p(read)
    bare = is_call(Printer(TEXT).p(read)) or isinstance(function, BARE)
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
        order = f"^{{{n}}}" if n > 1 else ""
        return f"\\frac{{\\partial{order} {f_text}{f_idx}}}{{{' '.join(parts)}}}"
    power = str(n).translate(SUPERSCRIPT) if n > 1 else ""
    return f"∂{power}{f_text}{f_idx}/{''.join(parts)}"


def is_call(text: str) -> bool:
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
