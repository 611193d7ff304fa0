"""Row conservation, recounted from the warehouse tables rather than from the loader's counters."""

from __future__ import annotations

import duckdb

from ingest.contracts import Entity
from ingest.sql import qualified


def conservation_breaks(conn: duckdb.DuckDBPyConnection, entity: Entity) -> list[str]:
    """One message per loaded file whose rows read != rows in raw + rows in quarantine."""
    rows = conn.execute(
        f"""
        WITH loaded AS (
            SELECT _load_id AS load_id, count(*) AS n FROM {qualified('raw', entity.table)}
            GROUP BY _load_id
        ), quarantined AS (
            SELECT load_id, count(*) AS n FROM audit.quarantine
            WHERE source = ? AND entity = ? GROUP BY load_id
        )
        SELECT log.file_path, log.rows_read, coalesce(loaded.n, 0), coalesce(quarantined.n, 0)
        FROM audit.load_log AS log
        LEFT JOIN loaded USING (load_id)
        LEFT JOIN quarantined USING (load_id)
        WHERE log.source = ? AND log.entity = ? AND log.status = 'loaded'
          AND log.rows_read <> coalesce(loaded.n, 0) + coalesce(quarantined.n, 0)
        ORDER BY log.load_id
        """,
        [entity.source, entity.name, entity.source, entity.name],
    ).fetchall()
    return [
        f"{path}: read {read} rows but the warehouse holds {loaded} loaded + "
        f"{quarantined} quarantined"
        for path, read, loaded, quarantined in rows
    ]
