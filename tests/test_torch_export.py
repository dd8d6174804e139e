"""`--format torch` against `--format numpy` for every golden case and the tensor cases of
tests/test_array_exports.py: `f`, the derivative and `f_and_…` give the NumPy module's numbers (float64),
keep float32 as float32, run under `torch.func.vmap` (batched over a leading axis, each slice the
unbatched answer), and trace whole under `torch.compile(fullgraph=True)` (no graph break). Skipped
without PyTorch (`pip install -e ".[export]"`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import seeded
from test_array_exports import ALL, IDS, golden, namespace, run_readme_examples
from test_latex import Case

torch = pytest.importorskip("torch")


def _as(args: dict[str, Any], dtype: Any) -> dict[str, Any]:
    return {k: torch.as_tensor(np.asarray(v), dtype=dtype) for k, v in args.items()}


def _np(t: Any) -> Any:
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_torch_module_gives_the_numpy_modules_numbers_and_keeps_float32(case: Case) -> None:
    sources, name, args = golden(case, seeded("torch", case.id))
    ref, ours = namespace(sources["numpy"]), namespace(sources["torch"])
    for fn in ("f", name):
        want = np.asarray(ref[fn](**args))
        got = ours[fn](**_as(args, torch.float64))
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == want.shape, (fn, got)
        assert got.dtype == torch.float64, (fn, got.dtype)
        np.testing.assert_allclose(_np(got), want, rtol=1e-9, atol=1e-11, err_msg=sources["torch"])
        low = ours[fn](**_as(args, torch.float32))
        assert low.dtype == torch.float32, (fn, low.dtype, sources["torch"])
        np.testing.assert_allclose(_np(low), want, rtol=2e-3, atol=2e-3 * (1 + np.abs(want).max()))
    value, derivative = ours[f"f_and_{name}"](**_as(args, torch.float64))
    np.testing.assert_allclose(_np(value), np.asarray(ref["f"](**args)), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(_np(derivative), np.asarray(ref[name](**args)), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_torch_derivative_runs_under_vmap(case: Case) -> None:
    """torch.func.vmap(derivative) over a batch of 3 points: each slice the NumPy answer."""
    sources, name, args = golden(case, seeded("torch-vmap", case.id))
    ref, ours = namespace(sources["numpy"]), namespace(sources["torch"])
    rng = np.random.default_rng(seeded("torch-batch", case.id))
    points = [{k: v + 0.01 * i * rng.standard_normal(np.shape(v)) for k, v in args.items()} for i in range(3)]
    batched = {k: torch.stack([torch.as_tensor(np.asarray(p[k])) for p in points]) for k in args}
    keys = list(args)
    got = torch.func.vmap(lambda *xs: ours[name](**dict(zip(keys, xs, strict=True))))(*batched.values())
    for i, p in enumerate(points):
        np.testing.assert_allclose(_np(got[i]), np.asarray(ref[name](**p)), rtol=1e-9, atol=1e-11)


# one of each kind: a gradient with a solve, a Hessian by _gram, a tensor with a shared index (an identity in
# the einsum), a Kronecker factor, a column function, a function of t, a symmetric variable
COMPILED = ["a^T X^-1 b ; X", "sum(log(1 + exp(-y .* (X w)))) ; w,w", "R^T R ; R", "kron(A, X) ; X",
            "logsumexp(A x) ; x,x", "det(A(t)) ; t", "||X - U V^T||_F^2 ; U,U"]  # fmt: skip


@pytest.mark.parametrize("case", [c for c in ALL if c.id in COMPILED], ids=lambda c: c.id)
def test_the_torch_module_compiles_whole(case: Case) -> None:
    """torch.compile(fullgraph=True) fails on a graph break: the three functions trace as one graph each
    (the aot_eager backend traces as inductor does, without generating C++: seconds, not minutes)."""
    sources, name, args = golden(case, seeded("torch-compile", case.id))
    ref, ours = namespace(sources["numpy"]), namespace(sources["torch"])
    torch._dynamo.reset()
    for fn in ("f", name, f"f_and_{name}"):
        compiled = torch.compile(ours[fn], fullgraph=True, backend="aot_eager")
        got = compiled(**_as(args, torch.float64))
        want = ref[fn](**args)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,),
                        strict=True):  # fmt: skip
            np.testing.assert_allclose(_np(g), np.asarray(w), rtol=1e-9, atol=1e-11)


def test_the_readme_torch_example_runs() -> None:
    run_readme_examples("torch")
