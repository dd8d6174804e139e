"""The memory budget of numeric work: how many numbers one array may hold.

Every array mcalc would build (a value from `--at` or an `.npz` file, an intermediate of `--at`,
`eval` or `--check`, a Kronecker or commutation product, the derivative's value tensor) is sized from
the shapes before anything is allocated (a value read off index terms is sized by its contraction's
plan, numeric.einsum_terms, whose arrays are the ones built: pipeline.within_budget); one over the budget
is refused with one line that names the limit and how to raise it (exit 2). The default, 10⁷ numbers
(80 MB of float64 for one array; an evaluation keeps a few of them alive), suits a laptop;
`MCALC_MAX_ELEMENTS=N` raises it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from mcalc.errors import InputError
from mcalc.shapes import ShapeEnv
from mcalc.syntax.nodes import Node

DEFAULT_MAX_ELEMENTS = 10_000_000
ENV_VAR = "MCALC_MAX_ELEMENTS"
CHECK_FREE_SIZE = 7  # --check draws each unfixed dimension between 2 and 7
# A point of --check (or eval, --at) holds every variable at once: together at most this many arrays' worth
# (x^T A_1 x + ... + x^T A_3000 x with x of 1,000: 3,000 matrices of 10^6 numbers each, 24 GB)
POINT_ARRAYS = 4


def max_elements() -> int:
    """MCALC_MAX_ELEMENTS (unset: the default); anything but a whole number ≥ 1 is refused, an empty value
    too (as MCALC_TIME_LIMIT's: an empty setting is a mistake more often than a wish for the default)."""
    raw = os.environ.get(ENV_VAR)
    if raw is None:
        return DEFAULT_MAX_ELEMENTS
    digits = raw.strip().replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18 or int(digits) < 1:
        raise InputError(
            f"{ENV_VAR}={raw[:40]!r} is not a positive whole number; "
            f"unset it for the default of {DEFAULT_MAX_ELEMENTS:,}"
        )
    return int(digits)


def refuse(what: str, count: int) -> InputError:
    limit = max_elements()
    return InputError(
        f"too large: {what} would hold {count:,} numbers; the limit is {limit:,} "
        f"(raise it with the environment variable {ENV_VAR}=N)"
    )


def require(what: str, count: int) -> None:
    if count > max_elements():
        raise refuse(what, count)


def check_trees(env: ShapeEnv, trees: Iterable[Node], free: int = CHECK_FREE_SIZE) -> None:
    """Refuse before evaluating when a variable or any sub-expression of `trees` would be an array over
    the budget. Sizes come from the values or `--shape`; a dimension still free counts as `free`
    (--check's largest draw). The variables come first, so the message names what the user sized."""
    total = 0
    for name in env.kinds:
        r, c = env.shape_of_var(name)
        count = env.size(r, free) * env.size(c, free)
        require(name, count)
        total += count
    if total > POINT_ARRAYS * max_elements():  # each within the budget, but 3,000 of them (24 GB) at once
        raise InputError(
            f"too large: the values of all {len(env.kinds):,} variables together would hold {total:,} numbers; "
            f"the limit is {POINT_ARRAYS * max_elements():,}, {POINT_ARRAYS} times that of one array "
            f"(raise it with the environment variable {ENV_VAR}=N)"
        )
    seen: set[int] = set()
    queue = list(trees)
    for node in queue:  # breadth first: the outermost oversized array is the one named
        if id(node) in seen:
            continue
        seen.add(id(node))
        r, c = env.shape(node)
        require(_short(env, node), env.size(r, free) * env.size(c, free))
        queue.extend(node.children())


def _short(env: ShapeEnv, node: Node) -> str:
    if node.span is None and node.children():
        return "an intermediate array of the derivative"
    text = env.text_of(node)
    return text if len(text) <= 60 else text[:57] + "..."


def npz_member(path: str, key: str, shape: tuple[int, ...], itemsize: int = 8) -> None:
    """An `.npz` member sized from its header, before its data is read: in float64s' worth of bytes."""
    count = 1
    for n in shape:
        count *= n
    require(f"{key} in {path}", (count * itemsize + 7) // 8)


def check_derivative(env: ShapeEnv, tree: Node, stages: Iterable[Node], wrt: Iterable[str], free: int) -> None:
    """Before `--at` or `--check`: the expression, each derivative stage, and the value tensor
    (shape(EXPR) + shape(VAR) per --wrt, as many numbers as numel(EXPR)·numel(VAR)…)."""
    check_trees(env, [tree, *stages], free)
    r, c = env.shape(tree)
    count = env.size(r, free) * env.size(c, free)
    for var in wrt:
        vr, vc = env.shape_of_var(var)
        count *= env.size(vr, free) * env.size(vc, free)
    require("the derivative's value", count)
