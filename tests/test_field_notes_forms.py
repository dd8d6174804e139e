"""Field notes on printed forms and messages (../shared/FIELD-NOTES.md): each with the input a user typed.

Every changed printed form is also checked for its numbers: through `--at` against finite differences of
numpy code written here, and read back as a claim (`mcalc check --claim TEXT`), which mcalc judges at
random points."""

from __future__ import annotations

import random

from helpers import seeded

# --- shape errors name the user's sizes -------------------------------------------------------------

_ATOMS = ("A", "B", "x", "y", "I", "K", "kron(A,B)", "kron(x,y)", "A B", "vec(A)", "diag(x)", "ones", "A^T")
_ATOMS += ("vec(A B)", "kron(A, I)", "kron(I, B)", "K_{m,n}", "I_3", "x^T", "ones^T", "tr(A)")
_OPS = (" + ", " ", " .* ", " - ")


def _sources(count: int) -> list[str]:
    rng = random.Random(seeded("shape errors"))
    out = []
    for _ in range(count):
        parts = [rng.choice(_ATOMS) for _ in range(rng.choice((2, 3, 3, 4)))]
        src = parts[0]
        for p in parts[1:]:
            src = src + rng.choice(_OPS) + p
            if rng.random() < 0.3:
                src = f"({src})"
        out.append(src)
    return out


def test_shape_errors_never_show_internal_size_names() -> None:
    """`kron(A,B) x K_{m,n}` said `K_{m,n} is ?6·?7×?6·?7`, and `kron(A,B) + A` (m = m·p) "expression nested
    too deeply"; products of Kronecker products and K in 400 random mixes: each is answered or refused with
    a dimension mismatch that names only letters the read line uses."""
    from mcalc import pipeline
    from mcalc.errors import McalcError
    from mcalc.shapes import Declarations

    refused = 0
    for src in _sources(400):
        try:
            pipeline.prepare(src, Declarations())
        except McalcError as exc:
            refused += 1
            text = str(exc)
            assert "?" not in text and "nested too deeply" not in text, f"{src}: {text}"
    assert refused > 100  # the mixes are mostly ill-shaped: the messages were looked at
