"""Issue 3: employer payroll exports through mapping profiles, PESEL matching, deduction check."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from flows.close import CLOSE
from tests.conftest import close_plain, dues_of, line, member, run_close, write_inbox
from transforms.money import parse_amount
from transforms.payroll import normalise

FIX = Path(__file__).parent / "fixtures" / "payroll"
PESEL = {"M1": "02070803628", "M2": "85010112345", "M3": "64022798174"}


def members():
    return [member(m, pesel=p, full_name=m) for m, p in PESEL.items()] + [
        member("M4", staff_number="S-0042", full_name="Zofia Mazur")]


def payroll_inbox(tmp_path, *files, extra_income=()):
    inbox = write_inbox(tmp_path / "inbox", members=members(), income=list(extra_income) or None)
    (inbox / "income").mkdir(exist_ok=True)
    for f in files:
        shutil.copy(FIX / f, inbox / "income" / f)
    return inbox


def test_fixture_bytes_are_cp1250_with_nbsp_title_block_and_totals():
    raw = (FIX / "huta_2026-10.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1250")
    assert "płac" in text and "\u00a0" in text and '"Kowalski; Jan"' in text
    assert text.splitlines()[-1].startswith("Razem") and ";02070803628;" in text


def test_normalise_ignores_case_diacritics_and_dots():
    assert normalise("Wynagr. ZASADNICZE") == normalise("wynagr zasadnicze")
    assert normalise("Dod. stażowy") == "dod stazowy"
    assert normalise("Świadczenie  z ZFŚS") == "swiadczenie z zfss"


@pytest.mark.parametrize("text,grosze", [("1 234,56", 123456), ("1\u00a0234,56", 123456),
                                         ("1\u202f234,56", 123456), ("-120,50", -12050), ("7", 700)])
def test_amounts_with_thousands_separators_and_decimal_comma(text, grosze):
    assert parse_amount(text, ",") == grosze


def test_wide_cp1250_export_maps_onto_canonical_lines(tmp_path):
    r = run_close(payroll_inbox(tmp_path, "huta_2026-10.csv"))
    assert dues_of(r, "M1")["base"] == 771_250 and dues_of(r, "M1")["dues"] == 6_324
    assert dues_of(r, "M2")["base"] == 480_000          # jubilee award and leave equivalent excluded
    assert dues_of(r, "M3")["base"] == 478_690          # the correction row -120,50 counts
    assert r.exceptions.filter(r.exceptions["member_id"].is_in(["M1", "M2", "M3"])).height == 0
    # the totals row is not a person: it is skipped, nothing vanishes
    assert r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped


def test_same_payroll_as_canonical_lines_gives_identical_dues(tmp_path):
    via_profiles = run_close(payroll_inbox(tmp_path / "a", "huta_2026-10.csv", "szpital_2026-10.csv"))
    canonical = [line("M1", "wage", "6250.00"), line("M1", "allowance", "312.50"),
                 line("M1", "allowance", "150.00"), line("M1", "bonus", "1000.00"),
                 line("M2", "wage", "4800.00"), line("M2", "jubilee_award", "9600.00"),
                 line("M2", "leave_equivalent", "1234.56"),
                 line("M3", "wage", "3900.00"), line("M3", "allowance", "195.00"),
                 line("M3", "benefit", "812.40"), line("M3", "wage", "-120.50"),
                 line("M4", "wage", "5600.00"), line("M4", "allowance", "400.00"),
                 line("M4", "jubilee_award", "2800.00")]
    direct = run_close(write_inbox(tmp_path / "b", members=members(), income=canonical))
    assert via_profiles.dues.equals(direct.dues)


def test_xlsx_export_with_title_block_gives_the_same_dues(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Poczta Polska S.A. Oddział Gdańsk"])
    ws.append(["Lista płac — październik 2026"])
    ws.append([])
    ws.append(["Sporządził: Dział Kadr i Płac"])
    ws.append(["Nr członka", "Imię i nazwisko", "Miesiąc", "Wynagrodzenie zasadnicze", "Premia",
               "Brutto razem", "Potrącona składka ZZ"])
    ws.append(["M1", "=HACK()", "2026-10", 6250, 1462.5, 7712.5, 63.24])
    ws.append(["Razem", None, None, 6250, 1462.5, 7712.5, 63.24])
    inbox = payroll_inbox(tmp_path)
    wb.save(inbox / "income" / "poczta.xlsx")
    r = run_close(inbox)
    assert dues_of(r, "M1")["base"] == 771_250 and dues_of(r, "M1")["dues"] == 6_324
    direct = run_close(write_inbox(tmp_path / "b", members=members(),
                                   income=[line("M1", "wage", "6250.00"), line("M1", "bonus", "1462.50")]))
    assert r.dues.equals(direct.dues)
    assert r.deduction_check["difference"].to_list() == [0]


def test_long_export_with_staff_numbers_and_other_months_skipped(tmp_path):
    r = run_close(payroll_inbox(tmp_path, "szpital_2026-10.csv"))
    assert dues_of(r, "M4")["base"] == 600_000 and dues_of(r, "M4")["dues"] == 4_920


def test_undecodable_file_is_one_error_and_only_its_members_are_blocked(tmp_path):
    inbox = payroll_inbox(tmp_path, "szpital_2026-10.csv")
    raw = (FIX / "huta_2026-10.csv").read_bytes().replace(b"Lp.;", b"Lp.\x98;")   # 0x98 is undefined in cp1250
    (inbox / "income" / "huta_2026-10.csv").write_bytes(raw)
    (inbox / "income" / "huta_2026-10.csv.profile").write_text("huta_wide_cp1250\n", encoding="utf-8")
    r = run_close(inbox)
    bad_byte = raw.index(b"\x98")
    files = r.exceptions.filter(r.exceptions["member_id"].is_null() & (r.exceptions["reason_code"] == "bad_file"))
    assert files["message"].to_list() == [
        "income/huta_2026-10.csv: nie da się go odczytać jako cp1250 (profil huta_wide_cp1250) w bajcie "
        f"{bad_byte}; wyeksportuj go ponownie w cp1250 z kolumnami Lp., Nazwisko i imię, PESEL, Okres, "
        "Składka związkowa w wierszu 4. Nic z pliku nie zostało użyte; zablokowano wymienionych w nim "
        "członków: 3."]
    assert dues_of(r, "M4") is not None                     # the other employer's member is closed
    assert all(dues_of(r, m) is None for m in ("M1", "M2", "M3"))


def test_header_not_matching_its_profile_names_the_expected_columns(tmp_path):
    inbox = payroll_inbox(tmp_path)
    text = (FIX / "huta_2026-10.csv").read_bytes().decode("cp1250").replace(";PESEL;", ";Pesel pracownika;")
    (inbox / "income" / "huta.csv").write_bytes(text.encode("cp1250"))
    (inbox / "income" / "huta.csv.profile").write_text("huta_wide_cp1250", encoding="utf-8")
    r = run_close(inbox)
    msg = r.exceptions.filter(r.exceptions["reason_code"] == "bad_file")["message"][0]
    assert msg.startswith("income/huta.csv: nagłówek (wiersz 4) nie pasuje do profilu 'huta_wide_cp1250': "
                          "brak PESEL; oczekiwane kolumny Lp., Nazwisko i imię, PESEL, Okres, Składka związkowa")


def test_unmapped_component_names_file_column_and_what_to_add(tmp_path):
    inbox = payroll_inbox(tmp_path)
    text = (FIX / "huta_2026-10.csv").read_bytes().decode("cp1250").replace("Premia kwartalna", "Dopłata węglowa")
    (inbox / "income" / "huta.csv").write_bytes(text.encode("cp1250"))
    r = run_close(inbox)
    exc = r.exceptions.filter(r.exceptions["reason_code"] == "unknown_component").to_dicts()
    assert [e["member_id"] for e in exc] == [None]
    assert exc[0]["message"] == (
        "income/huta.csv (linia 4): kolumna 'Dopłata węglowa' nie występuje w słowniku składników; "
        "dotyczy 1 członka. Dopisz tę nazwę pod właściwym kodem do components.toml w swoim folderze profili "
        "(zob. poradnik skarbnika) albo do [columns] profilu huta_wide_cp1250; do tego czasu składka tych "
        "członków nie jest liczona.")
    assert dues_of(r, "M1") is None and dues_of(r, "M2") is not None


def _pesel(i: int) -> str:
    from stdnum.pl import pesel
    first = f"8501011{i:03d}"
    return first + pesel.calc_check_digit(first)


def test_unknown_columns_reported_once_per_file_with_the_members_they_affect(tmp_path):
    """Issue 31: 4 unknown columns, 8 members -> 4 rows naming the file, the column and how many
    members it concerns (not 1 row per member per cell)."""
    ids = {f"M{i}": _pesel(i) for i in range(1, 9)}
    inbox = write_inbox(tmp_path / "inbox", members=[member(m, pesel=p) for m, p in ids.items()])
    rows = ["Zakład;;;;;;;;;", "Lista płac;;;;;;;;;", ";;;;;;;;;",
            "Lp.;Nazwisko i imię;PESEL;Okres;Wynagr. zasadnicze;Dopłata A;Dopłata B;Dopłata C;Dopłata D;"
            "Składka związkowa"]
    for n, (m, p) in enumerate(ids.items(), start=1):
        d = "10,00" if n <= 2 else ""               # 'Dopłata D' only for two members
        rows.append(f'{n};{m};{p};10.2026;"4 000,00";"10,00";"20,00";"30,00";{d};"32,80"')
    (inbox / "income").mkdir(exist_ok=True)
    (inbox / "income" / "zaklad.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1250"))
    r = run_close(inbox)
    exc = r.exceptions.filter(r.exceptions["reason_code"] == "unknown_component")
    assert exc.height == 4
    assert exc["member_id"].to_list() == [None] * 4
    assert sorted(exc["message"].to_list()) == [
        f"income/zaklad.csv (linia 4): kolumna 'Dopłata {c}' nie występuje w słowniku składników; dotyczy {n}. "
        "Dopisz tę nazwę pod właściwym kodem do components.toml w swoim folderze profili (zob. poradnik "
        "skarbnika) albo do [columns] profilu huta_wide_cp1250; do tego czasu składka tych członków nie jest "
        "liczona." for c, n in (("A", "8 członków"), ("B", "8 członków"), ("C", "8 członków"), ("D", "2 członków"))]
    assert all(dues_of(r, m) is None for m in ids)
    assert r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped


def test_unknown_component_of_a_long_file_is_one_row_per_name(tmp_path):
    inbox = payroll_inbox(tmp_path)
    text = (FIX / "szpital_2026-10.csv").read_text(encoding="utf-8")
    (inbox / "income" / "szpital.csv").write_text(text.replace("Dodatek funkcyjny", "Dodatek szpitalny"),
                                                   encoding="utf-8")
    r = run_close(inbox)
    exc = r.exceptions.filter(r.exceptions["reason_code"] == "unknown_component")["message"].to_list()
    assert len(exc) == 1 and "składnik 'Dodatek szpitalny' nie występuje w słowniku składników; dotyczy 1 członka" in exc[0]


def test_bad_pesel_in_payroll_row(tmp_path):
    inbox = payroll_inbox(tmp_path)
    text = (FIX / "huta_2026-10.csv").read_bytes().decode("cp1250").replace(";85010112345;", ";85010112346;")
    (inbox / "income" / "huta.csv").write_bytes(text.encode("cp1250"))
    r = run_close(inbox)
    msgs = r.exceptions.filter(r.exceptions["reason_code"] == "unknown_member")["message"].to_list()
    assert "income/huta.csv, wiersz 2 (linia 6): PESEL '[PESEL ukryty]' w kolumnie 'PESEL' jest niepoprawny" in msgs[0]


def test_file_matching_no_profile(tmp_path):
    inbox = payroll_inbox(tmp_path)
    (inbox / "income" / "mystery.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    r = run_close(inbox)
    msg = r.exceptions.filter(r.exceptions["reason_code"] == "bad_file")["message"][0]
    assert msg.startswith("income/mystery.csv: nie pasuje do żadnego profilu płacowego i nie jest plikiem kanonicznym")


# ---- deduction check

def deduction_inbox(tmp_path, rows):
    header = ("Lp.;Nazwisko i imię;PESEL;Stanowisko;Okres;Wynagr. zasadnicze;Nagroda jubileuszowa;"
              "Razem brutto;Składka związkowa;Do wypłaty")
    lines = ["Zakład;;", "Lista płac;;", ";;", header] + [
        f"{i};X;{PESEL[m]};;10.2026;\"{wage}\";\"{jub}\";;\"{ded}\";" for i, (m, wage, jub, ded) in enumerate(rows, 1)]
    inbox = payroll_inbox(tmp_path)
    (inbox / "income" / "lista.csv").write_bytes("\r\n".join(lines).encode("cp1250"))
    return inbox


def test_deduction_check_finds_half_even_0_8_percent_and_jubilee_in_base(tmp_path):
    inbox = deduction_inbox(tmp_path, [
        ("M1", "1025,00", "", "8,40"),          # employer rounded half-to-even: 8.405 -> 8.40
        ("M2", "5000,00", "", "40,00"),         # employer applied 0.8 %: should be 41.00
        ("M3", "4000,00", "3 000,00", "57,40"),  # jubilee award put into the base: should be 32.80
    ])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    rows = con.execute("SELECT member_id, CAST(deducted AS VARCHAR), CAST(computed AS VARCHAR), "
                       "CAST(difference AS VARCHAR), source FROM deduction_check ORDER BY member_id").fetchall()
    assert rows == [("M1", "8.40", "8.41", "-0.01", "income/lista.csv"),
                    ("M2", "40.00", "41.00", "-1.00", "income/lista.csv"),
                    ("M3", "57.40", "32.80", "24.60", "income/lista.csv")]
    wb = load_workbook(outcome.workbook)
    sheet = wb["Kontrola potrąceń"]
    listed = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "członek"]
    assert [r[2] for r in listed] == ["M1", "M2", "M3"]
    assert "potrącenia: sprawdzono 3 członków, różnice u 3" in CLOSE.summary(outcome.run, outcome.result)


def test_demo_close_reports_the_employers_mistakes_in_summary_and_workbook(tmp_path):
    from flows import settings
    income = settings.DEMO_INBOX / "income"
    assert (income / "huta_lista_plac_2026-10.csv").read_bytes().decode("cp1250").count(";") > 100
    outcome = close_plain("2026-10", settings.DEMO_INBOX, tmp_path / "c.duckdb", tmp_path / "out",
                          unit_workbooks=False)
    text = CLOSE.summary(outcome.run, outcome.result)
    assert "income/huta_lista_plac_2026-10.csv: różnice u 3 z 40 członków" in text
    sheet = load_workbook(outcome.workbook)["Kontrola potrąceń"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    differing = [r for r in rows if r[0] == "członek"]
    assert len(differing) == 3 and {r[1] for r in differing} == {"income/huta_lista_plac_2026-10.csv"}
    assert all(r[4] is not None and r[5] is not None and r[4] != r[5] for r in differing)
    assert sorted(r[1] for r in rows if r[0] == "pracodawca (razem)") == [
        "income/huta_lista_plac_2026-10.csv", "income/poczta_lista_plac_2026-10.xlsx",
        "income/szpital_skladniki_2026-10.csv"]


def test_the_documented_worked_example_profile_works(tmp_path):
    """The profile for a new employer in docs/profiles.md parses and maps a file of that layout."""
    import re
    from transforms.payroll import Identifiers, load_dictionary, map_rows, parse_profile
    from flows.payroll_inbox import PROFILES
    doc = (Path(__file__).parents[1] / "docs" / "profiles.md").read_text(encoding="utf-8")
    profile = parse_profile(re.search(r"```toml\n(name = \"azoty\".*?)```", doc, re.S).group(1))
    rows = [["Zakłady Azotowe S.A."], ["Lista płac 10/2026"],
            ["Nr", "Pracownik", "PESEL", "Miesiąc", "Płaca zasadnicza", "Dodatek zmianowy", "Premia",
             "Deputat", "Składka ZZ"],
            ["1", "Jan", "02070803628", "10.2026", "5 000,00", "300,00", "200,00", "400,00", "45,10"],
            ["Suma", "", "", "", "5 000,00", "300,00", "200,00", "400,00", "45,10"]]
    ids = Identifiers({"02070803628": "M1"}, {}, {"M1"})
    res = map_rows(rows, profile, load_dictionary((PROFILES / "components.toml").read_text(encoding="utf-8")),
                   ids, "income/azoty.csv", "2026-10", "2026-10")
    assert res.issues == []
    assert sorted((ln["component"], ln["amount_gr"]) for ln in res.lines) == [
        ("allowance", 30_000), ("bonus", 20_000), ("in_kind", 40_000), ("wage", 500_000)]
    assert res.deductions[0]["deducted"] == 4510
    assert [s["status"] for s in res.row_status] == ["skipped"]      # the Suma row


def test_issue_10_a_pesel_shared_by_two_members_blocks_both_and_attributes_nothing(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", members=[member("M1", pesel="02070803628"), member("M2", pesel="02070803628")])
    (inbox / "income").mkdir(exist_ok=True)
    shutil.copy(FIX / "huta_2026-10.csv", inbox / "income" / "huta.csv")
    r = run_close(inbox)
    rows = [(e["row"], e["member_id"], e["reason_code"], e["message"]) for e in r.exceptions.to_dicts()
            if e["member_id"] in ("M1", "M2") or "M1, M2" in e["message"]]
    assert rows[:2] == [
        (1, "M1", "bad_member", "members.csv, wiersz 1 (członek M1): ten sam pesel ma 2 członków; płace z list płac nie "
                                "są im przypisywane, dopóki każdy nie będzie miał własnego."),
        (2, "M2", "bad_member", "members.csv, wiersz 2 (członek M2): ten sam pesel ma 2 członków; płace z list płac nie "
                                "są im przypisywane, dopóki każdy nie będzie miał własnego.")]
    assert rows[2] == (1, None, "unknown_member", "income/huta.csv, wiersz 1 (linia 5): pesel '[PESEL ukryty]' ma w "
                       "members.csv kilku członków (M1, M2); wiersz nie jest nikomu przypisany. Popraw members.csv tak, by "
                       "każdy członek miał własny pesel.")
    assert r.dues.height == 0


def test_issue_10_an_impossible_pay_date_is_not_read_as_its_month(tmp_path):
    inbox = payroll_inbox(tmp_path, "szpital_2026-10.csv")
    path = inbox / "income" / "szpital_2026-10.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("10.10.2026", "31.02.2026", 1), encoding="utf-8")
    r = run_close(inbox)
    msg = r.exceptions.filter(r.exceptions["reason_code"] == "bad_period")["message"][0]
    assert msg == ("income/szpital_2026-10.csv, wiersz 1 (linia 2): Data wypłaty '31.02.2026' nie ma postaci DD.MM.YYYY "
                   "(profil szpital_long). Popraw wiersz; do tego czasu składka członka nie jest liczona (to może być wiersz "
                   "tego miesiąca).")


def test_issue_10_a_short_wide_row_is_not_padded(tmp_path):
    inbox = payroll_inbox(tmp_path)
    text = (FIX / "huta_2026-10.csv").read_bytes().decode("cp1250").split("\r\n")
    text[4] = text[4].rsplit(";", 2)[0]                      # the row lost its last two cells
    (inbox / "income" / "huta.csv").write_bytes("\r\n".join(text).encode("cp1250"))
    r = run_close(inbox)
    e = r.exceptions.filter(r.exceptions["reason_code"] == "bad_row").to_dicts()
    assert [(x["row"], x["member_id"]) for x in e] == [(1, "M1")] and dues_of(r, "M1") is None
