"""The typer app: option declarations and dispatch only. The work happens in `mcalc.cli.commands`,
imported inside each command so that `mcalc --help` and tab completion never load numpy or sympy."""

# No `from __future__ import annotations` here: typer reads every option from its annotation, and string
# annotations made it compile and eval each one on every start.
import enum
import functools
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from mcalc import __version__, program
from mcalc.cli import help_text, install, typer_adapter
from mcalc.render import spelling
from mcalc.view import Format, Layout


class Command(enum.StrEnum):
    diff = "diff"
    check = "check"
    eval = "eval"
    shape = "shape"
    identities = "identities"


# The one table of which command prints which --format: each command's help, its tab completion, the man
# page (tools/gen_man.py) and the refusal of any other format (exit 2) are made from it.
FORMATS: dict[Command, tuple[Format, ...]] = {
    Command.diff: tuple(Format),
    Command.check: (Format.TEXT, Format.JSON),
    Command.eval: (Format.TEXT, Format.JSON),
    Command.shape: (Format.TEXT, Format.JSON),
    Command.identities: (Format.TEXT, Format.JSON),
}
# The layouts each command takes: `check --layout` asks for strict verdicts in a course's convention.
LAYOUTS: dict[Command, tuple[Layout, ...]] = {
    Command.diff: tuple(Layout),
    Command.check: (Layout.NUMERATOR, Layout.DENOMINATOR),
}


E = TypeVar("E", bound=enum.StrEnum)


def _choices(command: Command, flag: str, allowed: tuple[E, ...], what: str) -> Callable[[str], E]:
    """The parser of an option that takes one of `allowed`: anything else is refused in one line naming what
    `command` does take (exit 2)."""
    by_name = {a.value: a for a in allowed}

    def parse(value: str) -> E:
        if value in by_name:  # a name typed, or the default itself (a StrEnum is its name)
            return by_name[value]
        taken = ", ".join(by_name)
        raise typer.BadParameter(f"mcalc {command.value} does not {what} {value}; it {what}s {taken}", param_hint=flag)

    return parse


def _choice_option(
    command: Command, flag: str, allowed: tuple[enum.StrEnum, ...], what: str, help: str, *short: str
) -> Any:
    """A typer option taking one of `allowed`: help lists them, tab completion offers them, the parser refuses
    any other (typer's own Enum choices would offer a subset enum per command, which a type checker cannot name)."""
    names = [a.value for a in allowed]

    def complete(incomplete: str) -> list[str]:
        return [n for n in names if n.startswith(incomplete)]

    return typer.Option(
        flag, *short, parser=_choices(command, flag, allowed, what), metavar="<" + "|".join(names) + ">",
        autocompletion=complete, help=help,
    )  # fmt: skip


def _format_option(command: Command) -> Any:
    help = "Output format (default: rich text on a terminal, plain text otherwise)."
    return _choice_option(command, "--format", FORMATS[command], "print", help, "-f")


HELP = """mcalc: a matrix-calculus calculator. Type an expression in matrix notation, get its derivative in
matrix notation, its shape, and (on request) a numeric check against finite differences.

\b
Examples:
  mcalc diff "tr(A B A^T C)" --wrt A
  mcalc diff "x^T A x" --wrt x --check
  mcalc diff "logdet(X)" --wrt X --at X='[[2,1],[1,3]]' --format json
  mcalc diff "R^T R" --wrt R        # a 4th-order tensor, in index and vec form
  mcalc check "tr(A B)" --wrt A --claim "B^T"
  mcalc shape "a^T X b"

Run 'mcalc COMMAND --help' for a command's options; 'man mcalc' for the manual. Exit status: 0 success,
1 a check or claim failed or a mathematical error, 2 bad usage or bad input, 71 out of memory, 74 the
output could not be written, 130 interrupted (Ctrl-C).
"""


class _McalcCommand(TyperCommand):
    def get_help(self, ctx: Any) -> str:
        return spelling.shown(super().get_help(ctx))

    def get_short_help_str(self, limit: int = 45) -> str:  # `mcalc --help` lists whole sentences at any width
        return super().get_short_help_str(limit=1 << 16)  # (click cut them to fit: "Infer the shape of...")


class _McalcGroup(TyperGroup):
    """Typer's group, with every usage error reported as one line (`error: …`) instead of a usage block."""

    def get_help(self, ctx: Any) -> str:
        return spelling.shown(super().get_help(ctx))

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from mcalc.cli import streams

        spelling.use_ascii(False)  # each run decides afresh (the test suite runs many in one process)
        if args is None:  # a real run (not CliRunner): `mcalc … | head` ends quietly, like other Unix tools
            program.default_sigpipe()
            refused = streams.prepare(ascii_flag="--ascii" in sys.argv[1:])  # before --help prints
            if refused is not None:
                sys.exit(refused)
        argv = program.protect_leading_minus(
            self.commands, streams.utf8_argv(list(sys.argv[1:] if args is None else args))
        )
        if not argv and args is None and _on_a_terminal():  # plain `mcalc` typed at a terminal: the session
            argv = ["repl"]

        def command() -> Any:
            return super(_McalcGroup, self).main(argv, prog_name, complete_var, standalone_mode=False, **extra)

        try:
            code = _run(command, argv)
        finally:  # --ascii is this run's choice: a later API call in the same process prints Unicode again
            spelling.use_ascii(False)
        program.leave(streams.finish(code), real_run=args is None)


def _on_a_terminal() -> bool:
    """Standard input and output are a terminal, and no shell is asking for completions."""
    return all(s is not None and s.isatty() for s in (sys.stdin, sys.stdout)) and not os.environ.get("_MCALC_COMPLETE")


def _run(main: Any, argv: list[str]) -> int:
    """The command, with every failure that escapes it turned into one line and an exit code."""
    from mcalc.cli import streams
    from mcalc.cli.failures import show_internal

    try:
        code = install.checked(main, argv)
    except typer.TyperException as exc:  # click's usage errors and friends
        _report_usage_error(exc, argv)
        return exc.exit_code
    except typer.Abort:
        streams.say("error: aborted")
        return 1
    except OSError as exc:
        if not streams.is_output_error(exc):
            return show_internal(exc, argv)
        return streams.output_failed(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return show_internal(exc, argv)
    return code if isinstance(code, int) else 0


def _report_usage_error(exc: typer.TyperException, argv: list[str]) -> None:
    from mcalc.cli.failures import closest_option, other_commands_option, show_usage_error

    kind = typer_adapter.usage_error_kind(exc)
    if kind == "no-args":  # bare `mcalc`: the help, on stderr
        exc.show()  # type: ignore[attr-defined]  # click's UsageError
        return
    if (elsewhere := other_commands_option(exc)) is not None:
        message = elsewhere
    elif kind == "no-such-option":
        command = getattr(getattr(exc, "ctx", None), "info_name", "")
        message = closest_option(command, exc.option_name, exc.possibilities)  # type: ignore[attr-defined]
    else:
        message = exc.format_message().replace("Value error, ", "")
    message = " ".join(message.split())
    ctx = getattr(exc, "ctx", None)
    show_usage_error(message, argv, ctx.command_path if ctx is not None else None)


app = typer_adapter.McalcTyper(
    name="mcalc",
    help=HELP,
    cls=_McalcGroup,
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


def _complete_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Tab completion: the variable names of the EXPR already on the command line (parser only, no numpy)."""
    from mcalc.render.spelling import ascii_name
    from mcalc.syntax.source import names_in

    # Before an option's value is typed, click's resilient parse leaves EXPR unassigned, in ctx.args.
    expr = ctx.params.get("expr") or next((a for a in ctx.args if not a.startswith("-")), None)
    # θ is offered as θ; typed `th` (the expression may spell it theta), it completes to theta
    out = [n if n.startswith(incomplete) else ascii_name(n) for n in names_in(expr)]
    return [s for s in out if s.startswith(incomplete)]


Wrt = Annotated[
    list[str],
    typer.Option(
        "--wrt",
        "-w",
        help="Variable to differentiate by; repeat for higher derivatives (twice: second derivative).",
        metavar="VAR",
        autocompletion=_complete_names,
    ),
]
# The one bundle of declaration options every command takes: (parameter, option, help, metavar, whether
# it completes the expression's names). A command marks their place with a `decl` parameter (_declared).
DECLARATIONS = [
    ("scalar", "--scalar", "Names that are scalars (comma-separated, repeatable).", "NAMES", True),
    ("vector", "--vector", "Names that are column vectors.", "NAMES", True),
    ("matrix", "--matrix", "Names that are matrices.", "NAMES", True),
    ("symmetric", "--symmetric", "Names of symmetric matrices.", "NAMES", True),
    ("diagonal", "--diagonal", "Names of diagonal matrices (derivatives along the diagonal).", "NAMES", True),
    ("toeplitz", "--toeplitz", "Names of Toeplitz matrices (derivatives along the diagonals).", "NAMES", True),
    ("shape", "--shape", "Fix a shape: A=m×n, A=3x4, x=n.", "NAME=DIMS", False),
    ("let", "--let", 'Name an intermediate: --let "e = y - Phi theta" (repeatable; a let may use earlier ones).',
     "NAME=EXPR", False),
    ("function", "--function", 'Abstract functions: f(A x) by x is Aᵀ∇f(Ax), or J_f(Ax) A if "f: vector -> vector" '
     '(or so by use); comma-separated, repeatable; "f(u) = EXPR" gives f values.', "NAMES", False),
    ("elementwise", "--elementwise", "Abstract elementwise functions: sum(g(X w)) by w is Xᵀg′(Xw) "
     '(comma-separated, repeatable); "g(t) = EXPR" gives g values.', "NAMES", False),
]  # fmt: skip


def _declared(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with its `decl` parameter replaced by the DECLARATIONS options, gathered back into one Decl."""
    bundle = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=[], annotation=Annotated[
            list[str], typer.Option(flag, help=text, metavar=meta, autocompletion=_complete_names if names else None)])
        for name, flag, text, meta, names in DECLARATIONS
    ]  # fmt: skip
    signature = inspect.signature(command, eval_str=True)
    params = [q for p in signature.parameters.values() for q in (bundle if p.name == "decl" else [p])]

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        from mcalc.declare import Decl

        decl = Decl(**{name: kwargs.pop(name) for name, *_ in DECLARATIONS})
        command(**kwargs, decl=decl)

    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run


# --at and --file offer no completions of their own, so every shell falls back to completing file names.
At = Annotated[
    list[str],
    typer.Option("--at", help="Values: FILE.npz or NAME=JSON (repeatable).", metavar="FILE.npz|NAME=JSON"),
]
DiffLayout = Annotated[
    Layout,
    _choice_option(Command.diff, "--layout", LAYOUTS[Command.diff], "take", "Orientation of matrix-notation results."),
]
StrictLayout = Annotated[
    Layout | None,
    _choice_option(
        Command.check, "--layout", LAYOUTS[Command.check], "take",
        "Strict verdicts in this layout; without it, a transposed answer is 'correct up to layout'.",
    ),
]  # fmt: skip


Seed = Annotated[int | None, typer.Option("--seed", help="Seed for the random points of --check.", metavar="N")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")]
Jobs = Annotated[int, typer.Option("--jobs", min=1, metavar="N", help="Answer batch or sheet lines on N processes.")]


def _ascii(value: bool) -> None:
    if value:
        from mcalc.cli import streams

        streams.use_ascii()


AsciiOpt = Annotated[
    bool,
    typer.Option(
        "--ascii",
        callback=_ascii,
        is_eager=True,
        help="Plain ASCII output (d/dA tr(A B) = B^T); automatic when the output cannot encode Unicode.",
    ),
]


@app.command(cls=_McalcCommand, help=help_text.DIFF)
@_declared
def diff(
    expr: Annotated[str, typer.Argument(help="The expression, or - to read one per line from stdin.", metavar="EXPR")],
    wrt: Wrt = [],  # noqa: B006 - typer reads the default, never mutates it
    decl: Any = None,  # the declaration options (DECLARATIONS)
    fmt: Annotated[Format | None, _format_option(Command.diff)] = None,
    layout: DiffLayout = Layout.MIXED,
    check: Annotated[bool, typer.Option("--check", help="Check numerically against finite differences.")] = False,
    seed: Seed = None,
    at: At = [],  # noqa: B006
    steps: Annotated[bool, typer.Option("--steps", help="Show the derivation, one identity per line.")] = False,
    jobs: Jobs = 1,
    debug: Debug = False,
    ascii_: AsciiOpt = False,
) -> None:
    from mcalc.cli import commands

    raise typer.Exit(commands.run_diff(commands.DiffArgs(
        expr=expr, wrt=wrt, decl=decl, fmt=fmt, layout=layout, check=check, seed=seed, at=at, steps=steps,
        debug=debug, jobs=jobs,
    )))  # fmt: skip


@app.command("check", short_help="Is a hand-derived derivative right?", cls=_McalcCommand, help=help_text.CHECK)
@_declared
def check_claim(
    expr: Annotated[
        str | None, typer.Argument(help="The expression whose derivative is claimed.", metavar="EXPR")
    ] = None,
    wrt: Wrt = [],  # noqa: B006
    claim: Annotated[str | None, typer.Option("--claim", help="The hand-derived derivative.", metavar="ANSWER")] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="A homework sheet: lines of EXPR ; VAR ; CLAIM.", metavar="FILE")
    ] = None,
    decl: Any = None,  # the declaration options (DECLARATIONS)
    at: At = [],  # noqa: B006
    fmt: Annotated[Format | None, _format_option(Command.check)] = None,
    seed: Seed = None,
    layout: StrictLayout = None,
    jobs: Jobs = 1,
    debug: Debug = False,
    ascii_: AsciiOpt = False,
) -> None:
    from mcalc.cli import commands

    raise typer.Exit(commands.run_check(commands.CheckArgs(
        expr=expr, wrt=wrt, claim=claim, file=file, decl=decl, fmt=fmt, seed=seed, debug=debug, at=at,
        layout=layout, jobs=jobs,
    )))  # fmt: skip


@app.command("eval", cls=_McalcCommand, help=help_text.EVAL)
@_declared
def eval_(
    expr: Annotated[str, typer.Argument(help="The expression to evaluate.", metavar="EXPR")],
    at: At = [],  # noqa: B006
    decl: Any = None,  # the declaration options (DECLARATIONS)
    fmt: Annotated[Format | None, _format_option(Command.eval)] = None,
    debug: Debug = False,
    ascii_: AsciiOpt = False,
) -> None:
    from mcalc.cli import commands

    raise typer.Exit(commands.run_eval(expr, at, decl, fmt, debug))


@app.command("shape", cls=_McalcCommand, help=help_text.SHAPE)
@_declared
def shape_(
    expr: Annotated[str, typer.Argument(help="The expression.", metavar="EXPR")],
    decl: Any = None,  # the declaration options (DECLARATIONS)
    at: At = [],  # noqa: B006
    fmt: Annotated[Format | None, _format_option(Command.shape)] = None,
    debug: Debug = False,
    ascii_: AsciiOpt = False,
) -> None:
    from mcalc.cli import commands

    raise typer.Exit(
        commands.run_shape(
            expr, decl,
            fmt, debug, at,
        )
    )  # fmt: skip


@app.command("identities", cls=_McalcCommand, help=help_text.IDENTITIES)
def identities(
    search: Annotated[str | None, typer.Argument(help="Show only rules mentioning this word.", metavar="WORD")] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Check every identity numerically.")] = False,
    fmt: Annotated[Format | None, _format_option(Command.identities)] = None,
    seed: Seed = None,
    ascii_: AsciiOpt = False,
) -> None:
    from mcalc.cli import commands

    raise typer.Exit(commands.run_identities(search, verify, fmt, seed))


@app.command("repl", cls=_McalcCommand, help=help_text.REPL)
def repl(ctx: typer.Context) -> None:
    from mcalc.cli import repl as session

    raise typer.Exit(session.main(ctx.find_root().command))
