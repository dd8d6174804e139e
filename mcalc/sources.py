"""The works mcalc's rules cite, by the short names the rule table uses (`MC eq. 37`, `MML §5.4`).

A reference in a rule row stays short so that `mcalc identities` fits a terminal; this table turns each
short name into the title a reader can find in a library. `tests/test_sources.py` holds every rule's
reference to it, and the README's § Sources lists the same works.
"""

from __future__ import annotations

import re
from types import MappingProxyType

SOURCES = MappingProxyType({
    "MC": "K. B. Petersen and M. S. Pedersen, The Matrix Cookbook, version of 2012-11-15",
    "MML": "M. P. Deisenroth, A. A. Faisal and C. S. Ong, Mathematics for Machine Learning, "
           "Cambridge University Press, 2020 (chapter 5, Vector Calculus)",
    "M&N": "J. R. Magnus and H. Neudecker, Matrix Differential Calculus with Applications in Statistics and "
           "Econometrics, 3rd ed., Wiley, 2019",
    "Boyd & Vandenberghe": "S. Boyd and L. Vandenberghe, Convex Optimization, Cambridge University Press, 2004",
    "PRML": "C. M. Bishop, Pattern Recognition and Machine Learning, Springer, 2006",
    "Higham": "N. J. Higham, Functions of Matrices: Theory and Computation, SIAM, 2008",
    "Murray": "I. Murray, Differentiation of the Cholesky decomposition, arXiv:1602.07527, 2016",
    "Golub & Pereyra": "G. H. Golub and V. Pereyra, The differentiation of pseudo-inverses and nonlinear least "
                       "squares problems whose variables separate, SIAM J. Numer. Anal. 10(2), 413-432, 1973",
})  # fmt: skip

# A short name is cited where it stands as a word of its own: "MC eq. 37", "(MML §5.4)", not inside "MCMC"
_CITED = {short: re.compile(rf"(?<![\w&]){re.escape(short)}(?![\w&])") for short in SOURCES}


def cited(reference: str) -> list[str]:
    """The short names a reference cites, in the table's order."""
    return [short for short, pattern in _CITED.items() if pattern.search(reference)]


def legend(references: list[str]) -> str:
    """One line per short name these references cite: `MC: K. B. Petersen and …`."""
    used = {short for ref in references for short in cited(ref)}
    return "\n".join(f"{short}: {title}" for short, title in SOURCES.items() if short in used)
