"""Issue 13: skladki installs like a Python tool. The wheel carries the rulebooks, profiles,
catalogue, reference figures, font and demo inbox as package data; installed into a fresh venv,
`skladki demo` runs from any directory."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_issue_26_the_lock_pins_every_dependency_within_its_range():
    """`pip install -c requirements.lock .` (the README's install line) gets the tested versions
    only if the lock pins every dependency of pyproject.toml, each within its range."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [x.strip() for x in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()]
    pins = [x for x in lines if x and not x.startswith("#")]
    assert all(x.count("==") == 1 for x in pins), [x for x in pins if x.count("==") != 1]
    locked = {canonicalize_name(name): version for name, version in (x.split("==") for x in pins)}
    assert len(locked) == len(pins)                                  # each package once
    wanted = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    for dep in wanted:
        req = Requirement(dep)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in requirements.lock"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req.name}=={locked[name]} outside {req}"
    assert locked["sqlalchemy"].startswith("2.0.")       # 2.1 breaks Prefect 3.8.8's scheduler (test_served.py)


@pytest.mark.slow
def test_issue_26_the_wheel_installed_as_the_readme_says_runs_the_demo_on_a_fresh_machine(tmp_path):
    """Acceptance of issue 26 (and issue 13's packaging): the wheel installed into a fresh venv
    (no system site-packages) with the lock as constraints, run from another folder by a user
    whose home folder is empty: `skladki demo` with the default engine exits 0, no traceback,
    and says which engine ran; skladki's data folder (Prefect's home) was made with its parents."""
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
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    python = bin_dir / ("python.exe" if sys.platform == "win32" else "python")
    # this venv's pip installs into the new one (faster than a pip of its own); packages come from
    # pip's cache where it has them
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile",
                           "--disable-pip-version-check", "-c", str(ROOT / "requirements.lock"), str(wheel)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    installed = dict(line.split("==") for line in subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "freeze", "--all"], capture_output=True, text=True,
        check=True).stdout.split() if "==" in line)
    assert installed["SQLAlchemy"].startswith("2.0.") and installed["prefect"] == "3.8.8"
    home, elsewhere = tmp_path / "ala", tmp_path / "gdziekolwiek"
    home.mkdir()
    elsewhere.mkdir()
    env = {"PATH": str(bin_dir) + os.pathsep + os.defpath, "HOME": str(home), "LANG": "C.UTF-8"}
    proc = subprocess.run([str(bin_dir / "skladki"), "demo", "--folder", "demo"], cwd=elsewhere,
                          capture_output=True, text=True, env=env, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out and "Prefect home" not in out
    assert "silnik plain: żaden serwer Prefect nie działa" in out            # the default engine, said once
    assert "silnik: plain (bez Prefect)" in out                              # ... and in the summary
    assert "Zamknięcie 2026-10" in out and "członkowie ze składką: 322" in out
    assert (elsewhere / "demo" / "zamkniecie_2026-10.xlsx").exists()
    assert (home / ".local" / "share" / "skladki" / "prefect").is_dir()
    # Prefect asked for on this fresh machine: its temporary server's database in the new data
    # folder (before issue 26: a sqlite traceback and, ~40 s later, "Timed out ... ephemeral server")
    proc = subprocess.run([str(bin_dir / "skladki"), "explain", "--engine", "prefect", "--unit", "SL-0002",
                           "--period", "2026-10", "--db", "demo/skladki.duckdb"], cwd=elsewhere,
                          capture_output=True, text=True, env=env, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in out, out[-3000:]
    assert "silnik: prefect (serwer tymczasowy)" in out
    assert (home / ".local" / "share" / "skladki" / "prefect" / "prefect.db").exists()
    where = subprocess.run([str(python), "-c", "import flows, skladki_data; print(flows.__file__); "
                            "print(skladki_data.__file__)"], cwd=elsewhere, capture_output=True, text=True).stdout
    assert str(ROOT) not in where and str(venv) in where
