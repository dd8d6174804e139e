"""`e^x` read as exp(x) (issue 23 item 8): students write the exponential as a power of e.

By the letter rule `e^x` is the power of a name e, a vector by the naming convention: refused as a power
of a vector, an answer to nobody's question. When e is no variable of the command (not declared, given a
value, a --wrt or --let name, and written nowhere else in the expression than as the base of `^`), a power
of e is read as the exponential of its exponent, with a warning that says so and how to keep a name e:

    e^x, e^(-x^T x / 2), e^2     exp(x), exp(−xᵀx/2), exp(2)      a scalar exponent
    e^X (a matrix)               refused: the matrix exponential, expm(X)
    e^x (a declared vector)      refused: exp(x) entry by entry

The exponent keeps what a power's exponent means while shapes are read (an undeclared x in e^x is a scalar
by use, as in 2^x): the base e becomes the constant exp(1) first (`as_constant`), and the power exp(1)^E
becomes exp(E) once shapes are known (`as_exp`).
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.errors import ShapeError, Span
from mcalc.syntax import nodes as N
from mcalc.syntax.build import neg
from mcalc.syntax.nodes import Node

NAME = "e"
_EULER = N.Apply("exp", N.Number(Fraction(1)))


def _is_power_of(n: Node, base: Node) -> bool:
    """e^E, e^k, and e^(-1) (which the parser reads as the inverse of e)."""
    if isinstance(n, (N.Power, N.PowerOf)):
        return n.base == base
    return isinstance(n, N.Inverse) and n.arg == base


def _powers(tree: Node, base: Node) -> tuple[list[Node], int]:
    """The powers of `base` (e, or the constant exp(1)) in the tree, and how often a Symbol e occurs."""
    found: list[Node] = []
    names = 0
    stack = [tree]
    while stack:
        n = stack.pop()
        if _is_power_of(n, base):
            found.append(n)
        names += isinstance(n, N.Symbol) and n.name == NAME
        stack.extend(n.children())
    return found, names


def as_constant(trees: list[Node], variables: frozenset[str]) -> list[Node] | None:
    """The trees with each power of e given the base exp(1), or None when e is a variable here: declared,
    valued, --wrt or --let (`variables`), or written other than as the base of `^` somewhere."""
    if NAME in variables:
        return None
    e = N.Symbol(NAME)
    powers = [p for t in trees for p in _powers(t, e)[0]]
    names = sum(_powers(t, e)[1] for t in trees)
    if not powers or names > len(powers):
        return None
    return [N.substitute(t, {p: N.rebuild(p, (_EULER, *p.children()[1:])) for p in powers}) for t in trees]


def as_exp(tree: Node) -> Node:
    """exp(1)^E → exp(E), exp(1)^k → exp(k), and their inverses (e^(-E), which the parser reads as
    (e^E)⁻¹) → exp(−E), once shapes are known."""
    powers, _ = _powers(tree, _EULER)
    if not powers:
        return tree
    mapping: dict[Node, Node] = {p: N.Apply("exp", _exponent(p), span=p.span) for p in powers}
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.Inverse) and n.arg in mapping and not isinstance(n.arg, N.Inverse):
            mapping[n] = N.Apply("exp", neg(_exponent(n.arg)), span=n.span)
        stack.extend(n.children())
    return N.substitute(tree, mapping)


def _exponent(p: Node) -> Node:
    if isinstance(p, N.PowerOf):
        return p.exponent
    return N.Number(p.exponent if isinstance(p, N.Power) else Fraction(-1))


def notes(trees: list[Node], sources: list[str]) -> list[str]:
    """The warning for each power of e read as exp: `e^x is read as exp(x) …`."""
    out: list[str] = []
    for k, (tree, source) in enumerate(zip(trees, sources, strict=False)):
        for p in sorted(_powers(tree, _EULER)[0], key=lambda n: n.span.start if n.span else 0):
            written = _text(source, p.span)
            if not written.startswith(NAME):
                continue
            exponent = written.removeprefix(NAME).lstrip().removeprefix("^").strip()
            if exponent[:1] + exponent[-1:] in ("()", "{}"):
                exponent = exponent[1:-1].strip()
            where = "in the claim: " if k else ""
            out.append(
                f"{where}{written} is read as exp({exponent}), e as Euler's number; to use a name e, declare it "
                "(--scalar e)"
            )
    return list(dict.fromkeys(out))


def _text(source: str, span: Span | None) -> str:
    return source[span.start : span.end].strip() if span is not None and span.end <= len(source) else ""


def refusal(err: ShapeError, source: str, trees: list[Node]) -> ShapeError | None:
    """A power of e whose exponent is not a number, as shapes refused it: the matrix exponential for a
    matrix (expm), the exponential entry by entry for a vector. None for another error."""
    from mcalc.syntax.lexer import is_function_word

    if not err.message.startswith("the exponent of a power must be a scalar"):
        return None
    for p in (p for t in trees for p in _powers(t, _EULER)[0]):
        if p.span is None or err.span != p.span:
            continue
        x = _text(source, _exponent(p).span) or "X"
        if "is a vector" in err.message:
            message = f"e^{x} of a vector is not defined: write exp({x}) for the exponential entry by entry"
        elif is_function_word("expm"):
            message = f"e^{x} of a matrix is the matrix exponential: write expm({x}) (exp({x}) is entry by entry)"
        else:
            message = (
                f"e^{x} of a matrix is the matrix exponential expm({x}), which mcalc does not build yet "
                f"(exp({x}) is entry by entry)"
            )
        return ShapeError(message, p.span)
    return None
