"""Finding contact details (emails, phone numbers) in text columns, in SQL.

BI-facing tables must not carry them: the published copy is read by people and tools that
are not allowed the CRM's contact data. A value is suspect when it looks like an email
address, or like a phone number written the way CRMs export them (an international number
with a leading +, or a North American number with separators). Dates, periods and ids do not
match: they have no + and no 3-3-4 digit grouping.
"""

from __future__ import annotations

import duckdb

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = (r"(\+[0-9][0-9 ().-]{7,}[0-9])|(\([0-9]{3}\) ?[0-9]{3}[ .-][0-9]{4})"
         r"|(\b[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}\b)")


def contact_details(conn: duckdb.DuckDBPyConnection, schemas: tuple[str, ...],
                    database: str | None = None) -> list[tuple[str, str, str, int, str]]:
    """(schema, table, column, rows, an example) for every text column of the schemas' tables
    with values that look like an email or a phone number."""
    catalog = f"AND database_name = '{database}'" if database else ""
    columns = conn.execute(
        f"SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns() "
        f"WHERE data_type = 'VARCHAR' AND schema_name IN ({', '.join('?' for _ in schemas)}) "
        f"{catalog} AND table_name IN (SELECT table_name FROM duckdb_tables() t WHERE "
        f"t.schema_name = duckdb_columns.schema_name AND t.database_name = "
        f"duckdb_columns.database_name) ORDER BY ALL", list(schemas)).fetchall()
    found = []
    for db, schema, table, column in columns:
        name = f'"{db}"."{schema}"."{table}"'
        rows, example = conn.execute(
            f'SELECT count(*), min("{column}") FROM {name} WHERE '
            f'regexp_matches("{column}", ?) OR regexp_matches("{column}", ?)',
            [EMAIL, PHONE]).fetchall()[0]
        if rows:
            found.append((schema, table, column, rows, example))
    return found
