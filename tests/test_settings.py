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


def test_issue_26_prefect_home_is_in_the_users_data_folder_on_linux_and_windows():
    from pathlib import PurePosixPath, PureWindowsPath
    home = settings._home
    assert home("posix", {"HOME": "/home/ala"}, source_tree=False) == \
        PurePosixPath("/home/ala/.local/share/skladki/prefect")
    assert home("posix", {"HOME": "/home/ala", "XDG_DATA_HOME": "/dane"}, source_tree=False) == \
        PurePosixPath("/dane/skladki/prefect")
    # a relative XDG_DATA_HOME is ignored (XDG specification)
    assert home("posix", {"HOME": "/home/ala", "XDG_DATA_HOME": "dane"}, source_tree=False) == \
        PurePosixPath("/home/ala/.local/share/skladki/prefect")
    assert home("nt", {"LOCALAPPDATA": r"C:\Users\Ala\AppData\Local"}, source_tree=False) == \
        PureWindowsPath(r"C:\Users\Ala\AppData\Local\skladki\prefect")
    assert home("nt", {"USERPROFILE": r"C:\Users\Ala"}, source_tree=False) == \
        PureWindowsPath(r"C:\Users\Ala\AppData\Local\skladki\prefect")
    assert home("posix", {}, source_tree=True) == settings.ROOT / ".prefect"


def test_issue_26_a_fresh_users_prefect_home_is_made_with_its_parents_before_prefect_starts(tmp_path):
    """A fresh machine: an empty home folder, no XDG_DATA_HOME. Prefect itself makes only the last
    folder of PREFECT_HOME; flows.settings makes all of them, before Prefect is imported."""
    import os
    import subprocess
    import sys
    home = tmp_path / "ala"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "XDG_"))}
    code = ("from flows import settings; settings.SOURCE_TREE = False; import os, sys; "
            "os.environ['PREFECT_HOME'] = str(settings._home(source_tree=False)); settings.ensure_prefect_home(); "
            "import prefect.settings; print(os.environ['PREFECT_HOME'])")
    proc = subprocess.run([sys.executable, "-c", code], env={**env, "HOME": str(home)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(home / ".local" / "share" / "skladki" / "prefect")
    assert (home / ".local" / "share" / "skladki" / "prefect").is_dir()
    assert "Failed to create the Prefect home directory" not in proc.stderr
