"""Common sub-expressions shared through `where` names, so a derivative that repeats a forward pass
(an MLP loss, a residual y − Φθ) prints in size linear in the expression instead of quadratic:

    2 (… ⊙ W2ᵀ(W2 u₁ − y)) xᵀ   where u₁ = tanh(W1 x)

Only a display transformation (text and `--format latex`): JSON `derivative` and `latex` keep the full
expression.
"""

from __future__ import annotations

from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

MIN_SIZE = 4
SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sizes_and_counts(root: Node) -> tuple[dict[Node, int], dict[Node, int]]:
    """Tree size of each distinct subtree, and how many places (parent slots) refer to it."""
    sizes: dict[Node, int] = {}
    counts: dict[Node, int] = {root: 1}
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            sizes[node] = 1 + sum(sizes[c] for c in node.children())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for c in node.children():
            counts[c] = counts.get(c, 0) + 1
            stack.append((c, False))
    return sizes, counts


def _uses(node: Node, names: set[Node]) -> dict[Node, int]:
    out: dict[Node, int] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if n in names:
            out[n] = out.get(n, 0) + 1
            continue
        stack.extend(n.children())
    return out


# the letters of `where` names, in order of preference: u₁, u₂, … unless the input has a u-name
LETTERS = "uvwzhgqsabcdefkprt"


def _spelled_alike(letter: str, name: str) -> bool:
    """Whether the input's `name` could print as a `where` name u₁: u₁ reads back as u_1 in text, and u_1 and
    u1 print u_{1} in LaTeX (issue 26: a user's u_1 beside the where-name u₁ was one name in print)."""
    return name == letter or (name[:1] == letter and name[1:].lstrip("_").isdigit())


def share(root: Node, taken: set[str]) -> tuple[Node, list[tuple[Node, Node]]]:
    """(main expression, [(name, definition), ...] in dependency order). Names avoid `taken`."""
    sizes, counts = _sizes_and_counts(root)
    candidates = [
        n for n, c in counts.items()
        if c >= 2 and sizes[n] >= MIN_SIZE and not isinstance(n, (N.Number, N.Symbol))
    ]  # fmt: skip
    if not candidates:
        return root, []
    candidates.sort(key=lambda n: sizes[n])
    letter = next((x for x in LETTERS if not any(_spelled_alike(x, t) for t in taken)), None)
    if letter is None:  # every letter taken: the full form, never a name that reads as one of the input's
        return root, []
    names: dict[Node, Node] = {}
    defs: dict[Node, Node] = {}
    number: dict[Node, int] = {}  # creation order of each name, which is dependency order
    for i, cand in enumerate(candidates, start=1):
        name = N.Symbol(f"{letter}{str(i).translate(SUBSCRIPT_DIGITS)}")
        number[name] = i
        defs[name] = N.substitute(cand, names)  # smaller names already in place
        names[cand] = name
    main = N.substitute(root, names)
    # inline names used once: they shorten nothing
    changed = True
    while changed:
        changed = False
        name_set = set(defs)
        total: dict[Node, int] = _uses(main, name_set)
        for d in defs.values():
            for k, v in _uses(d, name_set).items():
                total[k] = total.get(k, 0) + v
        for once in list(defs):
            if total.get(once, 0) <= 1:
                body = defs.pop(once)
                main = N.substitute(main, {once: body})
                defs = {k: N.substitute(v, {once: body}) for k, v in defs.items()}
                changed = True
                break
    ordered = sorted(defs.items(), key=lambda kv: number[kv[0]])
    # renumber 1, 2, 3 … in dependency order
    renamed: dict[Node, Node] = {}
    for i, (old, _) in enumerate(ordered, start=1):
        renamed[old] = N.Symbol(f"{letter}{str(i).translate(SUBSCRIPT_DIGITS)}")
    main = N.substitute(main, renamed)
    result = [(renamed[old], N.substitute(body, renamed)) for old, body in ordered]
    return main, result
