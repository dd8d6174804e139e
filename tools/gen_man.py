"""Generate man/mcalc.1 from the typer command tree plus the hand-written prose below.

The command tree (`typer.main.get_command(app)`) supplies the commands, their help and examples, every
option with its metavar, choices and default; the prose (description, expression syntax, output, exit
status, environment, files) lives here as constants. tests/test_man.py regenerates the page and fails
when the committed one differs, and lints it with mandoc and groff.

    python tools/gen_man.py          # rewrite man/mcalc.1
    python tools/gen_man.py --check  # exit 1 if the committed page is stale
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "man" / "mcalc.1"

# The date in .TH: the date of this page's last substantive change, never "today" (the sync test would
# fail every day). Bump it with the prose.
DATE = "2026-12-07"

# Options that belong to the whole program (before the command name).
SKIP_PARAMS: set[str] = set()

# What a user must give each command (the rest is [OPTIONS]); one entry per synopsis line.
SYNOPSES: dict[str, list[str]] = {
    "diff": ["EXPR --wrt VAR [--wrt VAR]"],
    "check": ["EXPR --wrt VAR --claim ANSWER", "--file FILE"],
    "eval": ["EXPR --at VALUES"],
    "shape": ["EXPR"],
    "identities": ["[WORD]"],
    "repl": ["", "< FILE"],
}

NAME = "mcalc - a command-line matrix-calculus calculator"

DESCRIPTION = """
mcalc differentiates expressions written in matrix notation: type an expression such as
`tr(A B A^T C)`, name the variable with `--wrt`, and get the derivative in matrix notation, its shape,
and (on request) its value at given matrices and a numeric check against finite differences.

The gradient of a scalar by a matrix, the Jacobian of a vector by a vector, the derivative of a matrix
function of a scalar, second derivatives (Hessians), the 4th-order derivative of a matrix by a matrix
(shown in vec/Kronecker form and in index notation) and derivatives of any order (`--wrt` repeated, by
any mix of variables; the value has the shape of the expression then one copy of the variable's shape
per `--wrt`; index notation read off the n-th differential, one index pair per `--wrt`) are supported.
mcalc does not use sympy for differentiation: it applies a table of differential rules, each naming its
identity and source (see `mcalc identities`).

On a terminal the result is styled; when standard output is not a terminal, or NO_COLOR is set, or with
`--format text`, it is plain lines: the equation; `shape: ...`; then, when present, `index: ...`
(tensors), `value: ...` (with `--at`), `check: ...` (with `--check`), and one `step: ...` line per
identity (with `--steps`). Errors go to standard error, one line each.
"""

EXPRESSION_SYNTAX = """
Products are written by juxtaposition or `*`: `A B`, `2 A`, `x^T A x`. Single letters written together
are a product: `ABA^TC` is A B A^T C. A name is one letter, Latin or Greek (`θ` or `theta`, `Φ` or
`Phi`), optionally followed by digits or `_subscript` (`W1`, `x_0`).

`A^T`, `A'` and `Aᵀ` transpose; `A^-1`, `A^{-1}`, `A⁻¹` and `inv(A)` invert; `A^-T` is the inverse
transpose. `A^2` is a matrix power (an ordinary power of a scalar); `x^2` of a vector is an error that
suggests `x.^2` or `x^T x`.

Powers with an expression for the exponent: `x.^t` (`--scalar t`), `2.^x`, `x.^y` (entry by entry),
`x.^(t + 1)`, and `^` with a name on a scalar, `(x^T x)^p`. Such a power needs a positive base: `--check`
draws positive entries, and `--at` refuses another value in one line. `X^k` with a scalar k (declared,
or read as one from its use as an exponent) is a matrix power by a positive whole number, checked under
`--at`; its derivatives are finite sums printed `∑_{r=0}^{k−1} ...` (`sum_{r=0}^{k-1}` in ASCII), such
as `∑_{r=0}^{k−1} (X^r)ᵀ a bᵀ (X^(k − 1 − r))ᵀ` for `a^T X^k b` (Matrix Cookbook eq. 91), or closed
forms: `k (X^(k − 1))ᵀ` for `tr(X^k)` (eq. 122). A printed sum reads back as input (a claim, `mcalc eval`).

Elementwise: `.*` or `⊙` (Hadamard product), `./`, `.^`, and the functions FUNCTIONS. `+`, `-`, `/`
(division by a scalar), unary minus, numbers (`2`, `0.5`, `1/2`) and
parentheses. A scalar meeting a vector or matrix in `+ - .* ./` applies to every entry.

Functions of a whole column: COLUMN_FUNCTIONS. A row vector is refused: write `softmax(x)ᵀ`.

Matrix functions of a square matrix: MATRIX_FUNCTIONS; `S^(1/2)` (any non-integer power) of a matrix
declared `--symmetric`. Their derivatives are Fréchet derivatives, printed as operators (`L_expm(X, E)`)
that a `where:` line names.

Functions of a whole matrix or vector: STRUCTURED_FUNCTIONS (README § Adjugate, Cholesky factor and
Toeplitz matrices).

Eigenvalue and singular-value functions: WHOLE_MATRIX_FUNCTIONS; `||A||_2` of a matrix is its spectral norm, `||A||_*`
its nuclear norm. Eigenvalues ascending, singular values descending, eigenvectors unit with their entry
of largest magnitude positive. `--symmetric S` (or a symmetric expression) gives the symmetric rule
dλ = vᵀ dS v; otherwise the general one, dλ = wᵀ dX u; the reading line says which.

Reductions and matrix functions: `tr`, `det`, `logdet` (also `log det(X)`), `sum`, `norm2`, `‖x‖` or
`||x||` (Euclidean or Frobenius), `norm1`, `diag` (vector to diagonal matrix and back), `vec`, `I` or
`eye` (the identity of the size the context needs; `I_3` or `eye(3)` of size 3; `I_n`, `Iₙ`, `I_{n}` or
`eye(n)` of the dimension named n; `I_{mn}`, `Iₘₙ` or `I_{m·n}` of size m·n, as mcalc prints an identity
beside K or vec in a Kronecker product, where its context would not fix the size: every printed derivative
reads back as itself), `kron` or `⊗`. A function without parentheses takes the next factor: `log det X`.

An uppercase name is a matrix, a lowercase name a column vector, a number a scalar; `--scalar`,
`--vector`, `--matrix` and `--symmetric` override this and `--shape` fixes sizes. Unknown sizes are
symbols (`m`, `n`, ...) inferred over the whole expression. `A(t)` (no space before the parenthesis)
marks A as a matrix function of the scalar t; its derivatives print as `A′(t)`, `A″(t)`.
"""

CONVENTIONS = """
Layout: the default, `--layout mixed`, gives the gradient of a scalar the shape of the variable (the
gradient of f by an m×n X is m×n) and the Jacobian of a vector by a vector rows following the function
(entry i, j is the derivative of f_i by x_j). `--layout numerator` shows gradients transposed;
`--layout denominator` shows Jacobians transposed. The numeric value never depends on the layout.

Tensors: the derivative of a matrix F by a matrix X is shown as the Jacobian J = dvec(F)/dvec(X), with
vec stacking columns and K_mn the commutation matrix (K_mn vec(M) = vec(M^T) for an m×n M), and in
index notation with Kronecker deltas.

Symmetric matrices (`--symmetric S`): the gradient on the space of symmetric matrices,
sym(G) = (G + G^T)/2, where G treats the entries as independent; so the gradient of logdet(S) is S^-1.

Named intermediates (`--let "NAME = EXPR"`, repeatable; a later let may use earlier ones): the
derivative goes through each name by the chain rule and is printed in terms of the names where that is
shorter; `--steps` opens with the chain rule through each name, every factor in numerator layout with its
shape (dL/dθ = dL/de de/dθ, (1×n) = (1×m)(m×n)). A let name is not a variable: `--at`, `--wrt` or a
declaration for it is refused.

Abstract functions: `--function f` declares a scalar function of its vector or matrix argument (gradient
∇f: f(A x) by x is A^T ∇f(Ax)), `--elementwise g` a function applied entry by entry (derivative g′:
sum(g(X w)) by w is X^T g′(Xw)). They have no values: `--at`, `--check` and `mcalc eval` refuse them
with one line, unless a formula is given (`--function "f(u) = sum(u .* u)"`, `--elementwise
"g(t) = t^3"`): the result keeps the name, and mcalc computes f, ∇f, g, g′, ... from the formula.
`--format numpy`, `jax`, `torch` and `sympy` refuse any declared function.
"""

OUTPUT = """
`--format text`: the plain lines described above. `--format latex`: the LaTeX of the whole equation.
`--format numpy`: a self-contained Python module (numpy only) with `f` (the value), the derivative
(`grad`, `jacobian`, `hessian` or `derivative`) and `f_and_grad` (both, shared sub-expressions computed
once); tensor derivatives are built with `np.einsum`, never a dense Kronecker product. `--format jax` and
`--format torch`: the same three functions in `jax.numpy` or PyTorch, pure and traceable (`jax.jit`,
`torch.compile`, `jax.vmap`, `torch.func.vmap`), float32 kept float32. `--format index` and
`--format vec`: one tensor form. `--format json`: one JSON object per expression (per line of input in
batch mode) with at least the keys `expression`, `wrt`, `derivative`, `latex`, `shape`, `variables`,
and `value`, `check` and `steps` when asked for. On error, JSON output is one object
`{"error": message, "position": column or null, "category": ...}`.

`--at FILE.npz` reads arrays by variable name from a NumPy .npz file (never unpickled); `--at NAME=JSON`
gives one value (repeatable). A scalar is a 0-d array, a vector 1-d, a matrix 2-d; sizes are taken from
the arrays. The value has shape shape(EXPR) + shape(VAR); its entry [i..., k...] is
∂EXPR[i...]/∂VAR[k...].

With EXPR of `-`, `mcalc diff` reads one expression per line from standard input, as `EXPR ; VAR`
(several variables separated by commas), optionally followed by `;` and the line's own declarations
(`--scalar c`, `--let "e = y - Phi theta"`, as in a homework sheet); blank lines and lines starting with
`#` are skipped. Each
line is answered in input order, a line that failed in its place on standard output, N counting lines
from 1 with comments and blank lines: in JSON one object per line, each with `line` N (an error object
in the place of a line that failed); in text one block per line, `line N: EXPR`, then what a single
expression prints (or one `error: ...` line), then a blank line; in LaTeX a failed line is the comment
`% line N: error: ...`, in index and vec `line N: error: ...`; NumPy writes one module, whose functions
carry the line number (`f_3`, `grad_3`, `f_and_grad_3`), a failed line as `# line N: error: ...`; SymPy
names each result `derivative_N`. In LaTeX, NumPy and SymPy a failed line is also on standard error.
"""

SESSION = """
`mcalc repl`, or plain `mcalc` with standard input and output a terminal, starts an interactive session:
line editing, a history kept across sessions (see FILES), TAB completion of commands, options, the values of
`--format` and `--layout`, function names and the names declared or met so far, and a bottom line showing
the declarations in force. A line is any mcalc command without the word mcalc (`diff "tr(A B)" --wrt A`),
or a session command: `:scalar`, `:vector`, `:matrix`, `:symmetric`, `:shape`, `:let`, `:function`,
`:elementwise` (each takes what the option of that name takes), `:layout`, `:format` (no argument: back to
each command's default), `:show` (the declarations in force, as options), `:reset`, `:help`, `:quit`.
A declaration replaces an earlier one it contradicts (`:vector x` after `:scalar x`) and is refused when
typed if the commands would refuse it.

Each command prints exactly what the command line prints with the session's declarations given as options:
those the command accepts (`identities` takes none; `check --layout` only numerator or denominator; a
`:format` the command does not print is left out) and whose name the line uses (its expression, claim,
`--wrt`, `--at`, `--let`, and the session's lets it uses), so an unused declaration does not make every
line warn. A command's own options win for its line. An error with a column is followed by the text it is
about and a caret under the column. Ctrl-C abandons the line (or stops the command) and keeps the session;
Ctrl-D or `:quit` leaves with status 0. Each line has the whole time budget (MCALC_TIME_LIMIT).

With standard input not a terminal, `mcalc repl` runs its lines as a script: no prompt and no caret, blank
lines and `#` lines skipped, and the exit status is the largest of its lines' (0 when every line
succeeded). Plain `mcalc` with standard input or output not a terminal prints the usage (exit 2).
"""

EXAMPLES: list[tuple[str, list[str]]] = [
    ("The gradient of a trace (the main job):", ['mcalc diff "tr(A B A^T C)" --wrt A']),
    ("A least-squares gradient, checked numerically:", ['mcalc diff "||y - Φ θ||^2" --wrt θ --check']),
    ("A Hessian:", ['mcalc diff "x^T A x" --wrt x --wrt x']),
    (
        "The seed's least squares through a named intermediate, with the chain rule:",
        ['mcalc diff L --let "e = y - Phi theta" --let "L = ||e||^2" --wrt theta --steps'],
    ),
    ("An abstract function:", ['mcalc diff "f(A x)" --function f --wrt x']),
    ("A 4th-order tensor, in vec and index form:", ['mcalc diff "R^T R" --wrt R']),
    (
        "The value at given matrices, as JSON:",
        ["mcalc diff \"logdet(X)\" --wrt X --at X='[[2,1],[1,3]]' --format json"],
    ),
    ("Code for NumPy:", ['mcalc diff "1/2 ||W x - t||^2" --wrt W --format numpy']),
    ("Many expressions in one process:", ["printf 'tr(A B) ; A\\nlogdet(X) ; X\\n' | mcalc diff - --format json"]),
    ("Is a hand-derived answer right?", ['mcalc check "x^T A x" --wrt x --claim "2 A x" --symmetric A']),
    (
        "A result written in index notation (the free indices ordered expression first: i, j | k, l):",
        [
            'mcalc check "B C" --wrt B --claim "δ_ik C_lj"',
            'mcalc check "1/2 ||W x - t||^2" --wrt W --claim "∂L/∂W_ij = ((W x)_i - t_i) x_j"',
        ],
    ),
    (
        "Strictly in the numerator layout (the transpose is wrong, exit 1):",
        ['mcalc check "A x" --wrt x --claim "A^T" --layout numerator'],
    ),
    ("Shapes inferred for every variable:", ['mcalc shape "a^T X b"']),
    ("The rules about determinants, verified numerically:", ["mcalc identities det --verify"]),
]

EXIT_STATUS: list[tuple[str, str]] = [
    (
        "0",
        "Success; for `check`, the claim is right. Also a `--check` that is INCONCLUSIVE: the derivative is "
        "below what finite differences resolve (tiny beside f, or underflowed), so they can neither confirm nor "
        "refute it (JSON `check.inconclusive`).",
    ),
    (
        "1",
        "A numeric check or a claim failed, or a mathematical error (a singular matrix at `--at`, the "
        "logarithm of a negative number, ...).",
    ),
    (
        "2",
        "Bad usage or bad input: an unknown command or option, a syntax error, a shape mismatch, an unknown "
        "function, an unreadable file.",
    ),
    (
        "71",
        "Out of memory: one line naming the limit (`ulimit -v`, or the machine's memory); in a batch or on a "
        "sheet only that line fails.",
    ),
    ("74", "The output could not be written (a full disk, a closed standard output); one line on stderr."),
    ("130", "Interrupted (Ctrl-C), at any moment, without a traceback."),
    (
        "141",
        "The reader of a pipe went away (`mcalc diff - | head -1`): the run ends quietly, killed by SIGPIPE "
        "like other tools (the shell reports 141).",
    ),
]

ENVIRONMENT: list[tuple[str, str]] = [
    (
        "NO_COLOR",
        "When set (to anything non-empty), output has no colour and no styling, as when it is not a terminal.",
    ),
    ("TERM", "`dumb` turns styling off, as NO_COLOR does."),
    ("COLUMNS", "The width used to wrap `--help` text (at most 80 columns)."),
    (
        "MCALC_MAX_ELEMENTS",
        "The most numbers one array may hold (default 10000000): values given with `--at`, `.npz` members, "
        "and every array of `--at`, `eval` and `--check`, sized before anything is allocated.",
    ),
    (
        "LC_ALL, PYTHONIOENCODING",
        "When standard output cannot encode Unicode, results are printed in ASCII, as with `--ascii`.",
    ),
    ("XDG_STATE_HOME", "Where the session keeps its history (see FILES); `~/.local/state` when unset."),
    ("_MCALC_COMPLETE", "Set by the shell completion scripts when they call mcalc; not for direct use."),
]

FILES: list[tuple[str, str]] = [
    (
        "$XDG_STATE_HOME/mcalc/history",
        "The interactive session's history (`~/.local/state/mcalc/history` by default): the last 1,000 lines, "
        "trimmed when a session starts. When it cannot be written the session keeps its history in memory "
        "and says so in one line.",
    ),
    ("share/man/man1/mcalc.1", "This page, installed under the environment's prefix (a venv, pipx, /usr/local)."),
    (
        "share/bash-completion/completions/mcalc",
        "Bash completion; copy it to ~/.local/share/bash-completion/completions/mcalc, or `source` it from ~/.bashrc.",
    ),
    ("share/zsh/site-functions/_mcalc", "Zsh completion; put it in a directory on $fpath before compinit runs."),
    ("share/fish/vendor_completions.d/mcalc.fish", "Fish completion; or copy it to ~/.config/fish/completions/."),
    (
        "sheet.txt",
        "A homework sheet for `mcalc check --file`: one problem per line, `EXPR ; VAR ; CLAIM`, optionally "
        '`; DECLARATIONS` for that line (`--symmetric A`, `--let "e = y - X w"`, `--function f`). '
        "One verdict per line, then (except in JSON) a summary line on standard error: how many right, "
        "wrong and unusable.",
    ),
]

COMPLETION = """
Completion scripts for bash, zsh and fish complete commands, options, the values of `--format` and
`--layout`, the variable names of the expression already typed after `--wrt`, `--scalar`, `--vector`,
`--matrix` and `--symmetric`, and file names after `--at` and `--file`. They are installed with the
package (see FILES); `mcalc --install-completion` instead installs one for the current shell into your
shell's start-up files, and `mcalc --show-completion` prints it.
"""

SEE_ALSO = [("python3", "1"), ("bash", "1"), ("zsh", "1"), ("fish", "1")]
SEE_ALSO_TEXT = """
K. B. Petersen and M. S. Pedersen, The Matrix Cookbook (cited as MC by `mcalc identities`); M. P.
Deisenroth, A. A. Faisal and C. S. Ong, Mathematics for Machine Learning, chapter 5 (cited as MML); the
other works `mcalc identities` cites are listed in the README's section Sources. The README of the source
distribution, whose section Command-line contract states the interface scripts may rely on.
"""


# --- troff helpers ---


def _escape(text: str, code: bool = False) -> str:
    r"""Text for troff: `\` as `\e`, non-ASCII as `\[uXXXX]`, `-` as `\-` where it is a minus or an option
    dash (everywhere in code), a leading `.` or `'` guarded by `\&`."""
    out = text.replace("\\", "\\e")
    if code:
        out = out.replace("-", "\\-")
    else:
        out = re.sub(r"(?<![A-Za-z0-9])-", r"\\-", out)
    out = "".join(ch if ord(ch) < 128 else f"\\[u{ord(ch):04X}]" for ch in out)
    if out.startswith((".", "'")):
        out = "\\&" + out
    return out


def _inline(text: str) -> str:
    """Prose with `code` spans in bold (options, commands, expressions)."""
    parts = re.split(r"`([^`]*)`", text)
    return "".join(_escape(p) if i % 2 == 0 else f"\\fB{_escape(p, code=True)}\\fR" for i, p in enumerate(parts))


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.strip().split("\n\n")]


def _prose(text: str) -> list[str]:
    lines: list[str] = []
    for i, para in enumerate(_paragraphs(text)):
        if i:
            lines.append(".PP")
        lines.append(_inline(para))
    return lines


def _wrap(lines: list[str], width: int = 78) -> list[str]:
    """Text lines wrapped at spaces for a readable source (macro lines and code blocks untouched)."""
    out: list[str] = []
    literal = False
    for line in lines:
        if line in (".EX", ".EE"):
            literal = line == ".EX"
        if literal or line.startswith((".", "'")) or len(line) <= width:
            out.append(line)
            continue
        for piece in textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False):
            out.append("\\&" + piece if piece.startswith((".", "'")) else piece)
    return out


def _code_block(code_lines: list[str]) -> list[str]:
    return [".PP", ".RS 4", ".EX", *(_escape(c, code=True) for c in code_lines), ".EE", ".RE"]


def _synopsis_word(word: str) -> str:
    """`--wrt` bold, `VAR` italic, brackets roman."""
    lead = re.match(r"^\[*", word)
    trail = re.search(r"\]*$", word)
    assert lead is not None and trail is not None
    core = word[lead.end() : trail.start()]
    if core.startswith("-") or core.islower():
        styled = f"\\fB{_escape(core, code=True)}\\fR"
    else:
        styled = f"\\fI{_escape(core, code=True)}\\fR"
    return lead.group() + styled + trail.group()


def _choice_tables() -> dict[str, tuple[str, dict[Any, tuple[Any, ...]]]]:
    """The options whose values each command lists in a table of the app (--format: FORMATS, --layout:
    LAYOUTS): parameter name -> (metavar, command -> its choices)."""
    from mcalc.cli.app import FORMATS, LAYOUTS

    return {"fmt": ("FORMAT", dict(FORMATS)), "layout": ("LAYOUT", dict(LAYOUTS))}


def _option_label(param: Any) -> str:
    names = sorted(param.opts + param.secondary_opts, key=lambda o: (o.startswith("--"), o))
    label = ", ".join(f"\\fB{_escape(n, code=True)}\\fR" for n in names)
    if not param.is_flag:
        metavar = param.metavar or param.name.upper()
        if param.name in _choice_tables():
            metavar = _choice_tables()[param.name][0]
        elif param.type_descriptor.is_choice:
            metavar = param.name.upper()
        label += f" \\fI{_escape(metavar, code=True)}\\fR"
    return label


def _bold_list(values: Any) -> str:
    return ", ".join(f"\\fB{_escape(str(getattr(v, 'value', v)), code=True)}\\fR" for v in values)


def _table_choices(param: Any, used_by: list[str]) -> str | None:
    """`One of …` for an option whose choices come from the app's tables, per command when they differ."""
    if param.name not in _choice_tables():
        return None
    table = {str(k): v for k, v in _choice_tables()[param.name][1].items()}
    groups: dict[tuple[Any, ...], list[str]] = {}
    for command in used_by:
        groups.setdefault(table[command], []).append(command)
    if len(groups) == 1:
        return f"One of {_bold_list(next(iter(groups)))}."
    parts = [f"{_bold_list(choices)} ({', '.join(commands)})" for choices, commands in groups.items()]
    return f"One of {'; '.join(parts)}."


def _option_details(param: Any, used_by: list[str] | None = None) -> str:
    text = _inline(param.help or "")
    extra = []
    desc = param.type_descriptor
    listed = _table_choices(param, used_by or [])
    if listed is not None:
        extra.append(listed)
    elif desc.is_choice and desc.choices:
        extra.append(f"One of {_bold_list(desc.choices)}.")
    default = param.default
    if param.multiple:
        if "repeatable" not in (param.help or "").lower():
            extra.append("Repeatable.")
    elif not param.is_flag and default is not None and not callable(default):
        extra.append(f"Default: \\fB{_escape(str(getattr(default, 'value', default)), code=True)}\\fR.")
    return " ".join([text, *extra]).strip()


def _help_blocks(help_text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """A command's docstring as prose paragraphs and literal (`\\b`) blocks with their heading."""
    prose: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    for para in help_text.strip().split("\n\n"):
        lines = para.split("\n")
        if lines[0] == "\b":
            heading, *code = lines[1:]
            blocks.append((heading, [c.strip() for c in code]))
        else:
            prose.append(" ".join(para.split()))
    return prose, blocks


# --- the page ---


def _tree() -> tuple[Any, Any, list[tuple[str, Any]]]:
    import typer
    from typer.main import get_command

    from mcalc.cli.app import app

    group = get_command(app)
    ctx = typer.Context(group, info_name="mcalc")
    commands = [(name, group.get_command(ctx, name)) for name in group.list_commands(ctx)]
    return group, ctx, [(n, c) for n, c in commands if c is not None and not c.hidden]


def _functions() -> str:
    """The elementwise functions and their other spellings, from the function catalogue."""
    from mcalc.syntax import functions

    listed = [f for f in functions.entries() if not f.internal and f.elementwise]
    names = " ".join(f.name for f in listed)
    aliases = ", ".join(f"`{a}` for {f.name}" for f in listed for a in f.aliases)
    by_domain: dict[str, list[str]] = {}
    for f in listed:
        if f.domain.bounded:
            by_domain.setdefault(f.domain.text, []).append(f.name)
    needs = "; ".join(f"`{' '.join(fs)}` need {text}" for text, fs in by_domain.items())
    return f"`{names}` (also {aliases}; {needs})"


def _column_functions() -> str:
    """softmax and logsumexp, from the function catalogue: what each does to a matrix."""
    from mcalc.syntax import functions

    does = {functions.Kind.COLUMN_MAP: "of a matrix, column by column", functions.Kind.COLUMN_REDUCE:
            "of a matrix, one number per column"}  # fmt: skip
    parts = []
    for f in functions.entries():
        if f.kind in does:
            also = f" (also {', '.join(f'`{a}`' for a in f.aliases)})" if f.aliases else ""
            parts.append(f"`{f.name}`{also}, {does[f.kind]}")
    return "; ".join(parts)


def _matrix_functions() -> str:
    """expm, logm, ...: the catalogue's matrix functions, with what their argument needs."""
    from mcalc.syntax import functions

    matrix = [f for f in functions.entries() if f.kind is functions.Kind.MATRIX_MAP and not f.internal]
    needs = [f"`{f.name}`" for f in matrix if f.domain.bounded or f.domain is functions.OFF_NEGATIVE_AXIS]
    names = " ".join(f.name for f in matrix)
    return f"`{names}` ({', '.join(needs)} need {functions.OFF_NEGATIVE_AXIS.text})"


def _structured_functions() -> str:
    """adj, chol, toeplitz: the catalogue's other whole-matrix functions, with what each maps."""
    from mcalc.syntax import functions

    kinds = (functions.Kind.SQUARE_MAP, functions.Kind.TOEPLITZ)
    listed = [f for f in functions.entries() if f.kind in kinds and not f.internal]
    return ", ".join(f"`{f.name}` ({f.kind.value})" for f in listed)


def _whole_matrix_functions() -> str:
    """eig, λ_max, svd, pinv, ...: the whole-matrix functions of the catalogue a user may type."""
    from mcalc.syntax import functions

    listed = [f for f in functions.entries() if f.kind is functions.Kind.WHOLE_MATRIX and not f.internal]
    return ", ".join(f"`{f.name}`" + (f" (`{f.aliases[0]}`)" if f.aliases else "") for f in listed)


def render() -> str:
    from mcalc import __version__

    group, ctx, commands = _tree()
    unknown = set(SYNOPSES) ^ {name for name, _ in commands}
    if unknown:
        raise RuntimeError(f"SYNOPSES in tools/gen_man.py and the app's commands differ: {sorted(unknown)}")

    out: list[str] = [
        '.\\" Generated by tools/gen_man.py from the typer app and the prose in that script. Do not edit;',
        '.\\" run python tools/regen.py (tests/test_man.py checks the page is in sync).',
        f'.TH MCALC 1 {DATE} "mcalc {__version__}" "User Commands"',
        ".SH NAME",
        _escape(NAME),
        ".SH SYNOPSIS",
    ]
    synopsis = [["mcalc", "[--version]", "[--help]"]]
    for name, _ in commands:
        for line in SYNOPSES[name]:
            synopsis.append(["mcalc", name, *line.split(), "[OPTIONS]"])
    for i, words in enumerate(synopsis):
        if i:
            out.append(".br")
        out.append(" ".join(_synopsis_word(w) for w in words))

    out += [".SH DESCRIPTION", *_prose(DESCRIPTION)]

    # COMMANDS: each command's own help (from its docstring), its argument, its options, its examples.
    out.append(".SH COMMANDS")
    options: dict[str, tuple[Any, list[str]]] = {}
    for name, command in commands:
        args = [p for p in command.params if p.param_type_name == "argument"]
        opts = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
        for p in opts:
            if p.name not in SKIP_PARAMS and "--help" not in p.opts:
                options.setdefault(p.opts[0], (p, []))[1].append(name)
        out.append(f".SS mcalc {name}")
        prose, blocks = _help_blocks(command.help or "")
        for i, para in enumerate(prose):
            if i:
                out.append(".PP")
            out.append(_inline(para))
        for arg in args:
            label = arg.metavar or arg.name.upper()
            optional = "" if arg.required else " (optional)"
            out += [".TP", f"\\fI{_escape(label, code=True)}\\fR{optional}", _inline(arg.help or "")]
        listed = [p for p in opts if "--help" not in p.opts]
        if listed:
            names = ", ".join(f"\\fB{_escape(max(p.opts, key=len), code=True)}\\fR" for p in listed)
            out += [".PP", f"Options: {names} (see OPTIONS)."]
        for heading, code in blocks:
            out += [".PP", _inline(heading), *_code_block(code)[1:]]

    out += [".SH OPTIONS", ".SS Program options", "Given before the command name."]
    for p in group.params:
        if p.hidden or p.name in SKIP_PARAMS:
            continue
        out += [".TP", _option_label(p), _option_details(p)]
    out += [
        ".TP",
        "\\fB\\-h\\fR, \\fB\\-\\-help\\fR",
        "Show the help of mcalc, or of a command (\\fBmcalc diff \\-\\-help\\fR), with examples, and exit.",
    ]
    out += [".SS Command options"]
    for _, (p, used_by) in options.items():
        where = ", ".join(f"\\fB{c}\\fR" for c in used_by)
        out += [".TP", _option_label(p), f"{_option_details(p, used_by)} Used by {where}."]

    out += [
        ".SH EXPRESSION SYNTAX",
        *_prose(
            EXPRESSION_SYNTAX.replace("WHOLE_MATRIX_FUNCTIONS", _whole_matrix_functions())
            .replace("COLUMN_FUNCTIONS", _column_functions())
            .replace("MATRIX_FUNCTIONS", _matrix_functions())
            .replace("STRUCTURED_FUNCTIONS", _structured_functions())
            .replace("FUNCTIONS", _functions())
        ),
    ]
    out += [".SH INTERACTIVE SESSION", *_prose(SESSION)]
    out += [".SH CONVENTIONS", *_prose(CONVENTIONS)]
    out += [".SH OUTPUT", *_prose(OUTPUT)]
    out += [".SH SHELL COMPLETION", *_prose(COMPLETION)]

    out.append(".SH EXAMPLES")
    for i, (text, code) in enumerate(EXAMPLES):
        out += ([] if i == 0 else [".PP"]) + [_inline(text), *_code_block(code)[1:]]

    out.append(".SH EXIT STATUS")
    for code, text in EXIT_STATUS:
        out += [".TP", f"\\fB{code}\\fR", _inline(text)]
    out.append(".SH ENVIRONMENT")
    for var, text in ENVIRONMENT:
        out += [".TP", f"\\fB{_escape(var, code=True)}\\fR", _inline(text)]
    out.append(".SH FILES")
    for path, text in FILES:
        out += [".TP", f"\\fI{_escape(path, code=True)}\\fR", _inline(text)]
    out.append(".SH SEE ALSO")
    out.append(",\n".join(f".BR {page} ({section})" for page, section in SEE_ALSO))
    out += [".PP", *_prose(SEE_ALSO_TEXT)]
    return "\n".join(_wrap(out)) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("stale: man/mcalc.1; run python tools/gen_man.py", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
