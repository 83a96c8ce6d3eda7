"""Files read from several folders (issue 31): the shipped folder first, then the user's own; a file
in a later folder replaces a file of the same name in an earlier one. Stdlib only, so flows/settings
can use it before anything heavy is imported."""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def files_by_name(folders: list[Path], pattern: str = "*.toml",
                  check: Callable[[Path], object] | None = None) -> dict[str, Path]:
    """File name -> the file read: the last folder that has a file of that name wins. ``check``:
    the one input-file check (flows.files.check_input) of every file chosen, before it is read."""
    chosen: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob(pattern)):
            chosen[path.name] = path
    for path in chosen.values() if check else ():
        check(path)
    return chosen


def replaced_files(folders: list[Path], pattern: str = "*.toml") -> list[Path]:
    """The files of later folders that replace a file of the same name in the first (shipped) one."""
    if not folders:
        return []
    shipped = Path(folders[0])
    names = {p.name for p in shipped.glob(pattern)}
    return [path for name, path in files_by_name(folders, pattern).items() if name in names and path.parent != shipped]
