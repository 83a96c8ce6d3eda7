"""`skladki explain (--member ID | --unit ID | --region ID) --period P --db FILE [--out DIR]`: the
chain that produced an amount, in Polish, from what the close recorded as it computed (issue 18).

read (the recorded derivation of the stored close) → compute (transforms.explain composes it and
checks its own figures against the stored ones) → report (the same lines as a sheet).
"""
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from flows import store
from flows.rules import rules_for
from flows.files import require_database
from flows.command import Command, ReadsDb, Run, option
from flows.payroll_inbox import component_labels
from reports import explain as explain_reports
from transforms import explain as explain_logic
from transforms.errors import UserError
from transforms.explain import Explanation
from transforms.polish import with_code
from transforms.staging import is_period

# what can be explained: the parameter naming it, and the function composing its explanation
SUBJECTS = {"member_id": explain_logic.member, "unit_id": explain_logic.unit, "region_id": explain_logic.region}

@dataclass(frozen=True, kw_only=True)
class ExplainParams(ReadsDb):
    period: Optional[str] = option("okres RRRR-MM (dla --member i --unit)", None, title="Okres (RRRR-MM)",
                                   check="period", form="zamknięty miesiąc w postaci RRRR-MM, np. 2026-10")
    member_id: Optional[str] = option("numer członka", None, flag="--member", title="Członek", form="numer członka")
    unit_id: Optional[str] = option("identyfikator jednostki", None, flag="--unit", title="Jednostka",
                                    form="identyfikator jednostki")
    region_id: Optional[str] = option("identyfikator regionu (weryfikacja delegatów)", None, flag="--region",
                                      title="Region", form="identyfikator regionu (weryfikacja delegatów)")


def check(params: ExplainParams) -> None:
    given = [k for k in SUBJECTS if getattr(params, k)]
    if len(given) != 1:
        raise UserError("explain_what")
    if params.region_id is None and not is_period(params.period):
        raise UserError("bad_option", name="--period", detail=f"'{params.period}' to nie okres RRRR-MM")
    require_database(params.db)


@dataclass(frozen=True)
class ExplainInputs:
    subject: str                         # member_id, unit_id or region_id: what is explained
    args: tuple                          # what the close recorded, in the order SUBJECTS[subject] takes it


@dataclass(frozen=True)
class ExplainResult:
    subject: str
    explanation: Explanation
    file: str | None = None              # the sheet written into --out


def read(run: Run) -> ExplainInputs:
    p = run.params
    with store.read_only(Path(p.db)) as con:
        tables = store.table_names(con)

        def recorded(table: str, sql: str, params: list) -> list[dict]:       # a table gone: nothing recorded
            return store.dicts(con, sql, params) if table in tables else []
        if p.member_id:
            args = [p.member_id, p.period]
            dues = recorded("dues", "SELECT * FROM dues WHERE member_id = ? AND period = ?", args)
            derivation = recorded("dues_derivation", "SELECT * FROM dues_derivation WHERE member_id = ? AND period = ?",
                                  args)
            if not dues or not derivation:
                raise UserError("nothing_to_explain", what=f"członek {p.member_id}", period=p.period)
            # the rulebook version as people read it ('NSZZ „Solidarność”, od 1 stycznia 2006'), not its id
            rules = rules_for(p.period)
            shown = {**derivation[0], "rulebook_version": rules.version_titles(derivation[0]["rulebook_version"])}
            # issue 30: the member's own rulebook's paragraphs (raised dues, reductions), by its stored version
            version = next((v for v in rules.versions.values() if v.label == derivation[0]["rulebook_version"]), None)
            if version is not None:
                shown.update(raised_source=version.citations["raised"],
                             reductions_source=version.citations["reductions"])
            lines = recorded("income_lines", "SELECT * FROM income_lines WHERE member_id = ? AND period = ? "
                                             "ORDER BY source, row, component", args)
            labels = component_labels()
            for ln in lines:          # 'nagroda jubileuszowa (jubilee_award)': the code beside its name
                ln["component"] = with_code(labels.get(ln["component"]), ln["component"])
            ledger = recorded("member_ledger", "SELECT * FROM member_ledger WHERE member_id = ? AND period = ?", args)
            return ExplainInputs("member_id", (
                p.member_id, p.period, shown, dues[0], lines, (ledger or [None])[0],
                recorded("receipts", "SELECT * FROM receipts WHERE member_id = ? AND period = ? "
                                     "ORDER BY kind, source, row", args)))
        if p.unit_id:
            args = [p.unit_id, p.period]
            steps = recorded("split_steps", "SELECT * FROM split_steps WHERE unit_id = ? AND period = ? "
                                            "ORDER BY basis, step", args)
            rules = rules_for(p.period)
            # issue 30: the unit's own rulebook's labels and the paragraph of its split
            unit_row = (recorded("units", "SELECT rulebook, sheltered FROM units WHERE unit_id = ? AND period = ?", args)
                        or [{"rulebook": None, "sheltered": False}])[0]
            version = rules.versions.get(unit_row["rulebook"])
            levels = {lvl.code: rules.level_label(lvl.code, unit_row["rulebook"]) for lvl in rules.levels}
            split_source = version.cascade(bool(unit_row["sheltered"])).source if version else ""
            whole = None
            if not steps:    # issue 30: a rulebook of one level moves nothing; the unit keeps D whole
                kept = recorded("allocations", "SELECT level, amount FROM allocations WHERE unit_id = ? "
                                               "AND period = ?", args)
                if not kept or version is None or version.cascade(bool(unit_row["sheltered"])).moves:
                    raise UserError("nothing_to_explain", what=f"jednostka {p.unit_id}", period=p.period)
                whole = {"d": sum(r["amount"] for r in kept), "source": split_source,
                         "level": next(lvl.label for lvl in version.levels if lvl.code == version.root)}
            # what is stored (RULES.md §13): the settlement kept or replaced, the month's state, the
            # corrections out of the month and into it
            settlement = recorded("settlement", "SELECT level, amount, basis, corrects FROM settlement "
                                                "WHERE unit_id = ? AND period = ?", args)
            month = (recorded("unit_months", "SELECT * FROM unit_months WHERE unit_id = ? AND period = ?", args)
                     or [None])[0]
            corrections = recorded("corrections", "SELECT corrected_period, applied_in, level, amount, reason "
                                                  "FROM corrections WHERE unit_id = ? AND (corrected_period = ? OR "
                                                  "applied_in = ?) ORDER BY corrected_period, applied_in, level",
                                   [p.unit_id, p.period, p.period])
            return ExplainInputs("unit_id", (p.unit_id, p.period, steps, levels, recorded(
                "transfers", "SELECT * FROM transfers WHERE payer_id = ? AND period = ? ORDER BY payee", args),
                settlement, month, corrections, frozenset(v.root for v in rules.versions.values()), split_source,
                whole))
        rows = store.dicts(con, "SELECT * FROM delegate_verification WHERE region_id = ? ORDER BY paid_in, voivodeship",
                           [p.region_id]) if "delegate_verification" in tables else []
        if not rows:
            raise UserError("nothing_to_explain_region", region=p.region_id)
        return ExplainInputs("region_id", (p.region_id, rows))


def compute(run: Run, inputs: ExplainInputs) -> ExplainResult:
    return ExplainResult(inputs.subject, SUBJECTS[inputs.subject](*inputs.args))


def report(run: Run, result: ExplainResult) -> ExplainResult | None:
    if not run.params.out:
        return None
    name = explain_reports.file_name(result.subject, getattr(run.params, result.subject), run.params.period)
    explain_reports.write(result.explanation, run.output(name))
    return replace(result, file=name)


def summary(run: Run, result: ExplainResult) -> str:
    return explain_reports.summary_text(result.explanation,
                                        Path(run.params.out) / result.file if result.file else None)


EXPLAIN = Command(
    params=ExplainParams, help='Wyjaśnia kwotę: z jakich wierszy, według jakiej reguły i paragrafu, z jakim zaokrągleniem.',
    run_name=lambda p: "wyjaśnienie " + " ".join(str(v) for k, v in p.items() if (k.endswith("_id") or k == "period") and v), engine="plain",
    name="explain", flow_name="explain", check=check, read=read, compute=compute, report=report, summary=summary)
