"""flows/settings.py: the user's own rulebook and profile folders come after the shipped ones."""
from flows import settings


def test_user_folders_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLADKI_RULEBOOKS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert settings.rulebook_folders() == [settings.RULEBOOKS, tmp_path / "a", tmp_path / "b"]
    monkeypatch.delenv("SKLADKI_PROFILES", raising=False)
    assert settings.profile_folders() == [settings.PROFILES]


def test_issue_10_prefect_runs_nothing_from_the_current_directory(tmp_path):
    """Prefect's server is a Python subprocess: a concurrent.py in the current directory must
    never be imported in place of the standard library's."""
    import os
    import subprocess
    import sys
    (tmp_path / "concurrent.py").write_text("open('EXECUTED', 'w').write('x')\n", encoding="utf-8")
    assert os.environ["PYTHONSAFEPATH"] == "1"
    subprocess.run([sys.executable, "-m", "json.tool", "--help"], cwd=tmp_path, env=os.environ, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-c", "import concurrent.futures"], cwd=tmp_path, env=os.environ, check=True)
    assert not (tmp_path / "EXECUTED").exists()
