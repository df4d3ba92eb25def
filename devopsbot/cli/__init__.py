"""The command line (``python -m devopsbot``): one module per command group, registered by ``main``."""
