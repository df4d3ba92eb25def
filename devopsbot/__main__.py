"""``python -m devopsbot``: the command-line interface."""

from devopsbot.cli import main

raise SystemExit(main())
