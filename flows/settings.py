"""Paths and quiet, offline Prefect settings (TOOLCHAIN.md). Imported before prefect."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RULEBOOKS = DATA / "rulebooks"
DEMO_INBOX = DATA / "demo"

PREFECT_DEFAULTS = {
    "PREFECT_HOME": str(ROOT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
}
for key, value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(key, value)
