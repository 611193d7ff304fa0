"""The canonical source contracts (SOURCE_CONTRACTS.md v1) as data.

Each entity lists its columns in contract order with a logical type, whether it is required,
its allowed values, and the key that identifies one record. The loader, the raw table DDL, the
generator and the checks all read this one description, so a contract change happens here once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """Logical column types; `ingest.values` turns each into a parse expression and a SQL type."""

    TEXT = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"
    MONEY = "money"  # exact, 2 decimal places: amounts, prices, quotas
    PRICE = "price"  # exact, 4 decimal places: unit prices may carry fractions of a cent
    RATE = "rate"  # exact, 8 decimal places: FX rates, probabilities
    INTEGER = "integer"
    BOOLEAN = "boolean"
    PERIOD = "period"  # a month, written YYYY-MM


SQL_TYPES: dict[Kind, str] = {
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.PRICE: "DECIMAL(18,4)",
    Kind.RATE: "DECIMAL(18,8)",
    Kind.INTEGER: "BIGINT",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.PERIOD: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    allowed: tuple[str, ...] = ()  # for TEXT: the value set (compared lower-case)
    min_value: float | None = None  # inclusive bounds for numeric kinds
    max_value: float | None = None
    default: str | None = None  # raw text used when the column is absent or blank
    # A credit line (a negative quantity or price) may make this value negative, when the
    # profile allows credit lines; otherwise min_value holds.
    credit: bool = False


@dataclass(frozen=True)
class Reference:
    """Rows of another raw table that an entity's rules check against (e.g. the order line a
    return is of). `sql` is a SELECT over raw tables giving the `on` columns and the values the
    rules use, read as `<alias>.<column>`; in it, `$file` is the path of the file being loaded
    (its earlier loads are about to be superseded, so they must not count) and `$batch` the
    table of this file's parsed rows. The referenced entity is loaded first in a build."""

    alias: str
    entity: tuple[str, str]  # (source, name) it reads
    sql: str
    on: tuple[str, ...]


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    version_column: str | None = None  # newest value wins when the same key arrives again
    # Row rules over the parsed columns: (column blamed, SQL condition that must hold, reason).
    rules: tuple[tuple[str, str, str], ...] = ()
    references: tuple[Reference, ...] = ()  # other raw tables the rules read

    @property
    def table(self) -> str:
        """Name of the raw table: `raw.<source>__<entity>`."""
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required and c.default is None)

    @property
    def local_dates(self) -> tuple[tuple[str, str], ...]:
        """(timestamp column, its local-date column) pairs. Timestamps are stored in UTC; the
        business date of each (the calendar date in the profile's time zone, and for a
        date-only value the date as written) is stored beside it, so periods never shift a
        day east or west of UTC. `created_at` -> `created_date`."""
        return tuple((c.name, c.name.removesuffix("_at") + "_date")
                     for c in self.columns if c.kind is Kind.TIMESTAMP)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.source}/{self.name} has no column {name!r}")


def _c(name: str, kind: Kind = Kind.TEXT, *, req: bool = False, **kw: object) -> Column:
    return Column(name, kind, req, **kw)  # type: ignore[arg-type]


D, TS, M, P, R, INT, B = (
    Kind.DATE,
    Kind.TIMESTAMP,
    Kind.MONEY,
    Kind.PRICE,
    Kind.RATE,
    Kind.INTEGER,
    Kind.BOOLEAN,
)

# The order line a return is of: its quantity (latest delivery) and the units returned for it
# by other returns already loaded (each return_id once, its latest delivery).
RETURNED_LINE = Reference(
    alias="sold",
    entity=("orders", "order_lines"),
    on=("order_id", "line_no"),
    sql="""
        SELECT lines.order_id, lines.line_no, lines.quantity,
            coalesce(earlier.returned, 0) AS returned_before
        FROM (
            SELECT order_id, line_no, quantity FROM raw.orders__order_lines
            WHERE (order_id, line_no) IN (SELECT (order_id, line_no) FROM $batch)
            QUALIFY row_number() OVER (PARTITION BY order_id, line_no
                                       ORDER BY _load_id DESC, _source_line DESC) = 1
        ) AS lines
        LEFT JOIN (
            SELECT order_id, line_no, sum(quantity) AS returned FROM (
                SELECT order_id, line_no, quantity FROM raw.orders__returns
                WHERE _source_file <> $file
                    AND return_id NOT IN (SELECT return_id FROM $batch
                                          WHERE return_id IS NOT NULL)
                QUALIFY row_number() OVER (PARTITION BY return_id
                                           ORDER BY _load_id DESC, _source_line DESC) = 1
            ) GROUP BY ALL
        ) AS earlier USING (order_id, line_no)
    """,
)

REP_ROLES = ("ae", "sdr", "manager", "channel")
SIZE_SEGMENTS = ("enterprise", "mid_market", "smb")
LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
FORECAST_CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
ACTIVITY_TYPES = ("call", "visit", "meeting", "email", "demo")
ORDER_CHANNELS = ("direct", "distributor", "online", "retail", "partner")
ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
SHIPMENT_STATUSES = ("in_transit", "delivered", "lost", "returned")
SURVEY_TYPES = ("nps", "csat")
TARGET_METRICS = ("revenue", "new_customers", "market_share", "csat", "nps", "category_mix")

# The stage map (a dbt seed) says which CRM stages are closed; ingest needs it for the rule
# "a closed deal has a close date" (SOURCE_CONTRACTS.md), so both read the one file.
STAGE_MAP = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "stage_map.csv"


def closed_stages() -> tuple[str, ...]:
    with STAGE_MAP.open(newline="", encoding="utf-8") as handle:
        return tuple(sorted(row["source_stage"] for row in csv.DictReader(handle)
                            if row["canonical_stage"] in ("closed_won", "closed_lost")))


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


ENTITIES: tuple[Entity, ...] = (
    Entity("crm", "reps", (
        _c("rep_id", req=True), _c("rep_name", req=True), _c("region", req=True),
        _c("role", req=True, allowed=REP_ROLES), _c("manager_id"), _c("team"), _c("email"),
        _c("hire_date", D), _c("end_date", D),
        # Optional addition to the v1 contract: when the record last changed. It dates each
        # version of the hierarchy (dim_rep); without it a version dates from its delivery.
        _c("updated_at", TS),
    ), key=("rep_id",), version_column="updated_at"),
    Entity("crm", "accounts", (
        _c("account_id", req=True), _c("account_name", req=True), _c("region", req=True),
        _c("created_at", TS, req=True), _c("industry"),
        _c("size_segment", allowed=SIZE_SEGMENTS), _c("country"), _c("owner_rep_id"),
        _c("contact_email"), _c("contact_phone"),
    ), key=("account_id",)),
    Entity("crm", "leads", (
        _c("lead_id", req=True), _c("created_at", TS, req=True), _c("source", req=True),
        _c("status", req=True, allowed=LEAD_STATUSES), _c("owner_rep_id"), _c("account_id"),
        _c("score", INT, min_value=0), _c("qualified_at", TS), _c("converted_at", TS),
        _c("opportunity_id"),
        # Optional addition to the v1 contract: the campaign or landing page that brought the
        # lead (a lead-scoring factor beside its source).
        _c("campaign"),
    ), key=("lead_id",)),
    Entity("crm", "opportunities", (
        _c("opportunity_id", req=True), _c("owner_rep_id", req=True),
        _c("created_at", TS, req=True), _c("stage", req=True), _c("account_id"),
        _c("amount", M), _c("currency"), _c("close_date", D), _c("updated_at", TS),
        _c("channel"), _c("product_id"), _c("product_category"),
        _c("forecast_category", allowed=FORECAST_CATEGORIES),
        _c("probability", R, min_value=0, max_value=1), _c("lead_id"), _c("lost_reason"),
        _c("is_deleted", B, default="false"),
    ), key=("opportunity_id",), version_column="updated_at", rules=(
        ("close_date",
         f"close_date IS NOT NULL OR lower(trim(stage)) NOT IN ({_sql_list(closed_stages())})",
         "a closed deal (won or lost) needs its close date"),
    )),
    Entity("crm", "opportunity_stage_history", (
        _c("opportunity_id", req=True), _c("stage", req=True), _c("entered_at", TS, req=True),
    ), key=("opportunity_id", "stage", "entered_at")),
    Entity("crm", "activities", (
        _c("activity_id", req=True), _c("rep_id", req=True),
        _c("type", req=True, allowed=ACTIVITY_TYPES), _c("occurred_at", TS, req=True),
        _c("account_id"), _c("opportunity_id"),
    ), key=("activity_id",)),
    Entity("orders", "products", (
        _c("product_id", req=True), _c("product_name", req=True), _c("category", req=True),
        _c("list_price", P, min_value=0), _c("unit_cost", P, min_value=0), _c("currency"),
    ), key=("product_id",)),
    Entity("orders", "orders", (
        _c("order_id", req=True), _c("account_id", req=True), _c("order_date", D, req=True),
        _c("channel", req=True, allowed=ORDER_CHANNELS),
        _c("status", req=True, allowed=ORDER_STATUSES), _c("currency", req=True),
        _c("updated_at", TS, req=True), _c("rep_id"), _c("opportunity_id"),
    ), key=("order_id",), version_column="updated_at"),
    Entity("orders", "order_lines", (
        _c("order_id", req=True), _c("line_no", INT, req=True, min_value=1),
        _c("product_id", req=True), _c("quantity", INT, req=True, min_value=1, credit=True),
        _c("unit_price", P, req=True, min_value=0, credit=True),
        _c("discount_amount", M, default="0", min_value=0, credit=True),
    ), key=("order_id", "line_no"), rules=(
        ("discount_amount",
         "discount_amount IS NULL OR quantity IS NULL OR unit_price IS NULL OR quantity < 0 "
         "OR unit_price < 0 OR discount_amount <= quantity * unit_price",
         "the discount is larger than the line's amount (quantity x unit price)"),
    )),
    Entity("orders", "payments", (
        _c("order_id", req=True), _c("payment_sequential", INT, req=True, min_value=1),
        _c("payment_type"), _c("installments", INT, min_value=0), _c("amount", M, req=True),
    ), key=("order_id", "payment_sequential")),
    Entity("orders", "returns", (
        _c("return_id", req=True), _c("order_id", req=True), _c("line_no", INT, req=True),
        _c("returned_at", TS, req=True), _c("quantity", INT, req=True, min_value=1),
        _c("reason"),
    ), key=("return_id",), references=(RETURNED_LINE,), rules=(
        # Units returned for a line, up to and including this return (in the order they were
        # returned), may not exceed the units it sold. A line not loaded yet cannot be judged:
        # its return loads, and the facts cap and flag any excess (excess_returned_quantity).
        ("quantity",
         "sold.quantity IS NULL OR sold.quantity < 0 OR quantity IS NULL OR returned_at IS NULL "
         "OR sold.returned_before + sum(quantity) OVER (PARTITION BY order_id, line_no, "
         "len(_errors) = 0 ORDER BY returned_at, _source_line) <= sold.quantity",
         "more units returned than the order line sold (counting the line's earlier returns); "
         "correct the return or the order line and deliver it again"),
    )),
    # Fulfilment (handbook 6.4.2): one row per parcel handed to a carrier. A blank status is
    # `delivered` when the parcel has a delivery time, else `in_transit` (staging).
    Entity("orders", "shipments", (
        _c("shipment_id", req=True), _c("order_id", req=True), _c("shipped_at", TS, req=True),
        _c("promised_at", TS), _c("delivered_at", TS), _c("carrier"),
        _c("status", allowed=SHIPMENT_STATUSES),
        # Optional addition to the v1 contract: when the record last changed (a parcel is
        # delivered again as it moves: in transit, then delivered). Without it the later
        # delivery wins.
        _c("updated_at", TS),
    ), key=("shipment_id",), version_column="updated_at", rules=(
        ("delivered_at", "delivered_at IS NULL OR shipped_at IS NULL OR delivered_at >= shipped_at",
         "delivered before it was shipped; correct the dates and deliver the shipment again"),
        ("delivered_at", "delivered_at IS NULL OR status IS NULL OR lower(trim(status)) "
         "IN ('delivered', 'returned')",
         "a delivery time on a parcel whose status is in transit or lost"),
    )),
    Entity("survey", "responses", (
        _c("response_id", req=True), _c("account_id", req=True),
        _c("submitted_at", TS, req=True), _c("survey_type", req=True, allowed=SURVEY_TYPES),
        _c("score", INT, req=True, min_value=0, max_value=10), _c("order_id"), _c("rep_id"),
        _c("channel"), _c("comment"),
    ), key=("response_id",), rules=(
        ("score", "survey_type <> 'csat' OR score BETWEEN 1 AND 5",
         "a csat score must be 1 to 5"),
    )),
    Entity("survey", "complaints", (
        _c("complaint_id", req=True), _c("account_id", req=True),
        _c("opened_at", TS, req=True), _c("category", req=True), _c("severity"),
        _c("status"), _c("resolved_at", TS), _c("order_id"), _c("rep_id"),
    ), key=("complaint_id",)),
    Entity("plan", "quotas", (
        _c("rep_id", req=True), _c("period", Kind.PERIOD, req=True),
        _c("quota_amount", M, req=True, min_value=0), _c("currency", req=True),
    ), key=("rep_id", "period")),
    Entity("plan", "targets", (
        _c("period", Kind.PERIOD, req=True), _c("metric", req=True, allowed=TARGET_METRICS),
        _c("target_value", R, req=True), _c("scope", default="company"),
    ), key=("period", "metric", "scope")),
    Entity("plan", "fx_rates", (
        _c("rate_date", D, req=True), _c("currency", req=True),
        _c("rate_to_reporting", R, req=True, min_value=0),
    ), key=("rate_date", "currency")),
    Entity("plan", "market_size", (
        _c("period", Kind.PERIOD, req=True), _c("region", req=True),
        _c("market_revenue", M, req=True, min_value=0),
    ), key=("period", "region")),
    Entity("plan", "channel_costs", (
        _c("period", Kind.PERIOD, req=True), _c("channel", req=True),
        _c("cost", M, req=True, min_value=0),
    ), key=("period", "channel")),
    # Finance's manual commission adjustments (PAYOUTS.md): each becomes an `adjustment` line.
    # Without a reason or an approver a row is quarantined like any bad row. The amount may be
    # negative (a deduction).
    Entity("plan", "commission_adjustments", (
        _c("rep_id", req=True), _c("period", Kind.PERIOD, req=True), _c("amount", M, req=True),
        _c("currency", req=True), _c("reason", req=True), _c("approved_by", req=True),
    ), key=("rep_id", "period", "reason")),
)

_BY_NAME = {(e.source, e.name): e for e in ENTITIES}

for _entity in ENTITIES:  # a local-date column must not shadow a contract column
    for _stamp, _local in _entity.local_dates:
        assert _stamp.endswith("_at") and _local not in _entity.column_names, (_entity, _local)


def entity(source: str, name: str) -> Entity:
    try:
        return _BY_NAME[(source, name)]
    except KeyError:
        known = ", ".join(f"{s}/{n}" for s, n in _BY_NAME)
        raise KeyError(f"unknown entity {source}/{name}; the contracts define: {known}") from None


@dataclass
class FileResult:
    """What loading one file did; one row of `audit.load_log`."""

    file_path: str
    content_hash: str
    source: str
    entity: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    # Rows that are not records of the entity (the profile's only_rows_with): read, and
    # neither loaded nor quarantined. rows read = loaded + quarantined + skipped.
    rows_skipped: int = 0
    status: str = "loaded"  # loaded | skipped_duplicate | rejected
    message: str = ""
    load_id: int | None = None
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    mapping_hash: str | None = None  # how the file was read (loader.mapping_fingerprint)
