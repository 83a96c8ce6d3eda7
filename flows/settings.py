"""Paths of the data (rulebooks, profiles, reference figures, demo) and quiet, offline Prefect
settings (TOOLCHAIN.md). Imported before prefect.

A user's own rulebooks, payroll profiles, component names (components.toml) and bank profiles are
read from the user's configuration folder (``search_folders``: e.g. ~/.config/skladki/rulebooks,
.../profiles, .../bank_profiles) and from the folders of the environment variables
``SKLADKI_RULEBOOKS``, ``SKLADKI_PROFILES`` and ``SKLADKI_BANK_PROFILES`` (separated like PATH); a
file of the same name as a shipped one replaces it.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

ROOT = Path(__file__).resolve().parents[1]
SOURCE_TREE = (ROOT / "pyproject.toml").exists()      # a clone (dev.py), not an installed wheel


def _data() -> Path:
    """The data folder: package data of the installed ``skladki_data`` (importlib.resources), or
    data/ of a clone."""
    try:
        from importlib.resources import files
        return Path(str(files("skladki_data")))
    except ModuleNotFoundError:
        return ROOT / "data"


def _home(os_name: str = os.name, environ=os.environ, source_tree: bool = SOURCE_TREE) -> PurePath:
    """Where skladki keeps its own state (Prefect's database): .prefect/ in a clone, else the
    user's data folder (never inside the installed package): %LOCALAPPDATA%\\skladki\\prefect on
    Windows, $XDG_DATA_HOME/skladki/prefect (~/.local/share/...) elsewhere. A relative or empty
    variable is ignored, as the XDG specification asks. Pure paths, so a test can ask for the
    Windows answer on Linux."""
    if source_tree:
        return ROOT / ".prefect"
    if os_name == "nt":
        base = environ.get("LOCALAPPDATA", "")
        if not PureWindowsPath(base).is_absolute():
            base = PureWindowsPath(environ.get("USERPROFILE") or Path.home()) / "AppData" / "Local"
        return PureWindowsPath(base) / "skladki" / "prefect"
    base = environ.get("XDG_DATA_HOME", "")
    if not PurePosixPath(base).is_absolute():
        base = _posix_home(environ) / ".local" / "share"
    return PurePosixPath(base) / "skladki" / "prefect"


def _posix_home(environ) -> PurePosixPath:
    """$HOME, or the account's home folder when $HOME is empty or relative."""
    home = PurePosixPath(environ.get("HOME", ""))
    if home.is_absolute():
        return home
    import pwd
    return PurePosixPath(pwd.getpwuid(os.getuid()).pw_dir)


def ensure_prefect_home() -> None:
    """Create PREFECT_HOME with its parents before Prefect is imported: Prefect makes only the last
    folder, so on a fresh machine (no ~/.local/share/skladki yet) its database cannot be created
    and every Prefect run ends ~40 s later in "Timed out while attempting to connect to ephemeral
    Prefect API server" (TOOLCHAIN.md, issue 26). A folder that cannot be made is left for
    Prefect to report."""
    try:
        Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    except OSError:
        pass


DATA = _data()
RULEBOOKS = DATA / "rulebooks"
PROFILES = DATA / "profiles"
BANK_PROFILES = DATA / "bank_profiles"
REFERENCE = DATA / "reference"
DELEGATE_KEYS = DATA / "delegate_keys.toml"
DEMO_INBOX = DATA / "demo"
# A close with more units than this writes no unit documents unless asked (`--unit-workbooks`):
# at ~76 ms a unit on 2 cores, 6 000 units would add 7½ minutes; they are made on demand instead
# (`skladki documents`, issue 15). Override with SKLADKI_UNIT_DOCUMENTS_AT_CLOSE.
UNIT_DOCUMENTS_AT_CLOSE = int(os.environ.get("SKLADKI_UNIT_DOCUMENTS_AT_CLOSE", "100"))
# DuckDB's memory while a close writes its tables (issue 15): the written row groups go to the
# database file instead of staying in memory beside the month's frames. Measured at 600 000
# members: ~50 MiB less at the peak; DuckDB's own limit (80 % of RAM) applies again afterwards.
STORE_MEMORY_LIMIT = os.environ.get("SKLADKI_STORE_MEMORY_LIMIT", "256MB")
# Issue 32: a close of a whole inbox with more members than this is computed and stored by groups of
# whole units of about this many members each (transforms/groups.py), in its one transaction. Off by
# default (0): measured at 600 000 members, groups of 100 000 lower the peak by only ~70 MiB (the
# transaction holds every stored row until the commit) and take ~5 s longer (docs/benchmarks.md).
# SKLADKI_CLOSE_GROUP_MEMBERS=100000 turns it on.
CLOSE_GROUP_MEMBERS = int(os.environ.get("SKLADKI_CLOSE_GROUP_MEMBERS", "0"))
# DuckDB's memory while the groups append their rows: 64MB holds ~60–90 MiB less beside the next
# group's frames at 600 000 members, but its inserts spill and take ~3 s longer (issue 32,
# docs/benchmarks.md), so the default is the store's limit; 32MB fails. SKLADKI_GROUP_STORE_MEMORY_LIMIT.
GROUP_STORE_MEMORY_LIMIT = os.environ.get("SKLADKI_GROUP_STORE_MEMORY_LIMIT", STORE_MEMORY_LIMIT)


def max_input_bytes() -> int:
    """No input file larger than this is opened (SKLADKI_MAX_FILE_MB; default 1 GiB)."""
    return int(os.environ.get("SKLADKI_MAX_FILE_MB", "1024")) * 2**20


def _extra(variable: str) -> list[Path]:
    return [Path(p) for p in os.environ.get(variable, "").split(os.pathsep) if p]


# a replay (issue 18) reads the rulebooks and profiles a close used from its archive, not from here
ARCHIVED: dict[str, list[Path]] = {}


def rulebook_folders() -> list[Path]:
    return ARCHIVED.get("rulebooks") or search_folders("rulebooks")


def profile_folders() -> list[Path]:
    return ARCHIVED.get("profiles") or search_folders("profiles")


# ---- issue 31: the user's own folders (rulebooks, payroll profiles and components.toml, bank profiles)
# kind -> (the shipped folder, the environment variable naming more folders)
SEARCHED = {"rulebooks": (RULEBOOKS, "SKLADKI_RULEBOOKS"), "profiles": (PROFILES, "SKLADKI_PROFILES"),
            "bank_profiles": (BANK_PROFILES, "SKLADKI_BANK_PROFILES")}


def user_config_folder() -> Path:
    """The user's configuration folder of skladki, as platformdirs names it: $XDG_CONFIG_HOME/skladki
    (~/.config/skladki) on Linux, %APPDATA%\\skladki on Windows, ~/Library/Application Support/skladki
    on macOS. Never inside the installed package."""
    import platformdirs
    return platformdirs.user_config_path("skladki", appauthor=False, roaming=True)


def search_folders(kind: str) -> list[Path]:
    """Where files of one kind ('rulebooks', 'profiles', 'bank_profiles') are read from, in order: the
    shipped folder, the user's <configuration folder>/<kind> when it exists, then the folders of the
    kind's environment variable (separated like PATH). A file in a later folder replaces a file of
    the same name in an earlier one (transforms.folders.files_by_name)."""
    shipped, variable = SEARCHED[kind]
    own = user_config_folder() / kind
    return [shipped] + ([own] if own.is_dir() else []) + _extra(variable)


PREFECT_DEFAULTS = {
    "PREFECT_HOME": str(_home()),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # a temporary server (--engine prefect with no server running) on a slow laptop's first run
    # takes longer than Prefect's 20 s: it would end in "Timed out ... ephemeral Prefect API server"
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_TO_API_ENABLED": "true",     # the UI shows each run's log (issue 14) ...
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",   # ... while the terminal stays quiet
    # Prefect's server runs as a subprocess of Python; without this, a file such as concurrent.py
    # in the current directory would be imported (executed) in place of the standard library's
    "PYTHONSAFEPATH": "1",
}
for key, value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(key, value)
ensure_prefect_home()
