"""SQL over DuckDB and the renderers of the reports (labels in Polish)."""
