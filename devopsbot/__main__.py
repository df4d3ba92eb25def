"""``python -m devopsbot``: the command-line interface."""

from devopsbot.cli.main import main

raise SystemExit(main())
