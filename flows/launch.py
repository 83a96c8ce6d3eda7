"""The `skladki` console script: start-up kept short, then flows.cli.

A close of one unit is mostly start-up (importing polars, DuckDB, pandera, XlsxWriter, fpdf2), so
two things are done before those imports: Python's cyclic garbage collector waits (importing
makes a million objects and no cyclic garbage; flows.command pauses it for the run anyway) and
what they made is frozen after them (``gc.freeze``: no later collection walks it again; the
command's own imports the same way, ``flows.cli.paused_gc``), and pandera is kept from importing
hypothesis, which it loads only to offer data synthesis — the command line never uses it
(measured: 0.1 s of a 1.9 s close).

Freed memory goes back to the system within half a second (issue 32): polars' allocator (jemalloc)
otherwise keeps freed pages for ten seconds, and DuckDB, which allocates on its own, cannot use
them — a close by groups of units frees a group's frames just before DuckDB grows (measured at
600 000 members: ~50–80 MiB lower peak). Purged by jemalloc's background thread, not by the close's
own thread. Set before polars is imported; an environment that sets ``_RJEM_MALLOC_CONF`` wins.
Issue 32: within 0.1 s rather than 0.5 s, and blocks of 1 MiB and more kept in jemalloc's arena
for large blocks, which returns them at once — a close churns through many short-lived frames, and
their freed pages made a quarter of its peak (600 000 members: 960–985 MiB → 880–890 MiB; time
within the runs' noise; returning every freed page at once, ``dirty_decay_ms:0``, cost 3 s).

Output that cannot fail on a code page (issue 26): on Windows, output redirected to a file or
written under Task Scheduler is encoded in the ANSI code page (cp1250 for Polish), which has the
Polish letters but not →, Σ, ≤, − or N′; those are written as ASCII look-alikes instead of
ending the command with a UnicodeEncodeError.
"""
import codecs
import gc
import os
import sys

MALLOC_CONF = "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0,oversize_threshold:1048576"

# what the Polish code pages (cp1250, cp852) lack, as close as ASCII gets; anything else: "?"
LOOKALIKES = {"→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "Σ": "suma ", "≤": "<=", "≥": ">=", "≠": "!=",
              "−": "-", "–": "-", "—": "-", "′": "'", "″": "''", "×": "x", "·": "*", "…": "...", "„": '"',
              "”": '"', "“": '"', "‘": "'", "’": "'", "«": '"', "»": '"', "\u00a0": " ", "\u202f": " ",
              "✓": "v", "✗": "x", "✔": "v", "•": "*", "€": "EUR", "±": "+/-", "⁄": "/"}


def _lookalike(error: UnicodeError):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(LOOKALIKES.get(ch, "?") for ch in text), error.end


codecs.register_error("skladki-lookalike", _lookalike)


def safe_console() -> None:
    """stdout and stderr write what their encoding cannot as look-alikes, never an error (the
    encoding itself stays: a Polish code page keeps its ą, ę, ł...)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="skladki-lookalike")
            except (ValueError, OSError):       # a stream that cannot change now: left as it is
                pass


def main() -> None:
    safe_console()
    os.environ.setdefault("_RJEM_MALLOC_CONF", MALLOC_CONF)
    gc.disable()
    if "hypothesis" not in sys.modules:
        sys.modules["hypothesis"] = None        # import hypothesis -> ImportError: pandera does without it
    from flows import cli
    cli.FREEZE_IMPORTS["on"] = True
    gc.freeze()                                 # what the imports made: never walked by a collection again
    gc.enable()
    cli.main()


if __name__ == "__main__":
    main()
