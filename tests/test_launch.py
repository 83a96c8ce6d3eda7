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
