"""Vector-valued functions declared with --function, and the signature that says what a --function takes
and gives (issue 23 item 4).

    --function f                        scalar-valued unless its use says otherwise (f(x)ᵀ g(x): both vector-valued)
    --function "f: vector -> vector"     f: ℝⁿ → ℝᵖ, its length read from use
    --function "f: vector -> vector[m]"  its length named (or a number: vector[3])
    --function "f: scalar -> vector"     a curve f(t)
    --function "f: vector -> scalar"     a scalar function of a vector (also matrix -> scalar), never vector-valued
    --function "f(u) = sin(u)"           the formula says (here vector-valued, as long as its argument)

The derivative of a vector-valued f is its Jacobian J_f (entries ∂f_i/∂u_j): d f(u) = J_f(u) du, so
∂(f(x)ᵀg(x))/∂x = J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x), and f(g(x)) by x is J_f(g(x)) J_g(x). A scalar-valued f of a
vector has its Hessian ∇²f: d ∇f(u) = ∇²f(u) du. Second derivatives of a vector-valued f (a tensor) are not built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mcalc.errors import InputError, NoRuleError
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import mul
from mcalc.syntax.functions import Kind, Signature
from mcalc.syntax.nodes import Dim, Node

JACOBIAN = "J_"
HESSIAN = "∇²"
SPELLING = 'NAME: ARGUMENT -> VALUE such as "f: vector -> vector" (ARGUMENT scalar, vector or matrix; VALUE scalar, '
SPELLING += "vector or vector[m])"

_SIGNATURE = re.compile(
    r"\s*([A-Za-z][A-Za-z0-9]*)\s*:\s*(scalar|vector|matrix)\s*(?:->|→)\s*(scalar|vector|matrix)"
    r"(?:\s*\[\s*([A-Za-z][A-Za-z0-9]*|[1-9][0-9]{0,8})\s*\])?\s*"
)


def signature(item: str) -> tuple[str, Signature] | None:
    """`f: vector -> vector[m]` → (f, its signature); None when the item has no `:` (a name or a formula)."""
    if ":" not in item or "=" in item:
        return None
    match = _SIGNATURE.fullmatch(item)
    if match is None:
        raise InputError(f"bad --function {item!r}: write {SPELLING}")
    name, argument, value, length = match.groups()
    if value == "matrix" or (argument == "matrix" and value == "vector"):
        raise InputError(
            f"--function {item.strip()}: mcalc reads scalar-valued functions (of a scalar, vector or matrix) and "
            "vector-valued functions of a scalar or a vector (f: vector -> vector); a matrix-valued one is not built"
        )
    if length is not None and value != "vector":
        raise InputError(f"--function {item.strip()}: a length [{length}] is given to a vector value only")
    dim: Dim | None = int(length) if length is not None and length.isdigit() else length
    return name, Signature(argument, value, dim)


def is_vector_valued(entry: functions.Function | None, by_use: Iterable[str]) -> bool:
    """Is this entry a vector-valued --function f: by its kind, or read so by use in this expression?"""
    return entry is not None and (entry.kind is Kind.VECTOR_MAP or entry.name in by_use)


def undecided(entry: functions.Function | None) -> bool:
    """A --function f declared by its name alone: scalar-valued unless its use says otherwise."""
    return entry is not None and entry.kind is Kind.ARRAY_REDUCE and entry.signature is None


def jacobian_differential(node: Node, dx: Node) -> Node:
    """d f(u) = J_f(u) du for a vector-valued f."""
    assert isinstance(node, N.Columnwise)
    return mul(N.Columnwise(JACOBIAN + node.func, node.arg), dx)


def no_second_derivative(name: str) -> NoRuleError:
    return NoRuleError(
        f"the second derivative of the vector-valued {name} (a tensor, ∂²{name}ᵢ/∂uⱼ∂uₖ) is not built for a --function"
    )


# --- the vector-valued reading by use: f(x)ᵀ, ‖f(x)‖, diag(f(x)), sum(f(x)), aᵀ f(x) ---------------------------

_VECTOR_CONTEXTS: tuple[type, ...] = (N.Transpose, N.Norm, N.Diag, N.Sum)


def read_by_use(trees: Iterable[Node]) -> dict[str, str]:
    """The --function names declared by name alone whose use says they are vector-valued, each with the
    use that says it (`f(x)ᵀ`): applied under a transpose, a norm, diag or sum, or a factor right after a
    transposed one (the g of f(x)ᵀ g(x)). In the order written (the expression's, then the claim's)."""
    found: dict[tuple[int, int], tuple[str, str]] = {}
    for t, tree in enumerate(trees if _declared() else ()):
        stack: list[Node] = [tree]
        while stack:
            n = stack.pop()
            kids = n.children()
            if isinstance(n, (*_VECTOR_CONTEXTS, N.Mul)):
                for i, k in enumerate(kids):
                    if not (isinstance(k, N.Columnwise) and undecided(functions.lookup(k.func))):
                        continue
                    after_transpose = isinstance(n, N.Mul) and i > 0 and isinstance(kids[i - 1], N.Transpose)
                    if isinstance(n, _VECTOR_CONTEXTS) or after_transpose:
                        found[(t, k.span.start if k.span is not None else 0)] = (k.func, _use(n))
            stack.extend(kids)
    out: dict[str, str] = {}
    for _, (name, why) in sorted(found.items()):
        out.setdefault(name, why)
    return out


def _use(parent: Node) -> str:
    what = {N.Transpose: "its value is transposed", N.Norm: "it is under a norm", N.Diag: "it is under diag",
            N.Sum: "its entries are summed"}  # fmt: skip
    return what.get(type(parent), "it multiplies a transposed vector")


def applied_undecided(trees: Iterable[Node]) -> list[str]:
    """Every --function declared by name alone that the trees apply, in order of first appearance."""
    out: dict[str, None] = {}
    stack: list[Node] = list(trees) if _declared() else []
    while stack:
        n = stack.pop()
        if isinstance(n, N.Columnwise) and undecided(functions.lookup(n.func)):
            out[n.func] = None
        stack.extend(n.children())
    return list(out)


def by_use_note(name: str, why: str) -> str:
    return (
        f"{name} is read as vector-valued ({why}): its derivative is the Jacobian J_{name}; "
        f'--function "{name}: vector -> scalar" reads it as a scalar function'
    )


def declared_lengths(trees: Iterable[Node]) -> list[Dim]:
    """The lengths declared for the vector-valued functions the trees apply (`f: vector -> vector[m]`): a
    named one is rigid, as a --shape dimension is (no other dimension is given its letter)."""
    out: list[Dim] = []
    stack: list[Node] = list(trees) if _declared() else []
    while stack:
        n = stack.pop()
        if isinstance(n, N.Columnwise):
            entry = functions.lookup(n.func)
            sig = entry.signature if entry is not None else None
            if sig is not None and sig.length is not None:
                out.append(sig.length)
        stack.extend(n.children())
    return out


def _declared() -> bool:
    """Does this run declare any --function (else the walks over the input are skipped)?"""
    return any(e.kind is Kind.JACOBIAN for e in functions.entries())
