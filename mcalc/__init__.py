"""mcalc: a command-line matrix-calculus calculator."""

__version__ = "0.1.0"
