"""Source profiles: validation with file and field in every message, and every mapping feature."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.contracts import entity
from ingest.landing import ingest_entity, scan_landing
from ingest.profiles import ProfileError, load_profile, shipped_profiles


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles_load():
    assert {"maven_crm", "olist"} <= set(shipped_profiles())
    for name in shipped_profiles():
        profile = load_profile(put(Path(f"/tmp/profile-check/{name}/profile.yml"),
                                   f"extends: {name}\n"))
        assert profile.files and profile.name == name


@pytest.mark.parametrize(("text", "where"), [
    ("extends: salesforce_classic\n", "extends: 'salesforce_classic' is neither a shipped profile"),
    ("files: [{pattern: a.csv, source: crm, entity: deals}]\n", "files[0].entity"),
    ("files: [{pattern: a.csv, source: crm, entity: reps, rename: {x: rep_code}}]\n",
     "files[0].rename.rep_code: crm/reps has no column 'rep_code'"),
    ("files: [{pattern: a.csv, entity: reps}]\n", "files[0].source: is required"),
    ("options: {date_order: YDM}\nfiles: [{pattern: a, source: crm, entity: reps}]\n",
     "options.date_order: must be one of YMD, DMY, MDY"),
    ("colums: []\n", "colums: unknown key"),
    ("files: [{pattern: a, source: crm, entity: reps,\n", "not valid YAML"),
    ("files: [{pattern: a, source: survey, entity: responses, lookups: {account_id: {file: x}}}]"
     "\n",
     "files[0].lookups.account_id: needs exactly: file, key, match, take"),
])
def test_invalid_profiles_name_the_file_and_the_field(tmp_path, text, where):
    path = put(tmp_path / "acme" / "profile.yml", text)
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert str(path) in str(error.value) and where in str(error.value)


def test_a_broken_profile_is_a_problem_of_the_landing_not_a_crash(tmp_path):
    put(tmp_path / "acme" / "profile.yml", "extends: nope\n")
    put(tmp_path / "acme" / "deals.csv", "a\n1\n")
    scan = scan_landing(tmp_path)
    assert scan.deliveries == [] and "extends" in scan.problems[0]


def test_every_mapping_feature(conn, tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "shop"
    put(folder / "profile.yml", """
name: shop_export
options: {date_order: DMY, decimal_mark: ",", timezone: Europe/Berlin}
files:
  - pattern: "bestellungen*.csv"
    source: orders
    entity: orders
    rename: {Nr: order_id, Kunde: account_id, Datum: order_date, Status: status}
    constants: {channel: online, currency: EUR}
    coalesce: {updated_at: [Geaendert, Datum]}
    values: {status: {offen: placed, geliefert: delivered, storniert: cancelled}}
    lookups:
      rep_id: {file: "kunden.csv", key: Kunde, match: Kunde, take: Betreuer}
  - pattern: "positionen.csv"
    source: orders
    entity: order_lines
    rename: {Nr: order_id, Pos: line_no, Artikel: product_id, Menge: quantity, Preis: unit_price}
    derive: {product_id: "SKU-{Artikel}"}
    defaults: {discount_amount: "0"}
""")
    put(folder / "bestellungen_2026.csv",
        "Nr;Kunde;Datum;Status;Geaendert;Notiz\n"
        "B1;K1;28.11.2026;offen;;erste\n"
        "B2;K2;1/5/2026;geliefert;03.05.2026 14:00;\n"
        "B3;K9;2/5/2026;verloren;;\n")
    put(folder / "kunden.csv", "Kunde;Betreuer\nK1;R7\nK2;R8\n")
    put(folder / "positionen.csv", "Nr;Pos;Artikel;Menge;Preis\nB1;1;42;3;1.234,50\n")
    orders = ingest_entity(conn, landing, entity("orders", "orders")).files
    assert [(f.rows_loaded, f.rows_quarantined) for f in orders] == [(2, 1)]
    got = conn.execute("SELECT order_id, account_id, order_date, status, channel, currency, "
                       "updated_at, rep_id, _extra FROM raw.orders__orders ORDER BY 1").fetchall()
    assert got == [
        ("B1", "K1", dt.date(2026, 11, 28), "placed", "online", "EUR",
         dt.datetime(2026, 11, 27, 23, 0), "R7", '{"Notiz":"erste"}'),
        ("B2", "K2", dt.date(2026, 5, 1), "delivered", "online", "EUR",
         dt.datetime(2026, 5, 3, 12, 0), "R8", '{"Notiz":null}'),
    ]
    reason = conn.execute("SELECT line_number, reason FROM audit.quarantine").fetchall()
    assert reason == [(4, "status: not one of: placed, shipped, delivered, cancelled, returned")]
    ingest_entity(conn, landing, entity("orders", "order_lines"))
    assert conn.execute("SELECT product_id, quantity, unit_price, discount_amount FROM "
                        "raw.orders__order_lines").fetchall() == [
        ("SKU-42", 3, Decimal("1234.5000"), Decimal("0.00"))]
    notes = scan_landing(landing).notes
    assert notes == ["shop/kunden.csv: not mapped by profile shop_export, ignored"]


def test_a_file_lacking_a_column_the_profile_needs_is_rejected(conn, tmp_path):
    put(tmp_path / "acme" / "profile.yml", """
files:
  - {pattern: "*.csv", source: crm, entity: reps, rename: {code: rep_id},
     derive: {rep_name: "{first} {last}"}, constants: {region: East, role: ae}}
""")
    put(tmp_path / "acme" / "reps.csv", "code,first\nR1,Ann\n")
    [result] = ingest_entity(conn, tmp_path, entity("crm", "reps")).files
    assert result.status == "rejected"
    assert "acme/reps.csv: the profile takes rep_name from column 'last'" in result.message


EVIL_PROFILE = """files:
  - pattern: "*.csv"
    source: crm
    entity: reps
    constants: {role: ae, region: Evil}
"""


@pytest.mark.parametrize("extends", ["{outside}", "../../outside/evil", "/etc/passwd"])
def test_extends_never_reads_a_file_outside_the_landing_folder(tmp_path, extends):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.yml").write_text(EVIL_PROFILE, encoding="utf-8")
    landing = tmp_path / "deep" / "landing"
    (landing / "mine").mkdir(parents=True)
    name = extends.format(outside=outside / "evil.yml")
    (landing / "mine/profile.yml").write_text(f"extends: {name!r}\n", encoding="utf-8")
    scan = scan_landing(landing)
    assert scan.deliveries == []
    [problem] = scan.problems
    assert "extends" in problem and "outside the landing folder" in problem


def test_extends_may_name_a_profile_inside_the_landing_folder(tmp_path):
    landing = tmp_path / "landing"
    (landing / "shared").mkdir(parents=True)
    (landing / "shared/reps.yml").write_text(EVIL_PROFILE, encoding="utf-8")
    (landing / "mine").mkdir()
    (landing / "mine/profile.yml").write_text("extends: ../shared/reps.yml\n", encoding="utf-8")
    (landing / "mine/r.csv").write_text("rep_id,rep_name\nR1,Ann\n", encoding="utf-8")
    scan = scan_landing(landing)
    assert scan.problems == [] and [d.display_path for d in scan.deliveries] == ["mine/r.csv"]


def test_links_out_of_the_landing_folder_are_refused_with_a_note(conn, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "reps.csv").write_text("rep_id,rep_name,region,role\nR1,Spy,East,ae\n",
                                      encoding="utf-8")
    landing = tmp_path / "landing"
    (landing / "crm/reps").mkdir(parents=True)
    (landing / "crm/reps/reps.csv").symlink_to(outside / "reps.csv")
    (landing / "orders").symlink_to(outside, target_is_directory=True)
    scan = scan_landing(landing)
    assert scan.deliveries == []
    assert any("crm/reps/reps.csv: a link to" in n and "refused" in n for n in scan.notes)
    assert any(n.startswith("orders: a link to") for n in scan.notes)
    load = ingest_entity(conn, landing, entity("crm", "reps"))
    assert load.files == []
    assert conn.execute("SELECT count(*) FROM raw.crm__reps").fetchall() == [(0,)]


FUNNEL_CSV = ("mql_id,first_contact_date,origin\n"
              "M1,2018-01-02,paid_search\nM2,2018-01-03,organic_search\n")
FUNNEL_PROFILE = """
files:
  - pattern: "funnel*.csv"
    source: crm
    entity: leads
    rename: {{mql_id: lead_id, first_contact_date: created_at, origin: source}}
    constants: {{status: {status}}}
"""


def test_an_edited_profile_reloads_its_files_and_supersedes_the_old_load(conn, tmp_path):
    """The load's identity is the file's bytes and its mapping: editing the profile reloads
    the file (no retract by hand), and the rows of the old reading leave raw."""
    landing = tmp_path / "landing"
    put(landing / "funnel/funnel.csv", FUNNEL_CSV)
    put(landing / "funnel/profile.yml", FUNNEL_PROFILE.format(status="new"))
    leads = entity("crm", "leads")
    [first] = ingest_entity(conn, landing, leads).files
    assert first.status == "loaded"
    [same] = ingest_entity(conn, landing, leads).files
    assert same.status == "skipped_duplicate"
    put(landing / "funnel/profile.yml", FUNNEL_PROFILE.format(status="qualified"))
    [edited] = ingest_entity(conn, landing, leads).files
    assert edited.status == "loaded"
    assert "changed profile mapping" in edited.message and f"load(s) {first.load_id}" in \
        edited.message
    rows = conn.execute("SELECT lead_id, status FROM raw.crm__leads ORDER BY 1").fetchall()
    assert rows == [("M1", "qualified"), ("M2", "qualified")]
    log = conn.execute("SELECT load_id, status FROM audit.load_log ORDER BY 1").fetchall()
    assert log == [(first.load_id, "superseded"), (edited.load_id, "loaded")]


def test_a_file_no_longer_mapped_to_an_entity_leaves_it(conn, tmp_path):
    landing = tmp_path / "landing"
    put(landing / "funnel/funnel.csv", FUNNEL_CSV)
    put(landing / "funnel/profile.yml", FUNNEL_PROFILE.format(status="new"))
    leads = entity("crm", "leads")
    ingest_entity(conn, landing, leads)
    put(landing / "funnel/profile.yml", FUNNEL_PROFILE.format(status="new")
        .replace("funnel*.csv", "mql*.csv"))
    outcome = ingest_entity(conn, landing, leads)
    assert any("funnel/funnel.csv: its profile no longer maps it to crm/leads" in w
               for w in outcome.warnings)
    assert conn.execute("SELECT count(*) FROM raw.crm__leads").fetchall() == [(0,)]


DEALS_CSV = ("deal,company,sector,agent,stage,opened\n"
             "D1,Acme,retail,R1,Prospecting,2026-01-05\nD2,Bolt,tech,R2,Engaging,2026-01-06\n")
TWO_ENTITIES_PROFILE = """
files:
  - pattern: deals.csv
    source: crm
    entity: opportunities
    rename: {deal: opportunity_id, company: account_id, agent: owner_rep_id, opened: created_at}
  - pattern: deals.csv
    source: crm
    entity: accounts
    rename: {company: account_id, sector: industry, opened: created_at}
    derive: {account_name: "{company}"}
    constants: {region: Unknown}
"""


def test_one_file_may_feed_several_entities(conn, tmp_path):
    landing = tmp_path / "landing"
    put(landing / "deals/deals.csv", DEALS_CSV)
    put(landing / "deals/profile.yml", TWO_ENTITIES_PROFILE)
    scan = scan_landing(landing)
    assert scan.problems == []
    assert sorted(d.entity.name for d in scan.deliveries) == ["accounts", "opportunities"]
    opportunities = ingest_entity(conn, landing, entity("crm", "opportunities")).files
    accounts = ingest_entity(conn, landing, entity("crm", "accounts")).files
    assert [(f.status, f.rows_loaded) for f in opportunities + accounts] == [("loaded", 2)] * 2
    assert conn.execute("SELECT account_id, industry FROM raw.crm__accounts ORDER BY 1"
                        ).fetchall() == [("Acme", "retail"), ("Bolt", "tech")]


def test_two_mappings_of_one_file_to_one_entity_are_refused(tmp_path):
    landing = tmp_path / "landing"
    put(landing / "funnel/funnel.csv", FUNNEL_CSV)
    put(landing / "funnel/profile.yml", FUNNEL_PROFILE.format(status="new")
        + FUNNEL_PROFILE.format(status="lost").replace("files:\n", "").replace(
            "funnel*.csv", "*.csv"))
    scan = scan_landing(landing)
    assert scan.deliveries == []
    [problem] = scan.problems
    assert "patterns 'funnel*.csv' and '*.csv' both map funnel.csv to crm/leads" in problem


ORDERS_WITH_PARCELS_CSV = """\
order_id,customer,ordered,handed_to_carrier,arrived,promised
O1,C1,2026-03-01,2026-03-02 10:00:00,2026-03-05 12:00:00,2026-03-06
O2,C1,2026-03-01,,,2026-03-06
O3,C2,2026-03-02,2026-03-03 09:00:00,2026-03-01 09:00:00,2026-03-07
O4,C2,2026-03-03,  ,,2026-03-08
O5,C3,2026-03-04,2026-03-05 11:00:00,,2026-03-09
"""

PARCELS_PROFILE = """\
files:
  - pattern: "orders.csv"
    source: orders
    entity: shipments
    only_rows_with: [handed_to_carrier]
    derive: {shipment_id: "P-{order_id}"}
    rename: {handed_to_carrier: shipped_at, arrived: delivered_at, promised: promised_at}
"""


def load_one_file(conn, tmp_path: Path, name: str, text: str, profile: str, source: str,
                  entity_name: str):
    """The delivery of one file and its folder's profile, loaded; the file's FileResult."""
    landing = tmp_path / "landing"
    put(landing / "export" / name, text)
    put(landing / "export" / "profile.yml", profile)
    [result] = ingest_entity(conn, landing, entity(source, entity_name)).files
    return result


def test_rows_that_are_not_records_of_the_entity_are_skipped_and_counted(conn, tmp_path):
    """An order never handed to a carrier is no shipment: with only_rows_with it is skipped
    (counted in the load log), neither loaded nor quarantined; a real fault in a shipped row
    (delivered before it was shipped) is still quarantined. read = loaded + quarantined +
    skipped."""
    result = load_one_file(conn, tmp_path, "orders.csv", ORDERS_WITH_PARCELS_CSV,
                           PARCELS_PROFILE, "orders", "shipments")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined,
            result.rows_skipped) == (5, 2, 1, 2)
    assert "2 row(s) skipped: blank in handed_to_carrier" in result.message
    assert conn.execute("SELECT shipment_id, _source_line FROM raw.orders__shipments "
                        "ORDER BY 1").fetchall() == [("P-O1", 2), ("P-O5", 6)]
    assert conn.execute("SELECT line_number, reason FROM audit.quarantine").fetchall() == [
        (4, "delivered_at: delivered before it was shipped; correct the dates and deliver the "
            "shipment again")]
    assert conn.execute("SELECT rows_read, rows_loaded, rows_quarantined, rows_skipped "
                        "FROM audit.load_log").fetchall() == [(5, 2, 1, 2)]


def test_only_rows_with_must_name_file_columns(tmp_path):
    path = put(tmp_path / "shop" / "profile.yml",
               "files: [{pattern: a, source: orders, entity: shipments, only_rows_with: x}]\n")
    with pytest.raises(ProfileError, match=r"files\[0\]\.only_rows_with: must list"):
        load_profile(path)


DEALS_WITH_REPS_CSV = """\
deal,rep,office
D1,ann,East
D2,bob,West
D3,ann,East
D4,ann,East
D5,bob,North
"""

REPS_FROM_DEALS_PROFILE = """\
files:
  - pattern: "deals.csv"
    source: crm
    entity: reps
    collapse_repeated_records: true
    rename: {rep: rep_id, office: region}
    derive: {rep_name: "{rep}"}
    constants: {role: ae}
"""


def test_a_record_repeated_on_many_rows_is_one_record(conn, tmp_path):
    """ann is named on three deals, identically: one rep, two repeats skipped. bob is named
    twice with two offices: that is a conflict, not a repeat, so the duplicate-key rule keeps
    the later line and quarantines the other."""
    result = load_one_file(conn, tmp_path, "deals.csv", DEALS_WITH_REPS_CSV,
                           REPS_FROM_DEALS_PROFILE, "crm", "reps")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined,
            result.rows_skipped) == (5, 2, 1, 2)
    assert conn.execute("SELECT rep_id, region, _source_line FROM raw.crm__reps ORDER BY 1"
                        ).fetchall() == [("ann", "East", 2), ("bob", "North", 6)]
    assert conn.execute("SELECT line_number FROM audit.quarantine").fetchall() == [(3,)]
