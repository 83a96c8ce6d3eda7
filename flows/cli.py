"""The `skladki` command line (CONTRACT.md). One runner for every command: the engine switch,
the Polish message and exit status 1 for a run that cannot be done (nothing written), 2 for
wrong usage, the summary on success. ``--debug`` shows tracebacks, for developers.
"""
from __future__ import annotations

import shutil
import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from flows import settings
from flows.command import Command, Outcome, printer, run_plain, run_prefect

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="skladki: dokładne składki związkowe — zamknięcie miesiąca, podział, uzgodnienia.")
DEBUG = {"on": False}
ENGINES = ("auto", "prefect", "plain")
DEMO_MARKER = ".skladki-demo"
ENGINE_HELP = ("auto (domyślnie): przebieg Prefect, gdy działa serwer (PREFECT_API_URL albo skladki server start), "
               "inaczej te same kroki bez Prefect; prefect: zawsze Prefect (bez serwera tymczasowy, 10–30 s); "
               "plain: bez Prefect")
LOOKUP_ENGINE_HELP = "plain (domyślnie): bez Prefect; prefect: przebieg Prefect; auto: Prefect, gdy działa serwer"


@app.callback()
def main_options(debug: bool = typer.Option(False, "--debug", help="tracebacks for developers")) -> None:
    DEBUG["on"] = debug


def _parsed(parse, value):
    """An option's value by the one rule of transforms.parsing (ASCII digits, one form, years
    1900–2999; issue 27), or a usage error naming the option (exit 2). None: not given."""
    if value is None:
        return None
    try:
        parse(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    return value


def _period(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.period, value)


def _year(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.year, value)


def _date(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.day, value)


def _key(value: str | None) -> str | None:
    """per:N / per-started:N with N from 1; a named key is checked against data/delegate_keys.toml
    by the command."""
    from transforms.delegates import KEY_FORM
    if value is not None and value.startswith(("per:", "per-started:")):
        from transforms import parsing
        try:
            parsing.count(value.partition(":")[2])
        except ValueError:
            raise typer.BadParameter(KEY_FORM.format(key=value)) from None
    return value


def _number(smallest: int):
    """A parser of a whole-number option (ASCII digits, at least ``smallest``)."""
    def parse(value: str) -> int:
        from transforms import parsing
        try:
            return parsing.count(value, smallest)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    return parse


def _engine(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter("silnik to auto, prefect albo plain")
    return value


def execute(command: Command, engine: str, quiet: bool = False, **params) -> Outcome:
    """Run ``command`` on the chosen engine; print its summary, or its one Polish message and
    exit 1 (nothing written). An unexpected error is a bug: exit 1, traceback with --debug."""
    t0 = time.perf_counter()
    progress = printer(quiet)
    try:
        if engine == "auto":            # Prefect when a server runs, plain otherwise (issue 26)
            from flows.server import auto_engine
            engine, line = auto_engine()
            if engine == "prefect":
                command.check(params)   # arguments are checked before Prefect starts
            print(line, flush=True)
        elif engine == "prefect":
            command.check(params)       # arguments are checked before Prefect starts
            from flows.server import choose_api
            print(choose_api(), flush=True)
        if engine == "plain":
            outcome = run_plain(command, progress, **params)
        else:
            from flows.orchestration import FLOWS
            outcome = run_prefect(command, FLOWS[command.name], progress,
                                  **{k: str(v) if isinstance(v, Path) else v for k, v in params.items()},
                                  quiet=quiet)
    except Exception as e:  # noqa: BLE001 - an unanticipated failure: one line, or the traceback with --debug
        from transforms.errors import UserError
        if isinstance(e, UserError):
            outcome = Outcome(False, str(e))
        elif DEBUG["on"]:
            raise
        else:
            print(f"błąd: nieoczekiwany błąd programu ({type(e).__name__}: {e}); nic nie zostało zapisane. "
                  "Uruchom ponownie z --debug i zgłoś go.", file=sys.stderr)
            raise typer.Exit(1) from None
    if not outcome.ok:
        print(f"błąd: {outcome.message}", file=sys.stderr)
        print("nic nie zostało zapisane.", file=sys.stderr)
        raise typer.Exit(1)
    from transforms.polish import cite       # citations as the union names them (issue 26)
    print(cite(command.summary(outcome.run)))
    print(f"  czas: {time.perf_counter() - t0:.1f} s, silnik: " + (
        "plain (bez Prefect)" if engine == "plain" else f"prefect ({os.environ.get('PREFECT_API_URL') or 'serwer tymczasowy'})"))
    return outcome


@app.command()
def close(period: str = typer.Option(..., callback=_period, help="zamykany miesiąc, RRRR-MM"),
          inbox: Path = typer.Option(..., help="folder z units.csv, members.csv, income/, adjustments.csv"),
          db: Path = typer.Option(..., help="plik DuckDB (tworzony, jeśli go nie ma)"),
          out: Optional[Path] = typer.Option(None, help="folder na skoroszyty Excel"),
          engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP),
          unit_workbooks: Optional[bool] = typer.Option(
              None, "--unit-workbooks/--no-unit-workbooks",
              help="z --out także skoroszyt i rozliczenie PDF każdej jednostki w OUT/jednostki; domyślnie tak, "
                   "gdy zamknięcie ma najwyżej 100 jednostek (większe: skladki documents na żądanie)"),
          unit: Optional[list[str]] = typer.Option(None, help="zamknij tylko tę jednostkę skrzynki (można podać "
                                                   "kilka razy); inne jednostki w bazie zostają bez zmian"),
          only_complete: bool = typer.Option(False, "--only-complete", help="zamknij tylko jednostki z kompletnymi "
                                             "plikami; pozostałe wypisz (tak działa zamknięcie z harmonogramu)")):
    """Zamknięcie miesiąca: składki, podział, przelewy, wyjątki -> DuckDB (+ Excel). Projekt do zatwierdzenia."""
    from flows.close import CLOSE
    execute(CLOSE, engine, period=period, inbox=inbox, db=db, out=out, unit_workbooks=unit_workbooks,
            units=unit or None, only_complete=only_complete)


@app.command()
def approve(period: str = typer.Option(..., callback=_period, help="zatwierdzany miesiąc, RRRR-MM"),
            db: Path = typer.Option(..., help="plik bazy DuckDB z zamkniętym miesiącem"),
            unit: Optional[list[str]] = typer.Option(None, help="zatwierdzana jednostka (można podać kilka razy)"),
            all_: bool = typer.Option(False, "--all", help="wszystkie jednostki zamknięte za ten miesiąc"),
            by: str = typer.Option("", help="kto zatwierdza (imię i nazwisko albo funkcja), zapisywane w bazie"),
            force: bool = typer.Option(False, "--force", help="zatwierdź mimo braków (wymaga --reason)"),
            reason: Optional[str] = typer.Option(None, help="powód zatwierdzenia niekompletnego miesiąca"),
            out: Optional[Path] = typer.Option(None, help="folder na dokumenty zatwierdzonych jednostek"),
            members: Optional[Path] = typer.Option(None, help="members.csv jednostki (imiona i nazwiska w dokumentach)"),
            engine: str = typer.Option("plain", callback=_engine, help="plain (domyślnie) albo prefect")):
    """Zatwierdzenie miesiąca jednostki: projekt staje się rozliczeniem; późniejsze zmiany idą jako korekta."""
    from flows.approve import APPROVE
    execute(APPROVE, engine, period=period, db=db, units=unit or None, all=all_, by=by, force=force, reason=reason,
            out=out, members=members)


@app.command()
def demo(folder: Path = typer.Option(Path("out/demo"), help="gdzie zapisać bazę i skoroszyty"),
         period: str = typer.Option("2026-10", callback=_period),
         engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Zamyka dołączoną skrzynkę demonstracyjną (data/demo) w nowym folderze i drukuje podsumowanie."""
    from flows.close import CLOSE
    from transforms.errors import UserError
    marker = folder / DEMO_MARKER
    if folder.exists() and any(folder.iterdir()) and not marker.exists():
        print(f"błąd: {UserError('demo_folder_taken', folder=folder)}", file=sys.stderr)
        raise typer.Exit(1)
    if folder.exists():
        shutil.rmtree(folder)              # a folder the demo made before: made afresh
    folder.mkdir(parents=True)
    marker.write_text("folder utworzony przez `skladki demo`; demo może go usunąć i utworzyć ponownie\n",
                      encoding="utf-8")
    # two months: the first has no receipt information (its dues are assumed received), the second
    # has the employers' deductions and payments.csv, so the members' accounts carry over
    from transforms.ledger import shift_period
    first = shift_period(period, -1)
    print(f"demo: zamknięcie {first} z {settings.DEMO_INBOX} do {folder}", flush=True)
    execute(CLOSE, "plain", period=first, inbox=settings.DEMO_INBOX,
            db=folder / "skladki.duckdb", out=folder, unit_workbooks=False)
    from flows.approve import APPROVE           # RULES.md §13: a checked month is approved
    print(f"\ndemo: zatwierdzenie {first} przez skarbników", flush=True)
    execute(APPROVE, "plain", period=first, db=folder / "skladki.duckdb", units=None, all=True,
            by="demo: skarbnik jednostki", force=False, reason=None, out=None, members=None)
    print(f"\ndemo: zamknięcie {period} z {settings.DEMO_INBOX} do {folder}", flush=True)
    execute(CLOSE, engine, period=period, inbox=settings.DEMO_INBOX, db=folder / "skladki.duckdb", out=folder,
            unit_workbooks=True)
    from flows.statement import STATEMENT
    print(f"\ndemo: zaświadczenia o składkach za {period[:4]} r. (PIT)", flush=True)
    execute(STATEMENT, "plain", quiet=True, year=int(period[:4]), db=folder / "skladki.duckdb", out=folder,
            members=settings.DEMO_INBOX / "members.csv")
    from flows.reconcile import RECONCILE
    print(f"\ndemo: uzgodnienie wyciągów regionów do {period} (data/demo/statements)", flush=True)
    execute(RECONCILE, "plain", quiet=True, period=period, statements=settings.DEMO_INBOX / "statements",
            db=folder / "skladki.duckdb", out=folder)
    from flows.reconcile import reconcile_levels
    for level, spec in sorted(reconcile_levels(period).items()):     # the levels above the regions
        print(f"\ndemo: uzgodnienie wyciągu, {spec['label']}, do {period} (data/demo/statements_krajowe)", flush=True)
        execute(RECONCILE, "plain", quiet=True, period=period, statements=settings.DEMO_INBOX / "statements_krajowe",
                db=folder / "skladki.duckdb", out=folder, level=level)


@app.command()
def synth(members: int = typer.Option(..., parser=_number(1), help="liczba członków"),
          period: str = typer.Option(..., callback=_period),
          out: Path = typer.Option(..., help="folder skrzynki do zapisania"),
          seed: int = typer.Option(2026, parser=_number(0), help="ziarno losowania (to samo ziarno, ta sama skrzynka)"),
          receipts: bool = typer.Option(False, help="także wpływy: potrącenia pracodawców (z częścią błędów) "
                                        "i wpłaty członków (payments.csv)")):
    """Zapisuje deterministyczną, poprawną skrzynkę dowolnej wielkości (testy skali, pomiary)."""
    from flows.synth import write_inbox
    t0 = time.perf_counter()
    counts = write_inbox(out, members, period, seed, receipts=receipts)
    extra = (f", potrąceń {counts['deductions']}, wpłat {counts['payments']}" if receipts else "")
    print(f"synth: jednostek {counts['units']}, członków {counts['members']}, wierszy dochodu "
          f"{counts['income']}, decyzji {counts['adjustments']}{extra} -> {out} ({time.perf_counter() - t0:.1f} s)")


@app.command()
def statement(year: str = typer.Option(..., callback=_year, help="rok podatkowy, RRRR"),
              db: Path = typer.Option(..., help="plik bazy DuckDB z zamkniętymi miesiącami"),
              out: Path = typer.Option(..., help="folder na skoroszyty i PDF"),
              members: Optional[Path] = typer.Option(None, help="members.csv jednostki (imiona i nazwiska "
                                                     "na zaświadczeniach; bez niego numery członków)"),
              engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Roczne zaświadczenia o składkach członkowskich (do odliczenia w PIT) z kont członków."""
    from flows.statement import STATEMENT
    execute(STATEMENT, engine, year=year, db=db, out=out, members=members)   # the year is checked in Polish


@app.command()
def explain(period: Optional[str] = typer.Option(None, callback=_period, help="okres RRRR-MM (dla --member i --unit)"),
            db: Path = typer.Option(..., help="plik bazy DuckDB"),
            member: Optional[str] = typer.Option(None, help="numer członka"),
            unit: Optional[str] = typer.Option(None, help="identyfikator jednostki"),
            region: Optional[str] = typer.Option(None, help="identyfikator regionu (weryfikacja delegatów)"),
            out: Optional[Path] = typer.Option(None, help="folder na arkusz z wyjaśnieniem"),
            engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Wyjaśnia kwotę: z jakich wierszy, według jakiej reguły i paragrafu, z jakim zaokrągleniem."""
    from flows.explain import EXPLAIN
    execute(EXPLAIN, engine, period=period, db=db, member_id=member, unit_id=unit, region_id=region, out=out)


@app.command()
def replay(run: str = typer.Option(..., "--run", help="numer przebiegu (tabela runs)"),
           db: Path = typer.Option(..., help="plik bazy DuckDB"),
           engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Powtarza zamknięcie z jego archiwum w bazie roboczej i porównuje każdą tabelę miesiąca."""
    from flows.replay import REPLAY
    execute(REPLAY, engine, run=run, db=db)


@app.command()
def archive(export: str = typer.Option(..., "--export", help="numer przebiegu do wydania"),
            folder: Path = typer.Argument(..., help="nowy albo pusty folder, do którego zapisać pliki"),
            db: Path = typer.Option(..., help="plik bazy DuckDB"),
            with_personal_data: bool = typer.Option(
                False, "--with-personal-data", help="także dokładne wejścia jednostki (members.csv, listy płac: "
                "PESEL, imiona i nazwiska, wynagrodzenia); bez tej opcji tylko ich sumy kontrolne")):
    """Wydaje audytorowi archiwum zamknięcia: pliki programu, tabele miesiąca i sumy kontrolne wejść (MANIFEST.txt)."""
    from flows.archive import EXPORT
    execute(EXPORT, "plain", export=export, folder=folder, db=db, with_personal_data=with_personal_data)


@app.command()
def benefits(inbox: Path = typer.Option(..., help="folder z units.csv, members.csv i benefit_claims.csv"),
             db: Path = typer.Option(..., help="plik bazy DuckDB"),
             out: Optional[Path] = typer.Option(None, help="folder na skoroszyty"),
             date: Optional[str] = typer.Option(None, callback=_date, help="dzień decyzji RRRR-MM-DD (domyślnie dziś)"),
             engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Zasiłki statutowe (004 §5, §9): decyzja dla każdego wniosku, z paragrafem."""
    from flows.benefits import BENEFITS
    execute(BENEFITS, engine, inbox=inbox, db=db, out=out, date=date)


@app.command("calendar")
def calendar_(date: str = typer.Option(..., callback=_date, help="dzień RRRR-MM-DD"),
              db: Path = typer.Option(..., help="plik bazy DuckDB"),
              statements: Optional[Path] = typer.Option(None, help="statements.csv: body, year, received_on"),
              out: Optional[Path] = typer.Option(None, help="folder na arkusz"),
              engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Co jest do zrobienia albo po terminie w danym dniu: przelewy, sprawozdania, obniżki, zaległości, zasiłki."""
    from flows.calendar import CALENDAR
    execute(CALENDAR, engine, date=date, db=db, statements=statements, out=out)


@app.command()
def documents(period: str = typer.Option(..., callback=_period, help="zamknięty miesiąc, RRRR-MM"),
              db: Path = typer.Option(..., help="plik bazy DuckDB z zamkniętym miesiącem"),
              out: Path = typer.Option(..., help="folder na dokumenty (podfolder jednostki/)"),
              unit: Optional[list[str]] = typer.Option(None, help="jednostka (można podać kilka razy); "
                                                       "bez niej wszystkie jednostki"),
              members: Optional[Path] = typer.Option(None, help="members.csv jednostki (imiona i nazwiska)"),
              engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Skoroszyt i rozliczenie PDF skarbnika jednostki z zapisanego zamknięcia, na żądanie."""
    from flows.documents import DOCUMENTS
    execute(DOCUMENTS, engine, period=period, db=db, out=out, units=unit or None, members=members)


@app.command()
def seats(key: str = typer.Option(..., callback=_key, help="klucz z data/delegate_keys.toml, per:N albo per-started:N"),
          db: Optional[Path] = typer.Option(None, help="plik bazy DuckDB z zamkniętym miesiącem"),
          period: Optional[str] = typer.Option(None, callback=_period, help="zamknięty miesiąc RRRR-MM (z --db)"),
          members: Optional[Path] = typer.Option(None, help="plik liczebności: unit_id albo region_id, members"),
          out: Optional[Path] = typer.Option(None, help="folder na arkusz"),
          engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Mandaty według klucza (002 §23 ust. 9, 003 Ordynacja Art. 17, 001 §23 pkt 2, ordynacja NSZZ „S”)."""
    from flows.elections import SEATS
    execute(SEATS, engine, key=key, db=db, period=period, members=members, out=out)


@app.command()
def eligibility(date: str = typer.Option(..., callback=_date, help="dzień wyborów RRRR-MM-DD"),
                body: str = typer.Option(..., help="jednostka, region albo związek (zebranie krajowe), np. SL-0001"),
                db: Path = typer.Option(..., help="plik bazy DuckDB z zamkniętymi miesiącami"),
                members: Optional[Path] = typer.Option(None, help="members.csv jednostki (imiona i nazwiska na listach)"),
                assembly: Optional[Path] = typer.Option(None, help="delegaci zebrania dokonującego wyboru (member_id); "
                                                        "bez niego wybiera zebranie członków"),
                out: Optional[Path] = typer.Option(None, help="folder na listy"),
                engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Listy uprawnionych do głosowania i do kandydowania w dniu wyborów, z powodem każdego wyłączenia."""
    from flows.elections import ELIGIBILITY
    execute(ELIGIBILITY, engine, date=date, body=body, db=db, members=members, assembly=assembly, out=out)


@app.command()
def tally(votes: Path = typer.Option(..., help="protokół: election, entitled, participants, invalid, seats, "
                                     "candidate, votes"),
          rules: str = typer.Option(..., help="zasady wyborcze związku: solidarnosc, przerobka, mzzpsz, ozz_srl"),
          out: Optional[Path] = typer.Option(None, help="folder na arkusz"),
          engine: str = typer.Option("plain", callback=_engine, help=LOOKUP_ENGINE_HELP)):
    """Wynik głosowania: kworum, ważność, wybrani i druga tura."""
    from flows.elections import TALLY
    execute(TALLY, engine, votes=votes, rules=rules, out=out)


@app.command("salary-caps")
def salary_caps(period: str = typer.Option(..., callback=_period, help="miesiąc wypłaty, RRRR-MM"),
                officers: Path = typer.Option(..., help="officers.csv albo .xlsx"),
                db: Path = typer.Option(..., help="plik DuckDB (tworzony, jeśli go nie ma)"),
                out: Optional[Path] = typer.Option(None, help="folder na skoroszyt Excel"),
                wages: Optional[Path] = typer.Option(None, help="CSV nowszych kwartałów GUS "
                                                     "(quarter,amount_pln,source)"),
                engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Wynagrodzenia wybieralnych funkcyjnych wobec limitów 004 §7–§8 (RULES.md §9)."""
    from flows.salary_caps import SALARY_CAPS
    execute(SALARY_CAPS, engine, period=period, officers=officers, db=db, out=out, wages=wages)


@app.command("verify-delegates")
def verify_delegates(inbox: Path = typer.Option(..., help="folder z remittances.csv i wages.csv"),
                     db: Path = typer.Option(..., help="plik DuckDB (zapisane zamknięcia są porównywane)"),
                     out: Optional[Path] = typer.Option(None, help="folder na skoroszyt Excel"),
                     seats: Optional[int] = typer.Option(None, parser=_number(1), help="liczba mandatów do podziału "
                                                         "(największe reszty)"),
                     key: Optional[str] = typer.Option(None, callback=_key, help="per:N, per-started:N albo klucz z "
                                                       "data/delegate_keys.toml"),
                     wage_fallback: Optional[str] = typer.Option(None, help="national: przeciętne ogólnopolskie, "
                                                                 "gdy brak danych województwa"),
                     engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Weryfikacja liczby delegatów wobec przekazanych składek (Uchwała XIX KZD nr 6/2005) i mandaty."""
    from flows.delegates import VERIFY_DELEGATES
    if seats is not None and key is not None:
        raise typer.BadParameter("podaj --seats albo --key, nie oba", param_hint="--seats/--key")
    execute(VERIFY_DELEGATES, engine, inbox=inbox, db=db, out=out, seats=seats, key=key, wage_fallback=wage_fallback)


@app.command()
def reconcile(period: str = typer.Option(..., callback=_period, help="uzgodnij przelewy do tego miesiąca"),
              statements: Path = typer.Option(..., help="folder z wyciągami MT940 (*.sta, *.mt940, *.940) albo "
                                              "bankowymi *.csv, opcjonalnie payments.csv"),
              db: Path = typer.Option(..., help="plik DuckDB z zapisanymi zamknięciami"),
              out: Optional[Path] = typer.Option(None, help="folder na skoroszyty Excel"),
              region_id: Optional[str] = typer.Option(None, "--region", help="tylko jednostki tego regionu "
                                                      "(wyciąg jednego regionu)"),
              level: Optional[str] = typer.Option(None, help="national: wyciągi Komisji Krajowej wobec przekazań "
                                                  "regionów i składek jednostek (bez --level: poziom regionu)"),
              engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Wpływy na rachunek regionu (albo Komisji Krajowej) wobec przelewów należnych; statusy i zaległości."""
    from flows.reconcile import RECONCILE
    execute(RECONCILE, engine, period=period, statements=statements, db=db, out=out, region_id=region_id, level=level)


server_app = typer.Typer(help="Lokalny serwer Prefect z ustawieniami skladki (UI: http://127.0.0.1:4200).")
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start():
    """Uruchamia lokalny serwer Prefect w tle; każde polecenie z silnikiem prefect go używa."""
    from flows import server
    from transforms.errors import UserError
    try:
        print(server.start())
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None


@server_app.command("stop")
def server_stop():
    """Zatrzymuje serwer uruchomiony przez `skladki server start`."""
    from flows import server
    from transforms.errors import UserError
    try:
        print(server.stop())
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None


@server_app.command("status")
def server_status():
    """Czy serwer Prefect działa (PREFECT_API_URL albo lokalny)."""
    from flows import server
    print(server.status())


@app.command()
def serve(inbox: Path = typer.Option(..., help="skrzynka zamknięcia miesięcznego"),
          db: Path = typer.Option(..., help="plik DuckDB"),
          out: Optional[Path] = typer.Option(None, help="folder na skoroszyty"),
          statements: Optional[Path] = typer.Option(None, help="folder wyciągów (wdrożenie uzgodnienia)"),
          officers: Optional[Path] = typer.Option(None, help="officers.csv (wdrożenie limitów wynagrodzeń)"),
          delegates_inbox: Optional[Path] = typer.Option(None, help="skrzynka weryfikacji delegatów")):
    """Udostępnia wdrożenia Prefect: zamknięcie co miesiąc 5. dnia o 6:00 czasu polskiego (za poprzedni
    miesiąc) i pozostałe polecenia na żądanie z UI; działa do przerwania (Ctrl+C). Bez działającego
    serwera najpierw uruchamia lokalny (jak skladki server start)."""
    from flows import server
    from transforms.errors import UserError
    if wrong := server.serve_paths_problem(inbox, db, out, statements, officers, delegates_inbox):
        raise typer.BadParameter(wrong[1], param_hint=wrong[0])     # exit 2: the runs could never use it
    try:
        engine, line = server.auto_engine()
        if engine == "plain" and os.environ.get("PREFECT_API_URL"):
            raise UserError("server_unreachable", api=os.environ["PREFECT_API_URL"])
        if engine == "plain":       # serving needs a server that stays: the local one, started for good
            print(f"skladki serve: {server.start()} (zatrzymanie: skladki server stop)", flush=True)
            engine, line = server.auto_engine()
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(line, flush=True)
    from prefect import serve as prefect_serve
    from flows.orchestration import banner, deployments
    absolute = lambda p: str(Path(p).resolve()) if p else None  # noqa: E731
    paths = dict(inbox=absolute(inbox), db=absolute(db), out=absolute(out), statements=absolute(statements),
                 officers=absolute(officers), delegates_inbox=absolute(delegates_inbox))
    served = deployments(**paths)
    print(banner(served, os.environ["PREFECT_API_URL"].removesuffix("/api"), paths), flush=True)
    prefect_serve(*served, print_starting_message=False)


def _kind(e: BaseException) -> set[str]:
    # typer vendors its own copy of click: its exception classes are told apart by name
    return {c.__name__ for c in type(e).__mro__}


def usage_message(e) -> str:
    """click's usage errors in Polish (exit status 2 stays: wrong usage, CONTRACT.md)."""
    kind = _kind(e)
    param = getattr(e, "param", None)
    opt = "/".join(param.opts) if param is not None and getattr(param, "opts", None) else ""
    if "MissingParameter" in kind:
        return f"brak wymaganej opcji {opt}"
    if "NoSuchOption" in kind:
        return f"nieznana opcja {e.option_name}"
    if "BadParameter" in kind:
        return f"zła wartość {opt or getattr(e, 'param_hint', '') or ''}: {e.message}"
    if e.message.startswith("No such command") and "'" in e.message:
        return "nieznane polecenie " + e.message.split("'")[1]
    return e.message


def main() -> None:
    """The console script: usage errors in Polish, exit 2; everything else as the commands say."""
    try:
        rv = app(standalone_mode=False)
    except Exception as e:  # noqa: BLE001 - only click's usage errors and aborts are handled here
        kind = _kind(e)
        if "UsageError" in kind:
            ctx = getattr(e, "ctx", None)
            command = ctx.command_path.replace("root", "skladki") if ctx else "skladki"
            print(f"błąd użycia: {usage_message(e)}. Pomoc: {command} --help", file=sys.stderr)
            sys.exit(2)
        if "Abort" in kind:
            sys.exit(1)
        raise
    leave(rv if isinstance(rv, int) else 0)


def leave(code: int) -> None:
    """Exit without the interpreter's teardown when nothing needs it: the work is done (the
    database committed, the files in place, the summary printed). After a Prefect run against a
    server (PREFECT_API_URL) the teardown of its worker threads and thousands of modules takes
    ~1 s, so the logs and events still queued for the UI are delivered first, then the process
    ends. A temporary Prefect server is stopped by Prefect's own exit handlers: then the normal
    exit runs."""
    if "prefect" in sys.modules and not os.environ.get("PREFECT_API_URL"):
        sys.exit(code)
    if "prefect" in sys.modules:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker
        APILogWorker.drain_all()
        EventsWorker.drain_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
