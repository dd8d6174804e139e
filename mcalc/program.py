"""What the process does when it starts as the `mcalc` program (the script or `python -m mcalc`), before
the CLI imports typer, pydantic and rich; `start()` is called by mcalc/cli/__init__.py.

- pydantic's plugin discovery is turned off (see `_without_pydantic_plugins`).
- `commands_to_build()`: typer builds only the command being run.
- `share_option_adapters()`: options of one plain type share one pydantic adapter.
- `protect_leading_minus()`: an expression that starts with - is not taken for an option.
- `end()`: a real run leaves without the interpreter's teardown.
- `default_sigpipe()` (a real run, not a test's CliRunner): `mcalc … | head` ends quietly, like other
  Unix tools.
Imported as a library (the test suite, `import mcalc`), pydantic stays as it is. Ctrl-C is
mcalc.interrupt's, the package's first import.
"""

from __future__ import annotations

import os
import signal
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from mcalc.interrupt import _running_as_program


def _no_plugins() -> tuple[()]:
    return ()


def _without_pydantic_plugins() -> None:
    """typer converts every option through a pydantic TypeAdapter, and pydantic's first adapter looks for
    plugins among the entry points of every installed distribution: that imports importlib.metadata (with
    email, zipfile, csv, calendar, socket) and reads each dist-info directory, about 60 ms of CPU, a quarter
    of mcalc's whole start-up and more than its own modules. mcalc registers no pydantic plugin and wants
    none observing its option parsing, so the program (never a library user) gets pydantic's loader with no
    plugins, which is what PYDANTIC_DISABLE_PLUGINS=__all__ does, minus the imports."""
    name = "pydantic.plugin._loader"
    if name in sys.modules:
        return
    loader = types.ModuleType(name, "pydantic's plugin loader, without plugins (see mcalc.program)")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]  # the one name pydantic imports from it
    sys.modules[name] = loader


def start() -> None:
    if _running_as_program():
        _without_pydantic_plugins()


def default_sigpipe() -> None:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def commands_to_build(registered: Sequence[Any], first: list[str]) -> list[Any]:
    """Of typer's registered commands, the ones to build: only the one the first argument names exactly
    (`mcalc diff …`). Typer makes every command's options from its signature before it parses anything,
    and the other four commands' were about 5 % of a whole `mcalc diff` run. Anything else (`mcalc --help`,
    a mistyped command, tab completion) gets them all, so listings and suggestions stay complete."""
    if first and not os.environ.get("_MCALC_COMPLETE"):
        for info in registered:
            if info.callback is not None and (info.name or info.callback.__name__).replace("_", "-") == first[0]:
                return [info]
    return list(registered)


def protect_leading_minus(commands: Mapping[str, Any], argv: list[str]) -> list[str]:
    """`mcalc diff "-x^T A x" --wrt x`: an expression that starts with '-' is not an option. Move it
    behind `--` so the parser takes it as the EXPR argument (each command has one positional)."""
    if not argv or "--" in argv:
        return argv
    cmd = commands.get(argv[0])
    if cmd is None:
        return argv
    takes_value: dict[str, bool] = {"-h": False, "--help": False}
    for p in cmd.params:
        if p.param_type_name == "option":
            for name in (*p.opts, *p.secondary_opts):
                takes_value[name] = not getattr(p, "is_flag", False) and not getattr(p, "count", False)
    i = 1
    while i < len(argv):
        tok = argv[i]
        if tok in takes_value:
            i += 2 if takes_value[tok] else 1
            continue
        # --wrtt is a mistyped option (click suggests --wrt); ---x and -(x) are expressions
        name = tok[2:].partition("=")[0]
        looks_like_option = (
            (tok.startswith("--") and name[:1].isalpha() and name.replace("-", "").isalnum())
            or tok[:2] in takes_value
            or tok == "-"
        )
        if tok.startswith("-") and not looks_like_option:
            return argv[:i] + argv[i + 1 :] + ["--", tok]
        i += 1
    return argv


# Option types whose pydantic adapter typer builds the same whatever the option's other settings (no
# parser, no choices, no bounds, no path checks apply to them): one adapter can serve every such option.
_SHAREABLE: frozenset[Any] = frozenset({str, bool, list[str]})


def share_option_adapters(core: Any, coercion: Any) -> None:
    """typer builds a pydantic TypeAdapter for every option of the command it runs, given or not (two for
    a list); `mcalc diff`'s 18 options made 28, about 20 ms of CPU and a tenth of the run, though ten of
    them are the same `list[str]`. Options of a `_SHAREABLE` type get one adapter per type, each wrapped in
    its own typer runtime parameter. `core` and `coercion` are typer.core and typer._coercion (typer
    belongs to the cli layer); a typer without them is left as it is."""
    build = getattr(core, "build_runtime_param", None)
    adapter_param = getattr(coercion, "AdapterRuntimeParam", None)
    if build is None or adapter_param is None or getattr(build, "shares_adapters", False):
        return
    made: dict[Any, Any] = {}

    def build_runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        key = descriptor.annotation
        if descriptor.file_annotation is not None or info.parser is not None or key not in _SHAREABLE:
            return build(descriptor)
        first = made.get(key)
        if first is None:
            first = made[key] = build(descriptor)
        if not isinstance(first, adapter_param):
            return build(descriptor)
        return adapter_param(parameter_info=info, annotation=key, adapter=first.adapter)

    build_runtime_param.shares_adapters = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param


def end(code: int, real_run: bool) -> NoReturn:
    """Leave with `code`: an in-process run (CliRunner, the tests) by SystemExit; a real run by os._exit once
    its output is flushed. os._exit skips the interpreter's teardown, which frees every module, cached tree
    and interned node one by one: about 12 ms of a 200 ms `mcalc diff`, and 0.05 s after a 3,000-term sum.
    mcalc registers no atexit hook and writes no file that a finaliser would close; Ctrl-C leaves the same
    way (mcalc.interrupt)."""
    if not real_run:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # already reported by streams.finish, or a closed stream
            pass
    os._exit(code)
