"""A wrong claim written as mcalc's own answer (up to spacing, spelling and the sizes of I): the diagnosis
never shows two identical texts as different. What makes them differ is the size of each I (or 𝟙, K) read
from the claim, which its context fixed otherwise than in mcalc's answer; the finding says so, with the
answer written with every size (`Iₙ ⊗ Kₙₘ ⊗ Iₘ`), which reads back as the answer."""

from __future__ import annotations

import re
from typing import Any

from mcalc.claims.terms import walk

# `Iₙ`, `I_n`, `I_{mn}` once spelled in ASCII: the size of an identity, left out to compare two texts
_SIZED_I = re.compile(r"\bI_(?:\{[^}]*\}|[a-z0-9]+\b)")


def plain(text: str) -> str:
    """A text with its spacing, Unicode spellings and identities' sizes left out."""
    from mcalc.render import spelling

    return re.sub(r"\s+", "", _SIZED_I.sub("I", spelling.to_ascii(text)))


def as_answer(typed: str, truth: Any) -> bool:
    """Whether the typed claim is mcalc's answer as printed, in either spelling, up to the sizes of I."""
    from mcalc.render import spelling
    from mcalc.render.printer import render_text

    mine = plain(typed)
    with spelling.spelled(False):
        unicode = render_text(truth)
    with spelling.spelled(True):
        ascii_form = render_text(truth)
    return mine in (plain(unicode), plain(ascii_form))


def sizes_text(env: Any, node: Any) -> str:
    """The sizes of the identities, ones vectors, commutation matrices and unvec's matrices in `node`, in
    order: `I m·n×m·n`, `unvec to n×m`."""
    from mcalc.shapes import dim_text
    from mcalc.syntax import nodes as N

    out: list[str] = []
    for n in walk(node):
        if isinstance(n, N.Identity) and n.dim is not None:
            d = dim_text(env.resolve(n.dim))
            out.append(f"I {d}×{d}")
        elif isinstance(n, N.Ones) and n.cols == 1 and n.rows != N.BY_CONTEXT:
            out.append(f"𝟙 of length {dim_text(env.resolve(n.rows))}")
        elif isinstance(n, N.Commutation) and n.rows != N.BY_CONTEXT:
            out.append(f"K_{{{dim_text(env.resolve(n.rows))},{dim_text(env.resolve(n.cols))}}}")
        elif isinstance(n, N.Unvec) and n.rows != N.BY_ARGUMENT:  # its shape: from the order of v's factors
            out.append(f"unvec to {dim_text(env.resolve(n.rows))}×{dim_text(env.resolve(n.cols))}")
    return ", ".join(dict.fromkeys(out)) or "none"


def explained(typed: str, about: str, node: Any, truth: Any, env: Any) -> str | None:
    """The finding for a claim written as mcalc's answer that differs from it in value (None: not written
    so): both written with every size, or, where even those read the same, the sizes of 𝟙 and K too."""
    from mcalc.render.printer import TEXT, Printer

    if not as_answer(typed, truth):
        return None
    read, sized = Printer(TEXT, every_size=True)(node), Printer(TEXT, every_size=True)(truth)
    if read != sized:
        return (
            f"{read} is not {about} = {sized} (they differ at random points): the claim is written as mcalc's "
            "answer, but its I were read with other sizes (an I written without its size takes the one its "
            "context gives); write each size, as the answer above does"
        )
    return (
        f"{typed} is written as mcalc's answer for {about}, but read with other sizes: {sizes_text(env, node)}, "
        f"where the answer has {sizes_text(env, truth)} (they differ at random points)"
    )
