"""Bank statements as entries: MT940 text and bank-CSV rows parsed into one shape. Pure: text and
rows in, entries and ``Issue`` records out (flows/ reads the files).

An entry: statement, entry (1-based), key, booking_date, amount (grosze; credits positive),
direction, account (PL IBAN or None), counterparty, title.
"""
from __future__ import annotations

import re
from datetime import date

from transforms.errors import Issue, issue, text
from transforms.money import from_decimal, parse_amount


def bank_account_iban(value: str | None) -> str | None:
    """NRB ('61 1090 1014 0000 0712 1981 2874') or PL IBAN -> 'PL' + 26 digits; None if invalid."""
    from stdnum import iban
    compact = re.sub(r"[\s\-]", "", value or "").upper()
    if re.fullmatch(r"\d{26}", compact):
        compact = "PL" + compact
    return compact if compact.startswith("PL") and iban.is_valid(compact) else None


def subfields_86(details: str) -> dict[str, str]:
    """Polish :86: subfields ('~20Składki~3010901014' -> {'20': 'Składki', '30': '10901014'})."""
    return dict(re.findall(r"~(\d\d)([^~]*)", details or ""))


def account_from_86(details: str) -> str | None:
    """The counterparty account: ~38 (IBAN), else bank ~30 + account ~31 with check digits."""
    fields = subfields_86(details)
    if fields.get("38"):
        return bank_account_iban(fields["38"])
    bank, account = fields.get("30", "").strip(), fields.get("31", "").strip()
    if re.fullmatch(r"\d{8}", bank) and re.fullmatch(r"\d{16}", account):
        from stdnum import iban
        bban = bank + account
        return "PL" + iban.calc_check_digits("PL00" + bban) + bban
    return None


def parse_mt940(content: str, name: str) -> list[dict]:
    """Entries of an MT940 statement (the `mt-940` package parses the blocks)."""
    import mt940
    transactions = mt940.models.Transactions()
    transactions.parse(content)
    out = []
    for i, t in enumerate(transactions, start=1):
        d = t.data
        details = d.get("transaction_details") or ""
        fields = subfields_86(details)
        title = " ".join(fields.get(k, "") for k in ("20", "21", "22", "23", "24", "25")).strip() or details
        payer = " ".join(fields.get(k, "") for k in ("27", "28", "29", "32", "33")).strip()
        amount = from_decimal(d["amount"].amount)
        booked = d.get("entry_date") or d["date"]
        out.append({"statement": name, "entry": i, "key": f"{name}#{i}",
                    "booking_date": date(booked.year, booked.month, booked.day), "amount": amount,
                    "direction": "credit" if amount > 0 else "debit", "account": account_from_86(details),
                    "counterparty": payer, "title": title})
    return out


def csv_profile_matches(header: list[str], profile: dict) -> bool:
    return all(c in header for c in profile["signature"])


_DATE_FORMATS = {"DD.MM.YYYY": (r"(\d{2})\.(\d{2})\.(\d{4})", (3, 2, 1)),
                 "YYYY-MM-DD": (r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3))}


def parse_date(value: str, fmt: str) -> date | None:
    pattern, (y, m, d) = _DATE_FORMATS[fmt]
    found = re.fullmatch(pattern, value.strip())
    if not found:
        return None
    try:
        return date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
    except ValueError:
        return None


def parse_bank_csv(rows: list[list[str]], profile: dict, name: str,
                   period: str | None = None) -> tuple[list[dict], list[Issue]]:
    """Entries of a bank CSV export read through its profile; a row whose date or amount cannot
    be read is an ``Issue`` and the rest of the file is used."""
    header = [h.strip() for h in rows[profile["header_row"] - 1]]
    col = {h: i for i, h in enumerate(header)}
    fmt = profile.get("date_format", "DD.MM.YYYY")
    entries, issues = [], []
    for i, r in enumerate(rows[profile["header_row"]:], start=1):
        if not any(c.strip() for c in r):
            continue

        def get(column: str) -> str:
            return r[col[column]].strip() if column in col and col[column] < len(r) else ""

        amount = parse_amount(get(profile["amount_column"]), profile["decimal"])
        booked = parse_date(get(profile["date_column"]), fmt)
        problems = []
        if booked is None:
            problems.append(text("problems", "statement_date_bad", value=get(profile["date_column"]), format=fmt))
        if amount is None:
            problems.append(text("problems", "statement_amount_bad", value=get(profile["amount_column"]),
                                 decimal=profile["decimal"]))
        if problems:
            issues.append(issue("bad_statement_row", source=name, row=i, command="reconcile",
                                period=period, problems=problems))
            continue
        entries.append({"statement": name, "entry": i, "key": f"{name}#{i}", "booking_date": booked,
                        "amount": amount, "direction": "credit" if amount > 0 else "debit",
                        "account": bank_account_iban(get(profile["account_column"])),
                        "counterparty": get(profile.get("counterparty_column", "")),
                        "title": get(profile["title_column"])})
    return entries, issues


_61 = re.compile(r"^:61:(\d{2})(\d{2})(\d{2})(\d{4})?R?[CD][A-Z]?(\d{1,12},\d{0,2})(?![\d,.])")
_TAG = re.compile(r"^:\d{2}[A-Z]?:")


def check_mt940(content: str, name: str, period: str | None = None) -> tuple[str | None, list[Issue], tuple]:
    """Validate an MT940 statement before parsing: every :61: entry must have a real booking date
    and a strict amount ('1272,68'; not '1.272,68', not '1e3'), and the statement must end with its
    closing balance. Returns (text with the bad entries removed, or None if the whole statement
    cannot be used; the records; the statement's identity (account, number, opening date))."""
    lines = content.splitlines()
    found: list[Issue] = []

    def record(code: str, line: int | None = None, **params) -> None:
        found.append(issue(code, source=name, row=line, command="reconcile", period=period, **params))

    tags = [ln[:5] for ln in lines if _TAG.match(ln)]
    if not any(t.startswith(":61:") for t in tags) and not any(t.startswith(":20:") for t in tags):
        record("empty_statement")
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
            skip = False
        elif _TAG.match(ln) and not ln.startswith(":86:"):
            skip = False
        if not skip:
            keep.append(ln)
    return "\n".join(keep) + "\n", found, identity
