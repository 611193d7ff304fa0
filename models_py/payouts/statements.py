"""What finance and the reps get for a period: exports under `<home>/exports/finance/<YYYY-MM>/`.

- `payouts_<period>.csv` and `payout_lines_<period>.csv`: the tables, amounts as plain numbers;
- `payouts_<period>.xlsx`: a `summary` sheet and a `lines` sheet, money as numbers with two
  decimals (never text), so finance can sum them;
- `statements/<rep_id>.html`: one page per rep a rep can read: credits by order, quota and
  attainment, the bands applied, every line, the total.

Every file is written to a temporary name beside it and renamed into place, so a reader never
sees half a file. A locked period's exports are final (written when it is locked).
"""

from __future__ import annotations

import csv
import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from models_py.files import atomic_write

MONEY_FORMAT = "#,##0.00"
FIXED_TIME = datetime(2000, 1, 1)  # workbook properties: same payouts, same file
SUMMARY_COLUMNS = ("rep_id", "rep_name", "period", "plan_id", "plan_version", "credit", "quota",
                   "attainment", "commission", "spiffs", "overrides", "clawbacks",
                   "adjustments", "draw", "total_payable", "currency", "status")
LINE_COLUMNS = ("rep_id", "period", "line_type", "source_ref", "plan_id", "plan_version",
                "basis_amount", "rate", "amount", "currency", "period_status", "detail",
                "run_id")
MONEY = {"credit", "quota", "commission", "spiffs", "overrides", "clawbacks", "adjustments",
         "draw", "total_payable", "basis_amount", "amount"}


@dataclass
class PeriodExport:
    period: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    reps: int = 0
    total: Decimal = Decimal(0)


def _records(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export_period(conn: duckdb.DuckDBPyConnection, period: str, root: Path) -> PeriodExport:
    """Write the period's exports under `root/<period>/`; nothing when it has no payouts."""
    summary = _records(conn, f"""
        SELECT p.rep_id, coalesce(k.rep_name, p.rep_id) AS rep_name,
            {', '.join(f'p.{c}' for c in SUMMARY_COLUMNS if c not in ('rep_id', 'rep_name'))}
        FROM finance.commission_payouts p
        LEFT JOIN marts.mart_rep_kpis k
            ON k.rep_id = p.rep_id AND strftime(k.month, '%Y-%m') = p.period
        WHERE p.period = ? ORDER BY p.rep_id""", [period])
    export = PeriodExport(period, root / period)
    if not summary:
        return export
    lines = _records(conn, f"SELECT {', '.join(LINE_COLUMNS)} FROM "
                           "finance.commission_payout_lines WHERE period = ? "
                           "ORDER BY rep_id, line_type, source_ref, detail", [period])
    credits_table = ("finance.locked_credits" if summary[0]["status"] == "locked"
                     else "finance.payout_credits")
    credits = _records(conn, f"SELECT rep_id, source_ref, credit FROM {credits_table} "
                             "WHERE period = ? ORDER BY rep_id, source_ref", [period])
    folder = export.folder
    for name, rows, columns in ((f"payouts_{period}.csv", summary, SUMMARY_COLUMNS),
                                (f"payout_lines_{period}.csv", lines, LINE_COLUMNS)):
        atomic_write(folder / name, lambda path, r=rows, c=columns: _write_csv(path, r, c))
        export.files.append(folder / name)
    xlsx = folder / f"payouts_{period}.xlsx"
    atomic_write(xlsx, lambda path: _write_xlsx(path, summary, lines))
    export.files.append(xlsx)
    for row in summary:
        mine = [ln for ln in lines if ln["rep_id"] == row["rep_id"]]
        orders = [c for c in credits if c["rep_id"] == row["rep_id"]]
        page = folder / "statements" / f"{row['rep_id']}.html"
        text = statement_html(row, mine, orders)
        atomic_write(page, lambda path, t=text: path.write_text(t, encoding="utf-8"))
        export.files.append(page)
    export.reps = len(summary)
    export.total = sum((r["total_payable"] for r in summary), Decimal(0))
    return export


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write_csv(path: Path, rows: list[dict], columns: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row[c]) for c in columns])


def _write_xlsx(path: Path, summary: list[dict], lines: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for sheet, rows, columns in ((book.active, summary, SUMMARY_COLUMNS),
                                 (book.create_sheet(), lines, LINE_COLUMNS)):
        sheet.title = "summary" if rows is summary else "lines"
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row[c] if isinstance(row[c], (Decimal, int)) or row[c] is None
                          else str(row[c]) for c in columns])
        for index, column in enumerate(columns, start=1):
            if column in MONEY:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = MONEY_FORMAT
        sheet.freeze_panes = "A2"
    book.properties.created = book.properties.modified = FIXED_TIME
    book.save(path)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.2f} %"


def statement_html(row: dict, lines: list[dict], credits: list[dict]) -> str:
    """A rep's statement for one period, self-contained HTML."""
    esc = html.escape
    attainment = _percent(row["attainment"])
    bands = []
    for line in lines:
        if line["line_type"] != "commission":
            continue
        detail = json.loads(line["detail"])
        bands.append(f"<tr><td>{esc(detail.get('band', ''))}</td>"
                     f"<td class=n>{_money(line['basis_amount'])}</td>"
                     f"<td class=n>{_percent(line['rate'])}</td>"
                     f"<td class=n>{_money(line['amount'])}</td></tr>")
    every = "".join(
        f"<tr><td>{esc(line['line_type'])}</td><td>{esc(line['source_ref'])}</td>"
        f"<td class=n>{_money(line['basis_amount'])}</td><td class=n>{_percent(line['rate'])}"
        f"</td><td class=n>{_money(line['amount'])}</td></tr>" for line in lines)
    orders = "".join(f"<tr><td>{esc(c['source_ref'])}</td><td class=n>{_money(c['credit'])}"
                     "</td></tr>" for c in credits)
    status = "final (locked)" if row["status"] == "locked" else "provisional (open period)"
    currency = esc(row["currency"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Commission statement {esc(row['rep_id'])} {esc(row['period'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;
margin-bottom:1.5em}}td,th{{border:1px solid #ccc;padding:.25em .6em}}.n{{text-align:right}}
</style></head><body>
<h1>Commission statement</h1>
<p><b>{esc(row['rep_name'])}</b> ({esc(row['rep_id'])}), period <b>{esc(row['period'])}</b>,
plan {esc(str(row['plan_id']))} {esc(str(row['plan_version']))}, amounts in {currency};
{status}.</p>
<h2>Attainment</h2>
<table><tr><th>credit</th><th>quota</th><th>attainment</th></tr>
<tr><td class=n>{_money(row['credit'])}</td><td class=n>{_money(row['quota'])}</td>
<td class=n>{attainment}</td></tr></table>
<h2>Bands applied</h2>
<table><tr><th>band (attainment)</th><th>credit in band</th><th>rate</th><th>commission</th></tr>
{''.join(bands)}</table>
<h2>Every line</h2>
<table><tr><th>type</th><th>reference</th><th>basis</th><th>rate</th><th>amount</th></tr>
{every}
<tr><th colspan=4>total payable</th><th class=n>{_money(row['total_payable'])}</th></tr>
</table>
<h2>Credits by order</h2>
<table><tr><th>order</th><th>credit</th></tr>{orders}</table>
</body></html>
"""

