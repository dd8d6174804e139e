"""The typer app: option declarations and dispatch only. The work happens in `mcalc.cli.commands`,
imported inside each command so that `mcalc --help` and tab completion never load numpy or sympy.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from mcalc import __version__


class OutputFormat(str, enum.Enum):
    text = "text"
    latex = "latex"
    json = "json"
    numpy = "numpy"
    index = "index"
    vec = "vec"


class LayoutChoice(str, enum.Enum):
    mixed = "mixed"
    numerator = "numerator"
    denominator = "denominator"


HELP = """mcalc: a matrix-calculus calculator.

Examples:

  mcalc diff "tr(A B A^T C)" --wrt A

  mcalc diff "x^T A x" --wrt x --check

  mcalc diff "logdet(X)" --wrt X --at X='[[2,1],[1,3]]' --format json

  mcalc diff "R^T R" --wrt R          (a 4th-order tensor, in index and vec form)

  mcalc check "tr(A B)" --wrt A --claim "B"
"""

app = typer.Typer(
    name="mcalc",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"mcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """mcalc: a matrix-calculus calculator."""


Wrt = Annotated[list[str], typer.Option("--wrt", "-w", help="Variable to differentiate by; twice for a second derivative.")]
Scalar = Annotated[list[str], typer.Option("--scalar", help="Names that are scalars (comma-separated, repeatable).")]
Vector = Annotated[list[str], typer.Option("--vector", help="Names that are column vectors.")]
Matrix = Annotated[list[str], typer.Option("--matrix", help="Names that are matrices.")]
Symmetric = Annotated[list[str], typer.Option("--symmetric", help="Names of symmetric matrices.")]
ShapeOpt = Annotated[list[str], typer.Option("--shape", help="Fix a shape: A=m×n, A=3x4, x=n.")]
At = Annotated[
    list[str],
    typer.Option("--at", help="Values: FILE.npz or NAME=JSON (repeatable).", metavar="FILE.npz|NAME=JSON"),
]
Fmt = Annotated[
    OutputFormat | None,
    typer.Option("--format", "-f", help="Output format (default: rich text on a terminal, plain text otherwise)."),
]
Layout = Annotated[LayoutChoice, typer.Option("--layout", help="Orientation of matrix-notation results.")]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed for the random points of --check.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")]


@app.command()
def diff(
    expr: Annotated[str, typer.Argument(help="The expression, or - to read one per line from stdin.")],
    wrt: Wrt = [],  # noqa: B006 - typer reads the default, never mutates it
    scalar: Scalar = [],  # noqa: B006
    vector: Vector = [],  # noqa: B006
    matrix: Matrix = [],  # noqa: B006
    symmetric: Symmetric = [],  # noqa: B006
    shape: ShapeOpt = [],  # noqa: B006
    fmt: Fmt = None,
    layout: Layout = LayoutChoice.mixed,
    check: Annotated[bool, typer.Option("--check", help="Check numerically against finite differences.")] = False,
    seed: Seed = None,
    at: At = [],  # noqa: B006
    steps: Annotated[bool, typer.Option("--steps", help="Show the derivation, one identity per line.")] = False,
    debug: Debug = False,
) -> None:
    """Differentiate EXPR by each --wrt variable.

    Examples:

      mcalc diff "tr(A B A^T C)" --wrt A

      mcalc diff "||y - Φ θ||^2" --wrt θ --check

      mcalc diff "a^T X b" --wrt X --at a=[1,2] --at b=[3,4,5] --format json

      printf 'tr(A B) ; A\\nlogdet(X) ; X\\n' | mcalc diff - --format json
    """
    from mcalc.cli import commands

    raise typer.Exit(
        commands.run_diff(
            commands.DiffArgs(
                expr=expr,
                wrt=wrt,
                decl=commands.Decl(scalar, vector, matrix, symmetric, shape),
                fmt=None if fmt is None else fmt.value,
                layout=layout.value,
                check=check,
                seed=seed,
                at=at,
                steps=steps,
                debug=debug,
            )
        )
    )


@app.command("check")
def check_claim(
    expr: Annotated[str | None, typer.Argument(help="The expression whose derivative is claimed.")] = None,
    wrt: Wrt = [],  # noqa: B006
    claim: Annotated[str | None, typer.Option("--claim", help="The hand-derived derivative.")] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="A homework sheet: lines of EXPR ; VAR ; CLAIM.")
    ] = None,
    scalar: Scalar = [],  # noqa: B006
    vector: Vector = [],  # noqa: B006
    matrix: Matrix = [],  # noqa: B006
    symmetric: Symmetric = [],  # noqa: B006
    shape: ShapeOpt = [],  # noqa: B006
    fmt: Fmt = None,
    seed: Seed = None,
    debug: Debug = False,
) -> None:
    """Is a hand-derived derivative right? Exit 0 if right, 1 if wrong, with a diagnosis.

    Examples:

      mcalc check "tr(A B)" --wrt A --claim "B^T"

      mcalc check "x^T A x" --wrt x --claim "2 A x" --symmetric A

      mcalc check --file sheet.txt
    """
    from mcalc.cli import commands

    raise typer.Exit(
        commands.run_check(
            commands.CheckArgs(
                expr=expr,
                wrt=wrt,
                claim=claim,
                file=file,
                decl=commands.Decl(scalar, vector, matrix, symmetric, shape),
                fmt=None if fmt is None else fmt.value,
                seed=seed,
                debug=debug,
            )
        )
    )


@app.command("eval")
def eval_(
    expr: Annotated[str, typer.Argument(help="The expression to evaluate.")],
    at: At = [],  # noqa: B006
    scalar: Scalar = [],  # noqa: B006
    vector: Vector = [],  # noqa: B006
    matrix: Matrix = [],  # noqa: B006
    symmetric: Symmetric = [],  # noqa: B006
    shape: ShapeOpt = [],  # noqa: B006
    fmt: Fmt = None,
    debug: Debug = False,
) -> None:
    """Evaluate EXPR at the values given with --at.

    Example:

      mcalc eval "x^T A x" --at x=[1,2] --at A='[[1,0],[0,2]]'
    """
    from mcalc.cli import commands

    raise typer.Exit(
        commands.run_eval(
            expr, at, commands.Decl(scalar, vector, matrix, symmetric, shape),
            None if fmt is None else fmt.value, debug,
        )
    )  # fmt: skip


@app.command("shape")
def shape_(
    expr: Annotated[str, typer.Argument(help="The expression.")],
    scalar: Scalar = [],  # noqa: B006
    vector: Vector = [],  # noqa: B006
    matrix: Matrix = [],  # noqa: B006
    symmetric: Symmetric = [],  # noqa: B006
    shape: ShapeOpt = [],  # noqa: B006
    fmt: Fmt = None,
    debug: Debug = False,
) -> None:
    """Infer the shape of EXPR and of each variable.

    Example:

      mcalc shape "a^T X b"
    """
    from mcalc.cli import commands

    raise typer.Exit(
        commands.run_shape(
            expr, commands.Decl(scalar, vector, matrix, symmetric, shape),
            None if fmt is None else fmt.value, debug,
        )
    )  # fmt: skip


@app.command("identities")
def identities(
    search: Annotated[str | None, typer.Argument(help="Show only rules mentioning this word.")] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Check every identity numerically.")] = False,
    fmt: Fmt = None,
    seed: Seed = None,
) -> None:
    """The derivative rules the engine uses, with their sources.

    Examples:

      mcalc identities

      mcalc identities det

      mcalc identities --verify
    """
    from mcalc.cli import commands

    raise typer.Exit(commands.run_identities(search, verify, None if fmt is None else fmt.value, seed))
