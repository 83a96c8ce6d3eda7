"""The `skladki` console script: start-up kept short, then flows.cli.

A close of one unit is mostly start-up (importing polars, DuckDB, pandera, XlsxWriter, fpdf2), so
two things are done before those imports: Python's cyclic garbage collector waits (importing
makes a million objects and no cyclic garbage; flows.command pauses it for the run anyway), and
pandera is kept from importing hypothesis, which it loads only to offer data synthesis — the
command line never uses it (measured: 0.1 s of a 1.9 s close).
"""
import gc
import sys


def main() -> None:
    gc.disable()
    if "hypothesis" not in sys.modules:
        sys.modules["hypothesis"] = None        # import hypothesis -> ImportError: pandera does without it
    from flows.cli import main as cli_main
    gc.enable()
    cli_main()


if __name__ == "__main__":
    main()
