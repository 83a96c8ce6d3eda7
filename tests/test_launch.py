"""flows/launch.py, the `skladki` console script: the close runs through it, and the command
line never imports hypothesis (pandera would load it only to offer data synthesis)."""
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
