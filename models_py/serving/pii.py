"""Finding contact details (emails, phone numbers) in text columns, in SQL.

BI-facing tables must not carry them: the published copy is read by people and tools that
are not allowed the CRM's contact data. A value is suspect when it looks like an email
address, or like a phone number written the way CRMs export them (an international number
with a leading +, or a North American number with separators). Dates, periods and ids do not
match: they have no + and no 3-3-4 digit grouping.
"""

from __future__ import annotations

import duckdb

from ingest.sql import ident, literal, qualified

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = (r"(\+[0-9][0-9 ().-]{7,}[0-9])|(\([0-9]{3}\) ?[0-9]{3}[ .-][0-9]{4})"
         r"|(\b[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}\b)")


def contact_details(conn: duckdb.DuckDBPyConnection, schemas: tuple[str, ...],
                    database: str | None = None) -> list[tuple[str, str, str, int, str]]:
    """(schema, table, column, rows, an example) for every text column of the schemas' tables
    with values that look like an email or a phone number. One scan per table, all its text
    columns at once."""
    catalog = f"AND c.database_name = {literal(database)}" if database else ""
    columns = conn.execute(
        "SELECT c.database_name, c.schema_name, c.table_name, c.column_name "
        "FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, "
        f"table_name) WHERE c.data_type = 'VARCHAR' AND c.schema_name IN "
        f"({', '.join('?' for _ in schemas)}) {catalog} ORDER BY ALL", list(schemas)).fetchall()
    by_table: dict[tuple[str, str, str], list[str]] = {}
    for db, schema, table, column in columns:
        by_table.setdefault((db, schema, table), []).append(column)
    found = []
    for (db, schema, table), names in by_table.items():
        suspect = [f"(regexp_matches({ident(c)}, $email) OR regexp_matches({ident(c)}, $phone))"
                   for c in names]
        row = conn.execute(
            "SELECT " + ", ".join(f"count(*) FILTER ({s}), min({ident(c)}) FILTER ({s})"
                                  for c, s in zip(names, suspect, strict=True))
            + f" FROM {ident(db)}.{qualified(schema, table)}",
            {"email": EMAIL, "phone": PHONE}).fetchall()[0]
        for k, column in enumerate(names):
            if row[2 * k]:
                found.append((schema, table, column, row[2 * k], row[2 * k + 1]))
    return found
