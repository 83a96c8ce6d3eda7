"""Issue 26 points 6 and 7: canonical files as Polish Excel writes them close exactly like the
canonical ones, and a unit's treasurer sees every problem of the unit in the unit's own workbook."""
from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import duckdb
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from flows.cli import app

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NBSP = "\u00a0"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def polish_amount(text: str) -> str:
    """'1234.56' as Polish Excel shows it: '1 234,56' (a non-breaking space between thousands)."""
    t = text.strip()
    if not t or not all(c in "-0123456789." for c in t) or t.count(".") > 1 or len(t.partition(".")[2]) > 2:
        return text                    # not an amount (a deliberate mistake of the demo): as it was
    sign, t = ("-", t[1:]) if t.startswith("-") else ("", t)
    whole, _, frac = t.partition(".")
    if len(whole) > 3:
        whole = f"{int(whole):,}".replace(",", NBSP)
    return sign + whole + ("," + frac if frac else "")


def polish_date(text: str) -> str:
    return f"{text[8:10]}.{text[5:7]}.{text[:4]}" if len(text) == 10 and text[4] == "-" else text


def write_polish_csv(path: Path, rows: list[dict], columns: list[str], encoding: str = "cp1250") -> None:
    """';'-separated, as Polish Excel saves 'CSV (rozdzielany średnikami)'."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(columns)
    w.writerows([r[c] for c in columns] for r in rows)
    path.write_bytes(out.getvalue().encode(encoding))


def polish_copy(inbox: Path, target: Path) -> Path:
    """The demo's canonical files re-spelled as a treasurer's Polish Excel leaves them: ';' CSV in
    Windows-1250 or UTF-8 with a BOM, decimal commas with thousands separators, DD.MM.RRRR dates,
    the Polish category labels, and members as an .xlsx whose PESELs are number cells (the
    leading zero of everyone born 2000–2009 gone). Payroll exports are copied as they are."""
    shutil.copytree(inbox, target)
    labels = {"employee": "Pracownik", "other_income": "inne dochody", "pensioner": "EMERYT/RENCISTA",
              "unemployed": "bezrobotny/urlop bezpłatny"}
    members = _rows(inbox / "members.csv")
    wb = Workbook()
    ws = wb.active
    columns = list(members[0])
    ws.append(columns)
    for r in members:
        ws.append([int(r["pesel"]) if c == "pesel" and r[c].isdigit() else
                   labels.get(r[c], r[c]) if c == "category" else
                   date.fromisoformat(r[c]) if c == "joined_on" and r[c] else
                   polish_date(r[c]) if c == "left_on" else (r[c] or None) for c in columns])
    (target / "members.csv").unlink()
    wb.save(target / "members.xlsx")

    units = _rows(inbox / "units.csv")
    for r in units:
        for c in ("unemployed_flat", "pensioner_flat", "benefit_birth", "benefit_death_member", "benefit_death_family"):
            r[c] = polish_amount(r[c])
    write_polish_csv(target / "units.csv", units, list(units[0]))
    adjustments = _rows(inbox / "adjustments.csv")
    for r in adjustments:
        r["amount"] = polish_amount(r["amount"])
    write_polish_csv(target / "adjustments.csv", adjustments, list(adjustments[0]), "utf-8-sig")
    payments = _rows(inbox / "payments.csv")
    for r in payments:
        r["amount"], r["paid_on"] = polish_amount(r["amount"]), polish_date(r["paid_on"])
    write_polish_csv(target / "payments.csv", payments, list(payments[0]))
    for path in sorted((inbox / "income").glob("*.csv")):
        head = path.read_bytes()[:200]
        if not head.startswith(b"period,member_id,component,amount"):
            continue                     # a payroll export: read through its profile, unchanged
        lines = _rows(path)
        for r in lines:
            r["amount"] = polish_amount(r["amount"])
        write_polish_csv(target / "income" / path.name, lines, list(lines[0]))
    return target


# tables that name the run or hold the files' bytes; everything else must be equal
NOT_COMPARED = {"runs", "archive_files", "archive_blobs"}


def stored(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = sorted(t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
                       if t not in NOT_COMPARED)
        same_file = lambda v: v.replace("members.xlsx", "members.csv") if isinstance(v, str) else v  # noqa: E731
        runs = " EXCLUDE (run_id, last_run_id)"       # a unit's month names the run that closed it
        return {t: sorted(tuple(same_file(v) for v in row) for row in con.execute(
            f"SELECT *{runs if t == 'unit_months' else ''} FROM {t}").fetchall()) for t in names}
    finally:
        con.close()


def close(inbox: Path, db: Path, out: Path | None = None):
    args = ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(db), "--engine", "plain"]
    res = CliRunner().invoke(app, args + (["--out", str(out)] if out else []))
    assert res.exit_code == 0, res.output
    return res


def test_issue_26_canonical_files_as_polish_excel_writes_them_close_exactly_like_the_canonical_ones(tmp_path):
    polish = polish_copy(DEMO, tmp_path / "polish")
    assert "5,00" in (polish / "units.csv").read_bytes().decode("cp1250")
    assert load_workbook(polish / "members.xlsx").active["F22"].data_type == "n"     # a PESEL as a number
    assert any(len(str(c.value)) == 10 for c in load_workbook(polish / "members.xlsx").active["F"])
    close(DEMO, tmp_path / "canonical.duckdb")
    res = close(polish, tmp_path / "polish.duckdb")
    assert "Windows-1250, separator ';'" in res.output
    canonical, spelled = stored(tmp_path / "canonical.duckdb"), stored(tmp_path / "polish.duckdb")
    assert canonical.keys() == spelled.keys() and {"dues", "exceptions", "receipts", "income_lines"} <= canonical.keys()
    for table in canonical:
        assert spelled[table] == canonical[table], table
    assert len(canonical["dues"]) > 300


def sheet_rows(path: Path, name: str) -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_issue_26_the_unit_workbook_shows_every_problem_of_the_unit(tmp_path):
    """A member blocked by a PESEL typo is in the unit's Wyjątki with the name and the reason; the
    payroll row of a non-member whose dues HR deducted reaches the workbook of the unit whose
    members the payroll lists, and says what was deducted; an unknown member's line likewise."""
    inbox = tmp_path / "inbox"
    shutil.copytree(DEMO, inbox)
    huta = inbox / "income" / "huta_lista_plac_2026-10.csv"
    lines = huta.read_bytes().decode("cp1250").split("\r\n") if b"\r\n" in huta.read_bytes() else \
        huta.read_bytes().decode("cp1250").split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("1;"))
    lines.insert(at + 1, "99;Osoba Spoza;02271409867;hutnik;10.2026;4 000,00;;;;;;;;4 000,00;32,80;3 967,20")
    huta.write_bytes(("\r\n" if b"\r\n" in huta.read_bytes() else "\n").join(lines).encode("cp1250"))
    close(inbox, tmp_path / "x.duckdb", tmp_path / "out")
    units = tmp_path / "out" / "jednostki"

    gd = sheet_rows(units / "skladki_GD-0001_2026-10.xlsx", "Wyjątki")
    # issue 26: the code beside its Polish label
    blocked = [r for r in gd if "M0000011" in r and "błędny wiersz członka (bad_member)" in r]
    assert len(blocked) == 1 and "Monika Jakubowska" in blocked[0]
    assert "PESEL '[PESEL ukryty]' jest niepoprawny" in next(c for c in blocked[0] if c and "PESEL" in str(c))
    assert not any("M0000011" in (r[2] or "") for r in sheet_rows(units / "skladki_GD-0001_2026-10.xlsx",
                                                                   "Składki członków"))

    sl = sheet_rows(units / "skladki_SL-0001_2026-10.xlsx", "Wyjątki")
    deducted = [r for r in sl if any("potrącił tej osobie składkę związkową 32,80 zł" in str(c) for c in r)]
    assert len(deducted) == 1, sl
    row = deducted[0]
    assert row[0] == "income/huta_lista_plac_2026-10.csv" and row[4] == "nieznany członek (unknown_member)"
    assert "pesel '[PESEL ukryty]'" in row[5] and "osoba spoza members.csv" in row[6]
    assert "02271409867" not in str(sl) and "2271409867" not in str(sl)
    # a line of an unknown member number in a file listing several units' members reaches each of them
    unknown = [u for u in ("SL-0001", "SL-0002", "GD-0002") if any(
        "M9999999" in r for r in sheet_rows(units / f"skladki_{u}_2026-10.xlsx", "Wyjątki"))]
    assert unknown == ["SL-0001", "SL-0002", "GD-0002"]
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    try:
        # every exception that names a known member or unit reaches a unit, and says on what basis
        assert con.execute("SELECT count(*) FROM exceptions e WHERE (e.member_id IN (SELECT member_id FROM memberships)"
                           " OR e.unit_id IN (SELECT unit_id FROM units)) AND NOT EXISTS (SELECT 1 FROM"
                           " unit_exceptions x WHERE x.message = e.message)").fetchone()[0] == 0
        assert {b for (b,) in con.execute("SELECT DISTINCT basis FROM unit_exceptions").fetchall()} == {
            "record", "member", "file"}
    finally:
        con.close()


def test_issue_26_a_pesel_saved_as_a_number_gets_its_leading_zeros_back(tmp_path):
    from flows.inbox import read_table
    from transforms.staging import pad_pesel
    wb = Workbook()
    wb.active.append(["member_id", "unit_id", "category", "joined_on", "pesel"])
    for mid, pesel in [("M1", 2271409867), ("M2", 85010112346), ("M3", 211409867.0), ("M4", "02271409867"),
                       ("M5", 1.5), ("M6", None)]:
        wb.active.append([mid, "U1", "pracownik", date(2020, 1, 1), pesel])
    wb.save(tmp_path / "members.xlsx")
    read = read_table(tmp_path / "members.xlsx", "members")
    assert read["pesel"].to_list() == ["02271409867", "85010112346", "00211409867", "02271409867", "1.5", None]
    (tmp_path / "members.csv").write_text("member_id;unit_id;category;joined_on;pesel\n"
                                          "M1;U1;pracownik;01.01.2020;2271409867\nM2;U1;employee;2020-01-01;123\n"
                                          "M3;U1;employee;2020-01-01;022714098671\n", encoding="utf-8")
    assert read_table(tmp_path / "members.csv", "members")["pesel"].to_list() == [
        "02271409867", "123", "022714098671"]
    assert [pad_pesel(v) for v in ("2271409867", "211409867", " 2271409867 ", "12345678", "8501011234a")] == [
        "02271409867", "00211409867", "02271409867", "12345678", "8501011234a"]
