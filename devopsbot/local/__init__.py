"""The local stack: the Functions host that serves ``function_app`` without Azure, the dev stack that
starts Azurite, the host, the Agents Playground and maildev, and the Playground's configuration."""
