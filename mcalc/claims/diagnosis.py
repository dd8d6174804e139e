"""`mcalc check` and `mcalc.check_claim`: is a hand-derived derivative right, and if not, what is wrong with it?

The claim is parsed with the same syntax and declarations as the expression and compared with
mcalc's derivative. Both are expanded into sums of terms (products distributed over sums, each term
in canonical form with its exact coefficient), so equality is decided symbolically when the two
term lists agree; otherwise the comparison is numeric, at random points of random distinct sizes
that respect each function's domain (the verdict says which).

Verdicts, tried in this order:
- `wrong-shape`: the claim has neither the derivative's shape nor its transpose (n×n for m×n);
- `correct`: equal to the derivative;
- `layout`: the transpose of the derivative: right in the other layout convention (exit 0; the
  explanation names the convention of each);
- `factor`: a constant multiple of the derivative (the factor is named: a missing 2 from a square);
- `missing-term` / `extra-term`: the claim is the derivative with terms of it missing, doubled or
  replaced by another term, or with a term that does not belong (each named); with the note "right
  only when A is symmetric" when making a constant matrix symmetric makes the claim right;
- `wrong`: anything else (with the sign of a term, or "right only when A is symmetric", when known).
A claim with the transposed shape (a row for a column) is read in the other layout and diagnosed
as its transpose, and the explanation says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from mcalc.errors import InputError, MathError, McalcError

POINTS = 3
TOLERANCE = 1e-7
MAX_TERMS = 40
WELL_CONDITIONED = 1e6

LABELS = {
    "correct": "correct",
    "layout": "correct up to layout",
    "factor": "wrong (constant factor)",
    "missing-term": "wrong (missing term)",
    "extra-term": "wrong (extra term)",
    "wrong-shape": "wrong (shape)",
    "wrong": "wrong",
}


@dataclass
class Verdict:
    verdict: str  # one of LABELS
    explanation: str
    method: str  # symbolic | numeric
    expected: str
    claim: str = ""
    shape: str = ""
    claim_shape: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    points: int = 0
    sizes: dict[str, list[int]] = field(default_factory=dict)
    dims: list[str | int] = field(default_factory=list)  # `shape` as JSON gives it: [] scalar, [m] column
    claim_dims: list[str | int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict in ("correct", "layout")

    @property
    def label(self) -> str:
        return LABELS[self.verdict]

    def method_text(self) -> str:
        if self.method == "symbolic":
            return "symbolic"
        sizes = ", ".join(f"{k}={'/'.join(map(str, v))}" for k, v in self.sizes.items())
        return f"numeric: {self.points} random points" + (f", sizes {sizes}" if sizes else "")

    def line(self) -> str:
        return f"{self.label}: {self.explanation} [{self.method_text()}]"

    def to_json(self, expr: str, var: str | list[str], claim: str) -> dict[str, Any]:
        return {
            "expression": expr,
            "wrt": var,
            "claim": claim,
            "verdict": self.verdict,
            "correct": self.ok,
            "label": self.label,
            "explanation": self.explanation,
            "method": self.method,
            "expected": self.expected,
            "claim_simplified": self.claim,
            "shape": self.dims,
            "claim_shape": self.claim_dims,
            "display_shape": self.shape,
            "claim_display_shape": self.claim_shape,
            "details": self.details,
            "points": self.points,
            "sizes": self.sizes,
        }


# --- terms: a derivative as a sum of canonical products with exact coefficients ---


def _distribute(node: Any) -> list[Any]:
    """Terms whose sum is `node`: products, transposes, traces and Hadamard/Kronecker products
    distributed over sums. Gives up (one term) past MAX_TERMS."""
    from mcalc.syntax import nodes as N

    if isinstance(node, N.Add):
        out: list[Any] = []
        for t in node.terms:
            out.extend(_distribute(t))
        return out if len(out) <= MAX_TERMS else [node]
    if isinstance(node, (N.Mul, N.Hadamard, N.Kron)):
        parts = [_distribute(f) for f in node.children()]
        count = 1
        for p in parts:
            count *= len(p)
        if count > MAX_TERMS:
            return [node]
        return [N.rebuild(node, combo) for combo in itertools.product(*parts)]
    if isinstance(node, (N.Transpose, N.Trace, N.Sum, N.Vec, N.Diag, N.Unvec)):
        return [N.rebuild(node, (t,)) for t in _distribute(node.children()[0])]
    return [node]


def expand_terms(node: Any, simp: Any) -> dict[Any, Fraction]:
    """node = Σ coef·term, each term canonical (the simplifier's form) and without its coefficient."""
    from mcalc.simplify import split_coefficient
    from mcalc.syntax import nodes as N

    pending = [node]
    out: dict[Any, Fraction] = {}
    for _ in range(3):  # the simplifier may factor a sum back; distribute again (bounded)
        again: list[Any] = []
        for raw in pending:
            for piece in _distribute(raw):
                t = simp(piece)
                subs = t.terms if isinstance(t, N.Add) else (t,)
                for sub in subs:
                    if simp.is_zero(sub):
                        continue
                    if isinstance(sub, N.Add) or (
                        isinstance(sub, N.Mul) and any(isinstance(f, N.Add) for f in sub.factors)
                    ):
                        again.append(sub)
                        continue
                    coef, factors = split_coefficient(sub)
                    key = N.Number(Fraction(1)) if not factors else factors[0]
                    if len(factors) > 1:
                        key = N.Mul(tuple(factors))
                    out[key] = out.get(key, Fraction(0)) + coef
        if not again:
            break
        pending = again
    else:
        for sub in pending:
            out[sub] = out.get(sub, Fraction(0)) + 1
    return {k: v for k, v in out.items() if v != 0}


def _term_node(coef: Fraction, term: Any) -> Any:
    from mcalc.syntax import nodes as N

    if coef == 1:
        return term
    if isinstance(term, N.Number) and term.value == 1:
        return N.Number(coef)
    factors = term.factors if isinstance(term, N.Mul) else (term,)
    return N.Mul((N.Number(coef), *factors))


def _sum_text(terms: list[tuple[Fraction, Any]]) -> str:
    from mcalc.render.printer import render_text
    from mcalc.syntax import nodes as N

    nodes = [_term_node(c, t) for c, t in terms]
    if not nodes:
        return "0"
    return render_text(nodes[0] if len(nodes) == 1 else N.Add(tuple(nodes)))


def _fraction_text(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    return f"{f.numerator}/{f.denominator}"


# --- the comparison ---


@dataclass
class _Problem:
    """Everything the diagnosis needs, shared by the steps below."""

    expr: str
    var: str
    env: Any
    simp: Any
    tree: Any
    truth: Any
    claim: Any
    kind: Any
    truth_terms: list[tuple[Fraction, Any]]
    seed: int | None
    domain: Any = None
    dvar: str = ""
    claim_text: str = ""
    samples: list[dict[Any, Any]] = field(default_factory=list)
    sizes: dict[str, list[int]] = field(default_factory=dict)


def diagnose(expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None) -> Verdict:
    from mcalc import pipeline
    from mcalc.numeric.check import domain_of
    from mcalc.render.printer import render_text
    from mcalc.render.report import dims_json
    from mcalc.shapes import shape_text
    from mcalc.simplify import Simplifier
    from mcalc.syntax import nodes as N
    from mcalc.syntax.build import flatten

    if not claim.strip():
        raise InputError('the claim is empty: give the derivative you found, e.g. --claim "2 A x"')
    tree, env, (claim_tree,) = pipeline.prepare(expr, decl, extra=(claim,), wrt=tuple(wrt))
    in_expr = set(N.free_symbols(tree)) | set(wrt)
    unknown = [n for n in N.free_symbols(claim_tree) if n not in in_expr]
    if unknown:
        which = ", ".join(unknown)
        raise InputError(f"the claim uses {which}, which {'does' if len(unknown) == 1 else 'do'} not occur in {expr}")
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    shown = render_text(flatten(tree))
    if isinstance(flatten(tree), N.Add) or (isinstance(flatten(tree), N.Mul) and " " in shown):
        shown = f"({shown})"  # d/dt (A(t) B(t)), ∂/∂θ (‖y − Φθ‖² + λθᵀθ)
    typed = render_text(flatten(claim_tree))  # the claim as the student wrote it
    dvar = _d_text(wrt, env)
    truth = result.final.result
    kind = result.final.kind
    simp = Simplifier(env)
    claim_s = simp(_size_identities(env, claim_tree, truth))
    t_shape = env.shape(truth)
    if isinstance(claim_s, N.Number) and claim_s.value == 0 and t_shape != (1, 1):
        claim_s = N.Zero(*t_shape)
    c_shape = env.shape(claim_s)
    var = wrt[-1]
    expected = render_text(truth)
    base = Verdict(
        "wrong",
        "",
        "symbolic",
        expected,
        claim=render_text(claim_s),
        shape=shape_text(t_shape),
        claim_shape=shape_text(c_shape),
        dims=dims_json(env, t_shape),
        claim_dims=dims_json(env, c_shape),
    )
    flipped_shape = (t_shape[1], t_shape[0])
    if c_shape != t_shape and c_shape != flipped_shape:
        base.verdict = "wrong-shape"
        base.explanation = (
            f"your answer {typed} is {_shape_words(c_shape)} but {dvar} {_of(shown)} is "
            f"{_shape_words(t_shape)}{_shape_reason(kind, var, env)}: it is {expected}"
        )
        base.details = {"shape": base.shape, "claim_shape": base.claim_shape}
        if c_shape == (t_shape[0], 1) and t_shape[0] == t_shape[1] and t_shape[0] != 1:
            # a vector for a square Jacobian: is it the diagonal (an elementwise function)?
            diag = simp(N.Diag(claim_s))
            q = _Problem(shown, var, env, simp, tree, truth, claim_s, kind, [], seed)
            q.domain = domain_of([tree, truth, claim_s], env)
            try:
                _sample(q, [truth, diag], POINTS)
            except McalcError:
                return base
            if all(_close(smp[diag], smp[truth]) for smp in q.samples):
                base.explanation += (
                    "; your answer is its diagonal (the Jacobian of an elementwise function is diag(f′))"
                )
                base.details["diagonal"] = True
        return base

    truth_terms = list(expand_terms(truth, simp).items())
    p = _Problem(shown, var, env, simp, tree, truth, claim_s, kind, [(c, t) for t, c in truth_terms], seed)
    p.dvar = dvar
    p.claim_text = typed
    p.domain = domain_of([tree, truth, claim_s], env)
    transposed = simp(N.Transpose(claim_s))
    can_flip = _layout_capable(kind, env, truth)

    # symbolic first: the same sum of canonical terms
    candidates: list[tuple[Any, bool]] = []
    if c_shape == t_shape:
        candidates.append((claim_s, False))
    if c_shape == flipped_shape:
        candidates.append((transposed, True))
    truth_dict = {t: c for c, t in p.truth_terms}
    for node, flipped in candidates:
        if node == truth or expand_terms(node, simp) == truth_dict:
            if not flipped:
                base.verdict, base.method = "correct", "symbolic"
                base.explanation = f"{typed} is {dvar} {_of(shown)} (equal as expressions)"
                return base
            if can_flip:
                base.verdict, base.method = "layout", "symbolic"
                base.explanation = _layout_text(typed, expected, kind, var, env, c_shape == t_shape)
                base.details = {"layout": _layout_names(kind)}
                return base

    # numeric: the claim, its transpose and each term of the derivative at random points
    nodes = [truth, claim_s, transposed] + [_term_node(c, t) for c, t in p.truth_terms]
    _sample(p, nodes, POINTS)
    base.points, base.sizes, base.method = len(p.samples), p.sizes, "numeric"

    if c_shape == t_shape and all(_close(s[claim_s], s[truth]) for s in p.samples):
        base.verdict = "correct"
        base.explanation = f"{typed} equals {dvar} {_of(shown)} = {expected} in value (not as written)"
        return base
    if c_shape == flipped_shape and all(_close(s[transposed], s[truth]) for s in p.samples):
        if can_flip:
            base.verdict = "layout"
            base.explanation = _layout_text(typed, expected, kind, var, env, c_shape == t_shape)
            base.details = {"layout": _layout_names(kind)}
            return base
        base.verdict = "wrong"
        base.explanation = (
            f"{typed} is the transpose of {dvar} {_of(shown)} = {expected}; the derivative of a "
            f"matrix by a scalar has the shape of the matrix"
        )
        return base

    # what is wrong: try the claim as given, and read in the other layout when the shape allows
    findings: list[_Finding] = []
    if c_shape == t_shape:
        findings.append(_analyse(p, claim_s, claim_s, False))
    if c_shape == flipped_shape and (can_flip or c_shape == t_shape):
        findings.append(_analyse(p, transposed, claim_s, True))
    best = min(findings, key=lambda f: f.rank)
    base.verdict = best.verdict
    base.details = best.details
    prefix = ""
    if best.flipped:
        prefix = (
            f"read as the transpose ({_layout_names(kind)['claim']}, since it is {base.claim_shape}): "
            if c_shape != t_shape
            else f"read as the transpose ({_layout_names(kind)['claim']}): "
        )
        base.details["read_transposed"] = True
    conditions = _symmetric_conditions(p, best.node)
    if conditions:
        # the first sufficient set keeps its old key; every one found is listed, as alternatives
        base.details["right_when_symmetric"] = conditions[0]
        base.details["right_when_symmetric_any"] = conditions
        base.explanation = _symmetric_note(typed, conditions) + prefix + best.text
    else:
        base.explanation = prefix + best.text
    if best.symbolic:
        base.method = "symbolic"
    return base


@dataclass
class _Finding:
    rank: int  # smaller is more specific
    verdict: str
    text: str
    node: Any
    flipped: bool
    symbolic: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def _analyse(p: _Problem, node: Any, shown: Any, flipped: bool) -> _Finding:
    """Diagnose `node` (the claim, or its transpose) against the derivative, numerically; then
    confirm the diagnosis symbolically where the term lists allow."""
    import numpy as np

    from mcalc.render.printer import render_text

    expected = render_text(p.truth)
    var, expr, dvar = p.var, p.expr, p.dvar
    claim_text = p.claim_text or render_text(shown)
    vals = [s[node] for s in p.samples]
    truths = [s[p.truth] for s in p.samples]
    claim_terms = expand_terms(node, p.simp)

    def symbolic_match(want: dict[Any, Fraction]) -> bool:
        return claim_terms == {k: v for k, v in want.items() if v != 0}

    truth_dict = {t: c for c, t in p.truth_terms}
    if all(not np.any(v) for v in vals):
        return _Finding(4, "wrong", f"your answer is 0, but {dvar} {_of(expr)} = {expected} is not", node, flipped)
    # a constant factor
    ratio = _ratio(vals, truths)
    if ratio is not None:
        f = Fraction(ratio).limit_denominator(1000)
        if all(_close(v, float(f) * t) for v, t in zip(vals, truths, strict=True)):
            text = _factor_text(f, claim_text, expected, var, expr, p)
            sym = symbolic_match({k: c * f for k, c in truth_dict.items()})
            return _Finding(1, "factor", text, node, flipped, sym, {"factor": _fraction_text(f)})
        return _Finding(
            1,
            "factor",
            f"{claim_text} is {ratio:.6g} × {dvar} {_of(expr)} = {expected}",
            node,
            flipped,
            False,
            {"factor": ratio},
        )
    if all(np.allclose(t, 0) for t in truths):
        return _Finding(
            5, "wrong", f"{dvar} {_of(expr)} is 0 (it does not change with {var}), not {claim_text}", node, flipped
        )
    # the terms of the derivative, with coefficients α: node = Σ αᵢ tᵢ (+ terms foreign to it)
    columns = [[s[_term_node(c, t)] for s in p.samples] for c, t in p.truth_terms]
    alpha, residual = _solve(columns, vals)
    if residual > TOLERANCE:
        swapped = _transposed_symbols(p, node)
        if swapped is not None:
            names, fixed = swapped
            where = " and ".join(names)
            what = " and ".join(f"{n}ᵀ" for n in names)
            return _Finding(
                3,
                "wrong",
                f"{claim_text} has {where} where the derivative has {what}: {dvar} {_of(expr)} = {expected}",
                node,
                flipped,
                p.simp(fixed) == p.truth,
                {"transposed": names},
            )
    foreign: list[tuple[Fraction, Any]] = []
    if residual > TOLERANCE:
        # the claim's own terms that no combination of the derivative's terms explains
        for t, c in claim_terms.items():
            t_vals = [_eval(p, _term_node(c, t), s) for s in p.samples]
            if any(v is None for v in t_vals):
                continue
            _, r = _solve(columns, t_vals)
            if r > TOLERANCE:
                foreign.append((c, t))
        if foreign:
            rest = [
                v - sum((_eval(p, _term_node(c, t), s) for c, t in foreign), np.zeros_like(v))
                for v, s in zip(vals, p.samples, strict=True)
            ]
            alpha, residual = _solve(columns, rest)
            if all(abs(a) < 1e-9 for a in alpha):
                residual = 1.0  # none of the derivative's terms is there: nothing more specific to say
    if residual > TOLERANCE:
        return _Finding(
            6,
            "wrong",
            f"{claim_text} is not {dvar} {_of(expr)} = {expected} (they differ at random points)",
            node,
            flipped,
        )
    coefs = [Fraction(a).limit_denominator(1000) for a in alpha]
    terms = p.truth_terms
    missing = [terms[i] for i, a in enumerate(coefs) if a == 0]
    doubled = [terms[i] for i, a in enumerate(coefs) if a == 2]
    negated = [terms[i] for i, a in enumerate(coefs) if a == -1]
    scaled = [(a, terms[i]) for i, a in enumerate(coefs) if a not in (0, 1, 2, -1)]
    want: dict[Any, Fraction] = {}
    for a, (c, t) in zip(coefs, terms, strict=True):
        want[t] = want.get(t, Fraction(0)) + a * c
    for c, t in foreign:
        want[t] = want.get(t, Fraction(0)) + c
    sym = symbolic_match(want)
    details: dict[str, Any] = {
        "terms": [_sum_text([nt]) for nt in terms],
        "coefficients": [_fraction_text(a) for a in coefs],
    }
    if foreign:
        details["extra"] = [_sum_text([ft]) for ft in foreign]
    if missing:
        details["missing"] = [_sum_text([m]) for m in missing]
    if doubled:
        details["doubled"] = [_sum_text([d]) for d in doubled]
    if negated:
        details["wrong_sign"] = [_sum_text([n]) for n in negated]
    if scaled:
        details["scaled"] = {_sum_text([t]): _fraction_text(a) for a, t in scaled}
    full = f"{dvar} {_of(expr)} = {_expected_sum(p)}"
    kinds = {k for k, v in (("foreign", foreign), ("missing", missing), ("doubled", doubled),
                            ("negated", negated), ("scaled", scaled)) if v}  # fmt: skip

    def finding(rank: int, verdict: str, text: str) -> _Finding:
        return _Finding(rank, verdict, text, node, flipped, sym, details)

    if kinds == {"missing"}:
        return finding(2, "missing-term", f"missing {_sum_text(missing)}: {full}")
    if kinds == {"foreign"}:
        return finding(2, "extra-term", f"{_sum_text(foreign)} does not belong: without it your answer is {full}")
    if kinds == {"doubled"}:
        return finding(2, "extra-term", f"an extra {_sum_text(doubled)} (a term counted twice): {full}")
    if kinds == {"missing", "doubled"}:
        details["in_place_of"] = {"missing": details["missing"], "instead": details["doubled"]}
        return finding(
            2,
            "missing-term",
            f"missing {_sum_text(missing)} (your answer has {_sum_text(doubled)} in its place): {full}",
        )
    if kinds == {"missing", "foreign"}:
        details["in_place_of"] = {"missing": details["missing"], "instead": details["extra"]}
        return finding(
            3, "wrong", f"your answer has {_sum_text(foreign)} where the derivative has {_sum_text(missing)}: {full}"
        )
    if kinds == {"negated"}:
        plural = "s have" if len(negated) > 1 else " has"
        return finding(3, "wrong", f"the term{plural} the wrong sign: {_sum_text(negated)}: {full}")
    if kinds == {"scaled"}:
        parts = []
        for a, (c, t) in scaled:
            hint = " (a missing factor 2)" if a == Fraction(1, 2) else ""
            parts.append(f"{_sum_text([(c, t)])} appears as {_sum_text([(a * c, t)])}{hint}")
        return finding(3, "wrong", f"the term {'; the term '.join(parts)}: {full}")
    mine = _sum_text([(a * c, t) for a, (c, t) in zip(coefs, terms, strict=True) if a != 0] + foreign)
    return finding(4, "wrong", f"your answer is {mine}, but {full}")


def _transposed_symbols(p: _Problem, node: Any) -> tuple[list[str], Any] | None:
    """Square matrices M such that the claim with Mᵀ for M is right (X⁻¹ written for X⁻ᵀ)."""
    from mcalc.shapes import Kind
    from mcalc.syntax import nodes as N

    env = p.env
    names = [
        n for n in N.free_symbols(node)
        if env.kinds.get(n) is Kind.MATRIX and n not in env.symmetric
        and env.shape_of_var(n)[0] == env.shape_of_var(n)[1]
    ]  # fmt: skip
    trials = [[n] for n in names] + ([names] if len(names) > 1 else [])
    for group in trials:
        fixed = p.simp(N.substitute(node, {N.Symbol(n): N.Transpose(N.Symbol(n)) for n in group}))
        vals = [_eval(p, fixed, s) for s in p.samples]
        if all(v is not None and _close(v, s[p.truth]) for v, s in zip(vals, p.samples, strict=True)):
            return group, fixed
    return None


def _expected_sum(p: _Problem) -> str:
    from mcalc.render.printer import render_text

    short = render_text(p.truth)
    if len(p.truth_terms) <= 1:
        return short
    long = _sum_text(p.truth_terms)
    return short if long == short else f"{short} = {long}"


def _factor_text(f: Fraction, claim: str, expected: str, var: str, expr: str, p: _Problem) -> str:
    from mcalc.syntax import nodes as N

    dvar = p.dvar
    if f == -1:
        return f"the sign is wrong: {dvar} {_of(expr)} = {expected}, and your answer is its negative"
    head = f"your answer {claim} is {_fraction_text(f)} × {dvar} {_of(expr)} = {expected}"
    if f == Fraction(1, 2):
        squared = sum(1 for n in _walk(p.tree) if isinstance(n, N.Symbol) and n.name == var) >= 2 or any(
            isinstance(n, N.Power) and n.exponent == 2 for n in _walk(p.tree)
        )
        why = " from the square (d(uᵀu) = 2uᵀdu)" if squared else ""
        return f"{head}: a missing factor 2{why}"
    if f == 2:
        return f"{head}: an extra factor 2 (was a ½ dropped, or a symmetric term counted twice?)"
    if f < 0:
        return f"{head}: the sign and the size are both off"
    return head


def _walk(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children())
    return out


# How many sets of matrices `_symmetric_conditions` may try: subsets are tried smallest first, so with
# a few constant matrices (the usual case) every minimal sufficient set is found well within this.
MAX_SYMMETRY_TRIALS = 32


def _symmetric_conditions(p: _Problem, node: Any) -> list[list[str]]:
    """Every minimal set of constant square matrices whose being symmetric makes `node` right.

    A set counts when `node` equals the derivative at random points where those matrices are
    symmetric. Sets are tried smallest first and supersets of a set already found skipped, so each
    one returned is minimal: for tr(ABAᵀC) by A, CᵀAB + CABᵀ gives [[B], [C]] (either suffices)."""
    cands = _symmetry_candidates(p)
    if not cands or not _right_when_symmetric(p, node, cands):
        return []
    found: list[list[str]] = []
    trials = 1
    for size in range(1, len(cands)):
        for combo in itertools.combinations(cands, size):
            if any(set(f) <= set(combo) for f in found):
                continue
            if trials >= MAX_SYMMETRY_TRIALS:
                return found or [cands]
            trials += 1
            if _right_when_symmetric(p, node, list(combo)):
                found.append(list(combo))
    return found or [cands]


def _symmetry_candidates(p: _Problem) -> list[str]:
    """Constant square matrices not already declared symmetric (nor the variable, nor functions of t)."""
    from mcalc.shapes import Kind

    env = p.env
    cands = []
    for name, kind in env.kinds.items():
        if kind is not Kind.MATRIX or name in env.symmetric or name == p.var or name in env.functions:
            continue
        r, c = env.shape_of_var(name)
        if r == c:
            cands.append(name)
    return cands


def _right_when_symmetric(p: _Problem, node: Any, names: list[str]) -> bool:
    """`node` equals the derivative at random points where `names` are symmetric."""
    env = p.env
    saved = env.symmetric
    env.symmetric = saved | frozenset(names)
    try:
        q = _Problem(p.expr, p.var, env, p.simp, p.tree, p.truth, p.claim, p.kind, p.truth_terms, p.seed, p.domain)
        q.dvar, q.claim_text = p.dvar, p.claim_text
        _sample(q, [p.truth, node], POINTS)
    except McalcError:
        return False
    finally:
        env.symmetric = saved
    return all(_close(s[node], s[p.truth]) for s in q.samples)


def _symmetric_note(typed: str, conditions: list[list[str]]) -> str:
    """ "X is right only when B is symmetric; " for one sufficient set, "X is right when B is
    symmetric or when C is symmetric; " for several (each set is enough on its own)."""

    def when(names: list[str]) -> str:
        return f"when {' and '.join(names)} {'is' if len(names) == 1 else 'are'} symmetric"

    if len(conditions) == 1:
        return f"{typed} is right only {when(conditions[0])}; "
    return f"{typed} is right {' or '.join(when(c) for c in conditions)}; "


def _sample(p: _Problem, nodes: list[Any], count: int) -> None:
    """`count` random points (fresh distinct sizes each) where every node evaluates to finite values."""
    import numpy as np

    from mcalc.numeric.check import ILL_CONDITIONED, random_point, random_sizes, worst_guard
    from mcalc.numeric.evaluate import Evaluator

    env = p.env
    rng = np.random.default_rng(p.seed)
    p.samples, p.sizes = [], {}
    for _ in range(count * 15):
        if len(p.samples) == count:
            break
        env.sizes.clear()
        sizes = random_sizes(env, rng)
        env.sizes.update(sizes)
        values = random_point(env, p.domain, rng)
        if worst_guard(env, p.domain, values)[0] > ILL_CONDITIONED:
            continue
        ev = Evaluator(env, values)
        try:
            with np.errstate(all="ignore"):
                got: dict[Any, Any] = {n: np.asarray(ev(n), dtype=float) for n in nodes}
        except MathError:
            continue
        if all(np.all(np.isfinite(v)) for v in got.values()):
            got["values"] = values
            p.samples.append(got)
            for d, s in sizes.items():
                p.sizes.setdefault(d, []).append(s)
    if not p.samples:
        raise MathError("no random point where both the expression and the claim are defined was found")


def _eval(p: _Problem, node: Any, sample: dict[Any, Any]) -> Any:
    import numpy as np

    from mcalc.numeric.evaluate import Evaluator

    hit = sample.get(node)
    if hit is not None:
        return hit
    try:
        with np.errstate(all="ignore"):
            v = np.asarray(Evaluator(p.env, sample["values"])(node), dtype=float)
    except MathError:
        return None
    sample[node] = v
    return v


def _close(a: Any, b: Any) -> bool:
    import numpy as np

    if a.shape != b.shape:
        return False
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)))
    return float(np.linalg.norm(a - b)) <= TOLERANCE * scale + 1e-12


def _ratio(vals: list[Any], truths: list[Any]) -> float | None:
    """c with vals = c·truths at every point (c ≠ 1, 0), or None."""
    import numpy as np

    num = sum(float(np.vdot(t, v)) for v, t in zip(vals, truths, strict=True) if v.shape == t.shape)
    den = sum(float(np.vdot(t, t)) for t in truths)
    if den <= 1e-24 or any(v.shape != t.shape for v, t in zip(vals, truths, strict=True)):
        return None
    c = num / den
    if abs(c) < 1e-9 or abs(c - 1) < 1e-9:
        return None
    if all(_close(v, c * t) for v, t in zip(vals, truths, strict=True)):
        return c
    return None


def _solve(columns: list[list[Any]], target: list[Any]) -> tuple[list[float], float]:
    """Least squares target ≈ Σ αᵢ columnsᵢ over all points (each point weighted by its size);
    returns α and the relative residual."""
    import numpy as np

    if not columns:
        norm = sum(float(np.linalg.norm(t)) for t in target)
        return [], 0.0 if norm < 1e-12 else 1.0
    rows_a, rows_b = [], []
    for k, tgt in enumerate(target):
        w = max(float(np.linalg.norm(tgt)), max(float(np.linalg.norm(col[k])) for col in columns), 1e-12)
        # a scalar term of a vector derivative (a broadcast 1) counts once per entry
        try:
            shape = np.broadcast_shapes(np.shape(tgt), *(np.shape(col[k]) for col in columns))
        except ValueError:
            return [], 1.0  # shapes that cannot be compared: no combination of the terms fits
        rows_a.append(np.stack([np.broadcast_to(col[k], shape).ravel() / w for col in columns], axis=1))
        rows_b.append(np.broadcast_to(tgt, shape).ravel() / w)
    a = np.concatenate(rows_a)
    b = np.concatenate(rows_b)
    alpha, *_ = np.linalg.lstsq(a, b, rcond=None)
    snapped = np.array([float(Fraction(x).limit_denominator(1000)) for x in alpha])
    best = alpha
    res_s = float(np.linalg.norm(a @ snapped - b))
    res_a = float(np.linalg.norm(a @ alpha - b))
    scale = max(float(np.linalg.norm(b)), 1e-12)
    if res_s <= TOLERANCE * scale:
        best, res_a = snapped, res_s
    return [float(x) for x in best], res_a / scale


# --- wording ---


def _d_text(wrt: list[str], env: Any) -> str:
    """∂/∂x, d/dt for a scalar, ∂²/∂x² or ∂²/∂x∂y for a second derivative."""
    from mcalc.shapes import Kind

    if len(wrt) == 1:
        return f"d/d{wrt[0]}" if env.kinds.get(wrt[0]) is Kind.SCALAR else f"∂/∂{wrt[0]}"
    if len(set(wrt)) == 1:
        return f"∂²/∂{wrt[0]}²" if len(wrt) == 2 else f"∂^{len(wrt)}/∂{wrt[0]}^{len(wrt)}"
    return "∂²/" + "".join(f"∂{w}" for w in wrt) if len(wrt) == 2 else "∂ⁿ/" + "".join(f"∂{w}" for w in wrt)


def _of(expr: str) -> str:
    return expr if len(expr) <= 40 else "the expression"


def _shape_words(shape: tuple[Any, Any]) -> str:
    from mcalc.shapes import dim_text

    r, c = shape
    if r == 1 and c == 1:
        return "a scalar"
    if c == 1:
        return f"a column of length {dim_text(r)}"
    if r == 1:
        return f"a row of length {dim_text(c)}"
    return f"{dim_text(r)}×{dim_text(c)}"


def _shape_reason(kind: Any, var: str, env: Any) -> str:
    from mcalc.pipeline import DerivKind
    from mcalc.shapes import shape_text

    vshape = shape_text(env.shape_of_var(var))
    if kind is DerivKind.GRADIENT:
        return f" (the gradient of a scalar has the shape of {var}, {vshape}, or its transpose in numerator layout)"
    if kind is DerivKind.JACOBIAN:
        return " (the Jacobian has a row per entry of f and a column per entry of the variable)"
    if kind is DerivKind.SCALAR_VAR:
        return " (the derivative by a scalar has the shape of the expression)"
    return " (∂vec F/∂vec X has a row per entry of F and a column per entry of X)"


def _layout_capable(kind: Any, env: Any, truth: Any) -> bool:
    from mcalc.pipeline import DerivKind

    if kind is DerivKind.SCALAR_VAR:
        return bool(env.is_vector(truth))
    return True


def _layout_names(kind: Any) -> dict[str, str]:
    from mcalc.pipeline import DerivKind

    if kind is DerivKind.GRADIENT:
        return {"mcalc": "denominator layout", "claim": "numerator layout"}
    if kind is DerivKind.SCALAR_VAR:
        return {"mcalc": "numerator layout", "claim": "denominator layout"}
    return {"mcalc": "numerator layout", "claim": "denominator layout"}


def _layout_text(claim: str, expected: str, kind: Any, var: str, env: Any, square: bool) -> str:
    from mcalc.pipeline import DerivKind

    dvar = f"∂/∂{var}"
    if kind is DerivKind.GRADIENT:
        return (
            f"{claim} is the transpose of mcalc's {dvar} = {expected}: right in numerator layout "
            f"(shaped like {var}ᵀ: entry (i, j) = ∂f/∂{var}ⱼᵢ); mcalc's default is denominator layout "
            f"(shaped like {var}: entry (i, j) = ∂f/∂{var}ᵢⱼ)"
        )
    if kind is DerivKind.JACOBIAN:
        return (
            f"{claim} is the transpose of mcalc's Jacobian {expected}: right in denominator layout (a row per "
            f"entry of {var}, entry (i, j) = ∂fⱼ/∂{var}ᵢ); mcalc uses numerator layout for Jacobians (a row "
            f"per entry of f, entry (i, j) = ∂fᵢ/∂{var}ⱼ)"
        )
    if kind is DerivKind.SCALAR_VAR:
        return (
            f"{claim} is the transpose of mcalc's d/d{var} = {expected}: right in denominator layout (a row); "
            f"mcalc shapes the derivative of a vector by a scalar like the vector (numerator layout)"
        )
    return (
        f"{claim} is the transpose of mcalc's ∂vec F/∂vec {var} = {expected}: right in denominator layout "
        f"(a row per entry of vec {var}); mcalc uses numerator layout (a row per entry of vec F)"
    )


def _size_identities(env: Any, claim: Any, truth: Any) -> Any:
    """An `I` in the claim takes the size its context gives it; where the context leaves it free
    (`2 I`, `C ⊗ I`), the size that gives the claim the derivative's shape (or its transpose)."""
    from mcalc import shapes
    from mcalc.syntax import nodes as N

    fix = getattr(shapes, "_fix_identities", None)
    if fix is not None:
        claim = fix(env, claim)
    known: list[Any] = []
    for name in env.kinds:
        for d in env.shape_of_var(name):
            for x in d if isinstance(d, tuple) else (d,):
                if x not in known and x != 1:
                    known.append(x)
    free: list[Any] = []
    for n in _walk(claim):
        if isinstance(n, N.Identity):
            d = env.resolve(n.dim) if n.dim is not None else None
            if (d is None or (isinstance(d, str) and d not in known)) and n.dim not in free:
                free.append(n.dim)
    if not free or not known:
        return claim
    t_shape = env.shape(truth)
    flipped = (t_shape[1], t_shape[0])

    def sized(choice: tuple[Any, ...]) -> Any:
        table = dict(zip(free, choice, strict=True))

        def walk(n: Any) -> Any:
            if isinstance(n, N.Identity) and n.dim in table:
                return N.Identity(table[n.dim], span=n.span)
            kids = n.children()
            return n if not kids else N.rebuild(n, tuple(walk(k) for k in kids))

        return walk(claim)

    fallback = None
    for choice in itertools.islice(itertools.product(known, repeat=len(free)), 256):
        candidate = sized(choice)
        try:
            shape = env.shape(candidate)
        except McalcError:
            continue
        if shape == t_shape:
            return candidate
        if shape == flipped and fallback is None:
            fallback = candidate
    return fallback if fallback is not None else claim
