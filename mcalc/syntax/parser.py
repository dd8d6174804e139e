"""Tokens → tree, by binding power (Pratt parsing).

The grammar's precedence lives in `INFIX_POWER`; juxtaposition is the product operator, triggered
whenever the next token can start an operand. Sugar is lowered here so the derivative table only
sees primitives: `a - b` → a + (−1)b, `A^-T` → (A⁻¹)ᵀ, `a ./ b` → a ⊙ b.^(−1), `log det X` →
logdet X, `inv(X)` → X⁻¹.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax import functions, matrix_functions
from mcalc.syntax.application import Applied
from mcalc.syntax.build import add, num
from mcalc.syntax.lexer import SUPERSCRIPT_DIGITS, Tok, Token, tokenize
from mcalc.syntax.nodes import (
    BY_ARGUMENT,
    BY_CONTEXT,
    MINUS_ONE,
    Add,
    Apply,
    Bound,
    Columnwise,
    Commutation,
    Det,
    Diag,
    ElementPower,
    ElementPowerOf,
    Frechet,
    FrechetMatrix,
    FunctionOf,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    LogDet,
    Mul,
    Node,
    Norm,
    Number,
    Ones,
    Power,
    PowerOf,
    Sum,
    SumOver,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    substitute,
)
from mcalc.syntax.trees import Flat, check_tree_depth

SUM_POWER = 10
ELEMENTWISE_POWER = 18  # x .* A y is x ⊙ (Ay): juxtaposition binds tighter than ⊙ ./ ⊗
PRODUCT_POWER = 20
PREFIX_MINUS_POWER = 15
# A function written without parentheses takes the product that follows, as books write it:
# `tr X^-1 S` = tr(X⁻¹S), `log det X` = log(det X); a sum or ⊙ ends it. Read so, it is said (a note).
FUNCTION_ARG_POWER = 19
POWER_POWER = 30
POSTFIX_POWER = 40

INFIX_POWER: dict[Tok, int] = {
    Tok.PLUS: SUM_POWER,
    Tok.MINUS: SUM_POWER,
    Tok.STAR: PRODUCT_POWER,
    Tok.SLASH: PRODUCT_POWER,
    Tok.DOTSTAR: ELEMENTWISE_POWER,
    Tok.DOTSLASH: ELEMENTWISE_POWER,
    Tok.HADAMARD: ELEMENTWISE_POWER,
    Tok.KRON: ELEMENTWISE_POWER,
}
OPERAND_START = {Tok.NAME, Tok.WORD, Tok.NUMBER, Tok.LPAREN, Tok.NORM, Tok.COMMUTATION, Tok.IDENTITY}
MAX_DEPTH = 200
MAX_LENGTH = 100_000  # characters: bounded time for any input (a 1 MB paste is refused at once)
MAX_POSTFIX = 64
POSTFIX_TOKENS = {Tok.TRANSPOSE, Tok.INVERSE, Tok.INVERSE_T, Tok.SUPERSCRIPT, Tok.CARET, Tok.DOTCARET}


def _sized_identity(name: str) -> bool:
    """I_3, I_n: an identity with its size written as a subscript."""
    size = name[2:]
    return name.startswith("I_") and (size.isdigit() or (len(size) == 1 and size.islower()))


NORM_SUBSCRIPTS = {"F": 2, "2": 2, "1": 1, "inf": 0}  # p = 0 stands for ∞; the shape layer checks the kind


@record(frozen=True)
class ReadingNote(Record):
    """A reading of the input that a person could have meant otherwise, shown with parentheses."""

    message: str
    span: Span | None = None


def _span(a: Node | Token, b: Node | Token) -> Span | None:
    sa, sb = a.span, b.span
    if sa is None or sb is None:
        return sa or sb
    return Span(sa.start, sb.end)


def _number(text: str) -> Fraction:
    return Fraction(text)


class Parser:
    def __init__(self, src: str, scalar_params: frozenset[str] = frozenset()) -> None:
        self.src = src
        if len(src) > MAX_LENGTH:
            raise ParseError(f"expression too long: {len(src):,} characters, at most {MAX_LENGTH:,}", Span(0, 0))
        if src.lstrip()[:1] in ("d", "∂"):  # d/dx EXPR: the derivative asked in the expression
            from mcalc.syntax.habits import derivative_prefix

            asked = derivative_prefix(src)
            if asked is not None:
                raise ParseError(asked[0], Span(len(src) - len(src.lstrip()), asked[1]))
        self.tokens = tokenize(src)
        self.last = len(self.tokens) - 1  # the EOF token, where peeking past the end stays
        self.pos = 0
        self.depth = 0
        self.norm_depth = 0
        # names that make `A(s)` a function of s rather than the product A·s
        self.scalar_params = scalar_params | {"t"}
        # readings a person could have meant otherwise, said to them with the result (the reading line)
        self.notes: list[ReadingNote] = []
        # names written directly before '(' (F(x)) and the 1s multiplying an array (X 1): judged once the
        # declarations (mcalc.syntax.application) and the shapes (mcalc.shapes.ones) are known
        self.applied: list[Applied] = []
        self.ones: list[Span] = []

    # -- token helpers --
    def peek(self, ahead: int = 0) -> Token:
        i = self.pos + ahead
        return self.tokens[i] if i < self.last else self.tokens[self.last]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind is not Tok.EOF:
            self.pos += 1
        return tok

    def expect(self, kind: Tok, context: str) -> Token:
        tok = self.peek()
        if tok.kind is not kind:
            raise self.error(f"expected {kind.value} {context}", tok)
        return self.advance()

    def error(self, message: str, tok: Token) -> ParseError:
        found = "end of input" if tok.kind is Tok.EOF else repr(tok.text)
        return ParseError(f"{message}, found {found}", tok.span)

    # -- entry --
    def parse(self) -> Node:
        if self.peek().kind is Tok.EOF:
            raise ParseError("empty expression", Span(0, 0))
        if self.src.strip() == "-":  # `echo … | mcalc eval -` said "expected an operand, found end of input"
            raise ParseError("'-' reads standard input only in `mcalc diff -` and `mcalc check --file -`", Span(0, 1))
        node = self.expression(0)
        tok = self.peek()
        if tok.kind is not Tok.EOF:
            if tok.kind is Tok.RPAREN:
                raise ParseError("unmatched ')'", tok.span)
            raise self.error("expected an operator or end of input", tok)
        check_tree_depth(node)
        return node

    def expression(self, min_power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("expression nested too deeply", self.peek().span)
        try:
            flat = Flat(self.prefix())
            while True:
                tok = self.peek()
                if tok.kind in INFIX_POWER:
                    power = INFIX_POWER[tok.kind]
                    if power <= min_power:
                        break
                    self.advance()
                    self._infix(flat, tok, self.expression(power))
                elif tok.kind in OPERAND_START and not self._closes_norm(tok):
                    if PRODUCT_POWER <= min_power:
                        break
                    if tok.kind is Tok.NUMBER and isinstance(flat.single(), Number):
                        raise ParseError("two numbers in a row: write an operator between them", tok.span)
                    flat.extend(Mul, self._one(self.expression(PRODUCT_POWER)))
                else:
                    break
            return flat.node()
        finally:
            self.depth -= 1

    def _one(self, factor: Node) -> Node:
        """A `1` written as a later factor of a product (X 1, x^T 1): maybe the ones vector 𝟙, which the
        shapes decide (mcalc.shapes.ones); noted here."""
        span = factor.span
        if (
            isinstance(factor, Number)
            and factor.value == 1
            and span is not None
            and self.src[span.start : span.end] == "1"
        ):
            self.ones.append(span)
        return factor

    def _closes_norm(self, tok: Token) -> bool:
        return tok.kind is Tok.NORM and self.norm_depth > 0

    def _infix(self, flat: Flat, tok: Token, right: Node) -> None:
        """a + b + c … and a b c … (juxtaposition or *) gather into one flat sum or product (5,000 terms
        must not nest 5,000 deep); the other operators build a node from what is read so far."""
        kind = tok.kind
        if kind in (Tok.PLUS, Tok.MINUS):
            flat.extend(Add, right if kind is Tok.PLUS else Mul((MINUS_ONE, right), span=right.span), right)
        elif kind is Tok.STAR:
            flat.extend(Mul, self._one(right))
        elif kind in (Tok.DOTSTAR, Tok.HADAMARD):
            flat.extend(Hadamard, right)
        else:
            flat.replace(self.infix(tok, flat.node(), right))

    def infix(self, tok: Token, left: Node, right: Node) -> Node:
        span = _span(left, right)
        kind = tok.kind
        if kind is Tok.SLASH:
            if isinstance(right, Number):
                if right.value == 0:
                    raise ParseError("division by zero", tok.span)
                if isinstance(left, Number):
                    return Number(left.value / right.value, span=span)
                return Mul((Number(1 / right.value), left), span=span)
            return Mul((left, Power(right, Fraction(-1), span=right.span)), span=span)
        if kind in (Tok.DOTSTAR, Tok.HADAMARD):
            return Hadamard((left, right), span=span)
        if kind is Tok.DOTSLASH:
            return Hadamard((left, ElementPower(right, Fraction(-1), span=right.span)), span=span)
        if kind is Tok.KRON:
            return Kron(left, right, span=span)
        raise self.error("unexpected operator", tok)  # pragma: no cover - table and code agree

    # -- operands --
    def prefix(self) -> Node:
        tok = self.peek()
        if tok.kind is Tok.MINUS:
            self.advance()
            operand = self.expression(PREFIX_MINUS_POWER)
            if isinstance(operand, Number):
                return Number(-operand.value, span=_span(tok, operand))
            return Mul((MINUS_ONE, operand), span=_span(tok, operand))
        if tok.kind is Tok.PLUS:
            self.advance()
            return self.expression(PREFIX_MINUS_POWER)
        return self.postfix(self.primary())

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind is Tok.NUMBER:
            self.advance()
            return Number(_number(tok.text), span=tok.span)
        if tok.kind is Tok.NAME:
            return self.name()
        if tok.kind is Tok.WORD:
            return self.function()
        if tok.kind is Tok.LPAREN:
            before = self.tokens[self.pos - 1] if self.pos > 0 else None
            self.advance()
            inner = self.expression(0)
            close = self.peek()
            if close.kind is Tok.COMMA and before is not None and before.kind is Tok.NAME and not tok.spaced:
                raise ParseError(  # F(x, y): arguments of a function mcalc does not know
                    f"{before.text} is not a function mcalc knows: {before.text}(…, …) reads as {before.text} applied "
                    f"to a list of arguments; a function declared with --function {before.text} takes one argument",
                    before.span,
                )
            if close.kind is not Tok.RPAREN:
                raise self.error(f"expected ')' to close '(' opened at col {tok.span.start + 1}", close)
            self.advance()
            return _with_span(inner, Span(tok.span.start, close.span.end))
        if tok.kind is Tok.NORM:
            return self.norm()
        if tok.kind is Tok.COMMUTATION:  # Kₘₙ, K[m,n], K_{m,n} (mcalc.syntax.commutation)
            from mcalc.syntax.commutation import dims

            self.advance()
            return Commutation(*dims(tok.text), span=tok.span)
        if tok.kind is Tok.IDENTITY:  # Iₙ, Iₘₙ, I_{mn} (mcalc.syntax.sized_identity)
            self.advance()
            return self.identity(tok, tok.text)
        if tok.kind is Tok.EOF:
            raise self.error("expected an operand", tok)
        raise self.error("expected an operand", tok)

    def name(self) -> Node:
        tok = self.advance()
        if tok.text == "I" or _sized_identity(tok.text):
            return self.identity(tok, tok.text[2:])
        primes = 0
        while self._prime_ahead():
            primes += 2 if self.advance().text == "″" else 1
        nxt = self.peek()
        # A(t): a function of the scalar t, written without a space before '('
        if (
            nxt.kind is Tok.LPAREN
            and not nxt.spaced
            and self.peek(1).kind is Tok.NAME
            and self.peek(1).text in self.scalar_params
            and self.peek(2).kind is Tok.RPAREN
        ):
            self.advance()
            param = self.advance()
            close = self.advance()
            if param.text == tok.text:
                raise ParseError(f"{tok.text} cannot be a function of itself", param.span)
            return FunctionOf(tok.text, param.text, primes, span=Span(tok.span.start, close.span.end))
        operator = matrix_functions.operator_of(tok.text)  # L_expm(X, E), K_expm(X): as mcalc prints them
        if operator is not None and nxt.kind is Tok.LPAREN and not nxt.spaced and not primes:
            return self.frechet(tok, *operator)
        if primes:
            raise ParseError(f"{tok.text}′ is a derivative: write it with its parameter, {tok.text}′(t)", tok.span)
        self._note_prime_of_undeclared(tok)
        if nxt.kind is Tok.LPAREN and not nxt.spaced:  # F(x): judged by mcalc.syntax.application
            self.applied.append(self._applied(tok))
        return Symbol(tok.text, span=tok.span)

    def frechet(self, tok: Token, func: str, order: int, matrix: bool) -> Node:
        """L_expm(A, E) (L2_expm(A, E1, E2), K_expm(A)): a matrix function's Fréchet derivative, read back."""
        self.advance()
        args = [self.expression(0)]
        while self.peek().kind is Tok.COMMA:
            self.advance()
            args.append(self.expression(0))
        close = self.expect(Tok.RPAREN, f"to close {tok.text}(")
        want = order if matrix else order + 1
        if len(args) != want:
            raise ParseError(f"{tok.text} takes {want} argument{'s' if want > 1 else ''}, not {len(args)}", tok.span)
        made = FrechetMatrix if matrix else Frechet
        return made(func, tuple(args), span=Span(tok.span.start, close.span.end))

    def _applied(self, tok: Token) -> Applied:
        """The name at `tok` and the parenthesis right after it (up to its matching ')', or the end)."""
        depth, k = 0, 0
        while True:
            t = self.peek(k)
            depth += {Tok.LPAREN: 1, Tok.RPAREN: -1}.get(t.kind, 0)
            if t.kind is Tok.EOF or (depth == 0 and t.kind is Tok.RPAREN):
                break
            k += 1
        opening, end = self.peek().span.end, self.peek(k).span.end
        closing = self.peek(k).span.start if self.peek(k).kind is Tok.RPAREN else end
        text = self.src[tok.span.start : end]
        return Applied(tok.text, tok.span, text, self.src[opening:closing].strip())

    def _note_prime_of_undeclared(self, tok: Token) -> None:
        """`A'(s)` with s not a declared parameter reads as Aᵀ s; say so, and how to mean A′(s)."""
        q = self.peek()
        if q.kind is not Tok.TRANSPOSE:  # the common case, decided by the next token alone
            return
        p, c = self.peek(1), self.peek(2)
        if (
            q.text == "'"
            and not q.spaced
            and p.kind is Tok.LPAREN
            and not p.spaced
            and self.peek(2).kind is Tok.NAME
            and self.peek(3).kind is Tok.RPAREN
        ):
            self.notes.append(
                ReadingNote(
                    f"read {tok.text}'({c.text}) as {tok.text}ᵀ {c.text}; for the derivative of {tok.text}({c.text}) "
                    f"declare the parameter: --scalar {c.text}",
                    tok.span,
                )
            )

    def _prime_ahead(self) -> bool:
        """A prime after a name: ′ always; the ASCII ' only when primes lead to `(t)` (`A'(t)`, `A''(t)`,
        Exercise 5.24's spelling), since elsewhere ' is the transpose."""
        tok = self.peek()
        if tok.spaced:
            return False
        if tok.kind is Tok.PRIME:
            return True
        if tok.kind is not Tok.TRANSPOSE or tok.text != "'":
            return False
        k = 0
        while self.peek(k).kind is Tok.TRANSPOSE and self.peek(k).text == "'" and not self.peek(k).spaced:
            k += 1
        return (
            self.peek(k).kind is Tok.LPAREN
            and not self.peek(k).spaced
            and self.peek(k + 1).kind is Tok.NAME
            and self.peek(k + 1).text in self.scalar_params
            and self.peek(k + 2).kind is Tok.RPAREN
        )

    def identity(self, tok: Token, size: str) -> Node:
        """I, I_n, Iₙ, I_{mn}, I_3, eye(3): an identity; a number fixes its size, letters name the
        expression's dimensions (its size where one bears that name: mcalc.shapes.letters)."""
        from mcalc.syntax import sized_identity

        # each number of a product too: I_{2·0} was an identity of size 0 (printed I₀, which reads back refused)
        if any(int(p) < 1 or len(p) > 9 for p in sized_identity.numbers(size)):
            raise ParseError("an identity's size must be a positive integer of at most 9 digits", tok.span)
        if size.isdigit():
            return Identity(int(size), span=tok.span)
        if sized_identity.is_size(size):
            return Identity(sized_identity.dim(size), span=tok.span)
        return Identity(span=tok.span)

    def norm(self) -> Node:
        open_tok = self.advance()
        self.norm_depth += 1
        try:
            inner = self.expression(0)
        finally:
            self.norm_depth -= 1
        close = self.peek()
        if close.kind is not Tok.NORM:
            raise self.error(
                f"expected {open_tok.text} to close the norm opened at col {open_tok.span.start + 1}",
                close,
            )
        self.advance()
        end = close.span.end
        p = 2
        if self.peek().kind is Tok.UNDERSCORE:
            self.advance()
            sub = self.advance()
            if sub.kind is Tok.STAR:  # ‖X‖_*: the nuclear norm, the sum of the singular values
                return Columnwise("nuclear_norm", inner, span=Span(open_tok.span.start, sub.span.end))
            if sub.text not in NORM_SUBSCRIPTS:
                raise ParseError("unknown norm subscript: use _F, _2, _1, _inf or _* (nuclear)", sub.span)
            p, written = NORM_SUBSCRIPTS[sub.text], sub.text
            end = sub.span.end
            return Norm(inner, p, written, span=Span(open_tok.span.start, end))
        return Norm(inner, p, span=Span(open_tok.span.start, end))

    def function(self) -> Node:
        tok = self.advance()
        word = tok.text
        if word == "eye" or word == "ones":
            return self.sized_constant(tok)
        if word == "sum" and self.peek().kind is Tok.INDEX:  # ∑_{r=0}^{k−1} …, as mcalc prints it
            return self.index_sum(tok, ELEMENTWISE_POWER - 1)  # the body runs over products, ⊙ and ⊗
        if self.peek().kind is Tok.LPAREN:
            open_tok = self.advance()
            args = [self.expression(0)]
            while self.peek().kind is Tok.COMMA:
                self.advance()
                args.append(self.expression(0))
            close = self.peek()
            if close.kind is not Tok.RPAREN:
                raise self.error(f"expected ')' to close {word}( opened at col {open_tok.span.start + 1}", close)
            self.advance()
            span = Span(tok.span.start, close.span.end)
        else:
            if self.peek().kind not in OPERAND_START:
                raise self.error(f"expected '(' or an operand after {word}", self.peek())
            args = [self.expression(FUNCTION_ARG_POWER)]
            span = _span(tok, args[0]) or tok.span
            if isinstance(args[0], Mul) and args[0].span is not None:
                arg = self.src[args[0].span.start : args[0].span.end]
                self.notes.append(ReadingNote(f"read {word} {arg} as {word}({arg})", span))
        return self.apply_function(tok, word, args, span)

    def index_sum(self, tok: Token, body_power: int) -> Node:
        """`∑_{r=0}^{k−1} body` (ASCII `sum_{r=0}^{k-1} body`) read back as input: the finite sum over an index
        that mcalc prints for the derivatives of Xᵏ (`a^T X^k b` by X is ∑_{r=0}^{k−1} (Xʳ)ᵀ a bᵀ (X^(k−1−r))ᵀ),
        so a printed result is a claim or an `eval` expression. After the word `sum` and its index token:
        `^{TOP}` (or `^TOP` for a name or number), then the body: the product that follows, as for a function
        written without parentheses; the index is bound in it (r is no variable there)."""
        index = self.advance().text
        self.expect(Tok.CARET, f"after the sum's index {index}=0 (∑_{{{index}=0}}^{{k−1}})")
        if self.peek().kind is Tok.LBRACE:
            self.advance()
            top = self.expression(0)
            self.expect(Tok.RBRACE, "to close the sum's upper bound")
        else:
            top = self.expression(POSTFIX_POWER)  # ∑_{r=0}^k: a name or a number, before the body
        body = self.expression(body_power)
        bound = substitute(body, {Symbol(index): Bound(index)})
        span = Span(tok.span.start, body.span.end) if body.span is not None else tok.span
        return SumOver(index, add(top, num(1)), bound, span=span)

    def sized_constant(self, tok: Token) -> Node:
        """eye / ones alone (sized by context), or eye(3), eye(n), ones(3) (a number fixes the size)."""
        size = ""
        if self.peek().kind is Tok.LPAREN and not self.peek().spaced:
            if self.peek(1).kind not in (Tok.NUMBER, Tok.NAME) or self.peek(2).kind is not Tok.RPAREN:
                raise self.error(f"expected a size in {tok.text}(...), such as {tok.text}(3)", self.peek(1))
            self.advance()
            size = self.advance().text
            self.advance()
        if tok.text == "eye":
            return self.identity(tok, size)
        if size.isdigit() and (int(size) < 1 or len(size) > 9):
            raise ParseError("a ones vector's size must be a positive integer of at most 9 digits", tok.span)
        return Ones(int(size) if size.isdigit() else BY_CONTEXT, 1, span=tok.span)

    def apply_function(self, tok: Token, word: str, args: list[Node], span: Span) -> Node:
        elementwise = functions.lookup(word)  # exp, log, tanh, ...: one entry of the catalogue each
        arity = elementwise.arity if elementwise is not None else 2 if word == "kron" else 1
        if len(args) != arity:
            raise ParseError(f"wrong number of arguments: {word} takes {arity}, got {len(args)}", tok.span)
        if elementwise is not None:
            word = elementwise.name  # an alias (ln, asin) is read as the function's name
        a = args[0]
        builders: dict[str, Callable[[], Node]] = {
            "tr": lambda: Trace(a, span=span),
            "trace": lambda: Trace(a, span=span),
            "det": lambda: Det(a, span=span),
            "logdet": lambda: LogDet(a, span=span),
            "inv": lambda: Inverse(a, span=span),
            "sum": lambda: Sum(a, span=span),
            "norm": lambda: Norm(a, 2, span=span),
            "norm2": lambda: Norm(a, 2, span=span),
            "norm1": lambda: Norm(a, 1, span=span),
            "diag": lambda: Diag(a, span=span),
            "vec": lambda: Vec(a, span=span),
            "unvec": lambda: Unvec(a, BY_ARGUMENT, BY_ARGUMENT, span=span),  # its shape: mcalc.shapes.env._unvec
            "kron": lambda: Kron(a, args[-1], span=span),
        }
        if word == "log" and isinstance(a, Det):
            return LogDet(a.arg, span=span)  # log det X is logdet X
        if word in builders:
            return builders[word]()
        if elementwise is not None and not elementwise.elementwise:
            return Columnwise(word, a, span=span)  # softmax, logsumexp: a whole column at a time
        if elementwise is not None:
            return Apply(word, a, span=span)
        raise ParseError(f"unknown function {word!r}", tok.span)

    # -- postfix: transpose, inverse, powers --
    def postfix(self, node: Node) -> Node:
        count = 0
        while True:
            tok = self.peek()
            if tok.kind in POSTFIX_TOKENS:
                count += 1
                if count > MAX_POSTFIX:
                    raise ParseError(f"more than {MAX_POSTFIX} postfix operators on one operand", tok.span)
            if tok.kind is Tok.TRANSPOSE:
                self.advance()
                node = Transpose(_ones_if_one(node), span=_span(node, tok))
            elif tok.kind is Tok.INVERSE:
                if isinstance(node, Number) and node.value == 0:
                    raise ParseError("division by zero: 0 has no inverse", _span(node, tok))
                self.advance()
                node = Inverse(node, span=_span(node, tok))
            elif tok.kind is Tok.INVERSE_T:
                self.advance()
                node = Transpose(Inverse(node, span=node.span), span=_span(node, tok))
            elif tok.kind is Tok.SUPERSCRIPT:
                self.advance()
                value = 0
                for ch in tok.text.lstrip("⁻"):
                    value = 10 * value + SUPERSCRIPT_DIGITS[ch]
                if tok.text.startswith("⁻"):
                    value = -value
                node = Power(node, Fraction(value), span=_span(node, tok))
            elif tok.kind is Tok.CARET:
                self.advance()
                node = self.exponent(node, tok, elementwise=False)
            elif tok.kind is Tok.DOTCARET:
                self.advance()
                node = self.exponent(node, tok, elementwise=True)
            else:
                return node

    def exponent(self, base: Node, caret: Token, elementwise: bool) -> Node:
        """`^T`, `^-1`, `^-T`, `^{-1}`, `^2`, `^(1/2)`, `.^2`, `.^-1`; an expression exponent: a name
        (`x.^t`, `X^k`, `x.^-t`) or any expression in parentheses or braces (`x.^(t + 1)`, `X^{k-1}`)."""
        if not self._numeric_exponent_ahead(elementwise):
            return self.expression_exponent(base, elementwise)
        braced = self.peek().kind in (Tok.LBRACE, Tok.LPAREN)
        opener = self.advance() if braced else None
        negative = False
        if self.peek().kind is Tok.MINUS:
            self.advance()
            negative = True
        tok = self.peek()
        end_tok = tok
        if not elementwise and (
            (tok.kind is Tok.NAME and tok.text == "T") or (tok.kind is Tok.TRANSPOSE and tok.text in "⊤ᵀ")
        ):
            self.advance()
            value: Fraction | None = None
        elif tok.kind is Tok.NUMBER:
            self.advance()
            value = _number(tok.text)
            if braced and self.peek().kind is Tok.SLASH:
                self.advance()
                den = self.expect(Tok.NUMBER, "in a fractional exponent")
                if _number(den.text) == 0:
                    raise ParseError("division by zero", den.span)
                value = value / _number(den.text)
                end_tok = den
        else:
            raise self.error("expected an exponent (T, -1, -T, a number or a name) after '^'", tok)
        if opener is not None:
            closing = Tok.RBRACE if opener.kind is Tok.LBRACE else Tok.RPAREN
            end_tok = self.expect(closing, "to close the exponent")
        span = _span(base, end_tok)
        if value is None:  # ^T or ^-T
            inner = Inverse(base, span=base.span) if negative else _ones_if_one(base)
            return Transpose(inner, span=span)
        if negative:
            value = -value
            if isinstance(base, Number) and base.value == 0:
                raise ParseError("division by zero: 0 has no inverse", span)
        if elementwise:
            return ElementPower(base, value, span=span)
        if value == -1:
            return Inverse(base, span=span)
        return Power(base, value, span=span)

    def _numeric_exponent_ahead(self, elementwise: bool) -> bool:
        """Is the exponent one of the fixed forms: [(|{] [-] (T | ᵀ | number [/ number]) [)|}]? Anything
        else (a name, an expression in parentheses) is an expression exponent."""
        braced = self.peek().kind in (Tok.LBRACE, Tok.LPAREN)
        k = 1 if braced else 0
        if self.peek(k).kind is Tok.MINUS:
            k += 1
        tok = self.peek(k)
        transpose = not elementwise and (
            (tok.kind is Tok.NAME and tok.text == "T") or (tok.kind is Tok.TRANSPOSE and tok.text in "⊤ᵀ")
        )
        if not (transpose or tok.kind is Tok.NUMBER):
            # an expression exponent is a name, or anything in parentheses; the rest gets the fixed forms' error
            return not (braced or tok.kind is Tok.NAME)
        if not braced:
            return True
        k += 1
        if tok.kind is Tok.NUMBER and self.peek(k).kind is Tok.SLASH and self.peek(k + 1).kind is Tok.NUMBER:
            k += 2
        return self.peek(k).kind in (Tok.RPAREN, Tok.RBRACE)

    def expression_exponent(self, base: Node, elementwise: bool) -> Node:
        """`x.^t`, `x.^-t`, `X^k`, `(xᵀx)^p`, `x.^(t + 1)`, `X^{k-1}`: the exponent is an expression."""
        opener = self.peek()
        if opener.kind in (Tok.LPAREN, Tok.LBRACE):
            self.advance()
            exponent = self.expression(0)
            closing = Tok.RBRACE if opener.kind is Tok.LBRACE else Tok.RPAREN
            end = self.expect(closing, "to close the exponent").span
        else:
            minus = self.advance() if opener.kind is Tok.MINUS else None
            tok = self.advance()  # a name: _numeric_exponent_ahead said so
            exponent = Symbol(tok.text, span=tok.span)
            if minus is not None:
                exponent = Mul((MINUS_ONE, exponent), span=_span(minus, tok))
            end = tok.span
        span = Span(base.span.start, end.end) if base.span is not None else end
        if isinstance(exponent, Number):  # x.^(2): the fixed form
            return (
                ElementPower(base, exponent.value, span=span) if elementwise else Power(base, exponent.value, span=span)
            )
        if elementwise:
            return ElementPowerOf(base, exponent, span=span)
        if isinstance(exponent, Mul) and isinstance(exponent.factors[0], Number) and exponent.factors[0].value < 0:
            # X^-k is (X^k)⁻¹: a matrix power by a whole number k ≥ 1, inverted (as A^-1 is inv(A))
            positive = Number(-exponent.factors[0].value)
            rest = exponent.factors[1:] if positive.value == 1 else (positive, *exponent.factors[1:])
            inner = rest[0] if len(rest) == 1 else Mul(rest, span=exponent.span)
            return Inverse(PowerOf(base, inner, span=span), span=span)
        return PowerOf(base, exponent, span=span)


def _ones_if_one(node: Node) -> Node:
    """`1ᵀ`, `1^T`: the number 1 transposed is the row of ones (1ᵀx = sum of x), as books write it."""
    if isinstance(node, Number) and node.value == 1:
        return Ones(BY_CONTEXT, 1, span=node.span)
    return node


def _with_span(node: Node, span: Span) -> Node:
    """Parenthesised operands take the span of their parentheses (for error columns)."""
    return node.with_span(span)


def parse(src: str, scalar_params: frozenset[str] = frozenset()) -> Node:
    """Parse one expression; raises ParseError with the column of the problem."""
    return Parser(src, scalar_params).parse()


def parse_with_notes(src: str, scalar_params: frozenset[str] = frozenset()) -> tuple[Node, list[ReadingNote]]:
    """Parse one expression and say how its ambiguous spellings were read."""
    parser = Parser(src, scalar_params)
    return parser.parse(), parser.notes


def parse_read(src: str, scalar_params: frozenset[str] = frozenset()) -> tuple[Node, Parser]:
    """Parse one expression; the parser holds what is judged later (`notes`, `applied`, `ones`)."""
    parser = Parser(src, scalar_params)
    return parser.parse(), parser
