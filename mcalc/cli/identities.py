"""`mcalc identities`: the rule table, searchable, and `--verify` to check each rule numerically."""

from __future__ import annotations

import json

from mcalc.errors import EXIT_FAILED, EXIT_OK
from mcalc.render import console

# One small expression per rule, differentiated and checked against finite differences by --verify.
WITNESSES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "d-var": ("a^T X b", "X", ()),
    "d-const": ("tr(A X) + 3", "X", ()),
    "d-function-of-t": ("tr(A(t) B)", "t", ()),
    "d-sum": ("tr(X + X^T A)", "X", ()),
    "product-rule": ("tr(A X B X)", "X", ()),
    "d-hadamard": ("sum(X .* X .* A)", "X", ()),
    "d-kron": ("sum(kron(X, A))", "X", ()),
    "d-transpose": ("a^T X^T b", "X", ()),
    "d-inverse": ("a^T X^-1 b", "X", ()),
    "d-power": ("tr(X^3 A)", "X", ()),
    "d-element-power": ("sum(x.^3)", "x", ()),
    "d-trace": ("tr(A X)", "X", ()),
    "d-det": ("det(X)", "X", ()),
    "d-logdet": ("logdet(X)", "X", ()),
    "chain-elementwise": ("sum(tanh(A x) + exp(x) + sigmoid(x) + sin(x) + cos(x))", "x", ()),
    "d-norm": ("norm2(A x - b) + norm1(x)", "x", ()),
    "d-linear": ("sum(diag(X)) + vec(X)^T vec(A)", "X", ()),
}


def list_identities(search: str | None, verify: bool, fmt: str | None, seed: int | None) -> int:
    from mcalc.calculus.rules import DERIVATIVE_RULES

    seen: dict[str, object] = {}
    for rule in DERIVATIVE_RULES.values():
        seen.setdefault(rule.name, rule)
    rows = []
    for name, rule in seen.items():
        text = f"{name} {rule.identity} {rule.reference}".lower()  # type: ignore[attr-defined]
        if search and search.lower() not in text:
            continue
        rows.append(rule)
    code = EXIT_OK
    results: dict[str, dict[str, object]] = {}
    if verify:
        for rule in rows:
            results[rule.name] = _verify(rule.name, seed)  # type: ignore[attr-defined]
            if not results[rule.name]["passed"]:
                code = EXIT_FAILED
    if fmt == "json":
        for rule in rows:
            obj = {
                "name": rule.name,  # type: ignore[attr-defined]
                "identity": rule.identity,  # type: ignore[attr-defined]
                "latex": rule.latex,  # type: ignore[attr-defined]
                "reference": rule.reference,  # type: ignore[attr-defined]
            }
            if verify:
                obj["verify"] = results[rule.name]  # type: ignore[attr-defined]
            print(json.dumps(obj, ensure_ascii=False))
        return code
    table = []
    for rule in rows:
        row = [rule.name, rule.identity, rule.reference]  # type: ignore[attr-defined]
        if verify:
            r = results[rule.name]  # type: ignore[attr-defined]
            row.append(("ok " if r["passed"] else "FAILED ") + f"{r['max_rel_error']:.1e} on {r['witness']}")
        table.append(row)
    columns = ["rule", "identity", "source"] + (["verified"] if verify else [])
    console.show_table("mcalc derivative rules", columns, table, fmt)
    return code


def _verify(name: str, seed: int | None) -> dict[str, object]:
    from mcalc.cli.commands import _check
    from mcalc.pipeline import differentiate

    expr, var, _ = WITNESSES[name]
    result = differentiate(expr, [var])
    outcome = _check(result, seed)
    return {"passed": outcome.passed, "max_rel_error": outcome.max_rel_error, "witness": f"∂/∂{var} {expr}"}
