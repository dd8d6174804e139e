"""The array libraries mcalc writes code for, as tables: one `Backend` per library, read by the one
expression-to-code walk (numpy_expr, numpy_tensor, numpy_code) that `--format numpy`, `--format jax` and
`--format torch` share.

A backend spells each operation the walk needs (`ops`: a template, `{0}`, `{1}` its operands' code), each
catalogue function (`functions`; NumPy's is the catalogue's own `numpy` field) and the helpers that code
calls (`helpers`, added to the module when its text calls them). What differs beyond spelling:
- JAX and PyTorch code is pure and traceable (`jax.jit`, `torch.compile`, `jax.vmap`, `torch.func.vmap`):
  no in-place update (a tensor term with a shared index is an einsum with an identity matrix, never a
  write into a diagonal view), no branch on values (`_gram` is one product), no Python number taken
  from an array (a scalar result is a 0-d array, never `.item()`);
- dtype-preserving: arrays come in as they are (an integer array becomes the framework's default float),
  every constant array is made in `_dt`, the dtype the inputs promote to (float32 stays float32), and, in
  PyTorch, on `_dev`, the device of the first input;
- PyTorch has no column-major reshape (`_reshape_f` is one, by reversing the axes on both sides), and
  its reductions are kept 2-D (1×1), since `.T` of a 0-d tensor is deprecated.
An operation a backend has no traceable spelling for (a matrix power with a symbolic exponent needs the
exponent's value) is refused in one line naming `--format numpy`, which has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mcalc.records import Record, record


@record(frozen=True)
class Backend(Record):
    name: str  # the --format and to_function(backend=...) name
    header: tuple[str, ...]  # the module's imports
    ops: Mapping[str, str]  # operation → template
    # catalogue function → its spelling with {} for the argument; None: the catalogue's `numpy` spelling
    functions: Mapping[str, str] | None
    helpers: Mapping[str, tuple[str, ...]]  # helper name → its definition
    in_place: bool  # tensor terms added into views of a zero-initialised output (NumPy only)
    # the line after the parameters that names the dtype (and device) every constant is made in
    dtype_line: str = ""

    def op(self, name: str, *args: str) -> str:
        template = self.ops.get(name)
        if template is None:
            from mcalc.errors import InputError

            raise InputError(f"no {self.name} code: {UNTRACEABLE[name]}; --format numpy writes it")
        return template.format(*args)


UNTRACEABLE = {
    "count": "X^k with a symbolic k loops k times, and a traced function (jit, compile) does not know k's value",
}

_NUMPY_OPS = {
    "param": "np.asarray({0}, dtype=float)",
    "value": "np.asarray({0}, dtype=float)",
    "scalar_value": "np.asarray({0}, dtype=float).item()",
    "reshape_f": "{0}.reshape(({1}), order='F')",
    "vec": "{0}.reshape(-1, 1, order='F')",
    "eye": "np.eye({0})",
    "ones": "np.ones(({0}, {1}))",
    "zeros": "np.zeros(({0}))",
    "commutation": "_commutation({0}, {1})",
    "solve": "np.linalg.solve({0}, {1})",
    "inv": "np.linalg.inv({0})",
    "matrix_power": "np.linalg.matrix_power({0}, {1})",
    "count": "int(round(float(np.squeeze({0}))))",
    "kron": "np.kron({0}, {1})",
    "trace": "np.trace({0})",
    "det": "np.linalg.det({0})",
    "logdet": "np.linalg.slogdet({0})[1]",
    "sqrt": "np.sqrt({0})",
    "abs_sum": "np.abs({0}).sum()",
    "norm": "np.linalg.norm({0})",
    "sum": "np.sum({0})",
    "diag_matrix": "np.diag({0}[:, 0])",
    "diag_vector": "np.diag({0}).reshape(-1, 1)",
    "einsum": "np.einsum('{0}', {1})",
    "einsum_optimized": "np.einsum('{0}', {1}, optimize=True)",
    "scalar": "np.reshape({0}, ())",
    "gram": "_gram({0}, {1})",
    "outer_self": "_outer_self({0})",
    "sigmoid_neg": "_sigmoid_neg({0})",
}

COMMUTATION = (
    "def _commutation(r, c):",
    '    """K with K @ vec(M) = vec(M.T) for an r×c matrix M (vec stacks columns)."""',
    "    k = np.zeros((r * c, r * c))",
    "    i, j = np.meshgrid(np.arange(r), np.arange(c), indexing='ij')",
    "    k[(j + i * c).ravel(), (i + j * r).ravel()] = 1.0",
    "    return k",
)

GRAM = (
    "def _gram(m, v):",
    '    """mᵀ diag(v) m; for v ≥ 0 as bᵀb with b = √v m, a symmetric product (BLAS syrk: half the work)."""',
    "    if np.all(v >= 0):",
    "        b = np.sqrt(v) * m",
    "        return b.T @ b",
    "    return (m.T * v.T) @ m",
)

OUTER_SELF = (
    "def _outer_self(u):",
    '    """u uᵀ for a column u computed once ((Aᵀs)(sᵀA) without the second product sᵀA)."""',
    "    return u @ u.T",
)

SIGMOID_NEG = (
    "def _sigmoid_neg(u):",
    '    """sigmoid(-u) = 1 / (1 + exp(u)); exp overflowing to inf gives 0, the limit."""',
    '    with np.errstate(over="ignore"):',
    "        return 1.0 / (1.0 + np.exp(u))",
)

NUMPY = Backend(
    "numpy",
    ("import numpy as np",),
    MappingProxyType(_NUMPY_OPS),
    None,
    MappingProxyType(
        {"_commutation": COMMUTATION, "_gram": GRAM, "_outer_self": OUTER_SELF, "_sigmoid_neg": SIGMOID_NEG}
    ),
    in_place=True,
)


def _traceable(prefix: str, made: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The operations JAX and PyTorch spell alike (`prefix.` for `np.`), constants made with `made`."""
    same = {"solve": "linalg.solve({0}, {1})", "inv": "linalg.inv({0})", "kron": "kron({0}, {1})",
            "matrix_power": "linalg.matrix_power({0}, {1})", "sqrt": "sqrt({0})", "einsum": "einsum('{0}', {1})",
            "einsum_optimized": "einsum('{0}', {1})", "scalar": "reshape({0}, ())",
            "diag_matrix": "diag({0}[:, 0])", "diag_vector": "diag({0}).reshape(-1, 1)"}  # fmt: skip
    ops = {k: f"{prefix}.{v}" for k, v in same.items()}
    ops |= {
        "param": "_float({0})",
        "eye": f"{prefix}.eye({{0}}{made})",
        "ones": f"{prefix}.ones(({{0}}, {{1}}){made})",
        "zeros": f"{prefix}.zeros(({{0}}){made})",
        "gram": "_gram({0}, {1})",
        "outer_self": "_outer_self({0})",
        "sigmoid_neg": "_sigmoid_neg({0})",
        **extra,
    }
    return ops


_JAX_OPS = _traceable(
    "jnp",
    ", dtype=_dt",
    {
        "value": "jnp.asarray({0}, dtype=_dt)",
        "scalar_value": "jnp.asarray({0}, dtype=_dt).reshape(())",
        "reshape_f": "{0}.reshape(({1}), order='F')",
        "vec": "{0}.reshape(-1, 1, order='F')",
        "commutation": "_commutation({0}, {1}, _dt)",
        "trace": "jnp.trace({0})",
        "det": "jnp.linalg.det({0})",
        "logdet": "jnp.linalg.slogdet({0})[1]",
        "abs_sum": "jnp.abs({0}).sum()",
        "norm": "jnp.linalg.norm({0})",
        "sum": "jnp.sum({0})",
        "sym_sum": "_sym_sum({0})",
    },
)

_1x1 = ".reshape(1, 1)"  # a PyTorch reduction kept 2-D: `.T` of a 0-d tensor is deprecated
_TORCH_OPS = _traceable(
    "torch",
    ", dtype=_dt, device=_dev",
    {
        "value": "torch.as_tensor({0}, dtype=_dt, device=_dev)",
        "scalar_value": "torch.as_tensor({0}, dtype=_dt, device=_dev).reshape(())",
        "reshape_f": "_reshape_f({0}, ({1}))",
        "vec": "{0}.T.reshape(-1, 1)",  # columns stacked; contiguous (torch.kron refuses some strides)
        "commutation": "_commutation({0}, {1}, _dt, _dev)",
        "trace": "torch.trace({0})" + _1x1,
        "det": "torch.linalg.det({0})" + _1x1,
        "logdet": "torch.linalg.slogdet({0})[1]" + _1x1,
        "abs_sum": "torch.abs({0}).sum()" + _1x1,
        "norm": "torch.linalg.norm({0})" + _1x1,
        "sum": "torch.sum({0})" + _1x1,
    },
)

_ELEMENTWISE = ("exp", "log", "sin", "cos", "tanh", "sqrt", "abs", "tan", "sinh", "cosh", "sign")
_JAX_FUNCTIONS = {
    **{f: f"jnp.{f}({{}})" for f in (*_ELEMENTWISE, "arcsin", "arccos", "arctan")},
    "relu": "jnp.maximum({}, 0.0)",
    "step": "jnp.heaviside({}, 0.0)",
    "sigmoid": "_sigmoid({})",
    "softmax": "_softmax({})",
    "logsumexp": "_logsumexp({})",
}
_TORCH_FUNCTIONS = {
    **{f: f"torch.{f}({{}})" for f in _ELEMENTWISE},
    "arcsin": "torch.asin({})",
    "arccos": "torch.acos({})",
    "arctan": "torch.atan({})",
    "relu": "torch.relu({})",
    "step": "_step({})",
    "sigmoid": "torch.sigmoid({})",
    "softmax": "torch.softmax({}, dim=0)",
    "logsumexp": "torch.logsumexp({}, dim=0, keepdim=True)",
}

# X + Xᵀ. XLA (CPU) compiles `m + m.T` to one loop over the output that reads m by columns: at many sizes each
# element is a TLB miss (bench/export.py, one thread: 92 ms at n = 2048, 15 ms at n = 1000, where one
# streaming pass `m + 1` takes 16 and 4 ms). By 64×64 blocks, each pair of mirrored blocks read once and
# written both ways, it is 25 and 1.4 ms (4.8 ms against 5.5 at n = 1600, 0.63 against 0.53 ms at 640: a
# wash where the plain loop has no trouble), so from n = 512 on; the loop over blocks is jax.lax's (no
# jax.numpy spelling; an optimization_barrier or a 4-d blocked reshape compile to the same single loop).
# Bitwise the same numbers (a + b = b + a), the same dtype; `platform_dependent` keeps `m + m.T` on a GPU or
# TPU, whose XLA tiles a fused transpose itself.
SYM_SUM = (
    "def _sym_sum(m):",
    '    """m + mᵀ for a square m; on the CPU from n = 512 by 64×64 blocks (XLA\'s plain m + m.T reads m by',
    '    columns: 3.7× slower at n = 2048)."""',
    "    import jax  # jax.lax: a loop has no jax.numpy spelling",
    "",
    "    n, b = m.shape[0], 64",
    "    if n < 8 * b:",
    "        return m + m.T",
    "    starts = [(min(i, n - b), min(j, n - b)) for i in range(0, n, b) for j in range(i, n, b)]",
    "    corners = jnp.array(starts)",
    "",
    "    def mirrored(k, out):",
    "        i, j = corners[k, 0], corners[k, 1]",
    "        s = jax.lax.dynamic_slice(m, (i, j), (b, b)) + jax.lax.dynamic_slice(m, (j, i), (b, b)).T",
    "        return jax.lax.dynamic_update_slice(jax.lax.dynamic_update_slice(out, s, (i, j)), s.T, (j, i))",
    "",
    "    def blocked():",
    "        return jax.lax.fori_loop(0, len(starts), mirrored, jnp.zeros_like(m))",
    "",
    "    return jax.lax.platform_dependent(cpu=blocked, default=lambda: m + m.T)",
)

_JAX_HELPERS = {
    "_sym_sum": SYM_SUM,
    "_float": (
        "def _float(x):",
        '    """x as an array of floats: a float array keeps its dtype (float32 stays float32)."""',
        "    x = jnp.asarray(x)",
        "    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.result_type(float))",
    ),
    "_sigmoid": ("def _sigmoid(z):", "    return 1.0 / (1.0 + jnp.exp(-z))  # exp overflowing to inf gives 0"),
    "_softmax": (
        "def _softmax(z):",
        "    e = jnp.exp(z - jnp.max(z, axis=0, keepdims=True))",
        "    return e / jnp.sum(e, axis=0, keepdims=True)",
    ),
    "_logsumexp": (
        "def _logsumexp(z):",
        "    top = jnp.max(z, axis=0, keepdims=True)",
        "    return top + jnp.log(jnp.sum(jnp.exp(z - top), axis=0, keepdims=True))",
    ),
    "_commutation": (
        "def _commutation(r, c, dt):",
        '    """K with K @ vec(M) = vec(M.T) for an r×c matrix M (vec stacks columns): rows of the identity."""',
        "    return jnp.eye(r * c, dtype=dt)[jnp.arange(r * c).reshape(c, r).T.reshape(-1)]",
    ),
    "_gram": ("def _gram(m, v):", '    """mᵀ diag(v) m."""', "    return (m.T * v.T) @ m"),
    "_outer_self": OUTER_SELF,
    "_sigmoid_neg": (
        "def _sigmoid_neg(u):",
        '    """sigmoid(-u) = 1 / (1 + exp(u)); exp overflowing to inf gives 0, the limit."""',
        "    return 1.0 / (1.0 + jnp.exp(u))",
    ),
}

_TORCH_HELPERS = {
    "_float": (
        "def _float(x):",
        '    """x as a tensor of floats: a float tensor keeps its dtype (float32 stays float32)."""',
        "    x = torch.as_tensor(x)",
        "    return x if x.is_floating_point() else x.to(torch.get_default_dtype())",
    ),
    "_like": (
        "def _like(*xs):",
        '    """The dtype the inputs promote to, and the device of the first."""',
        "    dt = xs[0].dtype",
        "    for x in xs[1:]:",
        "        dt = torch.promote_types(dt, x.dtype)",
        "    return dt, xs[0].device",
    ),
    "_reshape_f": (
        "def _reshape_f(x, shape):",
        '    """x reshaped column-major (NumPy\'s order=\'F\'): its axes reversed, reshaped, reversed back."""',
        "    x = x.permute(tuple(range(x.dim() - 1, -1, -1)))",
        "    return x.reshape(tuple(reversed(shape))).permute(tuple(range(len(shape) - 1, -1, -1)))",
    ),
    "_step": ("def _step(z):", "    return (z > 0).to(z.dtype)"),
    "_commutation": (
        "def _commutation(r, c, dt, dev):",
        '    """K with K @ vec(M) = vec(M.T) for an r×c matrix M (vec stacks columns): rows of the identity."""',
        "    rows = torch.arange(r * c, device=dev).reshape(c, r).T.reshape(-1)",
        "    return torch.eye(r * c, dtype=dt, device=dev)[rows]",
    ),
    "_gram": ("def _gram(m, v):", '    """mᵀ diag(v) m."""', "    return (m.T * v.T) @ m"),
    "_outer_self": OUTER_SELF,
    "_sigmoid_neg": ("def _sigmoid_neg(u):", '    """sigmoid(-u)."""', "    return torch.sigmoid(-u)"),
}

JAX = Backend(
    "jax",
    ("import jax.numpy as jnp",),
    MappingProxyType(_JAX_OPS),
    MappingProxyType(_JAX_FUNCTIONS),
    MappingProxyType(_JAX_HELPERS),
    in_place=False,
    dtype_line="_dt = jnp.result_type({0})",
)

TORCH = Backend(
    "torch",
    ("import torch",),
    MappingProxyType(_TORCH_OPS),
    MappingProxyType(_TORCH_FUNCTIONS),
    MappingProxyType(_TORCH_HELPERS),
    in_place=False,
    dtype_line="_dt, _dev = _like({0})",
)

BACKENDS: Mapping[str, Backend] = MappingProxyType({b.name: b for b in (NUMPY, JAX, TORCH)})

__all__ = ["BACKENDS", "JAX", "NUMPY", "TORCH", "Backend"]
