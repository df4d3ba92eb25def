"""The service layer: ports, one handler per command, the message bus and read-side queries."""
