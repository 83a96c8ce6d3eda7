"""Orchestration and I/O: reading the inbox, the Prefect flow, storage, the CLI."""
