"""Azure Functions blueprints: thin triggers that parse, call the service layer and map errors."""
