"""Files read from several folders (issue 31): the shipped folder first, then the user's own; a file
in a later folder replaces a file of the same name in an earlier one. Stdlib only, so flows/settings
can use it before anything heavy is imported."""
from __future__ import annotations

from pathlib import Path


def files_by_name(folders: list[Path], pattern: str = "*.toml") -> dict[str, Path]:
    """File name -> the file read: the last folder that has a file of that name wins."""
    chosen: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob(pattern)):
            chosen[path.name] = path
    return chosen


def replaced_files(folders: list[Path], pattern: str = "*.toml") -> list[Path]:
    """The files of later folders that replace a file of the same name in the first (shipped) one."""
    if not folders:
        return []
    shipped = Path(folders[0])
    names = {p.name for p in shipped.glob(pattern)}
    return [path for name, path in files_by_name(folders, pattern).items() if name in names and path.parent != shipped]
