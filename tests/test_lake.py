"""The lake Spark reads (ingest/lake.py): after a real ingest, one Parquet folder per load holds
exactly raw's rows with raw's types; retractions and superseded loads take their folder away;
a second sync does nothing; a crash leaves nothing a reader sees and the next sync repairs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.contracts import ENTITIES
from ingest.lake import PART_FILE, SCHEMA_FILE, LakeSync, sync_lake
from ingest.landing import ingest_entities
from ingest.quality import retract_file
from ingest.sql import literal, qualified
from ingest.warehouse import connect

ORDERS = "order_id,account_id,order_date,channel,status,currency,updated_at\n"
LINES = "order_id,line_no,product_id,quantity,unit_price,discount_amount,note\n"
REPS = "rep_id,rep_name,region,role,hire_date\n"

FILES = {
    "orders/orders/jan.csv": ORDERS
    + "O1,A1,2026-01-05,direct,placed,USD,2026-01-05 10:00:00\n"
    + "O2,A2,2026-01-06,online,shipped,EUR,2026-01-06T23:30:00+08:00\n"
    + "O3,A1,2026-01-07,retail,delivered,USD,2026-01-07\n",
    "orders/orders/feb.csv": ORDERS
    + "O4,A3,2026-02-01,partner,placed,USD,2026-02-01 08:00:00\n"
    + "O1,A1,2026-01-05,direct,shipped,USD,2026-02-02 09:00:00\n",
    # Lines with 4-decimal prices, 2-decimal discounts and a column beyond the contract (_extra).
    "orders/order_lines/jan.csv": LINES
    + "O1,1,P1,2,10.1234,0.50,gift\n"
    + "O1,2,P2,1,3.5,,\n"
    + "O2,1,P1,3,10.1234,0,third\n"
    + "O2,2,P3,x,1.00,0,bad quantity\n",  # quarantined
    "orders/order_lines/feb.csv": LINES + "O4,1,P2,5,3.5000,1.25,\n",
    # Every row quarantined: a 'loaded' load with no rows in raw, so no folder either.
    "orders/order_lines/broken.csv": LINES + "O9,0,P1,1,1.00,0,\nO9,2,P1,y,1.00,0,\n",
    "crm/reps/reps.csv": REPS + "R1,Ann,East,ae,2024-03-01\nR2,Bob,West,sdr,\n",
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def ingest(conn, landing: Path) -> None:
    for load in ingest_entities(conn, landing, ENTITIES):
        assert not load.rejected, [f.message for f in load.rejected]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landing folder and the warehouse it loads into, ingested once for the module."""
    folder = tmp_path_factory.mktemp("lake_template")
    for relative, text in FILES.items():
        write(folder / "landing" / relative, text)
    with connect(folder / "w.duckdb") as conn:
        ingest(conn, folder / "landing")
    return folder


@pytest.fixture
def loaded(template: Path, tmp_path: Path):
    """(connection, landing, lake) on a copy of the template each test may change."""
    shutil.copytree(template / "landing", tmp_path / "landing")
    shutil.copyfile(template / "w.duckdb", tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as conn:
        yield conn, tmp_path / "landing", tmp_path / "lake"


def raw_tables(conn) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
        "ORDER BY 1").fetchall()]


def counted_loads(conn, table: str) -> set[int]:
    """Loads the log says count for `table` and that left rows in raw."""
    source, entity = table.split("__")
    return {int(i) for (i,) in conn.execute(
        "SELECT load_id FROM audit.load_log WHERE source = ? AND entity = ? "
        "AND status = 'loaded' AND rows_loaded > 0", [source, entity]).fetchall()}


def folders(lake: Path, table: str) -> set[int]:
    return {int(p.name.removeprefix("load_id=")) for p in (lake / "raw" / table).iterdir()
            if p.name.startswith("load_id=")}


def parquet(path: Path) -> str:
    # Without hive_partitioning = false, DuckDB (like Spark without recursiveFileLookup) adds
    # a column `load_id` taken from the folder names.
    return f"read_parquet({literal(str(path))}, hive_partitioning = false)"


def lake_rows(lake: Path, table: str) -> str:
    # `**` takes schema.parquet too: zero rows, and the glob matches even with no load.
    return parquet(lake / "raw" / table / "**" / "*.parquet")


def columns(conn, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def assert_mirrors(conn, lake: Path, table: str) -> None:
    raw = qualified("raw", table)
    lake_table = lake_rows(lake, table)
    for a, b in ((raw, lake_table), (lake_table, raw)):
        assert conn.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall() == []
    counts = conn.execute(f"SELECT (SELECT count(*) FROM {raw}), (SELECT count(*) FROM "
                          f"{lake_table})").fetchall()[0]
    assert counts[0] == counts[1], table
    assert folders(lake, table) == counted_loads(conn, table), table
    expected = columns(conn, raw)
    assert columns(conn, parquet(lake / "raw" / table / SCHEMA_FILE)) == expected
    for load_id in folders(lake, table):
        part = lake / "raw" / table / f"load_id={load_id}" / PART_FILE
        assert columns(conn, parquet(part)) == expected, part
        # Only its own load, in file order.
        rows = conn.execute(f"SELECT _load_id, _source_line FROM read_parquet({literal(str(part))}"
                            ", file_row_number = true) ORDER BY file_row_number").fetchall()
        assert {r[0] for r in rows} == {load_id}
        assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def snapshot(lake: Path) -> dict[str, tuple[int, int]]:
    """Every file under the lake with its inode and modification time."""
    return {str(p.relative_to(lake)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(lake.rglob("*")) if p.is_file()}


def test_every_raw_table_is_mirrored_load_by_load_with_its_types(loaded):
    conn, _, lake = loaded
    done = sync_lake(conn, lake)
    tables = raw_tables(conn)
    assert done.tables == len(tables) == len(ENTITIES)
    assert sorted(p.name for p in (lake / "raw").iterdir()) == tables
    for table in tables:
        assert_mirrors(conn, lake, table)
    assert sorted(done.written) == sorted((t, n) for t in tables for n in counted_loads(conn, t))
    assert done.removed == () and sorted(done.schemas) == tables
    # The numbers, independently of the loader's counts: 3 + 2 orders; 3 + 1 lines (the
    # bad-quantity line and the broken file quarantined); 2 reps.
    assert [conn.execute(f"SELECT count(*) FROM {lake_rows(lake, t)}").fetchall()[0][0]
            for t in ("orders__orders", "orders__order_lines", "crm__reps")] == [5, 4, 2]
    assert len(folders(lake, "orders__order_lines")) == 2
    broken = conn.execute("SELECT load_id, status, rows_loaded FROM audit.load_log "
                          "WHERE file_path LIKE '%broken.csv'").fetchall()
    assert broken == [(broken[0][0], "loaded", 0)]
    assert broken[0][0] not in folders(lake, "orders__order_lines")
    # The Parquet types themselves, as Spark reads them: exact decimals, dates, JSON text.
    part = next((lake / "raw" / "orders__order_lines").glob(f"load_id=*/{PART_FILE}"))
    schema = {r[0]: r[1:] for r in conn.execute(
        "SELECT name, type, converted_type, precision, scale FROM parquet_schema(?)",
        [str(part)]).fetchall()}
    assert schema["unit_price"] == ("INT64", "DECIMAL", 18, 4)
    assert schema["discount_amount"] == ("INT64", "DECIMAL", 18, 2)
    assert schema["_extra"][:2] == ("BYTE_ARRAY", "JSON")
    assert schema["_loaded_at"][:2] == ("INT64", "TIMESTAMP_MICROS")
    part = next((lake / "raw" / "orders__orders").glob(f"load_id=*/{PART_FILE}"))
    schema = {r[0]: r[1:3] for r in conn.execute(
        "SELECT name, type, converted_type FROM parquet_schema(?)", [str(part)]).fetchall()}
    assert schema["order_date"] == ("INT32", "DATE") == schema["updated_date"]


def test_a_retracted_or_superseded_load_loses_exactly_its_folder(loaded):
    conn, landing, lake = loaded
    sync_lake(conn, lake)
    before = snapshot(lake)
    [retracted] = retract_file(conn, "orders/orders/jan.csv")
    assert retracted in folders(lake, "orders__orders")
    done = sync_lake(conn, lake)
    assert (done.written, done.removed, done.schemas) == ((), (("orders__orders", retracted),), ())
    assert retracted not in folders(lake, "orders__orders")
    gone = f"raw/orders__orders/load_id={retracted}"
    assert snapshot(lake) == {p: s for p, s in before.items()
                              if p != gone and not p.startswith(gone + "/")}
    assert_mirrors(conn, lake, "orders__orders")

    # The same path with new bytes: the new load replaces the old one's folder. (The
    # retracted file leaves the landing folder, or this ingest would load it again.)
    (landing / "orders/orders/jan.csv").unlink()
    [old] = [int(i) for (i,) in conn.execute(
        "SELECT load_id FROM audit.load_log WHERE file_path = 'crm/reps/reps.csv'").fetchall()]
    write(landing / "crm/reps/reps.csv", REPS + "R1,Ann,North,manager,2024-03-01\n")
    ingest(conn, landing)
    [new] = counted_loads(conn, "crm__reps")
    done = sync_lake(conn, lake)
    assert (done.written, done.removed) == ((("crm__reps", new),), (("crm__reps", old),))
    assert conn.execute("SELECT status FROM audit.load_log WHERE load_id = ?",
                        [old]).fetchall() == [("superseded",)]
    assert_mirrors(conn, lake, "crm__reps")
    assert conn.execute(f"SELECT region FROM {lake_rows(lake, 'crm__reps')}").fetchall() == [
        ("North",)]


def test_a_second_sync_changes_nothing(loaded):
    conn, _, lake = loaded
    sync_lake(conn, lake)
    before = snapshot(lake)
    again = sync_lake(conn, lake)
    assert isinstance(again, LakeSync) and not again.changed
    assert (again.written, again.removed, again.schemas) == ((), (), ())
    assert snapshot(lake) == before


def test_a_crashed_sync_leaves_only_hidden_temporaries_and_the_next_one_repairs(loaded,
                                                                             monkeypatch):
    conn, _, lake = loaded
    # A sync killed between writing a load and renaming it into place.
    real_rename = Path.rename

    def killed(self: Path, target):
        if self.name.startswith(".tmp-load_id="):
            raise KeyboardInterrupt
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", killed)
    with pytest.raises(KeyboardInterrupt):
        sync_lake(conn, lake)
    monkeypatch.undo()
    [temp] = list((lake / "raw").rglob(".tmp-*"))
    assert temp.name.startswith(".tmp-load_id=") and (temp / PART_FILE).is_file()
    table = temp.parent
    assert not any(p.name.startswith("load_id=") for p in table.iterdir())

    done = sync_lake(conn, lake)
    assert not temp.exists()
    for name in raw_tables(conn):
        assert_mirrors(conn, lake, name)
    assert (table.name, int(temp.name.split("=")[1].split("-")[0])) in done.written

    # Junk a crash could leave anywhere, and a load folder someone deleted.
    lines = lake / "raw" / "orders__order_lines"
    write(lines / ".tmp-load_id=99-dead" / PART_FILE, "not parquet")
    write(lake / "raw" / ".tmp-removed-x" / "junk", "junk")
    victim = min(folders(lake, "orders__order_lines"))
    shutil.rmtree(lines / f"load_id={victim}")
    (lines / f"load_id={max(folders(lake, 'orders__order_lines'))}" / ".tmp-part").write_text("x")
    done = sync_lake(conn, lake)
    assert (done.written, done.removed) == ((("orders__order_lines", victim),), ())
    assert not list((lake / "raw").rglob(".tmp-*"))
    assert_mirrors(conn, lake, "orders__order_lines")


def test_an_empty_table_gets_its_folder_and_a_zero_row_schema_file(loaded):
    conn, _, lake = loaded
    sync_lake(conn, lake)
    table = "survey__complaints"
    assert conn.execute(f"SELECT count(*) FROM raw.{table}").fetchall() == [(0,)]
    assert [p.name for p in (lake / "raw" / table).iterdir()] == [SCHEMA_FILE]
    schema_file = parquet(lake / "raw" / table / SCHEMA_FILE)
    assert conn.execute(f"SELECT count(*) FROM {schema_file}").fetchall() == [(0,)]
    assert columns(conn, schema_file) == columns(conn, f"raw.{table}")
    assert ("_loaded_at", "TIMESTAMP") in columns(conn, schema_file)


def test_a_changed_table_shape_rewrites_its_files_and_a_dropped_table_leaves(loaded):
    conn, _, lake = loaded
    sync_lake(conn, lake)
    # What ensure_raw_table does when the contract gains a column: added, filled for old rows.
    conn.execute("ALTER TABLE raw.crm__reps ADD COLUMN tenure_band VARCHAR")
    conn.execute("UPDATE raw.crm__reps SET tenure_band = 'new'")
    done = sync_lake(conn, lake)
    assert done.schemas == ("crm__reps",) and done.removed == ()
    assert done.written == tuple(("crm__reps", n) for n in sorted(folders(lake, "crm__reps")))
    assert_mirrors(conn, lake, "crm__reps")
    assert not sync_lake(conn, lake).changed

    loads = sorted(folders(lake, "orders__orders"))
    conn.execute("DROP TABLE raw.orders__orders")
    done = sync_lake(conn, lake)
    assert done.removed == tuple(("orders__orders", n) for n in loads)
    assert not (lake / "raw" / "orders__orders").exists()
