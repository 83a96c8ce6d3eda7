"""`skladki explain (--member ID | --unit ID | --region ID) --period P --db FILE [--out DIR]`: the
chain that produced an amount, in Polish, from what the close recorded as it computed (issue 18).

read (the recorded derivation of the stored close) → compute (transforms.explain composes it and
checks its own figures against the stored ones) → report (the same lines as a sheet).
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import store
from flows.rules import rules_for
from flows.files import require_database
from flows.command import CLOSED_DB, Command, OUT, Params, Run, legacy, legacy_view, option
from flows.payroll_inbox import component_labels
from reports.xlsx import new_workbook, safe_name, sheet
from transforms import explain as explain_logic
from transforms.errors import UserError
from transforms.polish import with_code
from transforms.staging import is_period

# what can be explained: the parameter naming it, and the function composing its explanation
SUBJECTS = {"member_id": explain_logic.member, "unit_id": explain_logic.unit, "region_id": explain_logic.region}

@dataclass(frozen=True, kw_only=True)
class ExplainParams(Params):
    period: Optional[str] = option("okres RRRR-MM (dla --member i --unit)", None, title="Okres (RRRR-MM)",
                                   check="period", form="zamknięty miesiąc w postaci RRRR-MM, np. 2026-10")
    db: Path = option("plik bazy DuckDB", **CLOSED_DB)
    member_id: Optional[str] = option("numer członka", None, flag="--member", title="Członek", form="numer członka")
    unit_id: Optional[str] = option("identyfikator jednostki", None, flag="--unit", title="Jednostka",
                                    form="identyfikator jednostki")
    region_id: Optional[str] = option("identyfikator regionu (weryfikacja delegatów)", None, flag="--region",
                                      title="Region", form="identyfikator regionu (weryfikacja delegatów)")
    out: Optional[Path] = option("folder na arkusz z wyjaśnieniem", None, **OUT)


def check(params: dict) -> None:
    given = [k for k in SUBJECTS if params.get(k)]
    if len(given) != 1:
        raise UserError("explain_what")
    if params.get("region_id") is None and not is_period(params.get("period")):
        raise UserError("bad_option", name="--period", detail=f"'{params.get('period')}' to nie okres RRRR-MM")
    require_database(params["db"])


def read(run: Run) -> None:
    p = run.params
    with store.read_only(Path(run.db)) as con:
        tables = store.table_names(con)

        def recorded(table: str, sql: str, params: list) -> list[dict]:       # a table gone: nothing recorded
            return store.dicts(con, sql, params) if table in tables else []
        if p.get("member_id"):
            args = [p["member_id"], p["period"]]
            dues = recorded("dues", "SELECT * FROM dues WHERE member_id = ? AND period = ?", args)
            derivation = recorded("dues_derivation", "SELECT * FROM dues_derivation WHERE member_id = ? AND period = ?",
                                  args)
            if not dues or not derivation:
                raise UserError("nothing_to_explain", what=f"członek {p['member_id']}", period=p["period"])
            # the rulebook version as people read it ('NSZZ „Solidarność”, od 1 stycznia 2006'), not its id
            shown = {**derivation[0], "rulebook_version": rules_for(p["period"]).version_titles(
                derivation[0]["rulebook_version"])}
            lines = recorded("income_lines", "SELECT * FROM income_lines WHERE member_id = ? AND period = ? "
                                             "ORDER BY source, row, component", args)
            labels = component_labels()
            for ln in lines:          # 'nagroda jubileuszowa (jubilee_award)': the code beside its name
                ln["component"] = with_code(labels.get(ln["component"]), ln["component"])
            ledger = recorded("member_ledger", "SELECT * FROM member_ledger WHERE member_id = ? AND period = ?", args)
            run.state["args"] = (p["member_id"], p["period"], shown, dues[0], lines, (ledger or [None])[0],
                                 recorded("receipts", "SELECT * FROM receipts WHERE member_id = ? AND period = ? "
                                                      "ORDER BY kind, source, row", args))
        elif p.get("unit_id"):
            args = [p["unit_id"], p["period"]]
            steps = recorded("split_steps", "SELECT * FROM split_steps WHERE unit_id = ? AND period = ? "
                                            "ORDER BY basis, step", args)
            if not steps:
                raise UserError("nothing_to_explain", what=f"jednostka {p['unit_id']}", period=p["period"])
            rules = rules_for(p["period"])
            levels = {lvl.code: lvl.label for lvl in rules.levels}
            # what is stored (RULES.md §13): the settlement kept or replaced, the month's state, the
            # corrections out of the month and into it
            settlement = recorded("settlement", "SELECT level, amount, basis, corrects FROM settlement "
                                                "WHERE unit_id = ? AND period = ?", args)
            month = (recorded("unit_months", "SELECT * FROM unit_months WHERE unit_id = ? AND period = ?", args)
                     or [None])[0]
            corrections = recorded("corrections", "SELECT corrected_period, applied_in, level, amount, reason "
                                                  "FROM corrections WHERE unit_id = ? AND (corrected_period = ? OR "
                                                  "applied_in = ?) ORDER BY corrected_period, applied_in, level",
                                   [p["unit_id"], p["period"], p["period"]])
            run.state["args"] = (p["unit_id"], p["period"], steps, levels, recorded(
                "transfers", "SELECT * FROM transfers WHERE payer_id = ? AND period = ? ORDER BY payee", args),
                settlement, month, corrections, frozenset(v.root for v in rules.versions.values()))
        else:
            rows = store.dicts(con, "SELECT * FROM delegate_verification WHERE region_id = ? ORDER BY paid_in, voivodeship",
                         [p["region_id"]]) if "delegate_verification" in tables else []
            if not rows:
                raise UserError("nothing_to_explain_region", region=p["region_id"])
            run.state["args"] = (p["region_id"], rows)


def compute(run: Run) -> None:
    kind = next(k for k in SUBJECTS if run.params.get(k))
    run.state["kind"] = kind
    run.state["explanation"] = SUBJECTS[kind](*run.state["args"])


def report(run: Run) -> None:
    if not run.params.get("out"):
        return
    e, kind = run.state["explanation"], run.state["kind"]
    wb = new_workbook()
    sheet(wb, "Wyjaśnienie", [e.title], [(line,) for line in e.lines], money_cols=set(), widths=[160],
          page_header=e.title)
    ident = run.params[kind]
    name = f"wyjasnienie_{kind.removesuffix('_id')}_{safe_name(ident)}" + (f"_{run.period}" if run.params.get("period") else "") + ".xlsx"
    wb.save(run.output(name))
    run.state["file"] = name


def summary_text(run) -> str:
    e = run.state["explanation"]
    out = [e.title, *e.lines]
    if run.state.get("file"):
        out.append(f"arkusz: {Path(run.params['out']) / run.state['file']}")
    return "\n".join(out)


EXPLAIN = Command(
    params=ExplainParams, help='Wyjaśnia kwotę: z jakich wierszy, według jakiej reguły i paragrafu, z jakim zaokrągleniem.',
    run_name=lambda p: "wyjaśnienie " + " ".join(str(v) for k, v in p.items() if (k.endswith("_id") or k == "period") and v), engine="plain",
    name="explain", flow_name="explain", check=check, summary=legacy_view(summary_text),
                  legacy_steps=(legacy("read", read, retries=2), legacy("compute", compute), legacy("report", report, retries=2)))
