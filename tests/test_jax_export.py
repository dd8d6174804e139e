"""`--format jax` against `--format numpy` for every golden case and the tensor cases of
tests/test_array_exports.py: `f`, the derivative and `f_and_…` give the NumPy module's numbers (float64),
keep float32 as float32, and run under `jax.jit` and `jax.vmap` (batched over a leading axis, each slice
the unbatched answer). Skipped without JAX (`pip install -e ".[export]"`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import seeded
from test_array_exports import ALL, IDS, golden, namespace, run_readme_examples
from test_latex import Case

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # float64 as NumPy's; float32 inputs must still stay float32
jnp = jax.numpy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:jax.*")


def _as(args: dict[str, Any], dtype: Any) -> dict[str, Any]:
    return {k: jnp.asarray(v, dtype=dtype) for k, v in args.items()}


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_jax_module_gives_the_numpy_modules_numbers_and_keeps_float32(case: Case) -> None:
    sources, name, args = golden(case, seeded("jax", case.id))
    ref, ours = namespace(sources["numpy"]), namespace(sources["jax"])
    for fn in ("f", name):
        want = np.asarray(ref[fn](**args))
        got = ours[fn](**_as(args, jnp.float64))
        assert isinstance(got, jax.Array) and got.shape == want.shape and got.dtype == jnp.float64, (fn, got)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-11, err_msg=sources["jax"])
        low = ours[fn](**_as(args, jnp.float32))
        assert low.dtype == jnp.float32, (fn, low.dtype, sources["jax"])
        np.testing.assert_allclose(np.asarray(low), want, rtol=2e-3, atol=2e-3 * (1 + np.abs(want).max()))
    value, derivative = ours[f"f_and_{name}"](**_as(args, jnp.float64))
    np.testing.assert_allclose(np.asarray(value), np.asarray(ref["f"](**args)), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(np.asarray(derivative), np.asarray(ref[name](**args)), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_jax_derivative_runs_under_jit_and_vmap(case: Case) -> None:
    """jax.jit(jax.vmap(derivative)) over a batch of 3 points: one trace, each slice the NumPy answer."""
    sources, name, args = golden(case, seeded("jax-vmap", case.id))
    ref, ours = namespace(sources["numpy"]), namespace(sources["jax"])
    rng = np.random.default_rng(seeded("jax-batch", case.id))
    points = [{k: v + 0.01 * i * rng.standard_normal(np.shape(v)) for k, v in args.items()} for i in range(3)]
    batched = {k: jnp.stack([jnp.asarray(p[k]) for p in points]) for k in args}
    got = jax.jit(jax.vmap(ours[name]))(**batched)
    for i, p in enumerate(points):
        np.testing.assert_allclose(np.asarray(got[i]), np.asarray(ref[name](**p)), rtol=1e-9, atol=1e-11)


def test_f_and_hessian_under_jit() -> None:
    """The value and the matrix-factorisation Hessian from one jit-compiled function."""
    import mcalc

    d = mcalc.diff("||X - U V^T||_F^2", ["U", "U"])
    both = jax.jit(namespace(d.jax_source)["f_and_hessian"])
    rng = np.random.default_rng(seeded("jax-fh"))
    X, U, V = rng.standard_normal((6, 5)), rng.standard_normal((6, 2)), rng.standard_normal((5, 2))
    value, hessian = both(X, U, V)
    assert value.shape == () and hessian.shape == (6, 2, 6, 2)
    np.testing.assert_allclose(float(value), np.sum((X - U @ V.T) ** 2), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(hessian), np.asarray(d.value(X=X, U=U, V=V)), rtol=1e-12, atol=1e-12)


def test_the_readme_jax_example_runs() -> None:
    run_readme_examples("jax")


@pytest.mark.parametrize("n", [512, 600])
def test_a_matrix_plus_its_transpose_by_blocks_is_bitwise_m_plus_m_t(n: int) -> None:
    """X + Xᵀ is `_sym_sum`, from n = 512 a loop over mirrored 64×64 blocks on the CPU (the golden cases are
    smaller, so they never reach it): 600 is no multiple of 64, so the last blocks overlap. The same bits
    as A + A.T eagerly, under jit and under vmap, and float32 stays float32."""
    import mcalc

    hessian = namespace(mcalc.diff("x^T A x", ["x", "x"]).jax_source)["hessian"]
    rng = np.random.default_rng(seeded("jax-sym-sum", str(n)))
    A, x = rng.standard_normal((2, n, n)), rng.standard_normal(n)
    for dtype in (jnp.float64, jnp.float32):
        a, v = jnp.asarray(A, dtype=dtype), jnp.asarray(x, dtype=dtype)
        want = np.asarray(a[0]) + np.asarray(a[0]).T
        for got in (hessian(v, a[0]), jax.jit(hessian)(v, a[0]), jax.jit(jax.vmap(hessian, (None, 0)))(v, a)[0]):
            assert got.dtype == dtype and np.array_equal(np.asarray(got), want)
