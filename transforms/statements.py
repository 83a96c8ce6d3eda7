"""Bank statements as entries: MT940 text and bank-CSV rows parsed into one shape. Pure: text and
rows in, entries and ``Issue`` records out (flows/ reads the files).

An entry: statement, entry (1-based), key, booking_date, amount (grosze; credits positive),
direction, account (the counterparty's PL IBAN or None), own_account (the statement's own, or
None when it does not say), counterparty, title.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from transforms.errors import Issue, issue
from transforms.money import format_pl, from_decimal


def bank_account_iban(value: str | None) -> str | None:
    """NRB ('61 1090 1014 0000 0712 1981 2874') or PL IBAN -> 'PL' + 26 digits; None if invalid."""
    from stdnum import iban
    compact = re.sub(r"[\s\-]", "", value or "").upper()
    if re.fullmatch(r"\d{26}", compact):
        compact = "PL" + compact
    return compact if compact.startswith("PL") and iban.is_valid(compact) else None


# ------------------------------------------------------------------ MT940 as the banks write it

# the code pages Polish banks write MT940 in; UTF-8 is recognised by decoding strictly
ENCODINGS = ("cp1250", "iso-8859-2", "cp852")
_POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_FILLER = b"\xff"          # PKO BP pads :86: with 0xFF bytes


def decode_statement(raw: bytes) -> tuple[str, str]:
    """Bytes of a statement -> (text, encoding). Filler bytes are dropped first; UTF-8 if the
    bytes decode strictly as UTF-8, else the code page whose decoding yields the most Polish
    letters and the fewest characters no bank writes (ties: cp1250, ISO-8859-2, CP852)."""
    raw = raw.replace(_FILLER, b"")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass

    def score(text: str) -> int:
        odd = sum(1 for ch in text if ord(ch) > 127 and ch not in _POLISH)
        odd += sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
        return sum(1 for ch in text if ch in _POLISH) - 2 * odd

    decoded = [(raw.decode(e, errors="replace"), e) for e in ENCODINGS]
    best = max(range(len(decoded)), key=lambda i: (score(decoded[i][0]), -i))
    return decoded[best]


# the :86: subfield separators of the Polish banks' dialects (PKO BP, ING, Pekao, BNP: '^' or '~';
# mBank/Millennium and CP852 exports: '<'; others '+', '?', '|') — never '/', '.' or '-', which
# titles use in dates ('10/2026', '10.2026', '10-2026')
SEPARATORS = "~^<?+|"
_STRUCTURE = re.compile(rf"\s*(?:\d{{3}} ?)?([{re.escape(SEPARATORS)}])\d\d")


def separator_86(details: str) -> str | None:
    """The :86: subfield separator, decided by the field's structure, never by its text: the
    known separator that opens the field, after the three-digit transaction code or without it
    ('020~00…', '020^00…', '020<00…', '~20…'). None when the field has no subfields (mBank's
    'IPH' style: '911 TRANSAKCJA IPH; Z RACH.: …; TYT.: …; TNR: …')."""
    found = _STRUCTURE.match(details or "")
    return found.group(1) if found else None


def _flat(details: str | None) -> str:
    """The :86: lines joined exactly: a line break is not text, a space before it is (mBank
    writes 'NR \r\n110F…' for 'NR 110F…'; PKO BP cuts 'KATO\r\nWICE' inside a word)."""
    return re.sub(r"\r?\n|\r", "", details or "")


def subfields_86(details: str, sep: str | None = None) -> dict[str, str]:
    """Polish :86: subfields ('020~20Składki~3010901014' -> {'20': 'Składki', '30': '10901014'});
    {} when the field has none. Lines are joined exactly (``_flat``)."""
    flat = _flat(details)
    sep = sep or separator_86(flat)
    out: dict[str, str] = {}
    if sep is None:
        return out
    for code, value in re.findall(rf"{re.escape(sep)}(\d\d)([^{re.escape(sep)}]*)", flat):
        out[code] = out.get(code, "") + value
    return out


# mBank's 'IPH' layout (CompanyNet/BRESOK MT940): '911 TRANSAKCJA IPH; ID IPH: …; Z RACH.: <NRB>;
# OD: <payer>; TYT.: <title>; DATA STEMPLA: dd.mm.rrrr; TNR: <number>' — parts separated by '; '
# and named by an upper-case label and a colon
_IPH_PART = re.compile(r";\s*(?=(?:[A-ZĄĆĘŁŃÓŚŹŻ][A-ZĄĆĘŁŃÓŚŹŻ]*\.? ?){1,3}:)")


def mbank_parts(details: str) -> dict[str, str]:
    """The labelled parts of an mBank-style :86: without subfields ({'Z RACH.': '0710…',
    'OD': '…', 'TYT.': 'SKLADKI 10/2026', …}); the first part is under ''. A ';' inside a title
    that is not followed by a label stays in the title."""
    flat = _flat(details)
    out: dict[str, str] = {}
    for i, part in enumerate(_IPH_PART.split(flat)):
        label, colon, value = part.partition(":")
        if i == 0 or not colon:
            out[""] = part.strip()
        else:
            out.setdefault(label.strip(), value.strip())
    return out


_NRB = re.compile(r"(?<![\dA-Z])(?:PL)?\d{2}(?:[ -]?\d{4}){6}(?!\d)")


def accounts_in_text(text: str) -> list[str]:
    """Every checksum-valid NRB or PL IBAN written in a text ('Z RACH.: 07 1090 …'), in order."""
    out = []
    for m in _NRB.finditer((text or "").upper()):
        iban = bank_account_iban(m.group(0))
        if iban and iban not in out:
            out.append(iban)
    return out


def account_from_86(details: str, own: str | None = None) -> str | None:
    """The counterparty account: ~38 (IBAN), else bank ~30 + account ~31 with check digits,
    else (mBank without subfields) the account after 'Z RACH.:' or 'NA RACH.:', else the first
    checksum-valid NRB/IBAN anywhere in the details that is not the statement's own ``own``."""
    fields = subfields_86(details)
    if fields.get("38") and bank_account_iban(fields["38"]):
        return bank_account_iban(fields["38"])
    bank, account = re.sub(r"\s", "", fields.get("30", "")), re.sub(r"\s", "", fields.get("31", ""))
    if re.fullmatch(r"\d{8}", bank) and re.fullmatch(r"\d{16}", account):
        from stdnum import iban
        bban = bank + account
        return "PL" + iban.calc_check_digits("PL00" + bban) + bban
    if not fields:
        parts = mbank_parts(details)
        for label in ("Z RACH.", "NA RACH."):
            found = [a for a in accounts_in_text(parts.get(label, "")) if a != own]
            if found:
                return found[0]
    # the text as the bank cut it into subfields, joined exactly (an account may span two pieces)
    joined = "".join(fields.values()) or _flat(details)
    found = [a for a in accounts_in_text(joined) if a != own]
    return found[0] if found else None


def title_and_payer(details: str) -> tuple[str, str]:
    """The title and the payer of a :86: field: subfields ~20–~26 and ~27–~33, or mBank's
    'TYT.:' and 'OD:' parts; the whole text when the field says neither."""
    fields = subfields_86(details)
    if fields:
        title = _clean("".join(fields.get(k, "") for k in TITLE_FIELDS))
        payer = _clean("".join(fields.get(k, "") for k in PAYER_FIELDS))
    else:
        parts = mbank_parts(details)
        title, payer = _clean(parts.get("TYT.", "")), _clean(parts.get("OD", ""))
    return title or _clean(_flat(details)), payer


TITLE_FIELDS = ("20", "21", "22", "23", "24", "25", "26")
PAYER_FIELDS = ("27", "28", "29", "32", "33", "62", "63")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def statement_header(content: str) -> dict:
    """What the statement says of itself: account (:25:), number (:28C: as written), the
    opening balance line (:60F:) and the currency."""
    def tag(name: str) -> str:
        return next((ln[len(name):].strip() for ln in content.splitlines() if ln.startswith(name)), "")
    opening = tag(":60F:") or tag(":60M:")
    currency = re.match(r"[CD]\d{6}([A-Z]{3})", opening)
    return {"account": tag(":25:"), "number": tag(":28C:"), "opening": opening,
            "currency": currency.group(1) if currency else None,
            "own": (accounts_in_text(tag(":25:")) or [None])[0]}


def normalise_mt940(content: str) -> str:
    """What the `mt-940` library cannot read, made readable without changing any amount, date or
    text: a statement number written as '01/2023/M' becomes its first number ('01')."""
    def number(m: re.Match) -> str:
        value = m.group(2).strip()
        if re.fullmatch(r"\d{1,5}(/\d{1,5})?", value):
            return m.group(0)
        digits = re.match(r"\d{1,5}", value)
        return m.group(1) + (digits.group(0) if digits else "0")
    return re.sub(r"^(:28C?:)(.*)$", number, content, flags=re.MULTILINE)


def parse_mt940(content: str, name: str, first: int = 1) -> list[dict]:
    """Entries of one MT940 statement, numbered from ``first`` (the `mt-940` package parses the
    blocks; titles and payers are read from the :86: field as its dialect writes them)."""
    import logging

    import mt940
    logging.getLogger("mt940").setLevel(logging.CRITICAL)     # its own errors become our one record
    own = statement_header(content)["own"]
    transactions = mt940.models.Transactions()
    transactions.parse(normalise_mt940(content))
    written = details_86(content)
    out = []
    for i, t in enumerate(transactions, start=first):
        d = t.data
        # the :86: as the bank wrote it: the library strips each line's trailing space (content
        # for mBank) and caps the field at nine 65-character lines
        details = written[i - first] if len(written) == len(transactions) else d.get("transaction_details") or ""
        title, payer = title_and_payer(details)
        amount = from_decimal(d["amount"].amount)
        booked = d.get("entry_date") or d["date"]
        out.append({"statement": name, "entry": i, "key": f"{name}#{i}",
                    "booking_date": date(booked.year, booked.month, booked.day), "amount": amount,
                    "direction": "credit" if amount > 0 else "debit", "account": account_from_86(details, own),
                    "own_account": own,
                    "counterparty": payer, "title": title})
    return out


def details_86(content: str) -> list[str]:
    """The :86: field of each :61: entry, its lines as written (line breaks kept, trailing spaces
    kept); '' for an entry without :86:."""
    out: list[str] = []
    current: list[str] | None = None
    for ln in content.splitlines(keepends=True):
        if _TAG.match(ln) or ln.strip() == "-":
            if current is not None:
                out[-1] = "".join(current)
            current = None
            if ln.startswith(":61:"):
                out.append("")
            elif ln.startswith(":86:") and out:
                current = [ln[4:]]
        elif current is not None:
            current.append(ln)
    if current is not None:
        out[-1] = "".join(current)
    return out


def split_statements(content: str) -> list[str]:
    """The statements of one MT940 file (mBank CompanyNet writes one per account, each opened by
    ':20:' and closed by '-'); a file without ':20:' is one statement. The SWIFT block characters
    ASCII 1 and 3 some banks put around a statement are dropped."""
    lines = [ln.strip("\x01\x03") for ln in content.splitlines()]
    starts = [i for i, ln in enumerate(lines) if ln.startswith(":20:")]
    if len(starts) < 2:
        return [content]
    return ["\n".join(lines[a:b]) + "\n" for a, b in zip(starts, starts[1:] + [len(lines)])]


_BALANCE = re.compile(r"^:6[02][FM]:([CD])\d{6}[A-Z]{3}(\d{1,15},\d{0,2})")
_SIGNED_61 = re.compile(r"^:61:\d{6}(?:\d{4})?(R?[CD])[A-Z]?(\d{1,12},\d{0,2})")


def balance_gap(content: str) -> tuple[int, int] | None:
    """(opening + the entries, closing) in grosze when they differ, else None: a statement whose
    entries do not add up to its closing balance lacks an entry or lists one too many. 'RC' (a
    reversed credit) is a debit, 'RD' a credit."""
    def grosze(value: str) -> int:
        return from_decimal(Decimal(value.replace(",", ".")))
    balances = [m for m in map(_BALANCE.match, content.splitlines()) if m]
    if len(balances) < 2:
        return None
    total = grosze(balances[0].group(2)) * (1 if balances[0].group(1) == "C" else -1)
    for m in map(_SIGNED_61.match, content.splitlines()):
        if m:
            total += grosze(m.group(2)) * (1 if m.group(1) in ("C", "RD") else -1)
    closing = grosze(balances[-1].group(2)) * (1 if balances[-1].group(1) == "C" else -1)
    return None if total == closing else (total, closing)


def failing_line(content: str, error: Exception) -> tuple[int | None, str]:
    """The line of the statement the parser library choked on and what it says of it: the field
    and the value its error names (":60F: 'X261031PLN0,00'")."""
    args = getattr(error, "args", ())
    value = next((a for a in reversed(args) if isinstance(a, str) and a.strip()), None)
    tag = next((getattr(a, "id", None) for a in args if getattr(a, "id", None)), None)
    if value is None:
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    for number, line in enumerate(content.splitlines(), start=1):
        if value.strip() in line and (tag is None or line.startswith(f":{tag}:")):
            return number, f"pola :{tag}: '{value.strip()}'" if tag else f"'{value.strip()}'"
    return None, f"'{value.strip()}'"


_61 = re.compile(r"^:61:(\d{2})(\d{2})(\d{2})(\d{4})?R?[CD][A-Z]?(\d{1,12},\d{0,2})(?![\d,.])")
_TAG = re.compile(r"^:\d{2}[A-Z]?:")


def check_mt940(content: str, name: str, period: str | None = None,
                max_amount: int | None = None) -> tuple[str | None, list[Issue], tuple]:
    """Validate an MT940 statement before parsing: every :61: entry must have a real booking date
    and a strict amount ('1272,68'; not '1.272,68', not '1e3') of at most ``max_amount`` grosze,
    and the statement must end with its closing balance. Returns (text with the bad entries removed, or None if the whole statement
    cannot be used; the records; the statement's identity (account, number, opening date))."""
    lines = content.splitlines()
    found: list[Issue] = []

    def record(code: str, line: int | None = None, **params) -> None:
        found.append(issue(code, source=name, row=line, command="reconcile", period=period, **params))

    tags = [ln[:5] for ln in lines if _TAG.match(ln)]
    if not any(t.startswith(":61:") for t in tags) and not any(t.startswith(":20:") for t in tags):
        record("empty_statement")
        return None, found, ()
    if any(ln.startswith((":34F:", ":13D:", ":13:")) for ln in lines):
        record("interim_report")          # MT942: interim by design, superseded by the day's MT940
        return None, found, ()
    if not any(ln.startswith((":62F:", ":62M:")) for ln in lines):
        record("statement_truncated")
        return None, found, ()
    identity = tuple(next((ln[len(tag):].strip() for ln in lines if ln.startswith(tag)), "")
                     for tag in (":25:", ":28C:", ":60F:"))
    keep, skip = [], False
    for number, ln in enumerate(lines, start=1):
        if ln.startswith(":61:"):
            m = _61.match(ln)
            ok = m is not None
            if ok:
                try:
                    date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    ok = False
            if not ok:
                record("bad_statement_entry", line=number, value=ln[4:40])
                skip = True
                continue
            if max_amount is not None and from_decimal(Decimal(m.group(5).replace(",", "."))) > max_amount:
                record("statement_entry_too_large", line=number, value=ln[4:40], limit=format_pl(max_amount))
                skip = True
                continue
            skip = False
        elif _TAG.match(ln) and not ln.startswith(":86:"):
            skip = False
        if not skip:
            keep.append(ln)
    return "\n".join(keep) + "\n", found, identity


# ------------------------------------------------------------------ the same transaction in two files

def transaction_key(entry: dict) -> tuple:
    """What makes two listed entries one transaction (issue 27): the statement's own account, the
    booking date, the amount, the counterparty's account and name, and the title (spacing and
    case aside) — never the file's bytes, name, line ends or line numbers."""
    def norm(text: str | None) -> str:
        return _clean(text or "").casefold()
    return (entry.get("own_account"), entry["booking_date"], entry["amount"], entry.get("account"),
            norm(entry.get("counterparty")), norm(entry.get("title")))


def repeated_across_files(files: list[tuple[str, list[dict]]]) -> tuple[list[dict], dict[tuple[str, str], list]]:
    """The entries of several statement files with a transaction listed in an earlier file left
    out: (entries kept, {(file, earlier file): the entry numbers left out}). Within one file two
    identical entries stay two (banks list genuine repeats: two equal transfers on one day); a
    transaction is counted as many times as the one file that lists it most often."""
    counted: dict[tuple, int] = {}
    first: dict[tuple, str] = {}
    kept: list[dict] = []
    repeats: dict[tuple[str, str], list] = {}
    for name, entries in files:
        here: dict[tuple, int] = {}
        for e in entries:
            key = transaction_key(e)
            here[key] = here.get(key, 0) + 1
            if here[key] <= counted.get(key, 0):
                repeats.setdefault((name, first[key]), []).append(e["entry"])
            else:
                kept.append(e)
                first.setdefault(key, name)
        for key, n in here.items():
            counted[key] = max(counted.get(key, 0), n)
    return kept, repeats
