"""The Teams surface: the only package that imports botbuilder."""
