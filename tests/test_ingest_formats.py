"""Formats, encodings, layouts and value forms that real exports arrive in."""

from __future__ import annotations

import datetime as dt
import gzip
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.contracts import entity
from ingest.landing import ingest_entity

REPS_HEADER = ["rep_id", "rep_name", "region", "role", "hire_date"]


def put(landing: Path, relative: str, data: bytes) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def reps_rows(conn) -> list[tuple]:
    return conn.execute("SELECT rep_id, rep_name, region, role, hire_date, _source_line "
                        "FROM raw.crm__reps ORDER BY rep_id").fetchall()


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(conn, tmp_path, delimiter):
    text = "\n".join(delimiter.join(r) for r in (
        REPS_HEADER, ["R1", "Ann Lee", "East", "ae", "2024-01-02"],
        ["R2", "Bo, Jr.", "West", "sdr", "2024-02-03"])) + "\n"
    if delimiter == ",":
        text = text.replace("Bo, Jr.", '"Bo, Jr."')
    put(tmp_path, "crm/reps/reps.csv", text.encode())
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    assert [r[:2] for r in reps_rows(conn)] == [("R1", "Ann Lee"), ("R2", "Bo, Jr.")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_are_read(conn, tmp_path, encoding):
    text = "rep_id,rep_name,region,role\r\nR1,张伟,华东,ae\r\nR2,José Ñúñez,EMEA,ae\r\n"
    if encoding == "gbk":
        text = text.replace("José Ñúñez", "李娜")  # GBK has no Ñ
    put(tmp_path, "crm/reps/reps.csv", text.encode(encoding))
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "loaded", result.message
    names = [r[1] for r in reps_rows(conn)]
    assert names[0] == "张伟" and names[1] in ("José Ñúñez", "李娜")
    assert reps_rows(conn)[0][2] == "华东"


def test_undetectable_encoding_is_rejected_with_the_fix(conn, tmp_path):
    # cp1252 bytes that are invalid UTF-8 and invalid GB18030 (a lone 0x80 at the end).
    put(tmp_path, "crm/reps/reps.csv",
        b"rep_id,rep_name,region,role\nR1,Caf\xe9 \x80,East,ae\n\x80")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "rejected"
    assert "crm/reps/reps.csv" in result.message and "encoding:" in result.message


def test_declared_encoding_in_a_profile_is_used(conn, tmp_path):
    put(tmp_path, "crm/profile.yml", b"options: {encoding: cp1252}\n")
    put(tmp_path, "crm/reps/reps.csv", "rep_id,rep_name,region,role\nR1,Café,East,ae\n"
        .encode("cp1252"))
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    assert reps_rows(conn)[0][1] == "Café"


def test_gzip_and_tsv(conn, tmp_path):
    body = "\t".join(REPS_HEADER) + "\nR1\tAnn\tEast\tae\t2024-01-02\n"
    put(tmp_path, "crm/reps/a.tsv.gz", gzip.compress(body.encode()))
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    assert reps_rows(conn) == [("R1", "Ann", "East", "ae", dt.date(2024, 1, 2), 2)]


def test_quoted_newlines_keep_true_line_numbers_for_loaded_and_quarantined_rows(conn, tmp_path):
    put(tmp_path, "survey/complaints/c.csv", (
        b"complaint_id,account_id,opened_at,category\n"        # line 1
        b'C1,A1,2026-01-01,"late,\nvery late"\n'                # lines 2-3
        b"C2,A1,not a date,billing\n"                           # line 4: bad date
        b"\n"                                                   # line 5: blank
        b'C3,A1,2026-01-03,"a ""quoted""\r\nword"\n'            # lines 6-7
        b"C4,A1,2026-01-04\n"                                   # line 8: missing a field
        b"C5,A1,2026-01-05,service\n"                           # line 9
    ))
    [result] = ingest_entity(conn, tmp_path, entity("survey", "complaints")).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 3, 2)
    loaded = conn.execute("SELECT complaint_id, _source_line, category FROM "
                          "raw.survey__complaints ORDER BY 2").fetchall()
    assert loaded == [("C1", 2, "late,\nvery late"), ("C3", 6, 'a "quoted"\r\nword'),
                      ("C5", 9, "service")]
    quarantined = conn.execute("SELECT line_number, reason FROM audit.quarantine ORDER BY 1")
    rows = quarantined.fetchall()
    assert rows[0] == (4, "opened_at: not a timestamp in a known form")
    assert rows[1][0] == 8 and "missing columns" in rows[1][1]


def test_ragged_rows_are_quarantined_with_their_line_on_the_fast_path(conn, tmp_path):
    put(tmp_path, "crm/reps/r.csv", (
        b"rep_id,rep_name,region,role\nR1,A,East,ae\nR2,B,East\nR3,C,East,ae,extra\n"
        b"R4,D,West,ae\n"))
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert [(r[0], r[5]) for r in reps_rows(conn)] == [("R1", 2), ("R4", 5)]
    lines = conn.execute("SELECT line_number, raw_record FROM audit.quarantine ORDER BY 1")
    assert lines.fetchall() == [(3, "R2,B,East"), (4, "R3,C,East,ae,extra")]


def test_xlsx_with_date_cells_serials_and_numbers(conn, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["order_id", "account_id", "order_date", "channel", "status", "currency",
                  "updated_at", "rep_id"])
    sheet.append(["O1", "A1", dt.date(2026, 11, 28), "direct", "placed", "USD",
                  dt.datetime(2026, 11, 28, 9, 30), "R1"])
    sheet.append([])  # blank row: skipped, numbering follows the sheet
    sheet.append(["O2", "A1", 46354, "online", "placed", "USD", 46354.5, None])  # serials
    book.save(put(tmp_path, "orders/orders/o.xlsx", b""))
    [result] = ingest_entity(conn, tmp_path, entity("orders", "orders")).files
    assert result.status == "loaded" and result.rows_quarantined == 0, result.reasons
    rows = conn.execute("SELECT order_id, order_date, updated_at, _source_line FROM "
                        "raw.orders__orders ORDER BY 1").fetchall()
    assert rows == [("O1", dt.date(2026, 11, 28), dt.datetime(2026, 11, 28, 9, 30), 2),
                    ("O2", dt.date(2026, 11, 28), dt.datetime(2026, 11, 28, 12, 0), 4)]


def test_jsonl_and_parquet(conn, tmp_path):
    put(tmp_path, "plan/quotas/q.jsonl", (
        b'{"rep_id": "R1", "period": "2026-01", "quota_amount": "1000.50", "currency": "USD"}\n'
        b'{"rep_id": "R2", "period": "2026-13", "quota_amount": 5, "currency": "USD"}\n'
    ))
    duckdb.execute(
        "COPY (SELECT 'R3' AS rep_id, '2026-02' AS period, 2500.25::DECIMAL(18,2) AS "
        f"quota_amount, 'EUR' AS currency) TO '{tmp_path / 'q.parquet'}' (FORMAT parquet)")
    (tmp_path / "q.parquet").rename(tmp_path / "plan/quotas/q2.parquet")
    files = ingest_entity(conn, tmp_path, entity("plan", "quotas")).files
    assert [(f.rows_loaded, f.rows_quarantined) for f in files] == [(1, 1), (1, 0)]
    rows = conn.execute("SELECT rep_id, period, quota_amount, _source_line FROM "
                        "raw.plan__quotas ORDER BY 1").fetchall()
    assert rows == [("R1", "2026-01", Decimal("1000.50"), 1),
                    ("R3", "2026-02", Decimal("2500.25"), 1)]
    reason = conn.execute("SELECT line_number, reason FROM audit.quarantine").fetchall()
    assert reason == [(2, "period: not a period (expected YYYY-MM)")]


VALUE_CASES = {
    # (date_order, decimal_mark): [(text, expected)]
    "dates": [
        ("YMD", "2026-11-28", dt.date(2026, 11, 28)), ("YMD", "2026/11/28", dt.date(2026, 11, 28)),
        ("YMD", "2026-1-5", dt.date(2026, 1, 5)), ("YMD", "28.11.2026", dt.date(2026, 11, 28)),
        ("YMD", "2026年11月28日", dt.date(2026, 11, 28)),
        ("MDY", "11/28/2026", dt.date(2026, 11, 28)), ("DMY", "28/11/2026", dt.date(2026, 11, 28)),
        ("MDY", "1/5/2026", dt.date(2026, 1, 5)), ("DMY", "1/5/2026", dt.date(2026, 5, 1)),
        ("YMD", "2026-11-28T09:30:00+08:00", dt.date(2026, 11, 28)),
    ],
    "money": [
        (".", "1234.5", Decimal("1234.50")), (".", "1,234.50", Decimal("1234.50")),
        (".", "¥1,234.50", Decimal("1234.50")), (".", "$1,234", Decimal("1234.00")),
        (",", "1.234,50", Decimal("1234.50")), (".", "(1,234.50)", Decimal("-1234.50")),
        (".", "-$12.30", Decimal("-12.30")), (",", "12,5", Decimal("12.50")),
    ],
}


@pytest.mark.parametrize(("order", "text", "expected"), VALUE_CASES["dates"])
def test_date_forms(conn, tmp_path, order, text, expected):
    put(tmp_path, "crm/profile.yml", f"options: {{date_order: {order}}}\n".encode())
    put(tmp_path, "crm/reps/r.csv", f'rep_id,rep_name,region,role,hire_date\nR1,A,E,ae,"{text}"\n'
        .encode())
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    assert reps_rows(conn)[0][4] == expected


@pytest.mark.parametrize(("mark", "text", "expected"), VALUE_CASES["money"])
def test_money_forms_are_exact(conn, tmp_path, mark, text, expected):
    put(tmp_path, "orders/profile.yml", f'options: {{decimal_mark: "{mark}"}}\n'.encode())
    put(tmp_path, "orders/payments/p.csv",
        f'order_id;payment_sequential;amount\nO1;1;"{text}"\n'.encode())
    ingest_entity(conn, tmp_path, entity("orders", "payments"))
    assert conn.execute("SELECT amount FROM raw.orders__payments").fetchall() == [(expected,)]


def test_a_negative_quota_is_quarantined_by_its_range(conn, tmp_path):
    put(tmp_path, "plan/quotas/q.csv",
        b'rep_id;period;quota_amount;currency\nR1;2026-01;"(1,000.00)";USD\n')
    ingest_entity(conn, tmp_path, entity("plan", "quotas"))
    assert conn.execute("SELECT reason FROM audit.quarantine").fetchall() == [
        ("quota_amount: below the minimum 0",)]


@pytest.mark.parametrize("text", ["1,23,4.00", "12O0", "1.2.3", "$"])
def test_malformed_money_is_quarantined(conn, tmp_path, text):
    put(tmp_path, "plan/quotas/q.csv",
        f'rep_id;period;quota_amount;currency\nR1;2026-01;"{text}";USD\n'.encode())
    [result] = ingest_entity(conn, tmp_path, entity("plan", "quotas")).files
    assert result.rows_quarantined == 1


def test_booleans_timestamps_and_zones(conn, tmp_path):
    put(tmp_path, "crm/profile.yml", b"options: {timezone: Asia/Shanghai}\n")
    rows = [("O1", "yes", "2026-11-28 09:30:00"), ("O2", "N", "2026-11-28T09:30:00+00:00"),
            ("O3", "是", "2026/11/28 09:30"), ("O4", "否", "2026-11-28")]
    body = "opportunity_id,owner_rep_id,created_at,stage,is_deleted\n" + "".join(
        f"{o},R1,{ts},Prospecting,{flag}\n" for o, flag, ts in rows)
    put(tmp_path, "crm/opportunities/o.csv", body.encode())
    ingest_entity(conn, tmp_path, entity("crm", "opportunities"))
    got = conn.execute("SELECT opportunity_id, is_deleted, created_at FROM "
                       "raw.crm__opportunities ORDER BY 1").fetchall()
    assert got == [
        ("O1", True, dt.datetime(2026, 11, 28, 1, 30)),   # Shanghai 09:30 = 01:30 UTC
        ("O2", False, dt.datetime(2026, 11, 28, 9, 30)),  # explicit offset wins
        ("O3", True, dt.datetime(2026, 11, 28, 1, 30)),
        ("O4", False, dt.datetime(2026, 11, 27, 16, 0)),  # a bare date: local midnight
    ]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "UTC"])
def test_business_dates_are_local_dates_in_every_zone(conn, tmp_path, zone):
    """A date-only value is a calendar date in every time zone (the Olist funnel's
    `2018-02-01` stayed in January when counted from its UTC instant east of UTC); a
    timestamp's business date is its date in the profile's zone, an explicit offset included."""
    put(tmp_path, "crm/profile.yml", f"options: {{timezone: {zone}}}\n".encode())
    rows = [("L1", "2018-02-01", dt.date(2018, 2, 1)),
            ("L2", "2018-02-01 00:30:00", dt.date(2018, 2, 1)),
            ("L3", "2018-02-01 23:30:00", dt.date(2018, 2, 1)),
            ("L4", "2018-02-01T12:00:00+00:00",
             dt.date(2018, 2, 1)),
            ("L5", "2018-01-31T20:00:00+00:00",
             {"Asia/Shanghai": dt.date(2018, 2, 1), "America/Los_Angeles": dt.date(2018, 1, 31),
              "UTC": dt.date(2018, 1, 31)}[zone])]
    body = "lead_id,created_at,source,status,converted_at\n" + "".join(
        f"{lead},{ts},web,converted,{ts}\n" for lead, ts, _ in rows)
    put(tmp_path, "crm/leads/l.csv", body.encode())
    ingest_entity(conn, tmp_path, entity("crm", "leads"))
    got = conn.execute("SELECT lead_id, created_date, converted_date FROM raw.crm__leads "
                       "ORDER BY 1").fetchall()
    assert got == [(lead, day, day) for lead, _, day in rows]


def test_a_warehouse_from_before_local_dates_gains_them(tmp_path):
    """Raw tables created before local dates existed get the columns (filled from the UTC
    date their rows were read in) and keep loading."""
    from ingest.warehouse import connect, ensure_ingest_tables

    with connect(tmp_path / "old.duckdb") as conn:
        conn.execute("CREATE SCHEMA raw")
        conn.execute("CREATE TABLE raw.crm__leads (lead_id VARCHAR, created_at TIMESTAMP, "
                     "source VARCHAR, status VARCHAR, owner_rep_id VARCHAR, account_id VARCHAR, "
                     "score BIGINT, qualified_at TIMESTAMP, converted_at TIMESTAMP, "
                     "opportunity_id VARCHAR, _extra JSON, _source_file VARCHAR, "
                     "_source_line BIGINT, _load_id BIGINT, _loaded_at TIMESTAMP, "
                     "_row_hash VARCHAR)")
        conn.execute("INSERT INTO raw.crm__leads (lead_id, created_at) "
                     "VALUES ('L0', TIMESTAMP '2020-05-01 23:00:00')")
        ensure_ingest_tables(conn)
        put(tmp_path, "landing/crm/leads/l.csv",
            b"lead_id,created_at,source,status\nL1,2021-01-02,web,new\n")
        ingest_entity(conn, tmp_path / "landing", entity("crm", "leads"))
        got = conn.execute("SELECT lead_id, created_date FROM raw.crm__leads ORDER BY 1")
        assert got.fetchall() == [("L0", dt.date(2020, 5, 1)), ("L1", dt.date(2021, 1, 2))]


def test_a_western_export_is_never_read_as_chinese_mojibake(conn, tmp_path):
    """cp1252 bytes of `Andrés Müller, São Paulo` are valid GB18030 (`Andr閟 M黮ler, S鉶
    Paulo`): without a declared encoding the file is rejected naming the file, the line and
    the profile option; with `encoding: cp1252` it loads as written."""
    body = "rep_id,rep_name,region,role\nR1,Andrés Müller,São Paulo,ae\n".encode("cp1252")
    put(tmp_path, "crm/reps/reps.csv", body)
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "rejected"
    assert "crm/reps/reps.csv" in result.message and "encoding: cp1252" in result.message
    assert "line 2" in result.message and "Andrés Müller" in result.message
    assert conn.execute("SELECT count(*) FROM raw.crm__reps").fetchall() == [(0,)]
    put(tmp_path, "crm/profile.yml", b"options: {encoding: cp1252}\n")
    put(tmp_path, "crm/reps/reps-again.csv", body)
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    assert [r[1:3] for r in reps_rows(conn)] == [("Andrés Müller", "São Paulo")]


def test_chinese_gbk_exports_keep_loading(conn, tmp_path):
    text = "rep_id,rep_name,region,role\nR1,张伟,华东区,ae\nR2,欧阳娜娜,上海市浦东新区,ae\n"
    put(tmp_path, "crm/reps/reps.csv", text.encode("gbk"))
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "loaded", result.message
    assert [r[1] for r in reps_rows(conn)] == ["张伟", "欧阳娜娜"]


def test_an_empty_file_is_reported_as_empty(conn, tmp_path):
    put(tmp_path, "crm/reps/reps.csv", b"")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "rejected" and "crm/reps/reps.csv: the file is empty" in result.message


def test_a_truncated_gzip_is_reported_as_truncated(conn, tmp_path):
    body = "".join(f"R{i},Rep {i},East,ae\n" for i in range(5000)).encode()
    whole = gzip.compress(b"rep_id,rep_name,region,role\n" + body)
    put(tmp_path, "crm/reps/reps.csv.gz", whole[: len(whole) // 2])
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "rejected"
    assert "the gzip file is truncated or damaged" in result.message
    assert "encoding" not in result.message
    # Declaring an encoding (as an old message advised) changes nothing: still truncated.
    put(tmp_path, "crm/profile.yml", b"options: {encoding: cp1252}\n")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert "truncated" in result.message


def test_a_huge_field_quarantines_its_row_and_the_rest_loads(conn, tmp_path):
    blob = "x" * 5_000_000
    body = (f"rep_id,rep_name,region,role\nR1,Ann,East,ae\nR2,\"{blob}\",East,ae\n"
            "R3,Cy,West,ae\n").encode()
    put(tmp_path, "crm/reps/reps.csv", body)
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "loaded", result.message
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(line, reason)] = conn.execute("SELECT line_number, reason FROM audit.quarantine"
                                    ).fetchall()
    assert line == 3 and "a field of 5,000,000 characters" in reason
