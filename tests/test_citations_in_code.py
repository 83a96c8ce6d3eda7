"""Issue 30, point 3: generic code never names one union's paragraph. What people read — messages,
documents, help texts, artifacts — takes its citations from data (the rulebooks, data/elections.toml,
data/delegate_keys.toml, data/catalogue.toml); a string literal in flows/, transforms/ or reports/
that cites a seed's paragraph ('004 §10', '003 Ordynacja Art. 3', 'Uchwała XIX KZD nr 6/2005')
would print that union's paragraph for every union. Comments and docstrings may cite (they tell
engineers which seed a rule comes from); references to RULES.md (the project's own spec) are not
seed citations."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("flows", "transforms", "reports")
# a seed's number before what it cites; an article; a resolution of 2005; a resolution by number
SEED_CITATION = re.compile(r"\b00[0-4] (§|Art|Ordynacj|Uchwał|Statut|Regulamin)|\bArt\. ?\d|\d/2005\b|"
                           r"\bUchwał\w* (nr|XIX)|\bKZD\b|(?<!RULES\.md )§ ?\d")
# (file, literal) pairs that must stay, each with its reason
ALLOWED = {
    # transforms/polish.py's `cite` recognises a seed's number before a citation, to print the
    # union's name of the document instead: the pattern names the words, no union's paragraph
    ("transforms/polish.py", r"(?<![\w/.-])(00[0-9]) (?=§|[Aa]rt\.|Uchwał|Ordynacj|Statut|Regulamin)"),
    ("transforms/polish.py", "Uchwał"),
    ("transforms/polish.py", "Ordynacj"),
}


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants of a module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def citations(source: str, name: str = "<snippet>") -> list[tuple[str, int, str]]:
    """(file, line, literal) of every string literal outside docstrings that cites a seed paragraph
    (f-strings' literal parts included)."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [(name, node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and SEED_CITATION.search(node.value) and (name, node.value) not in ALLOWED]


def test_no_string_literal_in_generic_code_cites_a_seed_paragraph():
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += citations(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "\n".join(f"{f}:{line}: {text!r}" for f, line, text in found)


def test_the_scan_finds_what_the_code_used_to_print():
    """The probe: literals the code printed before issue 30 are found; docstrings, comments and
    RULES.md references are not."""
    snippet = '''
"""A module citing 004 §10 in its docstring is fine."""
# and 003 Art. 31 ust. 4 in a comment
def f(pay, x):
    """004 §3 ust. 1 here too."""
    basis = "z otrzymanych składek (004 §10)"
    rule = f"{x} mandatów (Hare–Niemeyer; 004 Uchwała nr 1/2005 §2 ust. 5)"
    head = "Weryfikacja liczby delegatów (Uchwała XIX KZD nr 6/2005)"
    keys = "Mandaty według klucza (002 §23 ust. 9, 003 Ordynacja Art. 17)"
    caps = "łącznie (§8)"
    spec = "do decyzji zarządu, RULES.md §10"
    return basis, rule, head, keys, caps, spec
'''
    found = {text for _, _, text in citations(snippet)}
    assert found == {"z otrzymanych składek (004 §10)", " mandatów (Hare–Niemeyer; 004 Uchwała nr 1/2005 §2 ust. 5)",
                     "Weryfikacja liczby delegatów (Uchwała XIX KZD nr 6/2005)",
                     "Mandaty według klucza (002 §23 ust. 9, 003 Ordynacja Art. 17)", "łącznie (§8)"}


def test_every_allowed_literal_is_still_there():
    """An allowlist entry whose literal is gone is removed, so the list stays short and true."""
    for name, literal in ALLOWED:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.Constant) and n.value == literal for n in ast.walk(tree)), (name, literal)
