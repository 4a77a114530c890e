"""Let ``python -m ctdenoise`` behave exactly like the ``ctdenoise`` console command."""

from ctdenoise.cli.main import main

main()
