"""flows/launch.py, the `skladki` console script: the close runs through it, and the command
line never imports hypothesis (pandera would load it only to offer data synthesis)."""
import re
import subprocess
import sys

from flows import settings


def test_issue_15_the_console_script_closes_a_month_without_importing_hypothesis(tmp_path):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "flows.launch", "close", "--period", "2026-09",
                           "--inbox", str(settings.DEMO_INBOX), "--db", str(tmp_path / "x.duckdb"), "--engine",
                           "plain"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "wiersze odczytane" in proc.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "pandera.polars" in imported and "xlsxwriter" not in imported      # nothing written without --out
    # pandera tries `import hypothesis.strategies` (listed, failing at once); hypothesis itself never loads
    assert "hypothesis" not in imported and "hypothesis.core" not in imported


def test_issue_26_output_redirected_under_a_polish_code_page_never_fails(tmp_path):
    """Windows: redirected output (or Task Scheduler) is encoded in cp1250, which has ą, ę, ł but
    not →, Σ, ≤, − or N′. Every command's output to a file: exit 0, Polish letters kept, the
    rest as ASCII look-alikes."""
    import os
    from tests.conftest import close_demo_months
    db = close_demo_months(tmp_path / "demo.duckdb")
    env = {**os.environ, "PYTHONIOENCODING": "cp1250"}
    commands = [["explain", "--unit", "SL-0002", "--period", "2026-10", "--db", str(db)],
                ["explain", "--member", "M0000253", "--period", "2026-10", "--db", str(db)],
                ["demo", "--engine", "plain", "--folder", str(tmp_path / "demo")],
                ["calendar", "--date", "2026-11-20", "--db", str(db)],
                ["close", "--period", "10.2026", "--inbox", ".", "--db", "x"],          # a usage error: exit 2
                ["--help"]]
    for args in commands:
        with (tmp_path / "out.txt").open("wb") as out, (tmp_path / "err.txt").open("wb") as err:
            code = subprocess.run([sys.executable, "-m", "flows.launch", *args], stdout=out, stderr=err, env=env,
                                  timeout=300).returncode
        text = (tmp_path / "out.txt").read_bytes().decode("cp1250") + (tmp_path / "err.txt").read_bytes().decode("cp1250")
        assert code == (2 if "10.2026" in args else 0), (args, text[-2000:])
        assert "Traceback" not in text and "UnicodeEncodeError" not in text, args
        if args[0] == "explain" and "--unit" in args:
            assert "->" in text and "ł" in text


# what a unit's close never needs without --out: the Prefect engine, the writers of workbooks and
# PDFs, the readers of Excel files and bank statements, and the other commands' modules
NOT_FOR_A_PLAIN_CLOSE = ("prefect", "openpyxl", "xlsxwriter", "fpdf", "mt940", "jsonschema", "stdnum", "flows.orchestration",
                         "flows.server", "flows.reconcile", "flows.elections", "flows.importing", "flows.benefits",
                         "flows.reminders", "flows.region_settlement", "flows.statement", "flows.replay")


def test_issue_32_a_plain_close_without_out_imports_only_what_it_uses(tmp_path):
    """`skladki close --engine plain` of a CSV inbox, no --out: the close's own modules only — not
    Prefect, not openpyxl, not the modules of the registry's other commands (before issue 32 the
    command line imported every command's module to build itself)."""
    from flows.synth import write_inbox
    write_inbox(tmp_path / "inbox", 120, "2026-10")
    # the console script as installed, and the modules loaded when it leaves (it ends with os._exit)
    code = ("import sys\nimport flows.cli\nleave = flows.cli.leave\n"
            "def listing(code):\n    print('MODULES', ' '.join(sorted(sys.modules)))\n    leave(code)\n"
            "flows.cli.leave = listing\nfrom flows.launch import main\nmain()")
    proc = subprocess.run([sys.executable, "-c", code, "close", "--period", "2026-10", "--inbox", str(tmp_path / "inbox"),
                           "--db", str(tmp_path / "x.duckdb"), "--engine", "plain"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "silnik: plain (bez Prefect)" in proc.stdout
    imported = set(proc.stdout.split("MODULES ", 1)[1].split())
    assert {"flows.close", "transforms.close", "polars", "duckdb"} <= imported
    assert sorted(imported & set(NOT_FOR_A_PLAIN_CLOSE)) == []


def test_issue_32_the_help_of_one_command_makes_that_command_only():
    """`skladki close --help` builds the close's options alone; `skladki --help` still lists every
    command of the registry, in its order, with its Polish help."""
    code = ("import sys; sys.argv = ['skladki', 'close', '--help']\n"
            "from flows.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {NOT_FOR_A_PLAIN_CLOSE!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--inbox" in proc.stdout and proc.stdout.strip().splitlines()[-1] == "[]"
    everything = subprocess.run([sys.executable, "-m", "flows.launch", "--help"], capture_output=True, text=True,
                                timeout=300, env={**__import__("os").environ, "COLUMNS": "200"})
    from flows.registry import COMMANDS
    listed = [m[1] for m in (re.match(r"│ ([a-z][-a-z]*)  ", line) for line in everything.stdout.splitlines()) if m]
    assert listed[:len(COMMANDS)] == [c.name for c in COMMANDS]
    for c in COMMANDS:
        assert c.help.split(".")[0][:40] in everything.stdout
