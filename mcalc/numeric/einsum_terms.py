"""The value of a derivative from its index terms: Σ coefficient · contraction of the entries.

A tensor-valued derivative's vec form holds Kronecker and commutation matrices ((I ⊗ Kₘₘ ⊗ I), vec(A) ⊗ I)
whose arrays grow as numel(X)⁴ and beyond before they are contracted; its index terms
(calculus.index_terms, read with compound=True) hold only the arrays of the expression (A, X⁻¹, exp(Ax))
and links between indices, so nothing larger than the answer need be built (A ⊗ A ⊗ … ⊗ A by A at 2×2:
the answer's 16,384 numbers, where the vec form held 16,777,216).

Each term arrives as plain data: a coefficient, entries (node, row index, column index; an index None is
a dimension of 1) and links (an index equal to a tuple of indices, row-major). A term is planned before
anything is allocated: its indices are split into atoms so that every link reads atom by atom (an index
of 6 linked to (2, 3) becomes two atoms), linked atoms are one, and the operands are contracted pairwise,
greedily, smallest result first. The plan's largest intermediate is what the element budget measures
(`largest`), and exactly what is then built: each pairwise product is one np.einsum without
`optimize`, so numpy makes no array of its own beside it. A term whose links cannot be read at the sizes
given (an index of 6 linked both to (2, 3) and to (3, 2)) raises NoReading: the vec form is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mcalc import budget
from mcalc.numeric.evaluate import Evaluator
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax.nodes import Node

Array = Any
IndexEntry = tuple[Node | None, str | None, str | None]
Link = tuple[tuple[str, ...], tuple[str, ...]]
TermData = tuple[float, Sequence[IndexEntry], Sequence[Link]]
EINSUM_LETTERS = 52  # np.einsum's sublist format numbers the axes of one call below this
# the last product of a term is added into the answer a slice at a time, each at most this share of the
# answer (so the peak is the answer and an eighth or so, not two answers: numpy adds into a diagonal of
# the answer through a copy of it), while a slice holds more than SLICE_FLOOR numbers (smaller ones cost
# more in calls than they save)
SLICES = 8
SLICE_FLOOR = 1024


class NoReading(Exception):
    """The links of a term do not split into atoms at these sizes (or need more axes than einsum has)."""


@record(frozen=True)
class Step(Record):
    """One np.einsum: the operands at positions `take` (removed), the result (appended) over `atoms`."""

    take: tuple[int, ...]
    atoms: tuple[str, ...]


@record(frozen=True)
class TermPlan(Record):
    coef: float
    operands: tuple[tuple[Node, tuple[str, ...]], ...]  # each entry's node and its atoms (rows' then columns')
    steps: tuple[Step, ...]
    out_atoms: tuple[str, ...]  # the output indices' atoms in order (an atom twice: a diagonal of the answer)
    sizes: tuple[tuple[str, int], ...]
    largest: int  # numbers in the largest array the steps build
    looped: int = 0  # the output's leading (distinct) atoms looped over as the last step is added in


class _Atoms:
    """Indices split into atoms: linked atoms are one (union-find); an atom split in two has `parts`."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.size = dict(sizes)
        self.parent: dict[str, str] = {}
        self.parts: dict[str, tuple[str, str]] = {}

    def find(self, a: str) -> str:
        while a in self.parent:
            a = self.parent[a]
        return a

    def leaves(self, name: str | None) -> list[str]:
        """The atoms of an index, major first; atoms of size 1 left out."""
        if name is None:
            return []
        a = self.find(name)
        if a in self.parts:
            return [x for p in self.parts[a] for x in self.leaves(p)]
        return [a] if self.size[a] != 1 else []

    def _split(self, a: str, first: int) -> tuple[str, str]:
        parts = (f"{a}'", f'{a}"')
        self.size[parts[0]], self.size[parts[1]] = first, self.size[a] // first
        self.parts[a] = parts
        return parts

    def link(self, left: Sequence[str], right: Sequence[str]) -> None:
        """The index tuple `left` equals `right`, both row-major: atoms aligned from the major end, the
        larger of two split where the smaller divides it."""
        lhs = [x for n in reversed(left) for x in reversed(self.leaves(n))]  # stacks: the major atom last
        rhs = [x for n in reversed(right) for x in reversed(self.leaves(n))]
        while lhs and rhs:
            a, b = self.find(lhs.pop()), self.find(rhs.pop())
            if a in self.parts or b in self.parts:  # split since it was stacked
                lhs.extend(reversed(self.leaves(a)))
                rhs.extend(reversed(self.leaves(b)))
                continue
            if a == b:
                continue
            sa, sb = self.size[a], self.size[b]
            if sa == sb:
                self.parent[a] = b
            elif sb % sa == 0:
                b, rest = self._split(b, sa)
                self.parent[a] = b
                rhs.append(rest)
            elif sa % sb == 0:
                a, rest = self._split(a, sb)
                self.parent[b] = a
                lhs.append(rest)
            else:
                raise NoReading
        if any(self.leaves(x) for x in lhs + rhs):
            raise NoReading


def plan_term(term: TermData, out: Sequence[str], sizes: Mapping[str, int]) -> TermPlan:
    """The atoms, the pairwise contractions (greedy: the smallest result next) and the largest array."""
    budget.tick("planning the contraction of the derivative's terms")
    coef, entries, links = term
    atoms = _Atoms(sizes)
    for node, rows, cols in entries:
        if node is None:  # a Kronecker delta
            atoms.link([x for x in (rows,) if x], [x for x in (cols,) if x])
    for left, right in links:
        atoms.link(left, right)
    operands = tuple((node, (*atoms.leaves(rows), *atoms.leaves(cols))) for node, rows, cols in entries if node)
    out_atoms = tuple(x for o in out for x in atoms.leaves(o))
    kept = set(out_atoms)
    if len(kept) > EINSUM_LETTERS:  # the answer's view (_answer_view) is one np.einsum too
        raise NoReading
    carried = {x for _, held in operands for x in held}
    named = {x for node, r, c in entries for x in (*atoms.leaves(r), *atoms.leaves(c))}
    named |= {x for link in links for side in link for n in side for x in atoms.leaves(n)}
    for x in named - carried - kept:  # summed, but no operand depends on it: Σₓ 1 = its size
        coef *= atoms.size[x]
    steps = _greedy([held for _, held in operands], out_atoms, atoms.size)
    if len(steps) > 1 and steps[-1].atoms == steps[-2].atoms:  # the last reordering is no step
        steps = steps[:-1]
    used = {x for step in steps for x in step.atoms} | carried | kept
    # the last product is added into the answer a slice at a time: the output's leading atoms are looped over
    # until a slice of the answer's view is small (each slice's product and numpy's copy of it with it)
    kept_atoms = list(dict.fromkeys(out_atoms))
    answer, part, looped = _count(out_atoms, atoms.size), _count(kept_atoms, atoms.size), 0
    while looped < len(kept_atoms) and part * SLICES > answer and part > SLICE_FLOOR:
        part //= atoms.size[kept_atoms[looped]]
        looped += 1
    counts = [_count(step.atoms, atoms.size) for step in steps[:-1]]
    counts += [_count([x for x in step.atoms if x not in kept_atoms[:looped]], atoms.size) for step in steps[-1:]]
    sizes_used = tuple((x, atoms.size[x]) for x in sorted(used))
    return TermPlan(coef, operands, steps, out_atoms, sizes_used, max(counts, default=0), looped)


def _count(atoms: Sequence[str], size: Mapping[str, int]) -> int:
    n = 1
    for x in atoms:
        n *= size[x]
    return n


def _greedy(held: list[tuple[str, ...]], out_atoms: tuple[str, ...], size: Mapping[str, int]) -> tuple[Step, ...]:
    """Each operand first reduced to the atoms something else needs; then, while more than one is left, the
    pair whose product is smallest (then: whose own arrays are); last, the result over the output's atoms."""
    plan = _Greedy(held, out_atoms, size)
    for _ in range(len(held)):
        need = plan.needed({0}) if len(plan.ops) > 1 else set(plan.kept)  # the operand in front is reduced
        plan.emit((0,), tuple(dict.fromkeys(x for x in plan.ops[0] if x in need)))  # and goes to the back
    while len(plan.ops) > 1:
        best: tuple[int, int, int, int, tuple[str, ...]] | None = None
        for i in range(len(plan.ops)):
            for j in range(i + 1, len(plan.ops)):
                key = (*plan.cost(i, j), i, j, plan.product(i, j))
                best = key if best is None or key[:2] < best[:2] else best
        assert best is not None
        plan.emit((best[2], best[3]), best[4])
    if plan.ops:
        plan.emit((0,), tuple(x for x in plan.kept if x in plan.ops[0]))
    return tuple(plan.steps)


class _Greedy:
    """The operands' atoms as the contraction goes, the steps so far and the largest array they build."""

    def __init__(self, held: list[tuple[str, ...]], out_atoms: tuple[str, ...], size: Mapping[str, int]) -> None:
        self.kept = list(dict.fromkeys(out_atoms))
        self.ops = list(held)
        self.size = size
        self.steps: list[Step] = []

    def count(self, atoms: Sequence[str]) -> int:
        return _count(atoms, self.size)

    def needed(self, skip: set[int]) -> set[str]:
        return set(self.kept) | {x for n, op in enumerate(self.ops) if n not in skip for x in op}

    def product(self, i: int, j: int) -> tuple[str, ...]:
        """The atoms of operands i and j that the rest needs: the output's first, in its order (the last
        product is then written as the answer reads)."""
        a, b, need = self.ops[i], self.ops[j], self.needed({i, j})
        first = tuple(x for x in self.kept if x in a or x in b)
        return first + tuple(dict.fromkeys(x for x in a + b if x in need and x not in self.kept))

    def cost(self, i: int, j: int) -> tuple[int, int]:
        return self.count(self.product(i, j)), self.count(self.ops[i]) + self.count(self.ops[j])

    def emit(self, take: tuple[int, ...], atoms: tuple[str, ...]) -> None:
        if len({x for n in take for x in self.ops[n]} | set(atoms)) > EINSUM_LETTERS:
            raise NoReading
        self.steps.append(Step(take, atoms))
        self.ops = [op for n, op in enumerate(self.ops) if n not in take] + [atoms]


def plan_terms(terms: Sequence[TermData], out: Sequence[str], sizes: Mapping[str, int]) -> list[TermPlan]:
    return [plan_term(t, out, sizes) for t in terms]


def largest(plans: Sequence[TermPlan]) -> int:
    """The numbers in the largest array any term's contraction builds (the answer itself apart)."""
    return max((p.largest for p in plans), default=0)


def evaluate_terms(
    plans: Sequence[TermPlan], shape: tuple[int, ...], env: ShapeEnv, values: Mapping[str, Array]
) -> Array:
    """Σ over the planned terms, as an array of `shape` (the output indices' sizes, row-major); each node's
    value computed once."""
    import numpy as np

    total = np.zeros(shape)
    ev = Evaluator(env, values)
    for plan in plans:
        size = dict(plan.sizes)
        arrays = [np.asarray(ev(node), dtype=float).reshape([size[x] for x in held]) for node, held in plan.operands]
        held = [h for _, h in plan.operands]
        if arrays and plan.coef != 1:  # the coefficient on the smallest array: one more array, the smallest
            n = min(range(len(arrays)), key=lambda k: arrays[k].size)
            arrays[n] = arrays[n] * plan.coef
        for step in plan.steps[:-1]:
            budget.tick("evaluating the derivative")
            args, ids = _arguments(step, arrays, held, {})
            result = np.einsum(*args, [ids[x] for x in step.atoms])
            arrays = [a for n, a in enumerate(arrays) if n not in step.take] + [result]
            held = [h for n, h in enumerate(held) if n not in step.take] + [step.atoms]
        view, kept = _answer_view(total, plan, size)
        if not plan.steps:
            view += plan.coef
            continue
        last = plan.steps[-1]
        loop = kept[: plan.looped]
        rest = [x for x in last.atoms if x not in loop]
        for idx in np.ndindex(*[size[x] for x in loop]):  # the last product, a slice at a time
            budget.tick("evaluating the derivative")
            at = dict(zip(loop, idx, strict=True))
            args, ids = _arguments(last, arrays, held, at)
            part = np.einsum(*args, [ids[x] for x in rest])
            # slices, and the Ellipsis: a view even of a 0-d answer (view[()] would be a copy of its number)
            into = view[(*(slice(at[x], at[x] + 1) if x in at else slice(None) for x in kept), ...)]
            into += part.reshape([size[x] if x in rest else 1 for x in kept])
    return total


def _arguments(
    step: Step, arrays: list[Array], held: list[tuple[str, ...]], at: Mapping[str, int]
) -> tuple[list[Any], dict[str, int]]:
    """np.einsum's arguments for `step` in the sublist form, the atoms fixed by `at` sliced away."""
    ids: dict[str, int] = {}
    args: list[Any] = []
    for n in step.take:
        free = [x for x in held[n] if x not in at]
        ids.update((x, len(ids)) for x in free if x not in ids)
        args += [arrays[n][tuple(at.get(x, slice(None)) for x in held[n])], [ids[x] for x in free]]
    ids.update((x, len(ids)) for x in step.atoms if x not in ids)
    return args, ids


def _answer_view(total: Array, plan: TermPlan, size: Mapping[str, int]) -> tuple[Array, list[str]]:
    """The answer as a writeable view over the term's distinct output atoms: an atom met twice is a
    diagonal of it; one the term's product does not hold is broadcast along."""
    import numpy as np

    kept = list(dict.fromkeys(plan.out_atoms))
    ids = {x: k for k, x in enumerate(kept)}
    target = total.reshape([size[x] for x in plan.out_atoms])
    return (np.einsum(target, [ids[x] for x in plan.out_atoms], [ids[x] for x in kept]) if kept else target), kept
