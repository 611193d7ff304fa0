"""Quoting for SQL built from names and values that come from files.

Column names and values read from an export are data, never SQL: everything that reaches a
statement goes through `ident` or `literal`, so a header such as `x"; drop table t; --` is just
a strange column name.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"
