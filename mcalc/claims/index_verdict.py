"""The verdict on an index claim: its tensor against mcalc's derivative (`value`, the contract's layout-free
tensor) at random points of random sizes (claims.sampling, as for matrix claims).

Verdicts: `correct`; `layout` (a bare claim whose indices read the variable's first: the denominator
layout); `factor` (a constant multiple); `missing-term` (one term of a symmetric pair); `wrong`, with a
diagnosis only when it is verified, that is when the claim corrected as the diagnosis says equals the
derivative at every point: the variable's indices in the other order (the transposed tensor), the
expression's and the variable's indices exchanged, a δ pairing the wrong indices, an index written where
another belongs (a sum over an index that should be free), the derivative by a symmetric variable's
entries taken as independent (mcalc reports sym(G)). Otherwise plain "wrong". A claim whose indices
do not fit together (claims.index_tensor refuses it) is wrong with a diagnosis when one such correction
makes it right, else the refusal stands.
"""

from __future__ import annotations

from typing import Any

from mcalc.claims import index_repairs
from mcalc.claims import index_tensor as T
from mcalc.claims.index_claim import Oriented, Setup, orient, read
from mcalc.claims.sampling import POINTS, Problem, close, ratio, sample
from mcalc.claims.verdict import Outcome, Verdict
from mcalc.errors import InputError
from mcalc.records import Record, record
from mcalc.syntax import index_reader as R


@record
class Sample(Record):
    """One random point: the derivative's value, each piece's value, and the dimensions' sizes."""

    truth: Any
    pieces: dict[str, Any]
    dims: dict[Any, int]


@record
class Judged(Record):
    s: Setup
    o: Oriented
    samples: list[Sample]
    vals: list[Any]
    base: Verdict
    layout: Any

    @property
    def truths(self) -> list[Any]:
        return [smp.truth for smp in self.samples]


def index_verdict(
    expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None, layout: Any = None
) -> Verdict | None:
    """The verdict on an index-notation claim, or None when the claim is not in index notation."""
    s = read(expr, wrt, claim, decl)
    if s is None:
        return None
    try:
        o = orient(s, s.read.body)
    except InputError:
        found = _repaired(s, s.read.body, _samples(s, seed), layout)
        if found is None:
            raise
        return _with_reading(s, found)
    j = _judged(s, o, _samples(s, seed), layout)
    return _with_reading(s, _right(j) if _all_close(j.vals, j.truths) else _diagnose(j))


def _with_reading(s: Setup, verdict: Verdict) -> Verdict:
    """The warnings on how the expression was read, as for every claim (README § How mcalc reads a name)."""
    from mcalc.lets import expand
    from mcalc.reading import read as reading

    verdict.warnings = list(reading(s.env, expand(s.env.lets, s.tree), s.wrt).warnings)
    return verdict


def _judged(s: Setup, o: Oriented, samples: list[Sample], layout: Any) -> Judged:
    from mcalc.render.report import dims_json
    from mcalc.shapes import shape_text

    vals = [_claim_value(s, o, o.body, smp) for smp in samples]
    shape = s.env.shape(s.result.final.result)
    shown, dims = shape_text(shape), dims_json(s.env, shape)
    sizes: dict[str, list[int]] = {}
    for smp in samples:
        for d, n in smp.dims.items():
            sizes.setdefault(str(d), []).append(n)
    base = Verdict(
        Outcome.WRONG, "", "numeric", _expected(s), claim=s.claim, points=len(samples), sizes=sizes,
        shape=shown, claim_shape=shown, dims=dims, claim_dims=dims,
        details={"notation": "index", "free_indices": list(o.order), "expression_indices": list(o.order[: s.split])},
    )  # fmt: skip
    return Judged(s, o, samples, vals, base, layout)


def _right(j: Judged) -> Verdict:
    s, o, base = j.s, j.o, j.base
    if o.kind == "layout":
        base.details["read"] = "variable's indices first"
        if j.layout is None:
            base.verdict = Outcome.LAYOUT
            base.explanation = (
                f"{s.claim} is {_about(s)} read with the variable's indices first (denominator layout: "
                f"{_are(o.order[s.split :])} the variable's, the only order its dimensions allow); "
                f"mcalc orders them the expression's first: {base.expected}"
            )
        else:
            base.explanation = f"{s.claim} is {_about(s)} only read with the variable's indices first"
        return base
    if o.kind == "swapped":
        k, l_ = o.order[-1], o.order[-2]
        base.details["swapped"] = [k, l_]
        base.explanation = (
            f"right up to the order of {k} and {l_}: that is the transposed tensor (the only order its "
            f"dimensions allow); {_about(s)} = {base.expected}"
        )
        return base
    base.verdict = Outcome.CORRECT
    base.explanation = f"{s.claim} is {_about(s)} entry by entry (free indices {_axes_text(s, o.order)})"
    return base


def _samples(s: Setup, seed: int | None) -> list[Sample]:
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.points import domain_of

    env, result = s.env, s.result
    pieces = list(dict.fromkeys(s.trees.values()))
    truth = result.final.result
    p = Problem(s.expr, s.wrt[-1], env, None, s.tree, truth, None, result.final.kind, [], seed)
    p.domain = domain_of([s.tree, truth, *pieces], env)
    saved = dict(env.sizes)
    out = []
    checked = [s.tree, s.lhs] if s.lhs is not None else []
    try:
        sample(p, [truth, *pieces, *checked], POINTS)
        if checked and not all(close(smp[s.tree].reshape(-1), smp[s.lhs].reshape(-1)) for smp in p.samples):
            _refuse_left_side(s)
        for k, smp in enumerate(p.samples):
            env.sizes.clear()
            env.sizes.update({d: sizes[k] for d, sizes in p.sizes.items()})
            with np.errstate(all="ignore"):
                value = np.asarray(pipeline.evaluate_value(result, smp["values"]), dtype=float)
            values = {}
            for text, tree in s.trees.items():
                r, c = env.shape(tree)
                values[text] = np.asarray(smp[tree], dtype=float).reshape(env.size(r), env.size(c))
            out.append(Sample(value, values, dict(env.sizes)))
    finally:
        env.sizes.clear()
        env.sizes.update(saved)
    return out


def _refuse_left_side(s: Setup) -> None:
    from mcalc.render.printer import render_text

    side = s.read.side
    assert side is not None
    told = f"the left side differentiates {side.f_text}, which is not the expression {render_text(s.tree)}"
    raise T.refuse(told, side.span)


def _claim_value(s: Setup, o: Oriented, body: R.IndexNode, smp: Sample) -> Any:
    """The claim's tensor at the sample, shaped as the derivative's value."""
    import numpy as np

    env = s.env
    saved = dict(env.sizes)
    env.sizes.clear()
    env.sizes.update(smp.dims)
    try:
        sizes = {x: env.size(d) for x, d in o.sizes_of.items()}
    finally:
        env.sizes.clear()
        env.sizes.update(saved)
    T.within_budget(body, o.reading, sizes, o.order)
    with np.errstate(all="ignore"):
        arr = np.asarray(T.tensor(body, T.Point(o.reading, smp.pieces, sizes), o.order), dtype=float)
    return arr.reshape(smp.truth.shape)


def _all_close(vals: list[Any], truths: list[Any]) -> bool:
    import numpy as np

    return all(np.all(np.isfinite(v)) and close(v, t) for v, t in zip(vals, truths, strict=True))


def _expected(s: Setup) -> str:
    from mcalc.errors import McalcError
    from mcalc.render.index import NoIndexForm
    from mcalc.render.index_higher import render_any_index
    from mcalc.render.printer import render_text

    try:
        line = render_any_index(s.result)
    except (McalcError, NoIndexForm):
        line = ""
    return line if line and "no index form" not in line else render_text(s.result.final.result)


def _about(s: Setup) -> str:
    from mcalc.claims.wording import d_text, of
    from mcalc.render.printer import render_text
    from mcalc.render.report import as_read
    from mcalc.syntax import nodes as N

    flat = as_read(s.tree, s.env)  # as diff's left side groups a scalar product
    shown = render_text(flat)
    if isinstance(flat, N.Add) or (isinstance(flat, N.Mul) and " " in shown):
        shown = f"({shown})"
    return f"{d_text(s.wrt, s.env)} {of(shown)}"


def _axes_text(s: Setup, order: tuple[str, ...]) -> str:
    head, tail = ", ".join(order[: s.split]), ", ".join(order[s.split :])
    return f"{head} | {tail}" if head and tail else head or tail or "none"


def _diagnose(j: Judged) -> Verdict:
    for step in (_factor, _exchanged, _swapped, _symmetric_pair, _symmetric_variable, _one_change):
        found = step(j)
        if found is not None:
            return found
    about_it = f"{_about(j.s)} = {j.base.expected}"
    read = "" if j.o.kind in ("stated", "alphabetical") else " (read in the only order its dimensions allow)"
    j.base.explanation = f"{j.s.claim} differs from {about_it} at random points{read}; mcalc could not say where"
    return j.base


def _factor(j: Judged) -> Verdict | None:
    from fractions import Fraction

    from mcalc.claims.terms import fraction_text

    c = ratio(j.vals, j.truths)
    if c is None:
        return None
    f = Fraction(c).limit_denominator(1000)
    if abs(float(f) - c) > 1e-9 * max(1.0, abs(c)):
        return None
    j.base.verdict = Outcome.FACTOR
    j.base.details["factor"] = fraction_text(f)
    if f == -1:
        j.base.explanation = f"the sign is wrong: {_about(j.s)} = {j.base.expected}, and {j.s.claim} is its negative"
    else:
        j.base.explanation = f"{j.s.claim} is {fraction_text(f)} × {_about(j.s)} = {j.base.expected}"
    return j.base


def _permuted(j: Judged, axes: list[int]) -> bool:
    import numpy as np

    return _all_close([np.transpose(v, axes) for v in j.vals], j.truths)


def _full_rank(j: Judged) -> bool:
    """The claim's axes are the value's (no unit axis of a row or of a scalar's entry between them)."""
    return all(v.ndim == len(j.o.order) for v in j.vals) and j.o.kind in ("stated", "alphabetical")


def _swapped(j: Judged) -> Verdict | None:
    """The variable's two indices in the other order: the transposed tensor."""
    if not _full_rank(j) or not j.s.v_axes or len(j.s.v_axes[-1]) != 2:
        return None
    n = len(j.o.order)
    axes = list(range(n - 2)) + [n - 1, n - 2]
    if not _permuted(j, axes):
        return None
    k, l_ = j.o.order[-2], j.o.order[-1]
    j.base.details["swapped"] = [k, l_]
    j.base.explanation = (
        f"right up to the order of {k} and {l_}: that is the transposed tensor; {_about(j.s)} = {j.base.expected}"
    )
    return j.base


def _exchanged(j: Judged) -> Verdict | None:
    """The variable's indices first and the expression's last: the other layout for a bare claim."""
    n, split = len(j.o.order), j.s.split
    if not _full_rank(j) or split == 0 or split == n:
        return None
    n_v = n - split
    if not _permuted(j, list(range(n_v, n)) + list(range(n_v))):
        return None
    var_first = _axes_text(j.s, j.o.order[n_v:] + j.o.order[:n_v])
    if j.s.bare and j.layout is None:
        j.base.verdict = Outcome.LAYOUT
        j.base.explanation = (
            f"{j.s.claim} is {_about(j.s)} read with the variable's indices first (denominator layout: "
            f"{_are(j.o.order[:n_v])} the variable's); mcalc orders them the expression's first, "
            f"{_axes_text(j.s, j.o.order)}: {j.base.expected}"
        )
    else:
        j.base.explanation = (
            f"right with the expression's and the variable's indices exchanged ({var_first}); "
            f"{_about(j.s)} = {j.base.expected}"
        )
    j.base.details["exchanged"] = True
    return j.base


def _symmetric_pair(j: Judged) -> Verdict | None:
    """A term of a symmetric pair missing: the claim plus itself with the expression's two indices
    exchanged is the derivative (RᵀR by R claimed δᵢₗ Rₖⱼ alone)."""
    import numpy as np

    if not _full_rank(j) or j.s.split != 2 or j.s.env.resolve(j.s.f_axes[0]) != j.s.env.resolve(j.s.f_axes[1]):
        return None
    n = len(j.o.order)
    axes = [1, 0, *range(2, n)]
    if not _all_close([v + np.transpose(v, axes) for v in j.vals], j.truths):
        return None
    i, jj = j.o.order[0], j.o.order[1]
    j.base.verdict = Outcome.MISSING_TERM
    j.base.details["missing_partner"] = [i, jj]
    j.base.explanation = (
        f"a term of a symmetric pair is missing: {j.s.claim} plus itself with {i} and {jj} exchanged is "
        f"{_about(j.s)} = {j.base.expected}"
    )
    return j.base


def _are(letters: tuple[str, ...]) -> str:
    return f"{', '.join(letters)} {'is' if len(letters) == 1 else 'are'}"


def _one_change(j: Judged) -> Verdict | None:
    if j.o.kind not in ("stated", "alphabetical"):
        return None
    return _repaired(j.s, j.o.body, j.samples, j.layout, j.o.order)


def _free_as_written(s: Setup, body: R.IndexNode) -> tuple[str, ...] | None:
    """The claim's free indices as written (None when they do not fit together)."""
    try:
        stated = frozenset(s.read.side.indices if s.read.side is not None else ())
        return T.free_indices(body, T.Reading(stated, s.trees, T.Ranges(s.env, strict=False)))
    except InputError:
        return None


def _repaired(
    s: Setup, body: R.IndexNode, samples: list[Sample], layout: Any, free: tuple[str, ...] = ()
) -> Verdict | None:
    """The first one-change correction of the claim (index_repairs) that equals the derivative, as a
    verdict `wrong` that says what to change; None when none does."""
    written = _free_as_written(s, body)
    for fixed, details, text in index_repairs.candidates(body, free):
        try:
            o = orient(s, fixed)
        except InputError:
            continue
        if o.kind not in ("stated", "alphabetical"):
            continue
        j = _judged(s, o, samples, layout)
        if _all_close(j.vals, j.truths):
            old = details.pop("old", None)
            if written is not None and old is not None and old in o.order and old not in written:
                text = text.replace(
                    ": with it", f" (as written, the claim sums over {old}, which should be free): with it"
                )
            j.base.details.update(details)
            j.base.details["free_indices"] = list(o.order)
            j.base.explanation = f"{text}; {_about(s)} = {j.base.expected}"
            return j.base
    return None


def _symmetric_variable(j: Judged) -> Verdict | None:
    """For a variable declared symmetric: the claim is the derivative by independent entries, and its
    average over the variable's two indices is mcalc's (sym(G), README § Conventions)."""
    import numpy as np

    var = j.s.wrt[-1]
    if not _full_rank(j) or var not in j.s.env.symmetric or len(j.s.v_axes[-1]) != 2:
        return None
    n = len(j.o.order)
    axes = [*range(n - 2), n - 1, n - 2]
    if not _all_close([(v + np.transpose(v, axes)) / 2 for v in j.vals], j.truths):
        return None
    k, l_ = j.o.order[-2], j.o.order[-1]
    j.base.details["symmetrised"] = [k, l_]
    j.base.explanation = (
        f"{j.s.claim} is the derivative by {var}'s entries taken as independent; for a symmetric {var} mcalc's "
        f"derivative is its average over {k} and {l_}, sym(G) = ½(G_{k}{l_} + G_{l_}{k}): "
        f"{_about(j.s)} = {j.base.expected}"
    )
    return j.base
