"""One interface for the layouts skladki reads employers' and banks' files through (issue 28), after
beangulp's importers: a payroll profile (transforms.payroll.Profile) and a bank CSV profile
(transforms.bank_csv.BankProfile) each say whether a file is theirs (``identify``) and read its
rows (``extract``). Both get the file as a ``Head``: its bytes, decoded once however many layouts
look at it.

How a file's bytes become text (``decode``, the one place): a UTF-8 BOM or bytes that are valid
UTF-8 are UTF-8; anything else is the layout's single-byte code page (Windows-1250 by default).
A layout that declares UTF-8 gets the UTF-8 decoding's error for other bytes. Pure: no file is
opened here.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Decoded:
    """The bytes as text (None when they are not text in ``encoding``), the encoding read, and the
    error of each failed attempt."""
    text: str | None
    encoding: str | None                       # "utf-8" or the single-byte code page
    utf8_error: UnicodeDecodeError | None
    error: UnicodeDecodeError | None


def decode(raw: bytes, single_byte: str = "cp1250", utf8: bool = True) -> Decoded:
    """The one decoding of an input file's bytes (a test counts its calls: once per payroll file in
    a close). UTF-8 (a BOM kept as U+FEFF) when the bytes are UTF-8, else ``single_byte``;
    ``utf8=False``: only ``single_byte`` (a layout declaring UTF-16, say)."""
    utf8_error = None
    if utf8:
        try:
            return Decoded(raw.decode("utf-8"), "utf-8", None, None)
        except UnicodeDecodeError as e:
            utf8_error = e
    try:
        return Decoded(raw.decode(single_byte), single_byte, utf8_error, None)
    except UnicodeDecodeError as e:
        return Decoded(None, None, utf8_error, e)


def single_byte(encoding: str) -> str | None:
    """The code page a declared encoding names (codecs' name), None for a UTF encoding."""
    name = codecs.lookup(encoding).name
    return None if name.startswith("utf") else name


class Head:
    """A file as read once: its bytes and their decodings, each made at most once. ``cells`` is a
    workbook's rows (given by the reader that opened it); a text file has none."""

    def __init__(self, raw: bytes, name: str = ""):
        self.raw, self.name = raw, name
        self._decoded: dict[str, Decoded] = {}

    def decoded(self, code_page: str = "cp1250") -> Decoded:
        """``decode`` with this code page for bytes that are not UTF-8 — UTF-8 bytes are decoded once
        whatever code page is asked, since their text does not depend on it."""
        first = self._decoded.get("first")
        if first is not None and first.encoding == "utf-8":
            return first
        if code_page not in self._decoded:
            self._decoded[code_page] = decode(self.raw, code_page)
            self._decoded.setdefault("first", self._decoded[code_page])
        return self._decoded[code_page]

    def excel(self) -> tuple[str, str]:
        """(text, encoding named for people) as Polish Excel saves a CSV (flows.files.decode_text):
        UTF-8 with or without a BOM (the BOM removed), else Windows-1250 without control characters;
        raises UnicodeDecodeError for anything else (binary)."""
        d = self.decoded("cp1250")
        if self.raw.startswith(BOM):
            if d.encoding == "utf-8":
                return d.text[1:], "UTF-8 z BOM"
            return self.raw[3:].decode("utf-8"), ""        # raises: no UTF-8 after its BOM
        if d.encoding == "utf-8":
            return d.text, "UTF-8"
        if d.text is None:
            raise d.error
        if any(ord(c) < 32 and c not in "\t\r\n" for c in d.text):
            raise d.utf8_error
        return d.text, "Windows-1250"

    def text(self, encoding: str) -> str:
        """The file's text for a layout declaring ``encoding``: UTF-8 bytes as UTF-8, other bytes in
        the declared code page; raises the ``UnicodeDecodeError`` of bytes that are neither."""
        name = codecs.lookup(encoding).name
        if name.startswith("utf") and name not in ("utf-8", "utf-8-sig"):     # UTF-16, UTF-32: as declared
            if name not in self._decoded:
                self._decoded[name] = decode(self.raw, name, utf8=False)
            if self._decoded[name].text is None:
                raise self._decoded[name].error
            return self._decoded[name].text
        code_page = single_byte(encoding)
        d = self.decoded(code_page or "cp1250")
        if d.encoding == "utf-8" or (code_page and d.text is not None):
            return d.text
        raise d.utf8_error if code_page is None else d.error

    def cells(self, pesel_columns: tuple[str, ...] = (), header_row: int = 1) -> list[list[str | None]]:
        raise TypeError(f"{self.name}: nie jest skoroszytem")


@runtime_checkable
class Importer(Protocol):
    """A layout of files: whether a file is its own, and what it holds."""
    name: str

    def identify(self, path: Path, head: Head) -> bool:
        """Is this file written in this layout?"""

    def extract(self, path: Path, head: Head, **context: Any) -> Any:
        """The file's rows (a payroll profile) or entries and records (a bank profile)."""
