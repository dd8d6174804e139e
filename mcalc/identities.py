"""Every identity mcalc uses, in the order a derivation uses them, and how each is verified.

- `rule`: the derivative-rule table (`mcalc/calculus/rules.py`), one row per operator. Verified end to
  end: a small witness expression that needs the row is differentiated by the engine and compared with
  central finite differences (`--check`'s machinery); a constant that no input can contain (the
  commutation matrix, dX itself) is verified by the rule giving d(c) = 0.
- `function`: the elementwise derivatives f ↦ f′ behind `chain-elementwise`, each through sum(f(x)), and
  the differentials of the column functions (softmax, logsumexp) behind `d-columnwise`; the rules of
  functions declared abstract (`--function f`, `--elementwise g`), verified with a concrete function put in.
- `step`: the rewrites `--steps` uses after the rules (cyclic property, vec(AXB) = (Bᵀ ⊗ A) vec(X), the
  identification df = tr(G dX) ⇔ ∂f/∂X = Gᵀ, …), each checked on random matrices with numpy
  (`mcalc/numeric/rewrites.py`); the chain rule through --let names, by the engine against numpy.
`mcalc identities` (mcalc/cli/identities.py) lists and verifies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcalc.numeric import rewrites
from mcalc.records import Record, record
from mcalc.shapes import Declarations
from mcalc.sources import SOURCES, cited, legend

if TYPE_CHECKING:
    from mcalc.syntax.functions import Function

# Witnesses: one small expression per operator, differentiated by the engine and checked numerically.
WITNESSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Symbol": ("a^T X b", ("X",)),
    "Number": ("tr(A X) + 3", ("X",)),
    "Identity": ("tr((X + I) A)", ("X",)),
    "Ones": ("sum(A x)", ("x", "x")),  # ∂/∂x = Aᵀ𝟙, whose derivative is d(𝟙) = 0
    "FunctionOf": ("tr(A(t) B)", ("t",)),
    "Add": ("tr(X + X^T A)", ("X",)),
    "Mul": ("tr(A X B X)", ("X",)),
    "Hadamard": ("sum(X .* X .* A)", ("X",)),
    "Kron": ("sum(kron(X, A) .* B)", ("X",)),
    "Transpose": ("a^T X^T b", ("X",)),
    "Inverse": ("a^T X^-1 b", ("X",)),
    "Power": ("tr(X^3 A) + (a^T X b)^3", ("X",)),
    "ElementPower": ("sum(x.^3)", ("x",)),
    "ElementPowerOf": ("sum(x.^t) + sum(2 .^ x)", ("x",)),
    "PowerOf": ("tr(X^k) + tr(X)^p", ("X",)),
    "SumOver": ("a^T X^k b", ("X", "X")),  # the second derivative differentiates the sum of the first
    "Bound": ("a^T X^k b", ("X", "X")),
    "Trace": ("tr(A X)", ("X",)),
    "Det": ("det(X)", ("X",)),
    "LogDet": ("logdet(X)", ("X",)),
    "Apply": ("sum(tanh(A x) + exp(x))", ("x",)),
    "Columnwise": ("a^T softmax(X) b + logsumexp(A x)", ("X",)),
    "Norm": ("norm2(A x - b) + norm1(x)", ("x",)),
    "Sum": ("sum(A X)", ("X",)),
    "Diag": ("a^T diag(X) + tr(diag(X a) B)", ("X",)),
    "Vec": ("vec(X)^T vec(A)", ("X",)),
    # the Hessian differentiates L_expm(X, A) of the gradient: d L = L2(X, dX, A) (Higham & Relton 2014)
    "Frechet": ("tr(A expm(X))", ("X", "X")),
}
# the rules' special cases (calculus.rules.RuleCase), by name
CASE_WITNESSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "d-norm-power": ("||X a - b||^2 + ||X||^3", ("X",)),
}


def function_witnesses() -> dict[str, tuple[str, tuple[str, ...]]]:
    """sum(f(x)) by x for every function of the catalogue (`--check` draws x inside f's domain)."""
    from mcalc.syntax import functions, spectral

    out: dict[str, tuple[str, tuple[str, ...]]] = {
        f.name: (f.witness_expr(), ("X",) if f.kind is functions.Kind.MATRIX_MAP else ("x",))
        for f in functions.entries()
    }
    # sign and step are the derivatives of abs and relu: their own derivative shows in the Hessian
    out.update({"sign": ("sum(abs(x))", ("x", "x")), "step": ("sum(relu(x))", ("x", "x"))})
    out.update(spectral.SECOND_ORDER)  # eigenvectors' and the polar factor's rules, through Hessians
    return out


# The whole-matrix functions of issue 24 (mcalc.syntax.structured), each verified with the declarations
# its witness needs: chol's argument symmetric, toeplitz's length known
STRUCTURED_WITNESSES: dict[str, tuple[str, tuple[str, ...], Declarations | None]] = {
    "adj": ("tr(A adj(X))", ("X",), None),
    "chol": ("tr(A chol(S))", ("S",), Declarations(symmetric=frozenset({"S"}))),
    "cholphi": ("tr(A cholphi(X))", ("X",), None),
    "toeplitz": ("a^T toeplitz(t) b", ("t",), Declarations(shapes={"t": (5,)})),
    "toepsum": ("tr(A toepsum(X))", ("X",), None),
    "diagsums": ("a^T diagsums(X)", ("X",), Declarations(shapes={"X": (3, 3)})),
}


@record(frozen=True)
class Row(Record):
    kind: str  # rule, function, structure (--diagonal, --toeplitz) or step
    name: str
    operator: str
    identity: str
    latex: str
    reference: str

    def text(self) -> str:
        return f"{self.kind} {self.name} {self.operator} {self.identity} {self.latex} {self.reference}".lower()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "operator": self.operator,
            "identity": self.identity,
            "latex": self.latex,
            "reference": self.reference,
            "sources": [SOURCES[short] for short in cited(self.reference)],  # the works' titles, for a reader
        }


def all_rows() -> list[Row]:
    from mcalc.calculus.rules import DERIVATIVE_RULES
    from mcalc.steps import REWRITES
    from mcalc.syntax import functions

    rows = [Row("rule", r.name, op.__name__, r.identity, r.latex, r.reference) for op, r in DERIVATIVE_RULES.items()]
    rows += [
        Row("rule", c.name, op.__name__, c.identity, c.latex, c.reference)
        for op, r in DERIVATIVE_RULES.items()
        for c in r.cases
    ]
    rows += [
        Row("function", rule, f.name, _function_identity(f), f.identity_latex, f"{f.reference}; used by {rule}")
        for f in functions.entries()
        for rule in ["chain-elementwise" if f.elementwise else "d-columnwise"]
    ]
    rows += [Row("function", rule, flag, ident, latex, ref) for flag, (rule, ident, latex, ref) in DECLARED.items()]
    rows += [
        Row("structure", rule, flag, ident, latex, ref) for flag, (rule, ident, latex, ref, _) in STRUCTURES.items()
    ]
    rows += [
        Row("step", r.name, "--steps", r.identity, r.latex, r.reference)
        for r in REWRITES.values()
        if r.name in STEP_CHECKS
    ]
    return rows


# Derivatives by a structured matrix (mcalc.calculus.structured): G, the gradient by every entry as if free,
# placed on the structure's free values; each verified along those values (`--check` moves only them)
STRUCTURES: dict[str, tuple[str, str, str, str, tuple[str, tuple[str, ...], Declarations]]] = {
    "--diagonal D": ("along-diagonal", "∂f/∂D = G ⊙ I for a diagonal D (∂tr(AD)/∂D = A ⊙ I)",
                     r"\frac{\partial f}{\partial D} = G \odot I", "MC §2.8.3",
                     ("tr(A D) + x^T D^2 y", ("D",), Declarations(diagonal=frozenset({"D"})))),
    "--toeplitz T": ("along-toeplitz",
                     "∂f/∂T = α(Gᵀ) for a Toeplitz T, entry (i, j) the sum of G's diagonal i − j (∂tr(AT)/∂T = α(A))",
                     r"\frac{\partial f}{\partial T} = \alpha(G^\top)", "MC eq. 143",
                     ("tr(A T B T) + x^T T y", ("T",), Declarations(toeplitz=frozenset({"T"})))),
}  # fmt: skip


# The rules of functions declared on the command line (mcalc.syntax.declared), for any name; verified by
# substituting a concrete function into the derivative mcalc prints (∇f → exp, g′ → cos).
DECLARED: dict[str, tuple[str, str, str, str]] = {
    "--function f": ("d-columnwise",
                     "d f(X) = ⟨∇f(X), dX⟩ (f declared abstract: a scalar function of an array, gradient ∇f)",
                     r"d\,f(X) = \langle \nabla f(X), dX \rangle",
                     "the chain rule (MML §5.2.2); abstract functions as in tensorgrad"),
    '--function "f: vector -> vector"': ("d-columnwise",
                     "d f(u) = J_f(u) du (f declared abstract and vector-valued, by its signature or by use: "
                     "its Jacobian J_f, entries ∂fᵢ/∂uⱼ)",
                     r"d\,f(u) = \mathbf{J}_f(u)\,du", "the chain rule (MML §5.2.2, Jacobians §5.3)"),
    "--elementwise g": ("chain-elementwise", "d g(X) = g′(X) ⊙ dX (g declared abstract: entry by entry, derivative g′)",
                        r"d\,g(X) = g'(X) \odot dX", "the chain rule, entry by entry"),
}  # fmt: skip


def _function_identity(f: Function) -> str:
    """The derivative, with the other spellings and the domain when they say something."""
    extra = [f"also {', '.join(f.aliases)}"] if f.aliases else []
    if f.domain.bounded:
        extra.append(f"for {f.domain.name}")
    return f.identity + (f" ({'; '.join(extra)})" if extra else "")


def find(search: str | None) -> list[Row]:
    """The rows that mention `search` (a rule name, an operator, a source such as MC), or all of them."""
    needle = (search or "").lower()
    return [r for r in all_rows() if needle in r.text()]


def legend_of(rows: list[Row]) -> str:
    """The titles of the works these rows cite, one line each (under the table on a terminal)."""
    return legend([row.reference for row in rows])


def verify_each(rows: list[Row], seed: int | None) -> list[dict[str, Any]]:
    """`mcalc identities --verify`: each row with the whole time budget of a command, as each line of a batch
    has (the 80 rows shared one, which a loaded machine used up)."""
    from mcalc import budget

    out = []
    for row in rows:
        budget.start()
        out.append(verify_row(row, seed))
    return out


def verify_row(row: Row, seed: int | None) -> dict[str, Any]:
    if row.operator in STRUCTURES:
        along = STRUCTURES[row.operator][4]
        return _verify_witness(along[0], along[1], seed=seed, decl=along[2])
    if row.kind == "rule":
        witness = CASE_WITNESSES.get(row.name, WITNESSES.get(row.operator))
        if witness is None:
            return _verify_constant(row)
        return _verify_witness(*witness, seed=seed)
    if row.operator in DECLARED:
        return _verify_declared(row.operator, seed)
    if row.kind == "function" and row.operator in STRUCTURED_WITNESSES:
        expr, wrt, decl = STRUCTURED_WITNESSES[row.operator]
        return _verify_witness(expr, wrt, seed=seed, decl=decl)
    if row.kind == "function":
        return _verify_witness(*function_witnesses()[row.operator], seed=seed)
    return rewrites.verify_step(STEP_CHECKS[row.name], seed)


def _verify_witness(
    expr: str, wrt: tuple[str, ...], seed: int | None, decl: Declarations | None = None
) -> dict[str, Any]:
    from mcalc import pipeline
    from mcalc.numeric.budget import CHECK_FREE_SIZE

    result = pipeline.differentiate(expr, list(wrt), decl)
    pipeline.within_budget(result, CHECK_FREE_SIZE)
    outcome = pipeline.check(result, 1 if seed is None else seed)
    order = {1: "", 2: "²", 3: "³"}.get(len(wrt), str(len(wrt)))
    shown = f"∂{order}/" + "".join(f"∂{v}" for v in wrt) + f" {expr}"
    return {"passed": bool(outcome.passed), "max_rel_error": float(outcome.max_rel_error), "witness": shown}


def _verify_declared(flag: str, seed: int | None) -> dict[str, Any]:
    """mcalc's derivative of f(A x) (sum(g(A x))) with a concrete function put in for the declared one
    afterwards (∇f(u) = exp(u) for f = sum(exp(·)); g′ = cos for g = sin), against differences of numpy."""
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.points import generator
    from mcalc.numeric.values import to_internal
    from mcalc.syntax import nodes as N
    from mcalc.syntax.declared import declared

    if flag.endswith('vector"'):
        return _verify_vector(seed)
    scalar = flag.startswith("--function")
    expr, abstract, concrete = ("f(A x)", "∇f", "exp") if scalar else ("sum(g(A x))", "g′", "cos")
    rng = generator(1 if seed is None else seed)
    a, x0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    with declared(["f"] if scalar else [], [] if scalar else ["g"]):
        result = pipeline.differentiate(expr, ["x"])
    swap: dict[N.Node, N.Node] = {n: N.Apply(concrete, n.arg) for n in _calls(result.final.result, abstract)}
    env = result.env
    env.sizes.update({str(env.resolve(d)): size for d, size in zip(env.shape_of_var("A"), (3, 2), strict=True)})
    value = pipeline.evaluate_expression(N.substitute(result.final.result, swap), env, {"A": a, "x": to_internal(x0)})
    oracle = (lambda x: float(np.sum(np.exp(a @ x)))) if scalar else (lambda x: float(np.sum(np.sin(a @ x))))
    expected = rewrites.gradient_fd(oracle, x0)
    err = float(np.abs(value - expected).max()) / max(1.0, float(np.abs(expected).max()))
    return {"passed": err < 1e-6, "max_rel_error": err, "witness": f"∂/∂x {expr}, {abstract} → {concrete}"}


def _verify_vector(seed: int | None) -> dict[str, Any]:
    """mcalc's derivative of bᵀ f(A x), f declared vector-valued, with numpy's sin put in for f and
    diag(cos(·)) for J_f, against differences of numpy's b·sin(A x)."""
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.points import generator
    from mcalc.syntax.declared import declared
    from mcalc.syntax.functions import Signature

    def concrete(order: int) -> Any:
        return (lambda u: np.sin(u)) if order == 0 else (lambda u: np.diag(np.cos(u[:, 0])))

    rng = generator(1 if seed is None else seed)
    a, x0, b = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(3)
    with declared(["f"], formulas={"f": concrete}, signatures={"f": Signature("vector", "vector", same_length=True)}):
        result = pipeline.differentiate("b^T f(A x)", ["x"])
        value = pipeline.value_at(result, {"A": a, "x": x0, "b": b})
    expected = rewrites.gradient_fd(lambda x: float(b @ np.sin(a @ x)), x0)
    err = float(np.abs(np.ravel(value) - np.ravel(expected)).max()) / max(1.0, float(np.abs(expected).max()))
    return {"passed": err < 1e-6, "max_rel_error": err, "witness": "∂/∂x bᵀ f(A x), f → sin, J_f → diag(cos)"}


def _calls(tree: Any, func: str) -> list[Any]:
    from mcalc.syntax import nodes as N

    stack, out = [tree], []
    while stack:
        n = stack.pop()
        if isinstance(n, (N.Apply, N.Columnwise)) and n.func == func:
            out.append(n)
        stack.extend(n.children())
    return out


def _verify_constant(row: Row) -> dict[str, Any]:
    """An operator no input can contain (K, dX): the rule must give d(c) = 0."""
    from mcalc.calculus.rules import DERIVATIVE_RULES, Context
    from mcalc.shapes import ShapeEnv
    from mcalc.syntax import nodes as N

    if row.operator == "Unvec":  # linear: unvec(x + h v) − unvec(x − h v) = 2h unvec(v)
        import numpy as np

        rng = np.random.default_rng(1)
        x, v = rng.standard_normal(12), rng.standard_normal(12)
        lhs = ((x + 1e-3 * v).reshape(3, 4, order="F") - (x - 1e-3 * v).reshape(3, 4, order="F")) / 2e-3
        err = float(np.abs(lhs - v.reshape(3, 4, order="F")).max())
        return {"passed": err < 1e-9, "max_rel_error": err, "witness": "unvec of random vectors (numpy)"}
    samples: dict[str, N.Node] = {
        "Zero": N.Zero(2, 3),
        "Commutation": N.Commutation(2, 3),
        "Differential": N.Differential("X"),
        "FrechetMatrix": N.FrechetMatrix("expm", (N.Symbol("A"),)),  # K_expm(A) at a constant A
    }
    node = samples[row.operator]
    rule = DERIVATIVE_RULES[type(node)]
    passed = rule.apply(node, lambda c: None, Context(ShapeEnv(), "X")) is None
    return {"passed": passed, "max_rel_error": 0.0, "witness": f"d({row.operator}) = 0 (a constant)"}


def _check_chain_rule(rng: Any) -> tuple[Any, Any]:
    """Through --let names: mcalc's ∂L/∂x for L = ‖e‖², e = tanh(W x) against differences of numpy."""
    import numpy as np

    from mcalc import declare, pipeline

    w, x0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    result = pipeline.differentiate("L", ["x"], declare.declarations(let=["e = tanh(W x)", "L = ||e||^2"]))
    value = pipeline.value_at(result, {"W": w, "x": x0})
    return value, rewrites.gradient_fd(lambda x: float(np.sum(np.tanh(w @ x) ** 2)), x0)


STEP_CHECKS: dict[str, Callable[[Any], tuple[Any, Any]]] = {**rewrites.STEP_CHECKS, "chain-rule": _check_chain_rule}
