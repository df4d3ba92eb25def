"""Adapters: the ports implemented on real infrastructure (Table Storage, clocks) and in memory."""
