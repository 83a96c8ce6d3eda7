"""CAMT.053 (ISO 20022 ``BkToCstmrStmt``) statements as entries of the same shape as MT940's
(transforms/statements.py). Pure: bytes in, statements out; flows/reconcile.py checks each one.

Read with defusedxml over the standard library's ElementTree (docs/reconcile.md says why no PyPI
parser): namespaces of every camt.053 version (001.02–001.13) are ignored, elements are found by
their ISO names. What Polish banks write (ING, PKO BP, Pekao; the ZBP recommendation): the
statement's account as ``Acct/Id/IBAN`` (or a domestic NRB in ``Othr/Id``), balances ``OPBD``
(or ``PRCD``) and ``CLBD``, entries ``Ntry`` with ``Amt``, ``CdtDbtInd`` CRDT/DBIT, ``BookgDt``,
and per transfer ``NtryDtls/TxDtls``: the payer ``RltdPties/Dbtr`` and ``DbtrAcct``, the title
in ``RmtInf/Ustrd`` (pieces joined exactly); a batch entry lists one ``TxDtls`` per transfer.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from transforms.money import from_decimal
from transforms.statements import _clean, accounts_in_text, bank_account_iban


class CamtError(ValueError):
    """The document is not a readable camt.053: what is wrong, in Polish, for the file's record."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el, path: str):
    """The first element down ``path`` ('RltdPties/Dbtr/Nm'), namespaces ignored; '*' any one."""
    found = [el] if el is not None else []
    for name in path.split("/"):
        found = [c for f in found for c in f if name == "*" or _local(c.tag) == name]
    return found[0] if found else None


def _all(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _text(el, path: str) -> str:
    found = _find(el, path)
    return (found.text or "").strip() if found is not None else ""


def _amount(el) -> int:
    try:
        return from_decimal(Decimal((el.text or "").strip()))
    except (InvalidOperation, AttributeError) as e:
        raise CamtError(f"kwota '{getattr(el, 'text', '')}' nie jest kwotą") from e


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError as e:
        raise CamtError(f"data '{text}' nie jest datą") from e


def _account(el) -> str | None:
    """An account element's number as PL IBAN: ``Id/IBAN`` or a domestic NRB in ``Id/Othr/Id``."""
    if el is None:
        return None
    written = _text(el, "Id/IBAN") or _text(el, "Id/Othr/Id")
    return bank_account_iban(written) or (accounts_in_text(written) or [written or None])[0]


def _party(tx, role: str) -> str:
    """A related party's name: 'Dbtr/Nm' (camt.053.001.02) or 'Dbtr/Pty/Nm' (001.08 and later)."""
    return _text(tx, f"RltdPties/{role}/Nm") or _text(tx, f"RltdPties/{role}/Pty/Nm")


def _balance(stmt, codes: tuple[str, ...]) -> int | None:
    for bal in _all(stmt, "Bal"):
        if _text(bal, "Tp/CdOrPrtry/Cd") in codes:
            value = _amount(_find(bal, "Amt"))
            return -value if _text(bal, "CdtDbtInd") == "DBIT" else value
    return None


def _transfers(ntry) -> list[tuple[object, int]]:
    """(TxDtls, signed amount) per transfer of an entry: a batch's transfers each with its own
    amount when they add up to the entry's; otherwise the entry as one transfer."""
    sign = -1 if _text(ntry, "CdtDbtInd") == "DBIT" else 1
    total = sign * _amount(_find(ntry, "Amt"))
    details = [tx for d in _all(ntry, "NtryDtls") for tx in _all(d, "TxDtls")]
    amounts = []
    for tx in details:
        amt = _find(tx, "Amt")
        amt = amt if amt is not None else _find(tx, "AmtDtls/TxAmt/Amt")
        if amt is None:
            break
        tx_sign = {"DBIT": -1, "CRDT": 1}.get(_text(tx, "CdtDbtInd"), sign)
        amounts.append(tx_sign * _amount(amt))
    if len(details) > 1 and len(amounts) == len(details) and sum(amounts) == total:
        return list(zip(details, amounts))
    return [(details[0] if details else None, total)]


def _title(tx, ntry) -> str:
    pieces = [u.text or "" for r in _all(tx, "RmtInf") for u in _all(r, "Ustrd")] if tx is not None else []
    if not pieces and tx is not None:
        pieces = [_text(tx, "RmtInf/Strd/CdtrRefInf/Ref"), _text(tx, "AddtlTxInf")]
    return _clean("".join(pieces)) or _clean(_text(ntry, "AddtlNtryInf"))


def parse_camt053(raw: bytes, name: str) -> list[dict]:
    """The statements of a camt.053 document, each {account (as written), own (PL IBAN or None),
    number, currency, opening, closing (grosze or None), entries (numbered through the file)}.
    Raises CamtError (Polish) when the bytes are not a camt.053 statement document."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException
    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException) as e:
        raise CamtError(f"to nie jest poprawny dokument XML ({e})") from e
    report = _find(root, "BkToCstmrStmt")
    if report is None:
        raise CamtError(f"to nie jest wyciąg CAMT.053 (brak elementu BkToCstmrStmt; dokument {_local(root.tag)})")
    out, number = [], 0
    for stmt in _all(report, "Stmt"):
        acct = _find(stmt, "Acct")
        own = _account(acct)
        currency = _text(acct, "Ccy") or next((b.get("Ccy") for b in stmt.iter() if _local(b.tag) == "Amt"), None)
        entries = []
        for ntry in _all(stmt, "Ntry"):
            booked = _day(_text(ntry, "BookgDt/Dt") or _text(ntry, "BookgDt/DtTm") or _text(ntry, "ValDt/Dt"))
            for tx, amount in _transfers(ntry):
                number += 1
                role, acct_role = ("Dbtr", "DbtrAcct") if amount > 0 else ("Cdtr", "CdtrAcct")
                entries.append({"statement": name, "entry": number, "key": f"{name}#{number}",
                                "booking_date": booked, "amount": amount,
                                "direction": "credit" if amount > 0 else "debit",
                                "account": _account(_find(tx, f"RltdPties/{acct_role}")) if tx is not None else None,
                                "own_account": own, "counterparty": _clean(_party(tx, role)) if tx is not None else "",
                                "title": _title(tx, ntry)})
        out.append({"account": _text(acct, "Id/IBAN") or _text(acct, "Id/Othr/Id"), "own": own,
                    "number": _text(stmt, "ElctrncSeqNb") or _text(stmt, "LglSeqNb") or _text(stmt, "Id"),
                    "currency": currency, "opening": _balance(stmt, ("OPBD", "PRCD")),
                    "closing": _balance(stmt, ("CLBD",)), "entries": entries})
    if not out:
        raise CamtError("dokument nie zawiera żadnego wyciągu (Stmt)")
    return out
