"""`mcalc check` and `mcalc.check_claim`: is a hand-derived derivative right, and if not, what is wrong with it?

The claim is parsed with the same syntax and declarations as the expression and compared with
mcalc's derivative. Both are expanded into sums of terms (products distributed over sums, each term
in canonical form with its exact coefficient: claims/terms.py), so equality is decided symbolically
when the two term lists agree; otherwise the comparison is numeric, at random points of random
distinct sizes that respect each function's domain (claims/sampling.py; the verdict says which).

Verdicts, tried in this order:
- `wrong-shape`: the claim has neither the derivative's shape nor its transpose (n×n for m×n);
- `correct`: equal to the derivative;
- `layout`: the transpose of the derivative: right in the other layout convention (exit 0; the
  explanation names the convention of each);
- `cookbook`: for a variable declared symmetric, G + Gᵀ − diag(G) where mcalc reports sym(G): right in the
  Matrix Cookbook's convention (exit 0; claims/cookbook.py);
- `factor`: a constant multiple of the derivative (the factor is named: a missing 2 from a square);
- `missing-term` / `extra-term`: the claim is the derivative with terms of it missing, doubled or
  replaced by another term, or with a term that does not belong (each named); with the note "right
  only when A is symmetric" when making a constant matrix symmetric makes the claim right;
- `wrong`: anything else (with the sign of a term, or "right only when A is symmetric", when known).
With a layout asked for (`--layout numerator|denominator`, `check_claim(..., layout=...)`), the claim is
held to the derivative in that layout, and its transpose is `wrong-layout` (exit 1) instead of `layout`.
The last four are claims/findings.py. A claim with the transposed shape (a row for a column) is read
in the other layout and diagnosed as its transpose, and the explanation says so.
"""

from __future__ import annotations

from typing import Any

from mcalc.claims.cookbook import applies as cookbook_applies
from mcalc.claims.cookbook import cookbook_form
from mcalc.claims.cookbook import details as cookbook_details
from mcalc.claims.cookbook import explanation as cookbook_text
from mcalc.claims.findings import Finding, analyse
from mcalc.claims.sampling import POINTS, Problem, close, keep_resolved, sample
from mcalc.claims.sizing import bare_k_notes, size_identities
from mcalc.claims.spectral import spectral_note
from mcalc.claims.structure import MOVES, placed_on_structure
from mcalc.claims.symmetry import sums_to_one, symmetric_conditions, symmetric_note
from mcalc.claims.terms import expand_terms, term_node
from mcalc.claims.verdict import LABELS, Outcome, Verdict
from mcalc.claims.wording import (
    d_text,
    layout_capable,
    layout_names,
    layout_text,
    of,
    other_layout,
    shape_reason,
    shape_words,
)
from mcalc.errors import InputError, MathError, McalcError
from mcalc.records import Record, record
from mcalc.view import Layout

__all__ = ["LABELS", "Verdict", "diagnose", "expand_terms"]


@record
class _Claim(Record):
    """The claim next to the derivative: what every step of the diagnosis reads."""

    typed: str  # the claim as the student wrote it
    shown: str  # the expression, parenthesised when it is a sum or a product
    dvar: str  # d/dt, ∂/∂x, ∂²/∂x²
    var: str
    env: Any
    simp: Any
    tree: Any
    truth: Any
    kind: Any
    expected: str
    node: Any  # the claim, simplified
    t_shape: tuple[Any, Any]
    c_shape: tuple[Any, Any]
    seed: int | None
    strict: Layout | None = None  # the layout asked for: verdicts in it, the transpose wrong

    @property
    def flipped_shape(self) -> tuple[Any, Any]:
        return (self.t_shape[1], self.t_shape[0])

    def layout(self, base: Verdict) -> Verdict:
        if self.strict is not None:
            return self.wrong_layout(base)
        base.verdict = Outcome.LAYOUT
        base.explanation = layout_text(
            self.typed, self.expected, self.kind, self.var, self.env, self.c_shape == self.t_shape, self.t_shape[1] == 1
        )
        base.details = {"layout": layout_names(self.kind)}
        return base

    def wrong_layout(self, base: Verdict) -> Verdict:
        assert self.strict is not None
        asked = self.strict.value
        base.verdict = Outcome.WRONG_LAYOUT
        base.explanation = (
            f"{self.typed} is the transpose of {self.dvar} {of(self.shown)} in {asked} layout, {self.expected}: "
            f"right in {other_layout(self.strict, self.kind)} layout, not in the {asked} layout asked for"
        )
        base.details = {"layout": asked, "right_in": other_layout(self.strict, self.kind)}
        return base


def diagnose(
    expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None, layout: Layout | None = None
) -> Verdict:
    """The verdict on `claim`; with `layout`, strict in that layout (a transposed claim is wrong). A claim in
    index notation (`δ_ik C_lj`, `∂L/∂W_ij = …`) is judged as a tensor (claims.index_verdict)."""
    from mcalc.claims.index_verdict import index_verdict

    by_index = index_verdict(expr, wrt, claim, decl, seed, layout)
    if by_index is not None:
        return by_index
    c = _read(expr, wrt, claim, decl, seed, layout)
    verdict = _with_warnings(_judge(c), c, wrt)
    forced = _sizes_the_claim_forces(expr, wrt, decl, c)
    if forced is None:
        return verdict
    # specific: kept, with its assumption
    if verdict.verdict in (Outcome.EXTRA_TERM, Outcome.MISSING_TERM, Outcome.FACTOR):
        verdict.explanation += f" (read with {forced.details['assumes']}, which your answer needs)"
        return verdict
    return forced


def _with_warnings(verdict: Verdict, c: _Claim, wrt: list[str]) -> Verdict:
    """The verdict with the warnings on how the expression was read (README § How mcalc reads a name)."""
    from mcalc.lets import expand
    from mcalc.reading import read

    verdict.warnings = list(read(c.env, expand(c.env.lets, c.tree), wrt).warnings)
    return verdict


def _judge(c: _Claim) -> Verdict:
    from mcalc.render.report import dims_json
    from mcalc.shapes import shape_text

    base = Verdict(
        Outcome.WRONG,
        "",
        "symbolic",
        c.expected,
        claim=_render(c.node),
        shape=shape_text(c.t_shape),
        claim_shape=shape_text(c.c_shape),
        dims=dims_json(c.env, c.t_shape),
        claim_dims=dims_json(c.env, c.c_shape),
    )
    if c.c_shape != c.t_shape and c.c_shape != c.flipped_shape:
        return _wrong_shape(c, base)
    return _compare(c, base)


def _sizes_the_claim_forces(expr: str, wrt: list[str], decl: Any, c: _Claim) -> Verdict | None:
    """`1/2 ||W x - t||^2` by W claimed `(W x - t)^T x`: the claim only has a shape if W is square, and read
    together the two make it so. Judged against that reading, the verdict would answer another question (W
    m×m): when the claim makes sizes equal that the expression alone keeps apart, that is the verdict."""
    from mcalc import pipeline
    from mcalc.render.report import dims_json
    from mcalc.shapes import dim_text, shape_text

    tree, alone, _ = pipeline.prepare(expr, decl, wrt=tuple(wrt))
    merged: dict[Any, set[Any]] = {}
    for name, dims in alone.var_dims.items():
        for d_alone, d_both in zip(dims, c.env.var_dims.get(name, ()), strict=False):
            a, b = alone.resolve(d_alone), c.env.resolve(d_both)
            if not isinstance(a, int) and not isinstance(b, int):
                merged.setdefault(b, set()).add(a)
    equal = [sorted(dim_text(d) for d in group) for group in merged.values() if len(group) > 1]
    if not equal:
        return None
    result = pipeline.differentiate_tree(expr, tree, alone, wrt)
    truth = result.final.result
    sizes = "; ".join(" = ".join(group) for group in equal)
    expected = _render(truth)
    text = (
        f"your answer {c.typed} has a shape only if {sizes}, which the expression does not say: "
        f"{c.dvar} {of(c.shown)} is {shape_words(alone.shape(truth))}: it is {expected}"
    )
    return Verdict(
        Outcome.WRONG_SHAPE, text, "symbolic", expected, claim=c.typed, shape=shape_text(alone.shape(truth)),
        dims=dims_json(alone, alone.shape(truth)), details={"sizes_made_equal": equal, "assumes": sizes},
    )  # fmt: skip


def _render(node: Any) -> str:
    from mcalc.render.printer import render_text

    return render_text(node)


def _read(expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None, layout: Layout | None) -> _Claim:
    """Parse the expression and the claim with the same declarations; differentiate; simplify the claim."""
    from mcalc import pipeline
    from mcalc.lets import expand
    from mcalc.render.report import as_read
    from mcalc.simplify import Simplifier
    from mcalc.syntax import nodes as N
    from mcalc.syntax.build import flatten

    if not claim.strip():
        raise InputError('the claim is empty: give the derivative you found, e.g. --claim "2 A x"')
    tree, env, (claim_tree,) = pipeline.prepare(expr, decl, extra=(claim,), wrt=tuple(wrt), claim_k=True)
    in_expr = set(N.free_symbols(expand(env.lets, tree))) | set(env.lets) | set(wrt)
    unknown = [n for n in N.free_symbols(claim_tree) if n not in in_expr]
    if unknown:
        which = ", ".join(unknown)
        raise InputError(f"the claim uses {which}, which {'does' if len(unknown) == 1 else 'do'} not occur in {expr}")
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    as_typed = as_read(tree, env)  # as diff's left side: (xᵀAx) (xᵀx)⁻¹, not xᵀ A x (xᵀx)⁻¹
    shown = _render(as_typed)
    if isinstance(as_typed, N.Add) or (isinstance(as_typed, N.Mul) and " " in shown):
        shown = f"({shown})"  # d/dt (A(t) B(t)), ∂/∂θ (‖y − Φθ‖² + λθᵀθ)
    truth = result.final.result if layout is None else pipeline.displayed(result.final, layout, env)
    simp = Simplifier(env)
    sized = size_identities(env, claim_tree, truth)
    env.notes = env.notes + bare_k_notes(env, sized, claim)  # the reading line says which K was read
    claim_s = simp(sized)
    t_shape = env.shape(truth)
    if isinstance(claim_s, N.Number) and claim_s.value == 0 and t_shape != (1, 1):
        claim_s = N.Zero(*t_shape)
    typed = _render(flatten(sized))
    return _Claim(
        typed, shown, d_text(wrt, env), wrt[-1], env, simp, tree, truth, result.final.kind, _render(truth),
        claim_s, t_shape, env.shape(claim_s), seed, layout,
    )  # fmt: skip


def _problem(c: _Claim, truth_terms: list[Any]) -> Problem:
    from mcalc.numeric.points import domain_of

    p = Problem(c.shown, c.var, c.env, c.simp, c.tree, c.truth, c.node, c.kind, truth_terms, c.seed)
    p.domain = domain_of([c.tree, c.truth, c.node], c.env)
    return p


def _wrong_shape(c: _Claim, base: Verdict) -> Verdict:
    from mcalc.syntax import nodes as N

    base.verdict = Outcome.WRONG_SHAPE
    base.explanation = (
        f"your answer {c.typed} is {shape_words(c.c_shape)} but {c.dvar} {of(c.shown)} is "
        f"{shape_words(c.t_shape)}{shape_reason(c.kind, c.var, c.env)}: it is {c.expected}"
    )
    base.details = {"shape": base.shape, "claim_shape": base.claim_shape}
    r, k = c.t_shape
    if c.c_shape == (r, 1) and r == k and r != 1:
        # a vector for a square Jacobian: is it the diagonal (an elementwise function)?
        diag = c.simp(N.Diag(c.node))
        q = _problem(c, [])
        try:
            sample(q, [c.truth, diag], POINTS)
        except McalcError:
            return base
        if all(close(smp[diag], smp[c.truth], smp["unit"]) for smp in q.samples):
            base.explanation += "; your answer is its diagonal (the Jacobian of an elementwise function is diag(f′))"
            base.details["diagonal"] = True
    return base


def _compare(c: _Claim, base: Verdict) -> Verdict:
    """Symbolically first (the same sum of canonical terms), then numerically, then what is wrong."""
    from mcalc.syntax import nodes as N

    truth_terms = list(expand_terms(c.truth, c.simp).items())
    p = _problem(c, [(k, t) for t, k in truth_terms])
    p.dvar = c.dvar
    p.claim_text = c.typed
    transposed = c.simp(N.Transpose(c.node))
    readings: list[tuple[Any, bool]] = []  # the claim as given and/or read in the other layout
    if c.c_shape == c.t_shape:
        readings.append((c.node, False))
    if c.c_shape == c.flipped_shape:
        readings.append((transposed, True))
    found = _symbolically_equal(c, p, readings, base)
    if found is not None:
        return found
    cook = cookbook_form(c.truth, c.simp) if cookbook_applies(c.kind, c.var, c.env) else None
    if cook is not None and expand_terms(c.node, c.simp) == expand_terms(cook, c.simp):
        return _in_cookbook_convention(c, base)
    _refuse_unvalued(c)
    nodes = [c.truth, c.node, transposed] + [term_node(k, t) for k, t in p.truth_terms]
    sample(p, nodes + ([cook] if cook is not None else []), POINTS)
    if keep_resolved(p, [term_node(k, t) for k, t in p.truth_terms]) < 0:
        raise MathError(
            f"{c.typed} is not {c.dvar} {of(c.shown)} as written, and values cannot settle it: the derivative "
            f"underflows to 0, or is below float64's rounding of its terms, at every random point "
            f"({len(p.samples)}), where a right claim and a wrong one compare alike"
        )
    base.points, base.sizes, base.method = len(p.samples), p.sizes, "numeric"
    found = _numerically_equal(c, p, transposed, base)
    if found is not None:
        return found
    if cook is not None and c.c_shape == c.t_shape and all(close(s[c.node], s[cook], s["unit"]) for s in p.samples):
        return _in_cookbook_convention(c, base)
    return _what_is_wrong(c, p, transposed, base)


def _refuse_unvalued(c: _Claim) -> None:
    """Not equal as written, and a --function without a formula has no values to compare at: say so (the
    refusal was that --at and --check need a formula, which the user of `check` never gave)."""
    from mcalc.syntax.declared import abstract_in

    found = abstract_in([c.truth, c.node])
    if found is not None:
        flag, name = found.split(" ", 1)
        param = "u" if flag == "--function" else "t"
        raise InputError(
            f"{c.typed} is not {c.dvar} {of(c.shown)} as written, and {name} is an abstract function ({found}) "
            f'with no values to compare them at: give it a formula, {flag} "{name}({param}) = …", to have the '
            "claim judged"
        )


def _in_cookbook_convention(c: _Claim, base: Verdict) -> Verdict:
    """Right as the Matrix Cookbook writes the gradient by a symmetric matrix (claims/cookbook.py)."""
    base.verdict = Outcome.COOKBOOK
    base.explanation = cookbook_text(c.typed, c.var, c.dvar, of(c.shown), c.expected)
    base.details = cookbook_details()
    return base


def _symbolically_equal(c: _Claim, p: Problem, readings: list[tuple[Any, bool]], base: Verdict) -> Verdict | None:
    truth_dict = {t: k for k, t in p.truth_terms}
    for node, flipped in readings:
        if node == c.truth or expand_terms(node, c.simp) == truth_dict:
            if not flipped:
                base.verdict, base.method = Outcome.CORRECT, "symbolic"
                base.explanation = f"{c.typed} is {c.dvar} {of(c.shown)} (equal as expressions)"
                return base
            if layout_capable(c.kind, c.env, c.truth):
                base.method = "symbolic"
                return c.layout(base)
    return None


def _numerically_equal(c: _Claim, p: Problem, transposed: Any, base: Verdict) -> Verdict | None:
    if c.c_shape == c.t_shape and all(close(s[c.node], s[c.truth], s["unit"]) for s in p.samples):
        base.verdict = Outcome.CORRECT
        base.explanation = f"{c.typed} equals {c.dvar} {of(c.shown)} = {c.expected} in value (not as written)"
        return base
    if c.c_shape == c.flipped_shape and all(close(s[transposed], s[c.truth], s["unit"]) for s in p.samples):
        if layout_capable(c.kind, c.env, c.truth):
            return c.layout(base)
        base.verdict = Outcome.WRONG
        base.explanation = (
            f"{c.typed} is the transpose of {c.dvar} {of(c.shown)} = {c.expected}; the derivative of a "
            f"matrix by a scalar has the shape of the matrix"
        )
        return base
    return None


def _what_is_wrong(c: _Claim, p: Problem, transposed: Any, base: Verdict) -> Verdict:
    """Try the claim as given, and read in the other layout when the shape allows; keep the most specific."""
    findings: list[Finding] = []
    if c.c_shape == c.t_shape:
        findings.append(analyse(p, c.node, c.node, False))
    if c.c_shape == c.flipped_shape and (layout_capable(c.kind, c.env, c.truth) or c.c_shape == c.t_shape):
        findings.append(analyse(p, transposed, c.node, True))
    best = min(findings, key=lambda f: f.rank)
    base.verdict = best.verdict
    base.details = best.details
    prefix = ""
    if best.flipped:
        since = f", since it is {base.claim_shape}" if c.c_shape != c.t_shape else ""
        other = layout_names(c.kind)["claim"] if c.strict is None else f"{other_layout(c.strict, c.kind)} layout"
        prefix = f"read as the transpose ({other}{since}): "
        base.details["read_transposed"] = True
    conditions = symmetric_conditions(p, best.node)
    if conditions:
        # the first sufficient set keeps its old key; every one found is listed, as alternatives
        base.details["right_when_symmetric"] = conditions[0]
        base.details["right_when_symmetric_any"] = conditions
        prefix = symmetric_note(c.typed, conditions) + prefix
    elif best.verdict == Outcome.WRONG and (placed := placed_on_structure(p, best.node)) is not None:
        structure = c.env.structure(c.var)
        base.details["right_when_placed"] = _render(placed)
        prefix = (
            f"{c.typed} has the right values where {c.var} can move, but {c.var} is {structure} ({MOVES[structure]}): "
            f"placed on it, the derivative is {_render(placed)}; "
        ) + prefix
    elif best.verdict == Outcome.WRONG and (said := spectral_note(p, best.node, c.typed)):
        prefix = said[0] + prefix  # λ_max's claim vvᵀ for a general X, an eigenvector's sign, a missing (λI − S)⁺
        base.details.update(said[1])
    elif best.verdict == Outcome.WRONG and (one := sums_to_one(p, best.node)):
        base.details["right_when_sum_is_one"] = one
        prefix = f"{c.typed} is right only when sum({one[0]}) = 1 (a one-hot or probability {one[0]}); " + prefix
    base.explanation = prefix + best.text
    if best.symbolic:
        base.method = "symbolic"
    return base
