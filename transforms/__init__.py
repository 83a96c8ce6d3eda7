"""Pure business logic: frames in, frames out. No I/O, no Prefect, no file paths."""
