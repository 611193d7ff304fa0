"""Parse expressions: how the text of one field becomes a typed value, and when it is invalid.

Everything is a DuckDB SQL expression over the raw text column so that a whole file is parsed in
one vectorised statement; Python only writes the SQL. A field is invalid when it had text but
the parse gave NULL, when a required field is blank, or when a value is outside its set or range.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.contracts import SQL_TYPES, Column, Kind
from ingest.sql import literal

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否")

_DECIMAL_SCALE = {Kind.MONEY: 2, Kind.PRICE: 4, Kind.RATE: 8}


@dataclass(frozen=True)
class FieldSql:
    """SQL for one contract column: its parsed value and its list of (column, reason) errors."""

    value: str
    checks: tuple[tuple[str, str], ...]  # (SQL condition that means "invalid", reason)


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(literal(v) for v in values)


def parse_expression(kind: Kind, text: str) -> str:
    """SQL turning trimmed, non-blank text (or NULL) into a value of `kind` (NULL if it fails)."""
    if kind is Kind.TEXT:
        return text
    if kind is Kind.DATE:
        return f"TRY_CAST({text} AS DATE)"
    if kind is Kind.TIMESTAMP:
        # Text without an offset is read in the session time zone (the profile's, default UTC);
        # every timestamp is stored as naive UTC.
        return f"timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))"
    if kind in _DECIMAL_SCALE:
        # A value with more decimals than the column keeps would be rounded by the cast; refuse
        # it instead, so an amount is stored exactly as written or not at all.
        target = SQL_TYPES[kind]
        return (
            f"CASE WHEN TRY_CAST({text} AS DECIMAL(38,10)) = TRY_CAST({text} AS {target}) "
            f"THEN TRY_CAST({text} AS {target}) END"
        )
    if kind is Kind.INTEGER:
        return f"TRY_CAST({text} AS BIGINT)"
    if kind is Kind.BOOLEAN:
        return (
            f"CASE WHEN lower({text}) IN ({_in_list(TRUE_WORDS)}) THEN TRUE "
            f"WHEN lower({text}) IN ({_in_list(FALSE_WORDS)}) THEN FALSE END"
        )
    if kind is Kind.PERIOD:
        return f"strftime(try_strptime({text} || '-01', '%Y-%m-%d'), '%Y-%m')"
    raise ValueError(f"no parser for {kind}")


_KIND_WORDS = {
    Kind.DATE: "not a date (expected YYYY-MM-DD)",
    Kind.TIMESTAMP: "not a timestamp (expected YYYY-MM-DD[ HH:MM[:SS]][+HH:MM])",
    Kind.MONEY: "not an amount with at most 2 decimals",
    Kind.PRICE: "not a price with at most 4 decimals",
    Kind.RATE: "not a number with at most 8 decimals",
    Kind.INTEGER: "not a whole number",
    Kind.BOOLEAN: "not a boolean (true/false, yes/no, 1/0, Y/N)",
    Kind.PERIOD: "not a period (expected YYYY-MM)",
}


def field_sql(column: Column, raw: str | None) -> FieldSql:
    """SQL for `column` given the raw text expression `raw` (None when the file lacks it)."""
    text = f"NULLIF(trim({raw}), '')" if raw is not None else "CAST(NULL AS VARCHAR)"
    if column.default is not None:
        text = f"coalesce({text}, {literal(column.default)})"
    if column.allowed:
        text = f"lower({text})"
    value = parse_expression(column.kind, text)
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
    if column.min_value is not None:
        checks.append((f"{value} < {column.min_value}", f"below the minimum {column.min_value:g}"))
    if column.max_value is not None:
        checks.append((f"{value} > {column.max_value}", f"above the maximum {column.max_value:g}"))
    return FieldSql(value=f"CAST({value} AS {SQL_TYPES[column.kind]})", checks=tuple(checks))
