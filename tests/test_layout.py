"""The shape of the code base (issue 9): the union's vocabulary lives in data/, and every source
module has a test module."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "transforms", "schemas", "reports")


def vocabulary() -> set[str]:
    """Every level, category and union (rulebook) name of the shipped rulebooks."""
    names: set[str] = set()
    for path in (ROOT / "data" / "rulebooks").glob("*.toml"):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        names.add(doc["name"])
        for v in doc["versions"]:
            names |= {lvl["code"] for lvl in v["levels"]} | set(v["categories"])
    return names


def python_files() -> list[Path]:
    skip = {"data", "tests", ".venv", ".git", "build", "out"}
    return sorted(p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts))


def literals(path: Path) -> list[tuple[int, str]]:
    return [(n.lineno, n.value) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_issue_9_no_level_category_or_union_name_is_a_literal_outside_data_and_tests():
    names = vocabulary()
    assert {"unit", "region", "employee", "pensioner", "solidarnosc", "przerobka"} <= names
    found = [f"{path.relative_to(ROOT)}:{line}: {value!r}" for path in python_files()
             for line, value in literals(path)
             for name in names if value == name or f"'{name}'" in value or f'"{name}"' in value]
    assert found == []


def test_the_vocabulary_check_sees_a_literal(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("x = 'employee'\nsql = \"WHERE level = 'region'\"\n", encoding="utf-8")
    hits = [v for _, v in literals(probe) if any(v == n or f"'{n}'" in v for n in vocabulary())]
    assert hits == ["employee", "WHERE level = 'region'"]


def test_issue_9_every_source_module_has_a_test_module():
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    missing = [f"{pkg}/{p.name}" for pkg in PACKAGES for p in sorted((ROOT / pkg).glob("*.py"))
               if p.stem != "__init__" and f"test_{p.stem}" not in tests and f"test_{pkg}_{p.stem}" not in tests]
    assert missing == []
