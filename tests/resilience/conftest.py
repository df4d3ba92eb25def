"""Fixtures shared with the protocol tests: the Bot Connector double, the in-memory app installed, and the
app whose incident spaces open through the Graph double (for ``space_mode``, parametrised indirectly)."""

from __future__ import annotations

from tests.functions.conftest import connector, installed
from tests.functions.test_graph_spaces import graph, identity, space_mode

__all__ = ["connector", "graph", "identity", "installed", "space_mode"]
