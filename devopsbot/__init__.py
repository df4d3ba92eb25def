"""devopsbot's composition root, command-line interface and local Functions host."""
