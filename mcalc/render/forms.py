"""The forms of one derivative in one layout (text, LaTeX, the `where` form, the shape line, the JSON payload),
each written out when first asked for and kept.

A derivative's text can be far longer than its tree (the 100-deep sin tower's third derivative: 130 million
characters of text, 439 million of LaTeX, past the printer's bound of 400 million), so nothing is written
out that is not shown: `--format numpy` writes neither, `--format text` no LaTeX, and the API's `Derivative`
writes its `latex` only when it is read. The printer's length bound then refuses the form asked for, and
only that one.

One printer per style serves every form in that style (the derivative, the left side, the `where` form):
its memo prints each shared part once, and its bound counts them all, as one payload always did.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from mcalc.pipeline import Result, displayed, reading
from mcalc.render import report
from mcalc.render.printer import LATEX, TEXT, Printer, Style
from mcalc.syntax.nodes import Node
from mcalc.view import Layout, Part

T = TypeVar("T")


class Forms:
    """What one derivative shows in one layout, each form made on first use and kept (a failed one is not: it
    is refused again when asked again). Callers make the session's spelling current, as for any printing."""

    __slots__ = ("result", "layout", "_made", "_printers")

    def __init__(self, result: Result, layout: Layout) -> None:
        self.result = result
        self.layout = layout
        self._made: dict[str, Any] = {}
        self._printers: dict[Style, Printer] = {}

    def _once(self, key: str, make: Callable[[], T], style: Style | None = None) -> T:
        if key in self._made:
            return self._made[key]  # type: ignore[no-any-return]
        try:
            made = make()
        except BaseException:
            # a refused form (too long to write out, out of time) drops its printer: its memo holds the texts
            # written so far (up to the bound's 2 GB), and the answer may be kept long after
            if style is not None:
                self._printers.pop(style, None)
            raise
        self._made[key] = made
        return made

    def _printer(self, style: Style) -> Printer:
        printer = self._printers.get(style)
        if printer is None:
            printer = self._printers[style] = Printer(style)
        return printer

    def _latex(self, key: str, make: Callable[[Printer], T]) -> T:
        """A LaTeX form: printed with the answer's names told apart (x0 beside x_0)."""

        def made() -> T:
            with report.names_apart(self.result):
                return make(self._printer(LATEX))

        return self._once(key, made, LATEX)

    def _text(self, key: str, make: Callable[[Printer], T]) -> T:
        return self._once(key, lambda: make(self._printer(TEXT)), TEXT)

    # --- the derivative ---

    @property
    def shown(self) -> Node:
        """The derivative in this layout (transposed where the layout shows the transpose)."""
        result = self.result
        return self._once("shown", lambda: displayed(result.final, self.layout, result.env))

    @property
    def derivative(self) -> str:
        return self._text("derivative", lambda pr: pr(self.shown))

    @property
    def head(self) -> str:
        """The left side, ∂/∂X f."""
        return self._text("head", lambda pr: report.lhs(self.result, self.layout, printer=pr))

    @property
    def equation(self) -> str:
        return self._once("equation", lambda: f"{self.head} = {self.derivative}")

    @property
    def latex(self) -> str:
        return self._latex("latex", lambda pr: pr(self.shown))

    @property
    def head_latex(self) -> str:
        return self._latex("head_latex", lambda pr: report.lhs(self.result, self.layout, latex=True, printer=pr))

    @property
    def equation_latex(self) -> str:
        return self._once("equation_latex", lambda: f"{self.head_latex} = {self.latex}")

    @property
    def operators(self) -> list[str]:
        """What each operator the derivative names is (L_expm, …; Φ of chol, …), one line each."""

        def made() -> list[str]:
            shown = self.shown
            return report.operator_lines(shown, self.result.env) + [t for t, _ in report.definitions(shown)]

        return self._once("operators", made)

    @property
    def operators_latex(self) -> list[str]:
        def made() -> list[str]:
            shown = self.shown
            return report.operator_lines(shown, self.result.env, latex=True) + [t for _, t in report.definitions(shown)]

        return self._once("operators_latex", made)

    # --- the shape ---

    @property
    def shape(self) -> list[str | int]:
        """shape(EXPR) + shape(VAR), whatever the layout."""
        return report.shape_json(self.result)

    @property
    def display_shape(self) -> str:
        return self._once("display_shape", lambda: report.shape_line(self.result, self.layout, self.shown))

    # --- the `where` form ---

    def shared(self, latex: bool) -> dict[str, Any] | None:
        """The derivative with repeated sub-expressions named, when that is clearly shorter (decided on the
        text), with its LaTeX when `latex`; None otherwise."""
        text = self._text("shared", self._shared_text)
        if text is None:
            return None
        return text | self._latex("shared_latex", self._shared_latex) if latex else dict(text)

    def _shared_text(self, pr: Printer) -> dict[str, Any] | None:
        full = self.derivative
        if len(full) < 60:
            return None
        main, defs = self._where()
        if not defs:
            return None
        where = [f"{pr(name)} = {pr(body)}" for name, body in defs]
        text = pr(main)
        if len(text) + sum(len(w) + 2 for w in where) > 0.85 * len(full):
            return None
        return {"equation": f"{self.head} = {text}", "derivative": text, "where": where}

    def _shared_latex(self, tex: Printer) -> dict[str, Any]:
        main, defs = self._where()
        # the label in the layout shown, as the text's `head` (it was mixed: ∂/∂W₁ beside the text's ∂/∂W1ᵀ)
        equation = f"{self.head_latex} = {tex(main)}"
        return {"equation_latex": equation, "where_latex": [f"{tex(n)} = {tex(b)}" for n, b in defs]}

    def _where(self) -> tuple[Node, list[tuple[Node, Node]]]:
        from mcalc.render.share import share

        env = self.result.env
        return self._once("where", lambda: share(self.shown, {*env.kinds, *env.lets}))


def payload_of(forms: Forms, parts: Collection[Part]) -> dict[str, Any]:
    """The contract's JSON object with the forms of `parts` (Part.TEXT, Part.LATEX) written out: both for
    `--format json`, the text for plain and rich text, neither for the code formats (mcalc.answers.SHOWS)."""
    result, layout = forms.result, forms.layout
    env, text, latex = result.env, Part.TEXT in parts, Part.LATEX in parts
    wrt: str | list[str] = result.wrt[0] if len(result.wrt) == 1 else list(result.wrt)
    out: dict[str, Any] = {"expression": result.source, "wrt": wrt}
    if text:
        out["derivative"] = forms.derivative
    if latex:
        out["latex"] = forms.latex
    if text:
        out["equation"] = forms.equation
    if latex:
        out["equation_latex"] = forms.equation_latex
    out["shape"] = forms.shape
    if text:  # the shape line of the text (the shown form's shape: it costs the textbook pass)
        out["display_shape"] = forms.display_shape
    out |= {"kind": result.final.kind.value, "layout": layout.value, "variables": report.variables_json(env)}
    if text and forms.operators:
        out["operators"] = list(forms.operators)
        if latex:  # the same, as formulas
            out["operators_latex"] = list(forms.operators_latex)
    read = reading(result)
    out["reading"] = read.to_json()
    out["warnings"] = list(read.warnings)
    if env.rules:
        out["rules"] = list(env.rules)
    if env.symmetric:
        out["symmetric"] = sorted(env.symmetric)
    if env.lets:
        with report.names_apart(result):
            out["let"] = report.lets_json(env)
    shared = forms.shared(latex) if text else None
    if shared is not None:
        out["shared"] = shared
    return out
