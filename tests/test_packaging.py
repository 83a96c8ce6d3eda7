"""Issue 13: skladki installs like a Python tool. The wheel carries the rulebooks, profiles,
catalogue, reference figures, font and demo inbox as package data; installed into a fresh venv,
`skladki demo` runs from any directory."""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_issue_13_the_wheel_installs_into_a_fresh_venv_and_runs_the_demo(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("skladki-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"skladki_data/rulebooks/solidarnosc.toml", "skladki_data/catalogue.toml",
            "skladki_data/profiles/components.toml", "skladki_data/demo/units.csv",
            "skladki_data/demo/income/poczta_lista_plac_2026-10.xlsx", "skladki_data/fonts/DejaVuSans.ttf",
            "skladki_data/reference/gus_enterprise_wage_quarterly_with_profit.csv"} <= names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    # the dependencies are the ones already installed for the tests (no download); the project
    # itself comes only from the wheel
    site = Path(subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "skladki_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   capture_output=True)
    elsewhere = tmp_path / "gdziekolwiek"
    elsewhere.mkdir()
    proc = subprocess.run([str(bin_dir / "skladki"), "demo", "--engine", "plain", "--folder", "demo"], cwd=elsewhere,
                          capture_output=True, text=True, env={"PATH": str(bin_dir), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Zamknięcie 2026-10" in proc.stdout and "członkowie ze składką: 322" in proc.stdout
    assert (elsewhere / "demo" / "zamkniecie_2026-10.xlsx").exists()
    where = subprocess.run([str(bin_dir / "python"), "-c", "import flows, skladki_data; print(flows.__file__); "
                            "print(skladki_data.__file__)"], cwd=elsewhere, capture_output=True, text=True).stdout
    assert str(ROOT) not in where and str(venv) in where
