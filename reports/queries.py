"""SQL behind the reports. Every figure in a workbook comes from the stored tables."""

UNIT_SUMMARY = """
WITH d AS (
  SELECT unit_id, count(*) AS members,
    CAST(sum(CASE WHEN category = 'employee' THEN dues ELSE 0 END) AS DECIMAL(18,2)) AS employee,
    CAST(sum(CASE WHEN category = 'other_income' THEN dues ELSE 0 END) AS DECIMAL(18,2)) AS other_income,
    CAST(sum(CASE WHEN category = 'pensioner' THEN dues ELSE 0 END) AS DECIMAL(18,2)) AS pensioner,
    CAST(sum(CASE WHEN category = 'unemployed' THEN dues ELSE 0 END) AS DECIMAL(18,2)) AS unemployed,
    CAST(sum(surcharge) AS DECIMAL(18,2)) AS surcharge,
    CAST(sum(total) AS DECIMAL(18,2)) AS total
  FROM dues WHERE period = $period GROUP BY unit_id),
a AS (
  SELECT unit_id,
    CAST(sum(amount) FILTER (WHERE level = 'unit') AS DECIMAL(18,2)) AS l_unit,
    CAST(sum(amount) FILTER (WHERE level = 'region') AS DECIMAL(18,2)) AS l_region,
    CAST(sum(amount) FILTER (WHERE level = 'national') AS DECIMAL(18,2)) AS l_national,
    CAST(sum(amount) FILTER (WHERE level = 'branch_secretariats') AS DECIMAL(18,2)) AS l_branch,
    CAST(sum(amount) FILTER (WHERE level = 'regional_strike_fund') AS DECIMAL(18,2)) AS l_rsf,
    CAST(sum(amount) FILTER (WHERE level = 'national_strike_fund') AS DECIMAL(18,2)) AS l_nsf
  FROM allocations WHERE period = $period GROUP BY unit_id),
t AS (SELECT payer_id AS unit_id, payee, amount, due_on FROM transfers
      WHERE period = $period AND payer_kind = 'unit')
SELECT u.unit_id, u.name, u.region_id, u.rulebook, u.sheltered, u.raised_pct,
  coalesce(d.members, 0) AS members,
  coalesce(d.employee, 0.00) AS employee, coalesce(d.other_income, 0.00) AS other_income,
  coalesce(d.pensioner, 0.00) AS pensioner, coalesce(d.unemployed, 0.00) AS unemployed,
  coalesce(d.surcharge, 0.00) AS surcharge, coalesce(d.total, 0.00) AS total,
  a.l_unit, a.l_region, a.l_national, a.l_branch, a.l_rsf, a.l_nsf,
  t.payee, t.amount AS transfer, t.due_on
FROM units u LEFT JOIN d USING (unit_id) LEFT JOIN a USING (unit_id) LEFT JOIN t USING (unit_id)
WHERE u.period = $period ORDER BY u.region_id, u.unit_id
"""

TRANSFERS = """
SELECT payer_kind, payer_id, payee, region_id, amount, due_on, rule
FROM transfers WHERE period = $period ORDER BY due_on, payer_kind DESC, payer_id, payee
"""

MEMBER_DUES = """
SELECT d.unit_id, d.member_id, m.full_name, d.category, d.base, d.dues, d.surcharge, d.total
FROM dues d LEFT JOIN member_names m USING (member_id)
WHERE d.period = $period ORDER BY d.unit_id, d.member_id
"""

UNIT_EXCEPTIONS = """
SELECT m.unit_id, e.source, e."row", e.member_id, e.reason_code, e.message
FROM exceptions e JOIN member_names m USING (member_id)
WHERE e.period = $period ORDER BY m.unit_id, e.source, e."row" NULLS LAST, e.member_id
"""

EXCEPTIONS = """
SELECT source, "row", member_id, reason_code, message FROM exceptions
WHERE period = $period ORDER BY source, "row" NULLS LAST, member_id
"""

DUES_BY_CATEGORY = """
SELECT category, count(*) AS members, CAST(sum(total) AS DECIMAL(18,2)) AS total
FROM dues WHERE period = $period GROUP BY category ORDER BY category
"""

SPLIT_BY_LEVEL = """
SELECT level, CAST(sum(amount) AS DECIMAL(18,2)) AS amount FROM allocations
WHERE period = $period GROUP BY level
"""

EXCEPTIONS_BY_REASON = """
SELECT reason_code, count(*) AS n FROM exceptions WHERE period = $period
GROUP BY reason_code ORDER BY n DESC, reason_code
"""

DEDUCTIONS_BY_SOURCE = """
SELECT source, count(*) AS members,
  CAST(sum(deducted) AS DECIMAL(18,2)) AS deducted, CAST(sum(computed) AS DECIMAL(18,2)) AS computed,
  CAST(sum(difference) AS DECIMAL(18,2)) AS difference,
  count(*) FILTER (WHERE difference <> 0 OR computed IS NULL) AS differing
FROM deduction_check WHERE period = $period GROUP BY source ORDER BY source
"""

DEDUCTION_DIFFERENCES = """
SELECT source, unit_id, member_id, deducted, computed, difference FROM deduction_check
WHERE period = $period AND (difference <> 0 OR computed IS NULL)
ORDER BY source, unit_id, member_id
"""
