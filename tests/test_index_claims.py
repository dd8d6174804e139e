"""Claims in index notation (issue 23 items 1–2): the seeds' tensor results written entry by entry, and the
Matrix Cookbook's, each judged by mcalc and by this file's own numpy.

For every claim of TABLE the test computes, independently of mcalc's evaluator, the derivative by central
finite differences of a numpy function and the claim's tensor with numpy's einsum (axes: the expression's
then the variable's, the contract's layout-free `value`), at its own random point; mcalc's verdict must
agree: `correct` exactly when the two tensors are equal, and `.ok` (correct up to layout) also when a bare
claim equals the derivative read with the variable's indices first.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import seeded

import mcalc

Arr = Any
F = Callable[[dict[str, Arr]], Arr]
SIZES = {"m": 3, "n": 4, "p": 5}
SEED = seeded("test_index_claims")  # mcalc's random points: the suite's seed (MCALC_TEST_SEED)
E = np.einsum


def eye(n: int) -> Arr:
    return np.eye(n)


def dkdr(v: dict[str, Arr]) -> Arr:
    """∂(RᵀR)_ij/∂R_kl = δ_il R_kj + R_ki δ_jl (the seeds' ∂K_pq/∂R_ij with other letters)"""
    return E("il,kj->ijkl", eye(4), v["R"]) + E("ki,lj->ijkl", v["R"], eye(4))


def douter(v: dict[str, Arr]) -> Arr:
    return E("ik,j->ijk", eye(4), v["x"]) + E("i,jk->ijk", v["x"], eye(4))


def dtrxx(v: dict[str, Arr]) -> Arr:
    return E("kl,ij->ijkl", eye(4), v["X"]) + np.trace(v["X"]) * E("ik,lj->ijkl", eye(4), eye(4))


# (expression, wrt, shapes of the names (dims from SIZES), options for check_claim, numpy f,
#  [(claim, numpy tensor of the claim, bare: whether the claim is bare with both index groups)])
Case = tuple[str, str, dict[str, tuple[str, ...]], dict[str, Any], F, list[tuple[str, F]]]

TABLE: list[Case] = [
    (  # seed 002 §0.1, Definition 5.10: ∂A_ij/∂B_kl = δ_ik C_lj
        "B C", "B", {"B": ("m", "n"), "C": ("n", "p")}, {},
        lambda v: v["B"] @ v["C"],
        [
            ("δ_ik C_lj", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("∂A_ij/∂B_kl = δ_ik C_lj", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("J_ijkl = δ_ik C_lj", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("dA_ij/dB_kl = δ_ik C_lj", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("∑_r δ_ik δ_rl C_rj", lambda v: E("ik,rl,rj->ijkl", eye(3), eye(4), v["C"])),
            ("sum_r delta_ik delta_rl C_rj", lambda v: E("ik,rl,rj->ijkl", eye(3), eye(4), v["C"])),
            ("δᵢₖ Cₗⱼ", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("δ_{ik} C_{lj}", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("delta_{i,k} C_{l,j}", lambda v: E("ik,lj->ijkl", eye(3), v["C"])),
            ("2 δ_ik C_lj", lambda v: 2 * E("ik,lj->ijkl", eye(3), v["C"])),
            ("-δ_ik C_lj", lambda v: -E("ik,lj->ijkl", eye(3), v["C"])),
            ("δ_ik C_lj / 2", lambda v: E("ik,lj->ijkl", eye(3), v["C"]) / 2),
        ],
    ),
    (  # the same, all square: the index diagnoses
        "B C", "B", {"B": ("n", "n"), "C": ("n", "n")}, {"shape": {"B": "n×n", "C": "n×n"}},
        lambda v: v["B"] @ v["C"],
        [
            ("δ_ik C_lj", lambda v: E("ik,lj->ijkl", eye(4), v["C"])),
            ("δ_il C_kj", lambda v: E("il,kj->ijkl", eye(4), v["C"])),
            ("δ_ik C_jl", lambda v: E("ik,jl->ijkl", eye(4), v["C"])),
            ("δ_jk C_li", lambda v: E("jk,li->ijkl", eye(4), v["C"])),
            ("∂A_ij/∂B_kl = δ_jk C_li", lambda v: E("jk,li->ijkl", eye(4), v["C"])),
            ("∂A_ij/∂B_kl = δ_il C_kj", lambda v: E("il,kj->ijkl", eye(4), v["C"])),
            ("δ_ij C_lk", lambda v: E("ij,lk->ijkl", eye(4), v["C"])),
        ],
    ),
    (  # ∂(BC)_ij/∂C_kl = B_ik δ_lj
        "B C", "C", {"B": ("m", "n"), "C": ("n", "p")}, {},
        lambda v: v["B"] @ v["C"],
        [
            ("B_ik δ_jl", lambda v: E("ik,jl->ijkl", v["B"], eye(5))),
            ("B_ik δ_lj", lambda v: E("ik,jl->ijkl", v["B"], eye(5))),
            ("∂A_ij/∂C_kl = B_ik δ_jl", lambda v: E("ik,jl->ijkl", v["B"], eye(5))),
            ("3 B_ik δ_jl", lambda v: 3 * E("ik,jl->ijkl", v["B"], eye(5))),
        ],
    ),
    (  # seed 000 Example 5.14, seed 002 §0.2: ∂y_i/∂A_kl = δ_ik x_l
        "A x", "A", {"A": ("m", "n"), "x": ("n",)}, {},
        lambda v: v["A"] @ v["x"],
        [
            ("δ_ik x_l", lambda v: E("ik,l->ikl", eye(3), v["x"])),
            ("∂y_i/∂A_kl = δ_ik x_l", lambda v: E("ik,l->ikl", eye(3), v["x"])),
            ("∂y_i/∂A_kl = δ_ik x_j δ_jl", lambda v: E("ik,l->ikl", eye(3), v["x"])),
            ("δᵢₖ xₗ", lambda v: E("ik,l->ikl", eye(3), v["x"])),
            ("-δ_ik x_l", lambda v: -E("ik,l->ikl", eye(3), v["x"])),
        ],
    ),
    (
        "A x", "A", {"A": ("n", "n"), "x": ("n",)}, {"shape": {"A": "n×n"}},
        lambda v: v["A"] @ v["x"],
        [
            ("δ_il x_k", lambda v: E("il,k->ikl", eye(4), v["x"])),
            ("∂y_i/∂A_kl = δ_ik x_k", lambda v: E("ik,k,l->ikl", eye(4), v["x"], np.ones(4))),
        ],
    ),
    (  # ∂(Ax)_i/∂x_k = A_ik
        "A x", "x", {"A": ("m", "n"), "x": ("n",)}, {},
        lambda v: v["A"] @ v["x"],
        [
            ("A_ik", lambda v: v["A"]),
            ("∂y_i/∂x_k = A_ik", lambda v: v["A"]),
            ("∂y_i/∂x_k = A_ij δ_jk", lambda v: v["A"]),
            ("2 A_ik", lambda v: 2 * v["A"]),
        ],
    ),
    (
        "A x", "x", {"A": ("n", "n"), "x": ("n",)}, {"shape": {"A": "n×n"}},
        lambda v: v["A"] @ v["x"],
        [
            ("A_ki", lambda v: v["A"].T),
            ("∂y_i/∂x_k = A_ki", lambda v: v["A"].T),
        ],
    ),
    (  # seed 002 Example 0.2.1: ∂L/∂W_ij = ((Wx)_i − t_i) x_j
        "1/2 ||W x - t||^2", "W", {"W": ("m", "n"), "x": ("n",), "t": ("m",)}, {},
        lambda v: 0.5 * np.sum((v["W"] @ v["x"] - v["t"]) ** 2),
        [
            ("∂L/∂W_ij = ((W x)_i - t_i) x_j", lambda v: np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("((W x)_i - t_i) x_j", lambda v: np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("(W x - t)_i x_j", lambda v: np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("(W_ik x_k - t_i) x_j", lambda v: np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("∂L/∂W_ij = (∑_k W_ik x_k − t_i) x_j", lambda v: np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("2 ((W x)_i - t_i) x_j", lambda v: 2 * np.outer(v["W"] @ v["x"] - v["t"], v["x"])),
            ("((W x)_i + t_i) x_j", lambda v: np.outer(v["W"] @ v["x"] + v["t"], v["x"])),
            ("(W x)_i x_j", lambda v: np.outer(v["W"] @ v["x"], v["x"])),
        ],
    ),
    (  # seed 000 Example 5.15 / seed 001: dK/dR for K = RᵀR
        "R^T R", "R", {"R": ("m", "n")}, {},
        lambda v: v["R"].T @ v["R"],
        [
            ("δᵢₗ Rₖⱼ + Rₖᵢ δₗⱼ", dkdr),
            ("∂K_ij/∂R_kl = δ_il R_kj + R_ki δ_jl", dkdr),
            ("∂K_pq/∂R_ij = δ_pj R_iq + R_ip δ_qj", dkdr),
            ("dK_ij/dR_kl = delta_il R_kj + R_ki delta_lj", dkdr),
            ("δᵢₗ Rₖⱼ", lambda v: E("il,kj->ijkl", eye(4), v["R"])),
            ("2 δᵢₗ Rₖⱼ", lambda v: 2 * E("il,kj->ijkl", eye(4), v["R"])),
        ],
    ),
    (  # MC eq. 81 (∂xᵀAx/∂x = (A + Aᵀ)x)
        "x^T A x", "x", {"A": ("n", "n"), "x": ("n",)}, {},
        lambda v: v["x"] @ v["A"] @ v["x"],
        [
            ("A_kj x_j + x_i A_ik", lambda v: (v["A"] + v["A"].T) @ v["x"]),
            ("∂f/∂x_k = (A x)_k + (x^T A)_k", lambda v: (v["A"] + v["A"].T) @ v["x"]),
            ("((A + A^T) x)_k", lambda v: (v["A"] + v["A"].T) @ v["x"]),
            ("(A_kj + A_jk) x_j", lambda v: (v["A"] + v["A"].T) @ v["x"]),
            ("2 A_kj x_j", lambda v: 2 * v["A"] @ v["x"]),
        ],
    ),
    (  # MC eq. 72 (∂xᵀAx/∂A = x xᵀ)
        "x^T A x", "A", {"A": ("n", "n"), "x": ("n",)}, {},
        lambda v: v["x"] @ v["A"] @ v["x"],
        [
            ("x_k x_l", lambda v: np.outer(v["x"], v["x"])),
            ("x_l x_k", lambda v: np.outer(v["x"], v["x"])),
            ("∂f/∂A_kl = x_k x_l", lambda v: np.outer(v["x"], v["x"])),
            ("2 x_k x_l", lambda v: 2 * np.outer(v["x"], v["x"])),
        ],
    ),
    (  # MC eq. 100: ∂tr(AXB)/∂X = AᵀBᵀ
        "tr(A X B)", "X", {"A": ("m", "n"), "X": ("n", "p"), "B": ("p", "m")}, {},
        lambda v: np.trace(v["A"] @ v["X"] @ v["B"]),
        [
            ("A_ik B_li", lambda v: v["A"].T @ v["B"].T),
            ("∑_i A_ik B_li", lambda v: v["A"].T @ v["B"].T),
            ("(A^T B^T)_kl", lambda v: v["A"].T @ v["B"].T),
            ("(B A)_lk", lambda v: v["A"].T @ v["B"].T),
            ("∂f/∂X_kl = A_ik B_li", lambda v: v["A"].T @ v["B"].T),
            ("-A_ik B_li", lambda v: -v["A"].T @ v["B"].T),
        ],
    ),
    (  # MC eq. 70: ∂aᵀXb/∂X = a bᵀ
        "a^T X b", "X", {"a": ("n",), "X": ("n", "n"), "b": ("n",)}, {"shape": {"X": "n×n"}},
        lambda v: v["a"] @ v["X"] @ v["b"],
        [
            ("a_k b_l", lambda v: np.outer(v["a"], v["b"])),
            ("∂f/∂X_kl = a_k b_l", lambda v: np.outer(v["a"], v["b"])),
            ("a_l b_k", lambda v: np.outer(v["b"], v["a"])),
            ("∂f/∂X_kl = a_l b_k", lambda v: np.outer(v["b"], v["a"])),
        ],
    ),
    (  # MC eq. 59: ∂(X⁻¹)_ij/∂X_kl = −(X⁻¹)_ik (X⁻¹)_lj
        "X^-1", "X", {"X": ("n", "n")}, {"spd": True},
        lambda v: np.linalg.inv(v["X"]),
        [
            ("-(X⁻¹)ᵢₖ (X⁻¹)ₗⱼ", lambda v: -E("ik,lj->ijkl", np.linalg.inv(v["X"]), np.linalg.inv(v["X"]))),
            ("-(X^-1)_{ik} (X^-1)_{lj}", lambda v: -E("ik,lj->ijkl", np.linalg.inv(v["X"]), np.linalg.inv(v["X"]))),
            ("(X^-1)_ik (X^-1)_lj", lambda v: E("ik,lj->ijkl", np.linalg.inv(v["X"]), np.linalg.inv(v["X"]))),
            ("-(X^-1)_ik (X^-1)_jl", lambda v: -E("ik,jl->ijkl", np.linalg.inv(v["X"]), np.linalg.inv(v["X"]))),
        ],
    ),
    (  # MC eq. 57: ∂ log det X/∂X = X⁻ᵀ
        "logdet(X)", "X", {"X": ("n", "n")}, {"spd": True},
        lambda v: np.linalg.slogdet(v["X"])[1],
        [
            ("(X^-1)_lk", lambda v: np.linalg.inv(v["X"]).T),
            ("(X^-T)_kl", lambda v: np.linalg.inv(v["X"]).T),
            ("(X⁻¹)_kl", lambda v: np.linalg.inv(v["X"])),
        ],
    ),
    (
        "x x^T", "x", {"x": ("n",)}, {},
        lambda v: np.outer(v["x"], v["x"]),
        [
            ("δ_ik x_j + x_i δ_jk", douter),
            ("∂(x x^T)_ij/∂x_k = δ_ik x_j + x_i δ_jk", douter),
            ("2 δ_ik x_j", lambda v: 2 * E("ik,j->ijk", eye(4), v["x"])),
        ],
    ),
    (
        "sum(exp(x))", "x", {"x": ("n",)}, {},
        lambda v: np.sum(np.exp(v["x"])),
        [
            ("exp(x_k)", lambda v: np.exp(v["x"])),
            ("(exp(x))_k", lambda v: np.exp(v["x"])),
            ("∂f/∂x_k = x_k exp(x_k)", lambda v: v["x"] * np.exp(v["x"])),
        ],
    ),
    (  # an elementwise function's Jacobian is diagonal: the left side keeps i free
        "exp(x)", "x", {"x": ("n",)}, {},
        lambda v: np.exp(v["x"]),
        [
            ("∂(exp(x))_i/∂x_k = exp(x_i) δ_ik", lambda v: np.diag(np.exp(v["x"]))),
            ("∂y_i/∂x_k = exp(x_k) δ_ik", lambda v: np.diag(np.exp(v["x"]))),
            ("∂y_i/∂x_k = exp(x_i)", lambda v: np.exp(v["x"])[:, None].repeat(4, 1)),
        ],
    ),
    (
        "x^T x", "x", {"x": ("n",)}, {},
        lambda v: v["x"] @ v["x"],
        [
            ("2 x_k", lambda v: 2 * v["x"]),
            ("∂f/∂x_k = 2 x_k", lambda v: 2 * v["x"]),
            ("x_k", lambda v: v["x"]),
            ("x_k^2", lambda v: v["x"] ** 2),
        ],
    ),
    (
        "tr(X) X", "X", {"X": ("n", "n")}, {},
        lambda v: np.trace(v["X"]) * v["X"],
        [
            ("δₖₗ Xᵢⱼ + tr(X) δᵢₖ δₗⱼ", dtrxx),
            ("δ_kl X_ij", lambda v: E("kl,ij->ijkl", eye(4), v["X"])),
        ],
    ),
    (
        "c A", "A", {"c": (), "A": ("m", "n")}, {"scalar": ["c"]},
        lambda v: v["c"] * v["A"],
        [
            ("c δ_ik δ_jl", lambda v: v["c"] * E("ik,jl->ijkl", eye(3), eye(4))),
            ("δ_ik δ_jl", lambda v: E("ik,jl->ijkl", eye(3), eye(4))),
        ],
    ),
    (  # MC eq. 74 style: ∂(AXB)_ij/∂X_kl = A_ik B_lj
        "A X B", "X", {"A": ("m", "n"), "X": ("n", "p"), "B": ("p", "m")}, {},
        lambda v: v["A"] @ v["X"] @ v["B"],
        [
            ("A_ik B_lj", lambda v: E("ik,lj->ijkl", v["A"], v["B"])),
            ("∂F_ij/∂X_kl = A_ik B_lj", lambda v: E("ik,lj->ijkl", v["A"], v["B"])),
            ("A_ik B_lj + A_ik B_lj", lambda v: 2 * E("ik,lj->ijkl", v["A"], v["B"])),
        ],
    ),
    (  # Hadamard product: ∂(x ⊙ y)_i/∂x_k = y_i δ_ik
        "x .* y", "x", {"x": ("n",), "y": ("n",)}, {},
        lambda v: v["x"] * v["y"],
        [
            ("∂f_i/∂x_k = y_i δ_ik", lambda v: np.diag(v["y"])),
            ("∂f_i/∂x_k = y_k δ_ik", lambda v: np.diag(v["y"])),
            ("∂f_i/∂x_k = x_i δ_ik", lambda v: np.diag(v["x"])),
        ],
    ),
]  # fmt: skip

CLAIMS = [
    pytest.param(case, claim, tensor, id=f"{case[0]} by {case[1]}: {claim}")
    for case in TABLE
    for claim, tensor in case[5]
]


def _point(shapes: dict[str, tuple[str, ...]], spd: bool, rng: np.random.Generator) -> dict[str, Arr]:
    v: dict[str, Arr] = {}
    for name, dims in shapes.items():
        arr = rng.standard_normal([SIZES[d] for d in dims]) if dims else np.float64(rng.standard_normal())
        if spd and len(dims) == 2:  # well conditioned, positive determinant, and not symmetric
            arr = arr / 2 + len(arr) * np.eye(len(arr))
        v[name] = arr
    return v


def _finite_difference(f: F, v: dict[str, Arr], var: str, h: float = 1e-6) -> Arr:
    x = v[var]
    base = np.asarray(f(v), dtype=float)
    out = np.zeros(base.shape + np.shape(x))
    for idx in np.ndindex(*np.shape(x)):
        plus, minus = dict(v), dict(v)
        plus[var], minus[var] = x.copy(), x.copy()
        plus[var][idx] += h
        minus[var][idx] -= h
        out[(..., *idx)] = (np.asarray(f(plus)) - np.asarray(f(minus))) / (2 * h)
    return out


def _same(a: Arr, b: Arr) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))


def test_the_table_has_sixty_claims() -> None:
    assert len(CLAIMS) >= 60
    assert sum(1 for _, claim, _ in (p.values for p in CLAIMS) if "=" in claim) >= 15  # equations too


@pytest.mark.parametrize(("case", "claim", "tensor"), CLAIMS)
def test_index_claim_agrees_with_independent_numpy(case: Case, claim: str, tensor: F, rng: np.random.Generator) -> None:
    expr, var, shapes, options, f, _ = case
    options = dict(options)
    spd = bool(options.pop("spd", False))
    v = _point(shapes, spd, rng)
    truth = _finite_difference(f, v, var)
    mine = np.asarray(tensor(v), dtype=float).reshape(truth.shape)
    equal = _same(mine, truth)
    bare = "=" not in claim
    n_f = np.ndim(f(v))
    n = mine.ndim
    other_layout = (
        bare and 0 < n_f < n and _same(np.transpose(mine, list(range(n - n_f, n)) + list(range(n - n_f))), truth)
    )
    verdict = mcalc.check_claim(expr, var, claim, seed=SEED, **options)
    assert (verdict.verdict == "correct") == equal, verdict.line()
    assert verdict.ok == (equal or other_layout), verdict.line()
    if other_layout and not equal:
        assert verdict.verdict == "layout", verdict.line()


# --- diagnoses: stated only when verified ---


@pytest.mark.parametrize(
    ("expr", "claim", "options", "verdict", "words"),
    [
        ("B C", "δ_il C_kj", {"shape": {"B": "n×n", "C": "n×n"}}, "wrong", "right up to the order of k and l"),
        ("B C", "∂A_ij/∂B_kl = δ_jk C_li", {"shape": {"B": "n×n", "C": "n×n"}}, "wrong", "could not say where"),
        ("B C", "2 δ_ik C_lj", {}, "factor", "2 ×"),
        ("B C", "-δ_ik C_lj", {}, "factor", "the sign is wrong"),
        ("B C", "δ_ik C_jl", {"shape": {"B": "n×n", "C": "n×n"}}, "layout", "the variable's indices first"),
        ("B C", "∂A_ij/∂B_kl = δ_ik C_jl", {"shape": {"B": "n×n", "C": "n×n"}}, "wrong", "exchanged"),
        # B m×n, C n×p: the only order the dimensions allow is k, l exchanged
        ("B C", "δ_il C_kj", {}, "wrong", "right up to the order of k and l: that is the transposed tensor (the only"),
        ("B C", "δ_ik C_jl", {}, "layout", "the variable's indices first (denominator layout: i, j are the variable's"),
        ("R^T R", "δᵢₗ Rₖⱼ + Rₖᵢ δₗₖ", {}, "wrong", "δ_lk pairs the wrong indices: with δ_jl in its place"),
        ("R^T R", "δᵢₗ Rₖⱼ", {}, "missing-term", "a term of a symmetric pair is missing"),
        ("R^T R", "∂K_ij/∂R_kl = δ_il R_kj + R_ki δ_jk", {}, "wrong", "pairs the wrong indices"),
        ("R^T R", "∂K_ij/∂R_kl = δ_il R_kj + R_kj δ_lj", {}, "wrong", "R_kj should be R_ki: with it the claim"),
        ("B C", "∂A_ij/∂B_kl = δ_ik C_rj", {}, "wrong", "C_rj should be C_lj"),
    ],
)
def test_index_diagnoses(expr: str, claim: str, options: dict[str, Any], verdict: str, words: str) -> None:
    wrt = "B" if "B" in expr else "R" if "R" in expr else "W"
    v = mcalc.check_claim(expr, wrt, claim, seed=SEED, **options)
    assert v.verdict == verdict, v.line()
    assert words in v.explanation, v.line()


# --- refusals: one line naming the index, exit 2 ---


@pytest.mark.parametrize(
    ("expr", "wrt", "claim", "words"),
    [
        ("B C", "B", "δ_ik C_lj + C_lj", "index i is free in one term and not in another"),
        ("B C", "B", "δ_ik C_lj C_lj C_lj", "index l is used 3 times"),
        ("B C", "B", "δ_ij C_kl", "index j ranges over two different dimensions, m and p"),
        ("B C", "B", "B_ir C_rj", "its free indices are i, j"),
        ("B C", "B", "∂A_ij/∂C_kl = δ_ik C_lj", "differentiates by C, but --wrt is B"),
        ("B C", "B", "δ_ik K_lj", "K does not occur in B C"),
        ("B C", "B", "δ_ik C_l", "its entries take two indices"),
        ("B C", "B", "∂A_ij/∂B_kl = 2 δ_ik C_rj", "index r is free on the right side but not on the left"),
        ("B C", "B", "∑_r δ_ik C_lj", "the index r does not occur in the sum"),
        ("B C", "B", "δ_ikl C_lj", "δ takes two indices"),
        (
            "B C",
            "B",
            "∂(C B)_ij/∂B_kl = δ_ik C_lj",
            "the left side differentiates (C B), which is not the expression BC",
        ),
        ("B C", "B", "∂(B^T C)_ij/∂B_kl = δ_ik C_lj", "which is not the expression BC"),
    ],
)
def test_index_refusals(expr: str, wrt: str, claim: str, words: str) -> None:
    with pytest.raises(mcalc.McalcError) as err:
        mcalc.check_claim(expr, wrt, claim, seed=SEED)
    assert words in err.value.one_line()
    assert err.value.exit_code == 2


def test_a_sum_over_an_index_that_should_be_free() -> None:
    v = mcalc.check_claim("1/2 ||W x - t||^2", "W", "((W x)_i - t_i) x_i", seed=SEED)
    assert v.verdict == "wrong" and not v.ok
    assert "x_i should be x_j (as written, the claim sums over i, which should be free)" in v.explanation
    assert v.details["index"] == {"written": "x_i", "right": "x_j"}


def test_a_diagnosis_is_stated_only_when_verified() -> None:
    """Two things wrong at once: no single change fixes the claim, so it is plain wrong (or refused)."""
    v = mcalc.check_claim("B C", "B", "2 δ_il C_kj", shape={"B": "n×n", "C": "n×n"}, seed=SEED)
    assert v.verdict == "wrong" and "could not say where" in v.explanation
    with pytest.raises(mcalc.McalcError):
        mcalc.check_claim("B C", "B", "δ_ik C_lj + C_lj", seed=SEED)


def test_the_three_seed_claims_on_the_command_line() -> None:
    for expr, wrt, claim in [
        ("B C", "B", "δ_ik C_lj"),
        ("R^T R", "R", "δᵢₗ Rₖⱼ + Rₖᵢ δₗⱼ"),
        ("1/2 ||W x - t||^2", "W", "∂L/∂W_ij = ((W x)_i - t_i) x_j"),
    ]:
        run = subprocess.run(
            [sys.executable, "-m", "mcalc", "check", expr, "--wrt", wrt, "--claim", claim],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.startswith("correct: "), run.stdout


def test_the_left_side_may_name_the_expression_in_any_spelling() -> None:
    for claim in (
        "∂(B C)_ij/∂B_kl = δ_ik C_lj",
        "∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ",
        "∂A_ij/∂B_kl = δ_ik C_lj",
        "∂f_ij/∂B_kl = δ_ik C_lj",
    ):
        assert mcalc.check_claim("B C", "B", claim, seed=SEED).verdict == "correct", claim


def test_an_index_claim_is_sized_before_it_is_evaluated() -> None:
    claim = "2 x_k (1 + 0 x_a x_a x_b x_b x_c x_c x_d x_d x_e x_e x_h x_h)"
    assert mcalc.check_claim("x^T x", "x", claim.replace(" x_h x_h", ""), seed=SEED).verdict == "correct"
    with pytest.raises(mcalc.McalcError) as err:
        mcalc.check_claim("x^T x", "x", claim, shape={"x": "50"}, seed=SEED)
    assert "a product of the claim runs over 15,625,000,000 combinations" in err.value.message
    with pytest.raises(mcalc.McalcError) as err:
        mcalc.check_claim("x x^T", "x", "δ_ik x_j + x_i δ_jk", shape={"x": "300"}, seed=SEED)
    assert "too large" in err.value.message


def test_entries_of_applied_functions() -> None:
    """`A(t)_ik`, `A'(t)_ik`, `exp(x)_i`: an entry of a function's value."""
    assert mcalc.check_claim("A(t) B(t)", "t", "A'(t)_ik B(t)_kj + A(t)_ik B'(t)_kj", seed=SEED).verdict == "correct"
    assert mcalc.check_claim("exp(x)", "x", "∂f_i/∂x_k = exp(x)_i δ_ik", seed=SEED).verdict == "correct"


def test_a_symmetric_variable_is_averaged_over_its_two_indices() -> None:
    v = mcalc.check_claim("tr(A S)", "S", "A_lk", symmetric="S", seed=SEED)
    assert v.verdict == "wrong" and "sym(G) = ½(G_kl + G_lk)" in v.explanation
    assert mcalc.check_claim("tr(A S)", "S", "(A_kl + A_lk)/2", symmetric="S", seed=SEED).verdict == "correct"
    assert mcalc.check_claim("x^T S x", "S", "x_k x_l", symmetric="S", seed=SEED).verdict == "correct"


@pytest.mark.parametrize(
    ("expr", "wrt", "claim"),
    [
        ("B C", "B", "\\delta_{ik} C_{lj}"),
        ("B C", "B", "\\frac{\\partial A_{ij}}{\\partial B_{kl}} = \\sum_{r} \\delta_{ik} \\delta_{rl} C_{rj}"),
        ("A x", "A", "\\frac{\\partial y_i}{\\partial A_{kl}} = \\delta_{ik} x_l"),
        ("1/2 ||W x - t||^2", "W", "\\frac{1}{2} \\cdot 2 \\left( (W x)_i - t_i \\right) x_j"),
        ("c A", "A", "\\frac{c}{2} 2 δ_ik δ_jl"),
    ],
)
def test_the_seeds_latex_spelling(expr: str, wrt: str, claim: str) -> None:
    """The seeds' own LaTeX (seed 002): \\delta, \\partial, \\sum, \\frac, \\cdot, \\left( \\right)."""
    scalar = ["c"] if "c" in expr else []
    assert mcalc.check_claim(expr, wrt, claim, scalar=scalar, seed=SEED).verdict == "correct"


def test_a_latex_command_not_read_is_named() -> None:
    with pytest.raises(mcalc.McalcError) as err:
        mcalc.check_claim("B C", "B", "\\frac{δ_ik}{2} C_lj", seed=SEED)
    assert err.value.one_line().startswith("in the claim at col 1: \\frac is not read in an index claim")


def test_an_index_verdict_says_how_the_expression_was_read() -> None:
    v = mcalc.check_claim("x^T X 1", "x", "(X 1)_k", seed=SEED)
    assert v.verdict == "correct"
    assert any("the ones vector 𝟙" in w for w in v.warnings), v.warnings


def test_api_check_claim_reads_index_notation() -> None:
    assert mcalc.check_claim("B C", "B", "δ_ik C_lj").ok
    assert not mcalc.check_claim("B C", "B", "2 δ_ik C_lj").ok


def test_a_claim_without_indices_on_the_expressions_names_is_an_ordinary_claim() -> None:
    """`K_{m,n}` (another name's subscript) or a `∂` alone: the ordinary reading and its own message."""
    from mcalc.claims.index_claim import read
    from mcalc.shapes import Declarations

    for claim in ("(R^T ⊗ I) K_{m,n} + I ⊗ R^T", "2 R", "R_1"):
        assert read("R^T R", ["R"], claim, Declarations()) is None, claim
    for claim in ("δ_il R_kj", "R_kl", "(R^T R)_ij", "∑_r R_rk", "Rₖₗ"):
        assert read("R^T R", ["R"], claim, Declarations()) is not None, claim


def test_names_with_subscripts_keep_their_meaning() -> None:
    """The contract's names: `x_0`, `W1`, and a name `x_ij` the expression has, are names, not entries."""
    assert mcalc.check_claim("W1 x_0", "x_0", "W1").ok
    assert mcalc.check_claim("x_ij^T A y", "A", "x_ij y^T").verdict == "correct"
    assert mcalc.check_claim("W1 x_0", "W1", "∂y_i/∂(W1)_kl = δ_ik (x_0)_l").ok


# --- round trip: every index line mcalc prints reads back as a claim and is judged correct ---

GOLDEN = Path(__file__).parent / "golden"


def _golden_cases() -> list[tuple[str, list[str], list[str]]]:
    """(expression, wrt, declaration flags) of every case of the golden derivative and textbook files."""
    out = []
    for name in ("diff.txt", "textbook.txt"):
        for block in (GOLDEN / name).read_text(encoding="utf-8").split("\n\n"):
            lines = [ln for ln in block.splitlines() if ln.strip()]
            meta = [ln for ln in lines if ln.startswith("#")]
            body = [ln for ln in lines if not ln.startswith("#")]
            wrt = [m.split(":", 1)[1].strip() for m in meta if m.startswith("# wrt:")]
            if not body or not wrt or any(m.startswith("# xfail") for m in meta):
                continue
            flags: list[str] = []
            for key in ("scalar", "vector", "matrix", "symmetric", "shape"):
                for m in meta:
                    if m.startswith(f"# {key}:"):
                        for item in m.split(":", 1)[1].split(";"):
                            flags += [f"--{key}", item.strip()]
            out.append((body[0], wrt, flags))
    return out


def _index_line(expr: str, wrt: list[str], flags: list[str]) -> str | None:
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    args = ["diff", expr, *[a for w in wrt for a in ("--wrt", w)], *flags, "--format", "index"]
    run = CliRunner().invoke(app, args)
    line = run.stdout.strip()
    if run.exit_code != 0 or "no index form" in line or "=" not in line:
        return None
    return line


@pytest.mark.parametrize("ascii_form", [[], ["--ascii"]], ids=["unicode", "ascii"])
def test_round_trip_every_printed_index_line(ascii_form: list[str]) -> None:
    """`mcalc diff … --format index` (and its --ascii form: d(R^T R)_ij/dR_kl = delta_il R_kj + …) read back."""
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    seen = 0
    for expr, wrt, flags in _golden_cases():
        line = _index_line(expr, wrt, flags + ascii_form)
        if line is None:
            continue
        args = ["check", expr, *[a for w in wrt for a in ("--wrt", w)], *flags, "--claim", line, "--seed", str(SEED)]
        run = CliRunner().invoke(app, args)
        assert run.exit_code == 0 and run.stdout.startswith("correct"), f"{expr} {wrt} {flags}\n{line}\n{run.stdout}"
        seen += 1
    assert seen >= 100


@pytest.mark.parametrize(
    ("claim", "code"),
    [("δ_ik C_lj", 0), ("2 δ_ik C_lj", 1), ("δ_ik C_lj + C_lj", 2), ("∂(C B)_ij/∂B_kl = δ_ik C_lj", 2)],
)
def test_index_verdicts_and_refusals_as_json_follow_the_schema(claim: str, code: int) -> None:
    import json

    from jsonschema import Draft202012Validator
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "output-schema.json").read_text("utf-8"))
    run = CliRunner().invoke(
        app, ["check", "B C", "--wrt", "B", "--claim", claim, "--seed", str(SEED), "--format", "json"]
    )
    assert run.exit_code == code, run.stdout
    obj = json.loads(run.stdout.strip().splitlines()[-1])
    assert Draft202012Validator(schema).is_valid(obj), obj
    if code == 2:
        assert obj["in"] == "claim" and obj["error"].startswith("in the claim")
    else:
        assert obj["details"]["notation"] == "index" and obj["details"]["free_indices"] == ["i", "j", "k", "l"]


def test_a_homework_sheet_takes_index_claims(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mcalc.cli.app import app

    sheet = tmp_path / "sheet.txt"
    sheet.write_text("B C ; B ; δ_ik C_lj\nR^T R ; R ; δᵢₗ Rₖⱼ\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["check", "--file", str(sheet), "--seed", str(SEED)])
    lines = run.stdout.splitlines()
    assert "\tcorrect\t" in lines[0] and "\tmissing-term\t" in lines[1], run.stdout
    assert run.exit_code == 1
