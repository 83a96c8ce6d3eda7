"""pandera models, one per table; each docstring states the table's grain."""
