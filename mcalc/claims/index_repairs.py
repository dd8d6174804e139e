"""Corrected versions of an index claim, for a diagnosis that is stated only when verified: each candidate
changes one thing (a δ's pair of indices, or one index of one entry), and claims.index_verdict says what
was wrong only when a candidate equals the derivative at every sampled point."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mcalc.syntax import index_reader as R

MAX_REPAIRS = 300  # corrected claims tried for one diagnosis
Candidate = tuple[R.IndexNode, dict[str, Any], str]  # the corrected body, JSON details, what was wrong


def candidates(body: R.IndexNode, free: tuple[str, ...]) -> Iterator[Candidate]:
    """δs re-paired first, then single indices replaced; at most MAX_REPAIRS."""
    letters = sorted({x for n in R.walk(body) for x in _letters(n)} | set(free))
    spare = [x for x in "ijklmn" if x not in letters]
    letters += spare[:2]  # an index that should be free may be one the claim never wrote
    count = 0
    for cand in (*_deltas(body, letters), *_entries(body, letters)):
        if count >= MAX_REPAIRS:
            return
        count += 1
        yield cand


def _deltas(body: R.IndexNode, letters: list[str]) -> Iterator[Candidate]:
    for d in (n for n in R.walk(body) if isinstance(n, R.Delta)):
        for a in letters:
            for b in letters:
                if a >= b or {a, b} == {d.a, d.b}:
                    continue
                details = {"delta": {"written": f"δ{d.a}{d.b}", "right": f"δ{a}{b}"}}
                text = f"δ_{d.a}{d.b} pairs the wrong indices: with δ_{a}{b} in its place the claim is right"
                yield replace(body, d, R.Delta(a, b, d.span)), details, text


def _entries(body: R.IndexNode, letters: list[str]) -> Iterator[Candidate]:
    for e in (n for n in R.walk(body) if isinstance(n, R.Entry) and n.indices):
        for k, old in enumerate(e.indices):
            for new in letters:
                if new == old:
                    continue
                fixed = e.indices[:k] + (new,) + e.indices[k + 1 :]
                name = e.text if len(e.text) == 1 else f"({e.text})"
                written, right = f"{name}_{''.join(e.indices)}", f"{name}_{''.join(fixed)}"
                details = {"index": {"written": written, "right": right}, "old": old}
                text = f"{written} should be {right}: with it the claim is right"
                yield replace(body, e, R.Entry(e.text, e.offset, fixed, e.span)), details, text


def _letters(n: R.IndexNode) -> tuple[str, ...]:
    if isinstance(n, R.Entry):
        return n.indices
    if isinstance(n, R.Delta):
        return (n.a, n.b)
    return ()


def replace(node: R.IndexNode, old: R.IndexNode, new: R.IndexNode) -> R.IndexNode:
    """`node` with the node `old` (that very object) replaced by `new`."""
    if node is old:
        return new
    rebuild = _REBUILD.get(type(node))
    return node if rebuild is None else rebuild(node, lambda k: replace(k, old, new))


_REBUILD: dict[type, Callable[[Any, Callable[[Any], Any]], Any]] = {
    R.Product: lambda n, f: R.Product(tuple(f(x) for x in n.factors), n.span),
    R.Sum: lambda n, f: R.Sum(tuple(f(x) for x in n.terms), n.span),
    R.Power: lambda n, f: R.Power(f(n.base), n.exponent),
    R.Apply: lambda n, f: R.Apply(n.function, f(n.arg), n.span),
    R.SumOver: lambda n, f: R.SumOver(n.indices, f(n.body), n.span),
}
