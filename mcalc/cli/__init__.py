"""The command-line layer: app.py declares the flags, commands.py calls the library and renders.

Imported as the program, it first sets up the process before app.py imports typer (`mcalc.program`);
Ctrl-C is handled by mcalc.interrupt, the package's first import."""

from mcalc.program import start

start()
