"""Is a hand-derived derivative right, and if not, what is wrong with it? (`mcalc check`,
`mcalc.check_claim`). No printing here: a `Verdict` is data that the CLI and the API present."""
