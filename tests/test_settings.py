"""flows/settings.py: the user's own rulebook and profile folders come after the shipped ones."""
from flows import settings


def test_user_folders_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLADKI_RULEBOOKS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert settings.rulebook_folders() == [settings.RULEBOOKS, tmp_path / "a", tmp_path / "b"]
    monkeypatch.delenv("SKLADKI_PROFILES", raising=False)
    assert settings.profile_folders() == [settings.PROFILES]
