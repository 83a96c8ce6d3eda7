"""The treasurers' guide (docs/poradnik_skarbnika.md, issue 26) followed step by step, and the
README's shape.

Every ```powershell block of the guide is read in order; each line that starts with ``skladki``
is run in-process (typer's CliRunner, ``flows.cli.app``) in one temporary working folder, as the
guide's reader runs it in ``Dokumenty\\skladki``. Substitutions, the ones the guide itself explains:
Windows paths (``skrzynka\\members.csv``) become this system's; ``--engine plain`` is added where
the guide shows no engine (the guide's reader has no Prefect server; the result is the same);
the guide's "copy the example data" (``Copy-Item … data\\demo skrzynka``) is a copy of
``data/demo``; the file the guide asks to add (its ```csv block) is written where it says. Other
lines (installing Python and pipx, ``cd``, ``mkdir``) set up a machine and are not run here — the
packaging tests install the wheel with the lock.
Every command must exit 0, and the files the guide says appear must appear.
"""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "poradnik_skarbnika.md"
README = ROOT / "README.md"
ENGINE_COMMANDS = {"close", "approve", "demo", "documents", "explain"}


def blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"^```{info}\n(.*?)^```", text, re.S | re.M)


def guide_commands(text: str) -> list[str]:
    return [line.strip() for block in blocks(text, "powershell") for line in block.splitlines()
            if line.strip().startswith("skladki ")]


def argv(line: str) -> list[str]:
    args = shlex.split(line.replace("\\", "/"))[1:]
    if args[0] in ENGINE_COMMANDS and "--engine" not in args:
        args += ["--engine", "plain"]
    return args


def windows(path: str) -> str:
    return path.replace("/", "\\")


# what the guide says each step leaves behind (paths as the guide writes them, relative to the
# working folder); each must be named in the guide, and must exist after the command
EXPECTED = {
    "skladki demo": ["demo/skladki.duckdb", "demo/zamkniecie_2026-09.xlsx", "demo/zamkniecie_2026-10.xlsx",
                     "demo/jednostki"],
    "skladki close --period 2026-09": ["wyniki/zamkniecie_2026-09.xlsx",
                                       "wyniki/jednostki/skladki_SL-0002_2026-09.xlsx",
                                       "wyniki/jednostki/rozliczenie_SL-0002_2026-09.pdf"],
    "skladki close --period 2026-10": ["wyniki/jednostki/skladki_SL-0002_2026-10.xlsx",
                                       "wyniki/jednostki/rozliczenie_SL-0002_2026-10.pdf"],
    # §9, the monthly exchange: the region's own file for the national board, its import there
    "skladki region-settlement --period 2026-10": ["do_krajowej/rozliczenie_SL_2026-10_v1.json"],
    "skladki import --folder do_krajowej": ["krajowa.duckdb", "wyniki_krajowe/import_rozliczen.xlsx"],
}
AFTER_CORRECTION = ["wyniki/jednostki/korekta_SL-0002_2026-09.pdf"]


def test_the_guide_names_what_the_test_expects():
    text = GUIDE.read_text(encoding="utf-8")
    for path in [p for ps in EXPECTED.values() for p in ps] + AFTER_CORRECTION:
        name = Path(path).name
        assert name in text or windows(path) in text, path
    assert "Copy-Item -Recurse $HOME\\Downloads\\skladki\\data\\demo skrzynka" in text
    assert "skrzynka\\income\\dopisane_2026-09.csv" in text
    for png in ("rozliczenie_jednostki.png", "skoroszyt_jednostki_strona1.png", "uzgodnienie_status.png"):
        assert f"]({png})" in text, png        # embedded (docs/ is the guide's folder)


def test_the_guide_followed_step_by_step(tmp_path, monkeypatch):
    text = GUIDE.read_text(encoding="utf-8")
    commands = guide_commands(text)
    assert len(commands) >= 10
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "data" / "demo", tmp_path / "skrzynka")      # Copy-Item … data\demo skrzynka
    added = blocks(text, "csv")
    assert len(added) == 1
    runner = CliRunner()
    seen: list[str] = []
    for line in commands:
        if line.startswith("skladki close --period 2026-09") and any(
                s.startswith("skladki close --period 2026-09") for s in seen):
            # the guide's correction: the missing September income added, then September closed again
            (tmp_path / "skrzynka" / "income" / "dopisane_2026-09.csv").write_text(added[0], encoding="utf-8")
        result = runner.invoke(app, argv(line))
        assert result.exit_code == 0, f"{line}\n{result.output}"
        for prefix, paths in EXPECTED.items():
            if line.startswith(prefix):
                missing = [p for p in paths if not (tmp_path / p).exists()]
                assert missing == [], f"{line}: {missing}"
        seen.append(line)
        if line.startswith("skladki approve --period 2026-09"):
            assert "zatwierdzono: SL-0002" in result.output
    # the order the guide tells: September approved, October approved, September corrected
    assert [s.split()[1:4] for s in seen if s.split()[1] in ("close", "approve")][:5] == [
        ["close", "--period", "2026-09"], ["approve", "--period", "2026-09"],
        ["close", "--period", "2026-10"], ["approve", "--period", "2026-10"],
        ["close", "--period", "2026-09"]]
    for path in AFTER_CORRECTION:
        assert (tmp_path / path).exists(), path
    with duckdb.connect(str(tmp_path / "skladki.duckdb"), read_only=True) as con:
        states = dict(con.execute("SELECT unit_id || ' ' || period, state || coalesce(' ' || approval_reason, '') "
                                  "FROM unit_months WHERE unit_id IN ('SL-0002', 'GD-0002')").fetchall())
        applied = {p for (p,) in con.execute("SELECT DISTINCT applied_in FROM corrections "
                                             "WHERE unit_id = 'SL-0002' AND corrected_period = '2026-09'").fetchall()}
    assert states["SL-0002 2026-09"] == states["SL-0002 2026-10"] == "approved"
    assert states["GD-0002 2026-10"].startswith("approved M0000006 na urlopie")   # --force --reason, as in §6
    assert applied == {"2026-11"}          # the guide: into November, October being approved too


def test_the_readme_is_short_and_links_every_document():
    readme = README.read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) < 15_000
    assert "python3 dev.py demo" in readme and "python3 dev.py test" in readme and "py dev.py demo" in readme
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{doc.name})" in readme, doc.name
    assert "A unit's month: draft, approved, corrected (RULES.md §13)" in readme


def test_every_link_between_the_documents_resolves():
    broken = []
    for doc in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if target.startswith("http") or target.endswith(".png"):
                continue        # the guide's screenshots are made by the documentation step
            if not (doc.parent / target).exists():
                broken.append(f"{doc.name}: {target}")
    assert broken == []


@pytest.mark.parametrize("line", ["skladki approve --period 2026-09 --db skladki.duckdb --unit SL-0002 --by "
                                  "\"Anna Nowak, skarbnik\" --members skrzynka\\members.csv"])
def test_a_guide_line_becomes_the_arguments_it_means(line):
    assert argv(line) == ["approve", "--period", "2026-09", "--db", "skladki.duckdb", "--unit", "SL-0002", "--by",
                          "Anna Nowak, skarbnik", "--members", "skrzynka/members.csv", "--engine", "plain"]
