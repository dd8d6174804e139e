"""`python -m mcalc`: the same program, under the same name (completion and help say `mcalc`)."""

from mcalc.cli.app import app

if __name__ == "__main__":
    app(prog_name="mcalc")
