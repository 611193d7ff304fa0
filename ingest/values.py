"""Parse expressions: how the text of one field becomes a typed value, and when it is invalid.

Everything is a DuckDB SQL expression over the field's text so a whole file is parsed in one
vectorised statement; Python only writes the SQL. The accepted forms are those of
SOURCE_CONTRACTS.md, steered by the profile's options (date order, decimal mark, time zone).
A field is invalid when it had text but the parse gave NULL, when a required field is blank,
or when a value is outside its set or range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ingest.contracts import SQL_TYPES, Column, Kind
from ingest.profiles import Options
from ingest.sql import literal

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否")
CURRENCY_MARKS = r"[\s¥￥$€£₹]|R\$|US\$"

_DECIMAL_SCALE = {Kind.MONEY: 2, Kind.PRICE: 4, Kind.RATE: 8}

# Day-first and month-first forms with slashes or dashes depend on the profile's date order;
# ISO, dotted (always day-first) and Chinese forms do not.
_DATE_FORMS = {
    "YMD": ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%Y年%m月%d日", "%Y%m%d"),
    "DMY": ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y年%m月%d日"),
    "MDY": ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y年%m月%d日"),
}
_TIME_FORMS = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "T%H:%M:%S", " %H:%M:%S.%f")


@dataclass(frozen=True)
class FieldSql:
    """SQL for one contract column: its typed value and its (invalid-condition, reason) pairs."""

    value: str
    checks: tuple[tuple[str, str], ...]


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(literal(v) for v in values)


def _formats(forms: tuple[str, ...]) -> str:
    return "[" + ", ".join(literal(f) for f in forms) + "]"


def date_expression(text: str, options: Options, excel_serials: bool = False) -> str:
    forms = _DATE_FORMS[options.date_order]
    with_time = tuple(d + t for d in forms for t in _TIME_FORMS)
    parts = [
        f"TRY_CAST(try_strptime({text}, {_formats(forms)}) AS DATE)",
        f"TRY_CAST(try_strptime({text}, {_formats(with_time)}) AS DATE)",
        f"TRY_CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE)",  # ISO with a time part
    ]
    if options.date_order == "YMD":
        parts.insert(0, f"TRY_CAST({text} AS DATE)")  # also accepts 2026-1-5
    if excel_serials:  # a number in a date column of a workbook: days since 1899-12-30
        parts.append(
            f"CASE WHEN regexp_full_match({text}, '\\d{{4,5}}(\\.\\d+)?') THEN "
            f"CAST(DATE '1899-12-30' + CAST(floor(CAST({text} AS DOUBLE)) AS INTEGER) AS DATE) END"
        )
    return "coalesce(" + ", ".join(parts) + ")"


def timestamp_expression(text: str, options: Options, excel_serials: bool = False) -> str:
    """Naive UTC. Text with an offset keeps it; text without one is in the profile's zone
    (the session time zone is set to it while the file is parsed)."""
    forms = _DATE_FORMS[options.date_order]
    with_time = tuple(d + t for d in forms for t in _TIME_FORMS) + forms
    zone = literal(options.timezone)
    parts = [
        f"CASE WHEN regexp_matches({text}, '^\\d{{4}}-') THEN "
        f"timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) END",
        f"timezone('UTC', timezone({zone}, try_strptime({text}, {_formats(with_time)})))",
    ]
    if excel_serials:
        parts.append(
            f"CASE WHEN regexp_full_match({text}, '\\d{{4,5}}(\\.\\d+)?') THEN "
            f"timezone('UTC', timezone({zone}, TIMESTAMP '1899-12-30' + "
            f"to_microseconds(CAST(round(CAST({text} AS DOUBLE) * 86400000000) AS BIGINT)))) END"
        )
    return "coalesce(" + ", ".join(parts) + ")"


def number_text(text: str, options: Options) -> str:
    """Money and numbers as plain `-1234.56` text: currency marks removed, `(x)` negative,
    thousands separators removed only where they sit in thousands."""
    stripped = f"regexp_replace({text}, '{CURRENCY_MARKS}', '', 'g')"
    negative = f"regexp_full_match({stripped}, '\\(.*\\)')"
    body = f"CASE WHEN {negative} THEN '-' || trim({stripped}, '()') ELSE {stripped} END"
    if options.decimal_mark == ",":
        grouped = r"-?\d{1,3}(\.\d{3})+(,\d+)?"
        plain = f"replace(replace({body}, '.', ''), ',', '.')"
        simple = r"-?\d+(,\d+)?"
    else:
        grouped = r"-?\d{1,3}(,\d{3})+(\.\d+)?"
        plain = f"replace({body}, ',', '')"
        simple = r"-?(\d+(\.\d*)?|\.\d+)([eE]-?\d+)?"
    general = (
        f"CASE WHEN regexp_full_match({body}, {literal(grouped)}) "
        f"OR regexp_full_match({body}, {literal(simple)}) THEN {plain} END"
    )
    if options.decimal_mark == ",":
        return general
    # Fast path for the common plain form (1234.50): no regular expressions at all.
    return f"CASE WHEN TRY_CAST({text} AS DOUBLE) IS NOT NULL THEN {text} ELSE {general} END"


def parse_expression(kind: Kind, text: str, options: Options, excel_serials: bool = False) -> str:
    """SQL turning trimmed, non-blank text (or NULL) into a value of `kind` (NULL if it fails)."""
    if kind is Kind.TEXT:
        return text
    if kind is Kind.DATE:
        return date_expression(text, options, excel_serials)
    if kind is Kind.TIMESTAMP:
        return timestamp_expression(text, options, excel_serials)
    if kind in _DECIMAL_SCALE:
        # A value with more decimals than the column keeps would be rounded by the cast; refuse
        # it instead, so an amount is stored exactly as written or not at all.
        number = number_text(text, options)
        target = SQL_TYPES[kind]
        return (
            f"CASE WHEN TRY_CAST({number} AS DECIMAL(38,10)) = TRY_CAST({number} AS {target}) "
            f"THEN TRY_CAST({number} AS {target}) END"
        )
    if kind is Kind.INTEGER:
        number = number_text(text, options)
        return (f"CASE WHEN TRY_CAST({number} AS DECIMAL(38,10)) = TRY_CAST({number} AS BIGINT) "
                f"THEN TRY_CAST({number} AS BIGINT) END")
    if kind is Kind.BOOLEAN:
        return (
            f"CASE WHEN lower({text}) IN ({_in_list(TRUE_WORDS)}) THEN TRUE "
            f"WHEN lower({text}) IN ({_in_list(FALSE_WORDS)}) THEN FALSE END"
        )
    if kind is Kind.PERIOD:
        return (f"strftime(coalesce(try_strptime({text} || '-01', '%Y-%m-%d'), "
                f"try_strptime({text}, ['%Y/%m', '%m/%Y', '%Y年%m月', '%Y%m'])), '%Y-%m')")
    raise ValueError(f"no parser for {kind}")


_KIND_WORDS = {
    Kind.DATE: "not a date in a known form",
    Kind.TIMESTAMP: "not a timestamp in a known form",
    Kind.MONEY: "not an amount with at most 2 decimals",
    Kind.PRICE: "not a price with at most 4 decimals",
    Kind.RATE: "not a number with at most 8 decimals",
    Kind.INTEGER: "not a whole number",
    Kind.BOOLEAN: "not a boolean (true/false, yes/no, 1/0, Y/N, 是/否)",
    Kind.PERIOD: "not a period (expected YYYY-MM)",
}


def date_window(options: Options, today: date | None = None) -> tuple[date, date]:
    """The plausible dates: from the profile's earliest_date (default 1990-01-01) to its
    latest_date (default five years after today, the day of the load)."""
    earliest = date.fromisoformat(options.earliest_date)
    if options.latest_date:
        return earliest, date.fromisoformat(options.latest_date)
    today = today or date.today()
    return earliest, today.replace(year=today.year + 5, day=28 if (today.month, today.day)
                                   == (2, 29) else today.day)


def field_sql(
    column: Column, text: str, options: Options | None = None, excel_serials: bool = False
) -> FieldSql:
    """SQL for `column` from `text`, an expression giving the field's trimmed text or NULL."""
    options = options or Options()
    if column.default is not None:
        text = f"coalesce({text}, {literal(column.default)})"
    if column.allowed:
        text = f"lower({text})"
    value = parse_expression(column.kind, text, options, excel_serials)
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{text} IS NULL", "required value is missing"))
    if column.kind in _KIND_WORDS:
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", _KIND_WORDS[column.kind]))
    if column.allowed:
        checks.append(
            (f"{text} NOT IN ({_in_list(column.allowed)})",
             "not one of: " + ", ".join(column.allowed))
        )
    credit = column.credit and options.allow_credit_lines
    if column.min_value is not None and not credit:
        hint = (" (a credit line? set `allow_credit_lines: true` in the profile's options)"
                if column.credit else "")
        checks.append((f"{value} < {column.min_value}",
                       f"below the minimum {column.min_value:g}{hint}"))
    if column.kind in (Kind.DATE, Kind.TIMESTAMP):
        earliest, latest = date_window(options)
        checks.append((
            f"CAST({value} AS DATE) NOT BETWEEN DATE '{earliest}' AND DATE '{latest}'",
            f"implausible date, outside {earliest} .. {latest} (a placeholder such as "
            "9999-12-31?); if it is real, widen `earliest_date`/`latest_date` in the "
            "profile's options"))
    if column.max_value is not None:
        checks.append((f"{value} > {column.max_value}", f"above the maximum {column.max_value:g}"))
    return FieldSql(value=f"CAST({value} AS {SQL_TYPES[column.kind]})", checks=tuple(checks))
