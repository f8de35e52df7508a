"""`python -m accord`: the same as the `accord` command."""

from accord.entrypoints.cli import main

main()
