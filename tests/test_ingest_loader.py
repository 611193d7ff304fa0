"""Loading one file: typing, quarantine with reasons, conservation, idempotency, rejection."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.contracts import ENTITIES, entity
from ingest.landing import ingest_entity
from ingest.quality import validate_pending_loads


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


LINES_HEADER = "order_id,line_no,product_id,quantity,unit_price,discount_amount,note\n"


def test_good_rows_load_typed_and_bad_rows_are_quarantined_with_line_and_reason(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "orders/order_lines/a.csv", LINES_HEADER
          + "O1,1,P1,2,10.5,,first\n"           # line 2: good; blank discount -> 0
          + "O1,2,P2,x,3.00,0,second\n"         # line 3: quantity not a number
          + "O2,1,,1,3.00,1.239,third\n"        # line 4: no product and a 3-decimal discount
          + " O3 ,1,P1,1,1.23456,0,fourth\n")   # line 5: price with 5 decimals
    outcome = ingest_entity(conn, landing, entity("orders", "order_lines"))
    [result] = outcome.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    rows = conn.execute(
        "SELECT order_id, line_no, quantity, unit_price, discount_amount, _source_line, _extra "
        "FROM raw.orders__order_lines").fetchall()
    assert rows == [("O1", 1, 2, Decimal("10.5000"), Decimal("0.00"), 2, '{"note":"first"}')]
    quarantined = conn.execute(
        "SELECT line_number, column_name, reason FROM audit.quarantine ORDER BY 1").fetchall()
    assert quarantined[0] == (3, "quantity", "quantity: not a whole number")
    assert quarantined[1][0:2] == (4, "product_id")
    assert "discount_amount: not an amount with at most 2 decimals" in quarantined[1][2]
    assert quarantined[2] == (5, "unit_price", "unit_price: not a price with at most 4 decimals")
    raw = conn.execute("SELECT raw_record FROM audit.quarantine WHERE line_number = 3")
    assert '"quantity":"x"' in raw.fetchall()[0][0]
    log = conn.execute("SELECT file_path, rows_read, rows_loaded, rows_quarantined, status "
                       "FROM audit.load_log").fetchall()
    assert log == [("orders/order_lines/a.csv", 4, 1, 3, "loaded")]
    suite = validate_pending_loads(conn, entity("orders", "order_lines"))
    assert suite.passed and suite.rows_checked == 1, suite.failures


def test_same_bytes_twice_load_nothing_and_a_new_file_loads(conn, tmp_path):
    landing = tmp_path / "landing"
    body = LINES_HEADER + "O1,1,P1,2,10.50,0,x\n"
    write(landing / "orders/order_lines/a.csv", body)
    lines = entity("orders", "order_lines")
    ingest_entity(conn, landing, lines)
    write(landing / "orders/order_lines/copy_of_a.csv", body)  # same bytes, other name
    again = ingest_entity(conn, landing, lines)
    assert [f.status for f in again.files] == ["skipped_duplicate", "skipped_duplicate"]
    write(landing / "orders/order_lines/b.csv", LINES_HEADER + "O1,1,P1,3,10.50,0,y\n")
    third = ingest_entity(conn, landing, lines)
    assert [f.status for f in third.files] == ["skipped_duplicate", "loaded", "skipped_duplicate"]
    loads = conn.execute("SELECT _load_id, quantity FROM raw.orders__order_lines ORDER BY 1")
    assert loads.fetchall() == [(1, 2), (2, 3)]


def test_file_without_required_column_is_rejected_whole_with_a_clear_message(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "crm/reps/reps.csv", "rep_id,rep_name,role\nR1,Ann,ae\n")
    outcome = ingest_entity(conn, landing, entity("crm", "reps"))
    [result] = outcome.files
    assert result.status == "rejected"
    assert "crm/reps/reps.csv" in result.message
    assert "missing required column(s) region" in result.message
    assert conn.execute("SELECT count(*) FROM raw.crm__reps").fetchall() == [(0,)]
    assert conn.execute("SELECT status FROM audit.load_log").fetchall() == [("rejected",)]


def test_hostile_column_names_are_only_names(conn, tmp_path):
    landing = tmp_path / "landing"
    header = 'rep_id,rep_name,region,role,"x""; drop table raw.crm__reps; --"\n'
    write(landing / "crm/reps/reps.csv", header + "R1,Ann,East,ae,boom\n")
    outcome = ingest_entity(conn, landing, entity("crm", "reps"))
    assert outcome.files[0].rows_loaded == 1
    extra = conn.execute("SELECT _extra FROM raw.crm__reps").fetchall()[0][0]
    assert "drop table" in extra
    assert conn.execute("SELECT count(*) FROM raw.crm__reps").fetchall() == [(1,)]


def test_value_sets_ranges_and_row_rules_quarantine(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "survey/responses/r.csv",
          "response_id,account_id,submitted_at,survey_type,score\n"
          "S1,A1,2026-01-05 10:00:00,NPS,9\n"      # upper case value: accepted, stored lower
          "S2,A1,2026-01-05,csat,7\n"               # csat above 5: row rule
          "S3,A1,2026-01-05T10:00:00+08:00,poll,3\n"  # not a survey type
          "S4,A1,2026-01-05,nps,11\n")              # nps above 10
    outcome = ingest_entity(conn, landing, entity("survey", "responses"))
    assert outcome.files[0].rows_loaded == 1
    assert conn.execute("SELECT survey_type FROM raw.survey__responses").fetchall() == [("nps",)]
    reasons = dict(conn.execute(
        "SELECT line_number, reason FROM audit.quarantine").fetchall())
    assert reasons[3] == "score: a csat score must be 1 to 5"
    assert reasons[4].startswith("survey_type: not one of: nps, csat")
    assert reasons[5] == "score: above the maximum 10"


def test_timestamps_with_offsets_are_stored_as_utc(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "crm/opportunity_stage_history/h.csv",
          "opportunity_id,stage,entered_at\nO1,Prospecting,2026-11-28T09:30:00+08:00\n")
    ingest_entity(conn, landing, entity("crm", "opportunity_stage_history"))
    value = conn.execute("SELECT CAST(entered_at AS VARCHAR) FROM "
                         "raw.crm__opportunity_stage_history").fetchall()[0][0]
    assert value == "2026-11-28 01:30:00"


def test_entities_without_files_become_empty_tables_with_a_warning(conn, tmp_path):
    outcome = ingest_entity(conn, tmp_path / "empty", entity("survey", "complaints"))
    assert outcome.files == []
    assert "no files for survey/complaints" in outcome.warnings[0]
    for each in ENTITIES:
        assert conn.execute(f'SELECT count(*) FROM raw."{each.table}"').fetchall() == [(0,)]


def test_files_being_written_are_skipped(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "crm/reps/reps.csv.part", "rep_id,rep_name,region,role\nR1,A,East,ae\n")
    outcome = ingest_entity(conn, landing, entity("crm", "reps"))
    assert outcome.files == []
    assert any("still being written" in w for w in outcome.warnings)


def test_a_failure_mid_file_leaves_nothing_half_loaded(conn, tmp_path, monkeypatch):
    import ingest.loader as loader

    landing = tmp_path / "landing"
    write(landing / "orders/order_lines/a.csv", LINES_HEADER + "O1,1,P1,2,10.50,0,x\n")

    def crash(*_args, **_kwargs):
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(loader, "_write_log", crash)
    with pytest.raises(duckdb.IOException):
        ingest_entity(conn, landing, entity("orders", "order_lines"))
    assert conn.execute("SELECT count(*) FROM raw.orders__order_lines").fetchall() == [(0,)]
    assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchall() == [(0,)]


def test_a_key_repeated_in_one_file_keeps_the_newest_version(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "orders/orders/o.csv",
          "order_id,account_id,order_date,channel,status,currency,updated_at\n"
          "O1,A1,2026-01-01,direct,placed,USD,2026-01-02 10:00\n"      # line 2: older
          "O2,A1,2026-01-01,direct,placed,USD,2026-01-02 10:00\n"      # line 3
          "O1,A1,2026-01-01,direct,shipped,USD,2026-01-05 10:00\n"     # line 4: newest O1
          "O1,A1,2026-01-01,direct,delivered,USD,not a time\n"         # line 5: broken
          "O2,A1,2026-01-01,direct,cancelled,USD,2026-01-02 10:00\n")  # line 6: same time
    [result] = ingest_entity(conn, landing, entity("orders", "orders")).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    assert conn.execute("SELECT order_id, status, _source_line FROM raw.orders__orders "
                        "ORDER BY 1").fetchall() == [("O1", "shipped", 4), ("O2", "cancelled", 6)]
    reasons = dict(conn.execute("SELECT line_number, reason FROM audit.quarantine").fetchall())
    assert reasons == {
        2: "order_id: duplicate key in this file; the version at line 4 is kept",
        3: "order_id: duplicate key in this file; the version at line 6 is kept",
        5: "updated_at: not a timestamp in a known form",
    }


def test_a_closed_deal_without_a_close_date_is_quarantined(conn, tmp_path):
    """SOURCE_CONTRACTS: a closed deal without a close date is quarantined (it could count in
    no month's win rate or bookings); an open deal without one loads."""
    from ingest.contracts import entity
    from ingest.landing import ingest_entity

    path = tmp_path / "crm/opportunities/o.csv"
    path.parent.mkdir(parents=True)
    path.write_text("opportunity_id,owner_rep_id,created_at,stage,close_date\n"
                    "O1,R1,2026-01-02,Closed Won,\n"
                    "O2,R1,2026-01-02,Lost,2026-02-01\n"
                    "O3,R1,2026-01-02,Proposal,\n", encoding="utf-8")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "opportunities")).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert conn.execute("SELECT line_number, column_name, reason FROM audit.quarantine"
                        ).fetchall() == [(2, "close_date", "close_date: a closed deal (won or "
                                          "lost) needs its close date")]


def _order_lines(conn, tmp_path, body: str, profile: str | None = None):
    from ingest.contracts import entity
    from ingest.landing import ingest_entity

    folder = tmp_path / "orders/order_lines"
    folder.mkdir(parents=True, exist_ok=True)
    if profile:
        (tmp_path / "orders/profile.yml").write_text(profile, encoding="utf-8")
    (folder / "lines.csv").write_text(
        "order_id,line_no,product_id,quantity,unit_price,discount_amount\n" + body,
        encoding="utf-8")
    [result] = ingest_entity(conn, tmp_path, entity("orders", "order_lines")).files
    return result


def test_negative_quantities_prices_and_discounts_are_quarantined(conn, tmp_path):
    result = _order_lines(conn, tmp_path, "S1,1,P1,-10,5.00,0\nS1,2,P1,2,-5000.00,0\n"
                          "S1,3,P1,2,5.00,-50\nS1,4,P1,2,5.00,11\nS1,5,P1,2,5.00,10\n")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 1, 4)
    reasons = dict(conn.execute("SELECT line_number, reason FROM audit.quarantine").fetchall())
    assert "quantity: below the minimum 1" in reasons[2] and "allow_credit_lines" in reasons[2]
    assert "unit_price: below the minimum 0" in reasons[3]
    assert "discount_amount: below the minimum 0" in reasons[4]
    assert "discount is larger than the line's amount" in reasons[5]


def test_credit_lines_load_when_the_profile_allows_them(conn, tmp_path):
    result = _order_lines(conn, tmp_path, "S1,1,P1,-10,5.00,0\nS1,2,P1,2,5.00,0\n",
                          "options: {allow_credit_lines: true}\n")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert conn.execute("SELECT quantity FROM raw.orders__order_lines ORDER BY line_no"
                        ).fetchall() == [(-10,), (2,)]


@pytest.mark.parametrize(("text", "plausible"), [
    ("9999-12-31", False), ("1900-01-01", False), ("1989-12-31", False),
    ("1990-01-01", True), ("2026-11-30", True)])
def test_implausible_dates_are_quarantined(conn, tmp_path, text, plausible):
    from ingest.contracts import entity
    from ingest.landing import ingest_entity

    folder = tmp_path / "orders/orders"
    folder.mkdir(parents=True)
    (folder / "o.csv").write_text(
        "order_id,account_id,order_date,channel,status,currency,updated_at\n"
        f"S1,A1,{text},direct,placed,USD,2026-11-30 10:00:00\n", encoding="utf-8")
    [result] = ingest_entity(conn, tmp_path, entity("orders", "orders")).files
    assert result.rows_loaded == int(plausible)
    if not plausible:
        [(reason,)] = conn.execute("SELECT reason FROM audit.quarantine").fetchall()
        assert reason.startswith("order_date: implausible date, outside 1990-01-01") \
            and "earliest_date" in reason


def test_the_plausible_window_is_a_profile_option(conn, tmp_path):
    from ingest.contracts import entity
    from ingest.landing import ingest_entity

    (tmp_path / "crm").mkdir()
    (tmp_path / "crm/profile.yml").write_text("options: {earliest_date: 1950-01-01}\n",
                                              encoding="utf-8")
    (tmp_path / "crm/reps").mkdir()
    (tmp_path / "crm/reps/r.csv").write_text(
        "rep_id,rep_name,region,role,hire_date\nR1,Old Hand,East,ae,1971-04-01\n",
        encoding="utf-8")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.rows_loaded == 1


def test_a_file_replaced_in_place_supersedes_its_earlier_load(conn, tmp_path):
    """Same path, new bytes: the new version of that file. A row the new version dropped
    leaves raw; the log keeps the old load as superseded, with a note on the new one."""
    from ingest.contracts import entity
    from ingest.landing import ingest_entity

    path = tmp_path / "crm/reps/reps.csv"
    path.parent.mkdir(parents=True)
    path.write_text("rep_id,rep_name,region,role\nR1,Ann,East,ae\nR2,Bo,West,ae\nR3,Cy,East,ae\n",
                    encoding="utf-8")
    ingest_entity(conn, tmp_path, entity("crm", "reps"))
    path.write_text("rep_id,rep_name,region,role\nR1,Ann,East,ae\nR3,Cy,North,ae\n",
                    encoding="utf-8")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert "supersedes load(s) 1" in result.message
    assert conn.execute("SELECT rep_id, region FROM raw.crm__reps ORDER BY 1").fetchall() == [
        ("R1", "East"), ("R3", "North")]
    assert conn.execute("SELECT load_id, status FROM audit.load_log ORDER BY 1").fetchall() == [
        (1, "superseded"), (2, "loaded")]


RETURNS_HEADER = "return_id,order_id,line_no,returned_at,quantity,reason\n"


def test_returns_beyond_the_units_sold_are_quarantined(conn, tmp_path):
    """A line sold 5 units: returns of 2 and 3 fit, one more unit does not; a second file adds
    to what was returned before; a line not delivered yet cannot be judged and loads."""
    landing = tmp_path / "landing"
    write(landing / "orders/order_lines/lines.csv", LINES_HEADER
          + "O1,1,P1,5,10.00,0,\n" + "O2,1,P1,1,10.00,0,\n")
    ingest_entity(conn, landing, entity("orders", "order_lines"))
    returns = entity("orders", "returns")
    write(landing / "orders/returns/day1.csv", RETURNS_HEADER
          + "R1,O1,1,2026-01-05 10:00:00,2,size\n"   # 2 of 5
          + "R3,O1,1,2026-01-07 10:00:00,1,late\n"   # 2 + 3 + 1 = 6 > 5 (R2 came first)
          + "R2,O1,1,2026-01-06 10:00:00,3,size\n"   # 2 + 3 = 5: fits
          + "R4,O2,1,2026-01-05 10:00:00,2,x\n"      # 2 > 1
          + "R5,O9,1,2026-01-05 10:00:00,7,x\n")     # line O9/1 unknown: loads
    [day1] = ingest_entity(conn, landing, returns).files
    assert (day1.rows_read, day1.rows_loaded, day1.rows_quarantined) == (5, 3, 2)
    quarantined = conn.execute("SELECT line_number, column_name, reason FROM audit.quarantine "
                               "ORDER BY 1").fetchall()
    assert [(line, column) for line, column, _ in quarantined] == [(3, "quantity"),
                                                                    (5, "quantity")]
    assert "more units returned than the order line sold" in quarantined[0][2]
    write(landing / "orders/returns/day2.csv", RETURNS_HEADER
          + "R6,O1,1,2026-01-09 10:00:00,1,again\n")  # 5 already returned
    [day2] = [f for f in ingest_entity(conn, landing, returns).files if f.status == "loaded"]
    assert (day2.rows_loaded, day2.rows_quarantined) == (0, 1)
    loaded = conn.execute("SELECT return_id FROM raw.orders__returns ORDER BY 1").fetchall()
    assert loaded == [("R1",), ("R2",), ("R5",)]
    # The same file delivered again with a correction supersedes itself: its own earlier rows
    # do not count against it.
    write(landing / "orders/returns/day1.csv", RETURNS_HEADER
          + "R1,O1,1,2026-01-05 10:00:00,2,size\n" + "R2,O1,1,2026-01-06 10:00:00,3,size\n")
    [again] = [f for f in ingest_entity(conn, landing, returns).files if f.status == "loaded"]
    assert (again.rows_loaded, again.rows_quarantined) == (2, 0)


def test_commission_adjustments_without_reason_or_approver_are_quarantined(conn, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "plan/commission_adjustments/a.csv",
          "rep_id,period,amount,currency,reason,approved_by\n"
          "R1,2026-03,750.00,USD,onboarding bonus,cfo@example.com\n"
          "R2,2026-03,-120.50,USD,expense advance,controller@example.com\n"
          "R3,2026-03,100.00,USD,,cfo@example.com\n"
          "R4,2026-03,100.00,USD,goodwill,\n")
    [result] = ingest_entity(conn, landing, entity("plan", "commission_adjustments")).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert conn.execute("SELECT line_number, column_name FROM audit.quarantine ORDER BY 1"
                        ).fetchall() == [(4, "reason"), (5, "approved_by")]
    assert conn.execute("SELECT rep_id, amount FROM raw.plan__commission_adjustments ORDER BY 1"
                        ).fetchall() == [("R1", Decimal("750.00")), ("R2", Decimal("-120.50"))]
