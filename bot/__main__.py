"""`python -m bot` is the `indgang` command."""

from bot.cli import main

main()
