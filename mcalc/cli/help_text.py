"""Each command's help as a string: typer reads it from docstrings, which `python -OO` strips."""

DIFF = """Differentiate EXPR by each --wrt variable.

Prints the derivative in matrix notation and its shape; a derivative of a matrix by a matrix also in
index notation. With EXPR of -, reads lines of EXPR ; VAR from standard input.

\b
Examples:
  mcalc diff "tr(A B A^T C)" --wrt A
  mcalc diff "||y - Φ θ||^2" --wrt θ --check
  mcalc diff "x^T A x" --wrt x --wrt x                 # the Hessian
  mcalc diff "x^T A x" --wrt x --at x=[1,2] --at A='[[1,0],[0,2]]' --format json
  printf 'tr(A B) ; A\\nlogdet(X) ; X\\n' | mcalc diff - --format json
"""
CHECK = """Is a hand-derived derivative right? Exit 0 if right, 1 if wrong, with a diagnosis.

\b
Examples:
  mcalc check "tr(A B)" --wrt A --claim "B^T"
  mcalc check "x^T A x" --wrt x --claim "2 A x" --symmetric A
  mcalc check --file sheet.txt
"""
EVAL = """Evaluate EXPR at the values given with --at.

\b
Examples:
  mcalc eval "x^T A x" --at x=[1,2] --at A='[[1,0],[0,2]]'
  mcalc eval "logdet(X)" --at values.npz
"""
SHAPE = """Infer the shape of EXPR and of each variable (sizes from --at values, if given).

\b
Examples:
  mcalc shape "a^T X b"
  mcalc shape "A x" --shape A=3x4
"""
IDENTITIES = """The derivative rules the engine uses, with their sources.

\b
Examples:
  mcalc identities
  mcalc identities det
  mcalc identities --verify
"""
REPL = """An interactive session (also plain mcalc on a terminal).

Type any command without the word mcalc; :symmetric S, :scalar c, :shape A=3x4, :let e = y - X w,
:layout numerator, :format json and the other session commands (:help) declare once for every later
command. With standard input not a terminal, runs its lines as a script; exit status: the largest of
its lines' (0 if all succeeded).

\b
Examples:
  mcalc repl
  printf ':symmetric S\\ndiff "logdet(S)" --wrt S\\n' | mcalc repl
"""
