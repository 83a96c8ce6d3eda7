"""The shape of the code base (issue 9): the union's vocabulary lives in data/, every source module
has a test module, and the arrows run one way (flows/ uses reports/ and transforms/, never back)."""
from __future__ import annotations

import ast
import re

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


# issue 28: what matters is code that decides by a code — SQL text quoting one, a comparison, a
# membership test, a match case, a lookup or a mapping keyed by one — not the same word used as an
# identifier, an option or parameter name, a keyword argument or a word of a message.
SQL_QUOTED = re.compile(r"'([^'\n]*)'")
# calls whose first argument is compared with or looked up by (polars' is_in/eq/lit/replace too)
LOOKUPS = {"get", "pop", "setdefault", "index", "count", "remove", "startswith", "endswith",
           "is_in", "eq", "ne", "eq_missing", "ne_missing", "lit", "replace", "replace_strict"}
# where a command's options are kept: a key there is an option's name, never a code
OPTION_HOLDERS = {"params", "options", "kwargs"}


def _codes(node: ast.AST, names: set[str]) -> list[str]:
    """The codes a literal names: a string, or the items (keys) of a tuple, list, set or dict."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) and node.value in names else []
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [c for e in node.elts for c in _codes(e, names)]
    if isinstance(node, ast.Dict):
        return [c for k in node.keys if k is not None for c in _codes(k, names)]
    return []


def _holder(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return name in OPTION_HOLDERS


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def vocabulary_uses(source: str, names: set[str]) -> list[tuple[int, str, str]]:
    """(line, how, code) for each place ``source`` decides by a code of ``names``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    hits: set[tuple[int, str, str]] = set()
    for n in ast.walk(tree):
        line = getattr(n, "lineno", 0)
        if isinstance(n, ast.JoinedStr):      # an f-string's SQL: its text with each value as {}
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in n.values)
            hits |= {(line, "sql", c) for c in SQL_QUOTED.findall(text) if c in names}
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
            hits |= {(line, "sql", c) for c in SQL_QUOTED.findall(n.value) if c in names}
        elif isinstance(n, ast.Compare):
            sides = [n.left, *n.comparators]
            for op, a, b in zip(n.ops, sides, sides[1:]):
                if isinstance(op, (ast.In, ast.NotIn)):       # `x in ("unit", …)`, `"unit" in levels`
                    found = _codes(b, names) + ([] if _holder(b) else _codes(a, names))
                else:
                    found = _codes(a, names) + _codes(b, names)
                hits |= {(line, "comparison", c) for c in found}
        elif isinstance(n, ast.MatchValue):
            hits |= {(line, "match", c) for c in _codes(n.value, names)}
        elif isinstance(n, ast.Subscript) and not _holder(n.value):
            hits |= {(line, "lookup", c) for c in _codes(n.slice, names)}
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in LOOKUPS and n.args \
                and not _holder(n.func.value):
            hits |= {(line, n.func.attr, c) for c in _codes(n.args[0], names)}
        elif isinstance(n, ast.Dict):
            hits |= {(line, "mapping", c) for c in _codes(n, names)}
    return sorted(hits)


def test_issue_9_no_level_category_or_union_code_decides_code_outside_data_and_tests():
    names = vocabulary()
    assert {"unit", "region", "employee", "pensioner", "solidarnosc", "przerobka"} <= names
    found = [f"{path.relative_to(ROOT)}:{line}: {how} {code!r}" for path in python_files()
             for line, how, code in vocabulary_uses(path.read_text(encoding="utf-8"), names)]
    assert found == []


PROBE_NAMES = {"unit", "region", "employee", "pensioner", "union", "member"}


def test_the_vocabulary_check_sees_sql_text_quoting_a_code():
    source = ('sql = "SELECT * FROM allocations WHERE level = \'region\'"\n'
              'con.execute(f"SELECT * FROM dues WHERE period = {p} AND category IN (\'employee\', \'pensioner\')")\n'
              'q = "WHERE level = \'" + lvl + "\'"\n')
    assert vocabulary_uses(source, PROBE_NAMES) == [(1, "sql", "region"), (2, "sql", "employee"),
                                                    (2, "sql", "pensioner")]


def test_the_vocabulary_check_sees_comparisons_membership_and_matches():
    source = ("if level == 'region': pass\n"
              "if category in ('employee', 'pensioner'): pass\n"
              "if 'unit' not in levels: pass\n"
              "frame.filter(pl.col('level') == 'unit')\n"
              "frame.filter(pl.col('category').is_in(['employee']))\n"
              "match level:\n    case 'region':\n        pass\n"
              "x = 'unit' != code\n")
    assert vocabulary_uses(source, PROBE_NAMES) == [
        (1, "comparison", "region"), (2, "comparison", "employee"), (2, "comparison", "pensioner"),
        (3, "comparison", "unit"), (4, "comparison", "unit"), (5, "is_in", "employee"), (7, "match", "region"),
        (9, "comparison", "unit")]


def test_the_vocabulary_check_sees_lookups_and_mappings_by_a_code():
    source = ("a = shares.get('unit', 0)\n"
              "b = amounts['region']\n"
              "LABELS = {'unit': 'Jednostka', 'region': 'Region'}\n"
              "c = pl.lit('employee').alias('category')\n"
              "d = pl.col('level').replace_strict({'unit': 1}, default=0)\n")
    assert vocabulary_uses(source, PROBE_NAMES) == [
        (1, "get", "unit"), (2, "lookup", "region"), (3, "mapping", "region"), (3, "mapping", "unit"),
        (4, "lit", "employee"), (5, "mapping", "unit"), (5, "replace_strict", "unit")]


def test_the_vocabulary_check_leaves_ordinary_words_alone():
    """An option or parameter named region, keyword arguments, the word union in a message, a
    docstring naming a level, and the option holders' keys are not decisions by a code."""
    source = ('"""Each unit pays its region; the union\'s \'region\' level is in the rulebook."""\n'
              "def explain(period: str, region: str | None = None, member: str | None = None):\n"
              "    '''The member's region.'''\n"
              "    execute(EXPLAIN, region=region, member=member)\n"
              "    opt = typer.Option(None, '--region', help='identyfikator regionu')\n"
              "    if 'region' in run.params and params.get('region') and params['member']:\n"
              "        print(f'the union {name}: region {region}, member {member}')\n"
              "    raise UserError('bad_option', name='--region', detail='the union closes its month')\n"
              "    region, unit, union = 'a', 'b', 'c'\n"
              "    words = ['member', 'union']\n")
    assert vocabulary_uses(source, PROBE_NAMES) == []


def test_issue_28_no_module_of_reports_or_transforms_imports_from_flows():
    """Arrows run one way: flows/ calls reports/ and transforms/, never the reverse (also not
    inside a function)."""
    found = []
    for pkg in ("reports", "transforms", "schemas"):
        for path in sorted((ROOT / pkg).glob("*.py")):
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = ([a.name for a in n.names] if isinstance(n, ast.Import)
                           else [n.module or ""] if isinstance(n, ast.ImportFrom) else [])
                found += [f"{pkg}/{path.name}:{n.lineno}: {m}" for m in modules
                          if m == "flows" or m.startswith("flows.")]
    assert found == []


def flows_imports() -> dict[str, set[str]]:
    """Module of flows/ -> the modules of flows/ it imports, at its top or inside a function."""
    modules = {p.stem for p in (ROOT / "flows").glob("*.py") if p.stem != "__init__"}
    graph = {}
    for stem in sorted(modules):
        edges = set()
        for n in ast.walk(ast.parse((ROOT / "flows" / f"{stem}.py").read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                edges |= {a.name.split(".")[1] for a in n.names if a.name.startswith("flows.")}
            elif isinstance(n, ast.ImportFrom) and n.level:          # from . import x / from .x import y
                edges |= {n.module.split(".")[0]} if n.module else {a.name for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.module == "flows":   # from flows import store
                edges |= {a.name for a in n.names}
            elif isinstance(n, ast.ImportFrom) and (n.module or "").startswith("flows."):
                edges.add(n.module.split(".")[1])
        graph[stem] = (edges & modules) - {stem}
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (its modules in order, the first again at the end), or None."""
    state: dict[str, int] = {}      # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_issue_28_no_import_cycle_among_flows_modules():
    """Rooms match their roles: no module of flows/ reaches itself through its imports (also those
    inside a function) — e.g. replay uses the archive and the close, the archive neither."""
    graph = flows_imports()
    assert {"archive", "close"} <= graph["replay"] and not {"close", "replay"} & graph["archive"]
    assert import_cycle(graph) is None, " -> ".join(import_cycle(graph))


def test_the_import_cycle_check_finds_a_cycle_through_a_function_level_import():
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_issue_9_every_source_module_has_a_test_module():
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    missing = [f"{pkg}/{p.name}" for pkg in PACKAGES for p in sorted((ROOT / pkg).glob("*.py"))
               if p.stem != "__init__" and f"test_{p.stem}" not in tests and f"test_{pkg}_{p.stem}" not in tests]
    assert missing == []


def payroll_line_hops() -> tuple[str, list[tuple[str, str]]]:
    """docs/architecture.md's section following one payroll line, and its hops (module, function)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text[text.index("## One payroll line, from the command line to the settlement PDF"):]
    return section, re.findall(r"^\d+\. `([\w/]+\.py)` · `(\w+)`", section, re.MULTILINE)


def test_issue_28_the_hops_of_one_payroll_line_exist():
    """docs/architecture.md follows one payroll line from the command line to the settlement PDF,
    hop by hop (module · function): every function it names is defined in the module it names, so
    the note cannot rot unseen; the path never grows back (12 hops today, 15 and 19 before)."""
    section, hops = payroll_line_hops()
    assert len(hops) >= 10, hops
    assert [int(n) for n in re.findall(r"^(\d+)\. `", section, re.MULTILINE)] == list(range(1, len(hops) + 1))
    missing = []
    for module, function in hops:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        if function not in {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}:
            missing.append(f"{module} · {function}")
    assert not missing, missing
    assert len({m for m, _ in hops}) <= 14
    assert len(hops) <= 12
    assert f"{len(hops)} hops through {len({m for m, _ in hops})} modules" in section


def test_issue_28_one_payroll_line_in_at_most_12_hops():
    """Issue 28's acceptance: one payroll line from the CLI to the settlement PDF in at most 12
    hops through at most 14 modules."""
    _, hops = payroll_line_hops()
    assert len(hops) <= 12 and len({m for m, _ in hops}) <= 14


def test_no_module_is_named_like_a_package_it_could_hide():
    """Issue 32: Prefect's `serve` puts the flows' folder on the import path, so a module named like
    an installed package (a flows/holidays.py once) hides it from every module of the process
    ("module 'holidays' has no attribute 'country_holidays'"). Only the standard library's
    `calendar` shares a name: it is imported with Python itself, before any path is added."""
    import importlib.util
    import sys
    saved = sys.path[:]
    sys.path[:] = [p for p in saved if p not in ("", str(ROOT)) and Path(p).resolve() != ROOT]
    try:
        clashes = sorted(f"{pkg}/{p.name}" for pkg in PACKAGES for p in (ROOT / pkg).glob("*.py")
                         if p.stem not in ("__init__", "calendar") and importlib.util.find_spec(p.stem) is not None)
    finally:
        sys.path[:] = saved
    assert clashes == []
