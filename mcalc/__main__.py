"""`python -m mcalc`: the same program, under the same name (completion and help say `mcalc`)."""

from mcalc.cli.app import app

app(prog_name="mcalc")
