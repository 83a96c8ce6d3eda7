"""Writes the settlement files of the golden cases of `skladki import` (issue 29) into
tests/errors/settlement_*/: a tiny unit U1 of region R1 closed for 2026-10 and approved, its
settlement file as `skladki approve --out` writes it (flows/settlement_out.py), then spoilt one way per case.
Run from the repository's root after a deliberate change of the format, then regenerate the
expected messages (SKLADKI_GOLDEN=update):

    .venv/bin/python -m tests.errors.settlement_cases
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from tests.conftest import approve_plain, close_plain, line, member, write_inbox
from transforms import settlement_file as sf

HERE = Path(__file__).parent
PERIOD = "2026-10"
IMPORT = "import --folder {case}/%s --db {tmp}/x.duckdb --region %s\n"


def valid() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="skladki-cases-"))
    try:
        inbox = write_inbox(tmp / "in", members=[member("M1"), member("M2", "pensioner")],
                            income=[line("M1", "wage", "5000.00"), line("M2", "pension", "3000.00")])
        db = tmp / "u.duckdb"
        assert close_plain(PERIOD, inbox, db, unit_workbooks=False).ok
        assert approve_plain(PERIOD, db, force=True, reason="przykład").ok
        import duckdb
        from flows.rules import rules_for
        from flows.settlement_out import settlement_document
        con = duckdb.connect(str(db), read_only=True)
        try:
            return settlement_document(con, PERIOD, "U1", rules_for(PERIOD), 1)
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case(code: str, files: dict[str, bytes], args: str, setup: str | None = None) -> None:
    folder = HERE / code
    for old in folder.glob("*/*.json"):
        old.unlink()
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "args").write_text(args, encoding="utf-8")
    if setup:
        (folder / "setup").write_text(setup, encoding="utf-8")


def copy(doc: dict) -> dict:
    return json.loads(json.dumps(doc))


def main() -> None:
    doc = valid()
    name = sf.file_name("U1", PERIOD, 1)
    good = sf.to_bytes(doc)

    altered = copy(doc)                  # one amount altered, the hash not recomputed
    altered["settlement"][0]["amount_gr"] += 100
    case("settlement_bad_hash", {f"pliki/{name}": sf.canonical(altered)}, IMPORT % ("pliki", "R1"))

    moved = copy(doc)                    # one amount altered and the hash recomputed: the split fails
    moved["settlement"][0]["amount_gr"] += 100
    moved["settlement"][1]["amount_gr"] -= 100
    base = copy(doc)                     # a split that does not follow from its declared totals
    base["dues"]["split_base_gr"] += 1000
    base["dues"]["kept_gr"] -= 1000
    case("settlement_split_mismatch", {f"pliki/{name}": sf.canonical(sf.stamp(moved)),
                                       "pliki/rozliczenie_U1_2026-10_v1_kopia.json": sf.canonical(sf.stamp(base))},
         IMPORT % ("pliki", "R1"))

    case("settlement_other_region", {f"pliki/{name}": good}, IMPORT % ("pliki", "R2"))

    unknown = copy(doc)
    unknown["rulebook_version"] = "2031-01-01"
    case("settlement_unknown_rulebook", {f"pliki/{name}": sf.canonical(sf.stamp(unknown))}, IMPORT % ("pliki", "R1"))

    case("settlement_duplicate", {f"pliki/{name}": good}, IMPORT % ("pliki", "R1"), setup=IMPORT % ("pliki", "R1"))

    newer = copy(doc)
    newer["version"] = 2
    case("settlement_older_version", {f"nowy/{sf.file_name('U1', PERIOD, 2)}": sf.to_bytes(sf.stamp(newer)),
                                      f"stary/{name}": good},
         IMPORT % ("stary", "R1"), setup=IMPORT % ("nowy", "R1"))

    case("settlement_not_settlement", {"pliki/lista_plac.json": json.dumps({"pracownicy": []}).encode(),
                                       "pliki/notatka.json": "to nie jest JSON".encode()},
         IMPORT % ("pliki", "R1"))

    corrects = copy(doc)                 # a correction of a month the region never had
    corrects["corrections"] = [{"corrected_period": "2026-09", "level": corrects["settlement"][0]["level"],
                                "amount_gr": 0, "reason": "korekta"}]
    case("settlement_unknown_correction", {f"pliki/{name}": sf.canonical(sf.stamp(corrects))},
         IMPORT % ("pliki", "R1"))

    schema = copy(doc)
    del schema["members"]
    case("settlement_bad_schema", {f"pliki/{name}": sf.canonical(sf.stamp(schema))}, IMPORT % ("pliki", "R1"))


if __name__ == "__main__":
    main()
