"""The `skladki` command line: close, demo, synth (CONTRACT.md).

Exit status of `close`: 0 done (exceptions recorded), 1 could not be done and nothing written,
2 wrong usage.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from flows import settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="skladki: exact monthly close of trade-union dues.")


def _period(value: str) -> str:
    from transforms.staging import is_period
    if not is_period(value):
        raise typer.BadParameter(f"{value!r} is not a period YYYY-MM (e.g. 2026-10)")
    return value


def _run(period: str, inbox: Path, db: Path, out: Optional[Path], engine: str,
         unit_workbooks: bool = True):
    if engine == "plain":
        from flows.steps import run_plain
        return run_plain(period, inbox, db, out, progress=lambda m: print(m, flush=True),
                         unit_workbooks=unit_workbooks)
    print("starting Prefect (a local temporary server; about 10 s)...", flush=True)
    from flows.monthly_close import monthly_close
    return monthly_close(period, inbox, db, out, unit_workbooks=unit_workbooks)


@app.command()
def close(period: str = typer.Option(..., callback=_period, help="the month to close, YYYY-MM"),
          inbox: Path = typer.Option(..., help="folder with units.csv, members.csv, income/, adjustments.csv"),
          db: Path = typer.Option(..., help="DuckDB file (created if absent)"),
          out: Optional[Path] = typer.Option(None, help="folder for the Excel workbook"),
          engine: str = typer.Option("prefect", help="prefect (default) or plain: the same steps "
                                     "without the Prefect server"),
          unit_workbooks: bool = typer.Option(True, help="with --out, also one workbook per unit "
                                              "(members' names) in OUT/jednostki")):
    """Close one month: dues, split, transfers due, exceptions -> DuckDB (+ Excel)."""
    from flows.steps import summary_text
    if engine not in ("prefect", "plain"):
        raise typer.BadParameter("engine must be prefect or plain", param_hint="--engine")
    t0 = time.perf_counter()
    outcome = _run(period, inbox, db, out, engine, unit_workbooks)
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        raise typer.Exit(1)
    print(summary_text(outcome))
    print(f"  wall time: {time.perf_counter() - t0:.1f} s")


@app.command()
def demo(folder: Path = typer.Option(Path("out/demo"), help="where to put the database and workbook"),
         period: str = typer.Option("2026-10", callback=_period),
         engine: str = typer.Option("prefect", help="prefect (default) or plain")):
    """Close the bundled demo inbox (data/demo) into a fresh folder and print a summary."""
    from flows.steps import summary_text
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db = folder / "skladki.duckdb"
    print(f"demo: closing {period} from {settings.DEMO_INBOX} into {folder}", flush=True)
    outcome = _run(period, settings.DEMO_INBOX, db, folder, engine)
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        raise typer.Exit(1)
    print(summary_text(outcome))


@app.command()
def synth(members: int = typer.Option(..., min=1, help="number of members"),
          period: str = typer.Option(..., callback=_period),
          out: Path = typer.Option(..., help="inbox folder to write"),
          seed: int = typer.Option(2026, help="random seed (same seed, same inbox)")):
    """Write a deterministic, valid canonical inbox of any size (scale tests, benchmarks)."""
    from flows.synth import write_inbox
    t0 = time.perf_counter()
    counts = write_inbox(out, members, period, seed)
    print(f"synth: {counts['units']} units, {counts['members']} members, "
          f"{counts['income']} income lines, {counts['adjustments']} adjustments -> {out} "
          f"({time.perf_counter() - t0:.1f} s)")


@app.command("salary-caps")
def salary_caps(period: str = typer.Option(..., callback=_period, help="payroll month YYYY-MM"),
                officers: Path = typer.Option(..., help="officers.csv or .xlsx"),
                db: Path = typer.Option(..., help="DuckDB file (created if absent)"),
                out: Optional[Path] = typer.Option(None, help="folder for the Excel workbook"),
                wages: Optional[Path] = typer.Option(None, help="CSV of newer GUS quarters "
                                                     "(quarter,amount_pln,source)"),
                engine: str = typer.Option("prefect", help="prefect (default) or plain")):
    """Check elected officers' pay against the caps of 004 §7–§8 (RULES.md §9)."""
    from flows import salary_caps as caps
    if engine not in ("prefect", "plain"):
        raise typer.BadParameter("engine must be prefect or plain", param_hint="--engine")
    if engine == "plain":
        outcome = caps.run_plain(period, officers, db, out, wages)
    else:
        print("starting Prefect (a local temporary server; about 10 s)...", flush=True)
        outcome = caps.salary_caps_flow(period, officers, db, out, wages)
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        raise typer.Exit(1)
    print(caps.summary_text(outcome))


@app.command("verify-delegates")
def verify_delegates(inbox: Path = typer.Option(..., help="folder with remittances.csv and wages.csv"),
                     db: Path = typer.Option(..., help="DuckDB file (closes stored there are cross-checked)"),
                     out: Optional[Path] = typer.Option(None, help="folder for the Excel workbook"),
                     seats: Optional[int] = typer.Option(None, min=1, help="seats to apportion (largest remainder)"),
                     key: Optional[str] = typer.Option(None, help="per:N, per-started:N, or a key of "
                                                       "data/rulebooks/delegate_keys.toml"),
                     wage_fallback: Optional[str] = typer.Option(None, help="national: use the national "
                                                                 "average where a voivodeship figure is missing"),
                     engine: str = typer.Option("prefect", help="prefect (default) or plain")):
    """Verify delegate counts against remitted dues (Uchwała XIX KZD nr 6/2005) and apportion seats."""
    from flows import delegates
    if seats is not None and key is not None:
        raise typer.BadParameter("give --seats or --key, not both", param_hint="--seats/--key")
    if wage_fallback not in (None, "national"):
        raise typer.BadParameter("the only fallback is national", param_hint="--wage-fallback")
    if key is not None:
        from transforms.delegates import key_seats
        try:
            key_seats({}, key, delegates.KEYS.read_text(encoding="utf-8"))
        except (KeyError, ValueError) as e:
            raise typer.BadParameter(str(e), param_hint="--key") from None
    if engine == "plain":
        outcome = delegates.run_plain(inbox, db, out, seats, key, wage_fallback)
    else:
        print("starting Prefect (a local temporary server; about 10 s)...", flush=True)
        outcome = delegates.verify_delegates_flow(inbox, db, out, seats, key, wage_fallback)
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        raise typer.Exit(1)
    print(delegates.summary_text(outcome))


@app.command()
def reconcile(period: str = typer.Option(..., callback=_period, help="reconcile transfers up to this month"),
              statements: Path = typer.Option(..., help="folder with MT940 (*.sta, *.mt940, *.940) or bank "
                                              "*.csv statements, and optionally payments.csv"),
              db: Path = typer.Option(..., help="DuckDB file with the stored closes"),
              out: Optional[Path] = typer.Option(None, help="folder for the Excel workbooks"),
              engine: str = typer.Option("prefect", help="prefect (default) or plain")):
    """Match a region's bank credits to the transfers its units owe; verdicts and arrears."""
    from flows import reconcile as rec
    if engine == "plain":
        outcome = rec.run_plain(period, statements, db, out)
    else:
        print("starting Prefect (a local temporary server; about 10 s)...", flush=True)
        outcome = rec.reconcile_flow(period, statements, db, out)
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        raise typer.Exit(1)
    print(rec.summary_text(outcome))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
