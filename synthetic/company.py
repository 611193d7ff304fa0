"""A deterministic synthetic company that writes every source contract as landing files.

Two years of a B2B seller: reps in regions under managers (hires, one departure with its accounts
handed over), lead sources that convert differently, opportunities with stage histories (skips
included), seasonal and growing orders through five channels, discounts, cancellations and
returns, surveys and complaints, and the sales-ops plan (quotas, targets, FX, market size,
channel costs). The same `seed` and `scale` always give the same bytes.

Volume streams month by month, so `scale` 200 (about 10 million order lines) never holds more
than one month of orders in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from synthetic.writer import CsvSink, date_text, money_text, timestamp_text

START = date(2024, 11, 1)
MONTHS = 24
END = date(2026, 10, 31)  # last day of data: the default as-of date of the marts
REORG_DAY = date(2025, 7, 1)

REGIONS = ("East", "West", "Central", "EMEA")
REGION_WEIGHTS = np.array([0.32, 0.28, 0.2, 0.2])
REGION_CURRENCY = {"East": "USD", "West": "USD", "Central": "USD", "EMEA": "EUR"}
EUR_PER_USD = 0.92  # price lists in EUR are the USD list at this rate

SEASON = {1: 0.85, 2: 0.9, 3: 1.05, 4: 0.95, 5: 0.95, 6: 1.05,
          7: 0.85, 8: 0.85, 9: 1.05, 10: 1.0, 11: 1.15, 12: 1.3}
ANNUAL_GROWTH = 0.25

SEGMENTS = ("enterprise", "mid_market", "smb")
SEGMENT_WEIGHTS = np.array([0.1, 0.3, 0.6])
SEGMENT_ORDER_WEIGHT = np.array([6.0, 2.5, 1.0])
SEGMENT_QTY = np.array([12.0, 5.0, 2.0])
SEGMENT_DEAL_MEDIAN = np.array([120_000.0, 30_000.0, 8_000.0])
SEGMENT_CYCLE_DAYS = np.array([90.0, 55.0, 30.0])
INDUSTRIES = ("manufacturing", "retail", "healthcare", "finance", "technology", "logistics")

CHANNELS = ("direct", "distributor", "online", "retail", "partner")
CHANNEL_WEIGHTS = np.array([0.45, 0.2, 0.15, 0.1, 0.1])
CHANNEL_PRICE_FACTOR = np.array([0.95, 0.85, 0.97, 1.0, 0.9])
CHANNEL_COST_RATIO = np.array([0.18, 0.08, 0.12, 0.1, 0.1])
CHANNEL_SATISFACTION = np.array([8.3, 7.3, 7.8, 7.4, 7.6])

LEAD_SOURCES = ("web", "paid_search", "event", "referral", "outbound", "partner")
LEAD_SOURCE_WEIGHTS = np.array([0.3, 0.15, 0.1, 0.08, 0.25, 0.12])
LEAD_QUALIFY = np.array([0.35, 0.3, 0.45, 0.7, 0.25, 0.55])
LEAD_CONVERT = np.array([0.5, 0.45, 0.55, 0.75, 0.5, 0.6])
LEAD_WIN = np.array([0.35, 0.32, 0.38, 0.5, 0.28, 0.45])
EXPANSION_WIN = 0.55

# Canonical stages in order, as the CRM displays them (the stage map seed translates them).
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
WON, LOST = "Closed Won", "Closed Lost"
STAGE_PROBABILITY = (0.1, 0.2, 0.5, 0.75)
FORECAST_BY_STAGE = ("pipeline", "pipeline", "best_case", "commit")
LOST_REASONS = ("price", "competitor", "no_decision", "timing", "budget")

CATEGORIES = ("Hardware", "Software", "Services", "Support", "Accessories")
ACTIVITY_TYPES = ("call", "email", "meeting", "visit", "demo")
ACTIVITY_WEIGHTS = np.array([0.35, 0.3, 0.15, 0.12, 0.08])
COMPLAINT_CATEGORIES = ("delivery", "product_quality", "billing", "service")

BASE_ORDERS_PER_MONTH = 700  # at scale 1: about 2,200 order lines a month, 50,000 in all
BASE_LEADS_PER_MONTH = 220
BASE_ACCOUNTS = 1200


@dataclass(frozen=True)
class Month:
    index: int
    start: np.datetime64
    days: int

    @property
    def factor(self) -> float:
        month_of_year = (START.month - 1 + self.index) % 12 + 1
        return (1 + ANNUAL_GROWTH) ** (self.index / 12) * SEASON[month_of_year]

    @property
    def period(self) -> str:
        return str(self.start)[:7]


def months() -> list[Month]:
    out = []
    for i in range(MONTHS):
        start = np.datetime64(START, "M") + i
        first_day, next_first = start.astype("datetime64[D]"), (start + 1).astype("datetime64[D]")
        days = int((next_first - first_day).astype(int))
        out.append(Month(i, start.astype("datetime64[D]"), days))
    return out


END64 = np.datetime64(END, "D")
END_TS = np.datetime64(END, "s") + np.timedelta64(86399, "s")


class Company:
    """The people, customers and products; the monthly streams are generated from them."""

    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed = seed
        self.scale = scale
        self.rng = np.random.default_rng([seed, 0])
        self._make_reps()
        self._make_products()
        self._make_accounts()

    def stream_rng(self, *key: int) -> np.random.Generator:
        """An independent generator per (stream, month), so chunks never depend on each other."""
        return np.random.default_rng([self.seed, *key])

    # -- people -------------------------------------------------------------------------------
    def _make_reps(self) -> None:
        rng = self.rng
        n_ae = max(4, round(4 * math.sqrt(self.scale)))
        n_sdr = max(1, n_ae // 3)
        rows = []
        number = 0

        def add(name_role: str, region: str, manager: str | None, hire: date,
                end: date | None = None) -> str:
            nonlocal number
            number += 1
            rep_id = f"R{number:04d}"
            rows.append({
                "rep_id": rep_id, "rep_name": f"{region} {name_role} {number}", "region": region,
                "role": name_role.lower(), "manager_id": manager, "team": f"{region} team",
                "email": f"rep{number}@example.com", "hire_date": hire, "end_date": end,
            })
            return rep_id

        for region in REGIONS:
            manager = add("Manager", region, None, date(2019, 3, 1))
            for k in range(n_ae):
                # The last AE of each region joins during the two years; the first AE of the
                # West leaves mid-way and hands their accounts to the next one.
                hire = date(2025, 4, 1) if k == n_ae - 1 else date(2020 + k % 4, 1 + k % 12, 1)
                end = date(2025, 8, 31) if (region == "West" and k == 0) else None
                add("AE", region, manager, hire, end)
            for _ in range(n_sdr):
                add("SDR", region, manager, date(2022, 6, 1))
            add("Channel", region, manager, date(2021, 2, 1))
        reps = pd.DataFrame(rows)
        reps["quality"] = rng.normal(0.0, 0.6, len(reps))  # drives satisfaction and win rates
        # A reorganisation on REORG_DAY: two Central AEs start reporting to the East manager.
        central = reps[(reps.region == "Central") & (reps.role == "ae")].index[1:3]
        east_manager = reps[(reps.region == "East") & (reps.role == "manager")].rep_id.iloc[0]
        self.reorg = {reps.rep_id[i]: (reps.manager_id[i], reps.team[i]) for i in central}
        reps.loc[central, "manager_id"] = east_manager
        reps.loc[central, "team"] = "East team"
        self.reps = reps
        self.ae = reps[reps.role == "ae"].reset_index(drop=True)
        self.sdrs_by_region = np.array(
            [reps[(reps.role == "sdr") & (reps.region == r)].rep_id.to_numpy() for r in REGIONS])

    def _assign_owners(self, rng: np.random.Generator, region_idx: np.ndarray,
                       day: np.ndarray) -> np.ndarray:
        """A random AE of the account's region employed on `day` (any AE of it if none is)."""
        owner = np.empty(region_idx.size, dtype=object)
        hire = self.ae.hire_date.map(np.datetime64).to_numpy().astype("datetime64[D]")
        end = self.ae.end_date.map(lambda d: np.datetime64(d) if d else END64).to_numpy()
        end = end.astype("datetime64[D]")
        for r, region in enumerate(REGIONS):
            members = np.flatnonzero(self.ae.region.to_numpy() == region)
            rows = np.flatnonzero(region_idx == r)
            # employed[i, j]: AE j of the region works on account i's day
            employed = (hire[members][None, :] <= day[rows, None]) & \
                (end[members][None, :] >= day[rows, None])
            employed[~employed.any(axis=1)] = True
            weights = employed * rng.random(employed.shape)
            owner[rows] = self.ae.rep_id.to_numpy()[members[weights.argmax(axis=1)]]
        return owner

    # -- catalogue ------------------------------------------------------------------------------
    def _make_products(self) -> None:
        rng = self.rng
        rows = []
        for i in range(24):
            category = CATEGORIES[i % len(CATEGORIES)]
            list_cents = int(round(float(rng.lognormal(math.log(400), 0.9)), -1) * 100)
            cost_cents = int(list_cents * float(rng.uniform(0.35, 0.7)))
            rows.append({"product_id": f"P{i + 1:03d}", "product_name": f"{category} item {i + 1}",
                         "category": category, "list_price": list_cents, "unit_cost": cost_cents,
                         "currency": "USD"})
        self.products = pd.DataFrame(rows)
        weights = rng.uniform(0.5, 2.0, len(rows))
        self.product_weights = weights / weights.sum()

    # -- customers ------------------------------------------------------------------------------
    def _make_accounts(self) -> None:
        rng = self.rng
        n = max(50, round(BASE_ACCOUNTS * self.scale))
        region_idx = rng.choice(len(REGIONS), n, p=REGION_WEIGHTS)
        segment_idx = rng.choice(len(SEGMENTS), n, p=SEGMENT_WEIGHTS)
        # 60 % were customers or prospects before the two years; the rest appear during them.
        before = rng.random(n) < 0.6
        span_before = (np.datetime64(START, "s") - np.datetime64("2021-01-01T00:00:00")).astype(int)
        span_during = (END_TS - np.datetime64(START, "s")).astype(int)
        offset = np.where(before, rng.integers(0, span_before, n),
                          span_before + (rng.random(n) ** 0.8 * span_during).astype(np.int64))
        created = np.datetime64("2021-01-01T00:00:00") + offset.astype("timedelta64[s]")
        order = np.argsort(created, kind="stable")
        region_idx, segment_idx, created = region_idx[order], segment_idx[order], created[order]
        channel_idx = rng.choice(len(CHANNELS), n, p=CHANNEL_WEIGHTS)
        owner = self._assign_owners(rng, region_idx, created.astype("datetime64[D]"))
        handover = []
        # Accounts of a rep who leaves go to the next AE of the region after the end date.
        for rep in self.ae.itertuples():
            if rep.end_date:
                successor = self.ae[(self.ae.region == rep.region)
                                    & (self.ae.rep_id != rep.rep_id)].rep_id.iloc[0]
                handover.append((rep.rep_id, np.datetime64(rep.end_date), successor))
        self.handover = handover
        self.accounts = pd.DataFrame({
            "account_id": [f"A{i + 1:07d}" for i in range(n)],
            "region_idx": region_idx, "segment_idx": segment_idx, "created_at": created,
            "channel_idx": channel_idx, "owner_at_creation": owner,
        })
        current = owner.copy()
        for old, _, new in handover:
            current[current == old] = new
        self.accounts["owner_rep_id"] = current
        self.accounts["industry"] = rng.choice(INDUSTRIES, n)
        self.account_created_day = created.astype("datetime64[D]")

    def random_account(self, rng: np.random.Generator, region_idx: np.ndarray,
                       day: np.ndarray) -> np.ndarray:
        """A random account of each region created on or before `day` (-1 where none is)."""
        out = np.full(region_idx.size, -1)
        created = self.account_created_day
        draws = rng.random(region_idx.size)
        for r in range(len(REGIONS)):
            members = np.flatnonzero(self.accounts.region_idx.to_numpy() == r)  # by creation
            rows = np.flatnonzero(region_idx == r)
            available = np.searchsorted(created[members], day[rows], side="right")
            pick = (draws[rows] * available).astype(np.int64)
            out[rows] = np.where(available > 0, members[np.minimum(pick, len(members) - 1)], -1)
        return out

    def owner_on(self, account_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        owner = self.accounts.owner_at_creation.to_numpy()[account_idx].copy()
        for old, end, new in self.handover:
            owner[(owner == old) & (day > end)] = new
        return owner


def _random_times(rng: np.random.Generator, month: Month, n: int) -> np.ndarray:
    seconds = rng.integers(0, month.days * 86400, n)
    return month.start.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def rep_snapshots(company: Company) -> dict[str, pd.DataFrame]:
    """The reps export as the CRM gave it on three days: before the reorganisation, after it
    (with the spring hires), and at the end (with the leaver's end date). `updated_at` says
    when each record last changed, so the warehouse can replay the hierarchy month by month."""
    final = company.reps.drop(columns=["quality"]).copy()
    hired = final.hire_date.map(lambda d: np.datetime64(d))
    snapshots = {}
    for day in (START, REORG_DAY, END):
        reps = final[hired <= np.datetime64(day)].copy()
        reps["updated_at"] = reps.hire_date.map(lambda d: f"{d} 00:00:00")
        for rep_id, (manager, team) in company.reorg.items():
            moved = reps.rep_id == rep_id
            if day < REORG_DAY:
                reps.loc[moved, ["manager_id", "team"]] = [manager, team]
            else:
                reps.loc[moved, "updated_at"] = f"{REORG_DAY} 09:00:00"
        left = np.array([d is not None and d <= day for d in reps.end_date], dtype=bool)
        reps.loc[left, "updated_at"] = reps.end_date[left].map(lambda d: f"{d} 17:00:00")
        reps["end_date"] = [str(d) if ok else "" for d, ok in zip(reps.end_date, left,
                                                                   strict=True)]
        reps["hire_date"] = reps.hire_date.map(str)
        snapshots[f"{day}.csv"] = reps
    return snapshots


def write_people_and_catalogue(company: Company, sink: CsvSink) -> None:
    for name, reps in rep_snapshots(company).items():
        sink.write_file("crm", "reps", name, reps)
    acc = company.accounts
    rng = company.stream_rng(1)
    phones = rng.integers(2_000_000, 9_999_999, len(acc))
    sink.write("crm", "accounts", pd.DataFrame({
        "account_id": acc.account_id,
        "account_name": [f"Customer {i + 1} Ltd" for i in range(len(acc))],
        "region": np.array(REGIONS)[acc.region_idx],
        "created_at": timestamp_text(acc.created_at.to_numpy()),
        "industry": acc.industry,
        "size_segment": np.array(SEGMENTS)[acc.segment_idx],
        "country": np.where(acc.region_idx == 3, "DE", "US"),
        "owner_rep_id": acc.owner_rep_id,
        "contact_email": [f"buyer{i + 1}@customer.example" for i in range(len(acc))],
        "contact_phone": [f"+1-555-{p}" for p in phones],
    }))
    products = company.products.copy()
    products["list_price"] = money_text(products.list_price.to_numpy())
    products["unit_cost"] = money_text(products.unit_cost.to_numpy())
    sink.write("orders", "products", products)


def write_pipeline_month(company: Company, sink: CsvSink, month: Month) -> pd.DataFrame:
    """Leads created this month, the opportunities they and existing customers open, with stage
    history. Returns the won opportunities (they become orders in their close month)."""
    rng = company.stream_rng(2, month.index)
    n = int(rng.poisson(BASE_LEADS_PER_MONTH * company.scale * month.factor))
    source = rng.choice(len(LEAD_SOURCES), n, p=LEAD_SOURCE_WEIGHTS)
    region = rng.choice(len(REGIONS), n, p=REGION_WEIGHTS)
    created = _random_times(rng, month, n)
    qualified_at = created + (rng.uniform(1, 14, n) * 86400).astype("timedelta64[s]")
    converted_at = qualified_at + (rng.uniform(1, 10, n) * 86400).astype("timedelta64[s]")
    qualifies = (rng.random(n) < LEAD_QUALIFY[source]) & (qualified_at <= END_TS)
    converts = qualifies & (rng.random(n) < LEAD_CONVERT[source]) & (converted_at <= END_TS)
    age_days = (END_TS - created).astype("timedelta64[D]").astype(int)
    status = np.where(converts, "converted", np.where(
        qualifies, "qualified", np.where(age_days > 30, "disqualified",
                                         np.where(age_days > 5, "working", "new"))))
    sdr_table = company.sdrs_by_region  # [region, k] -> rep_id; every region has the same count
    owner = sdr_table[region, rng.integers(0, sdr_table.shape[1], n)]
    lead_ids = np.array([f"L{month.index:02d}{i:06d}" for i in range(n)], dtype=object)
    opp_ids = np.where(converts, np.char.add("OP", lead_ids.astype(str)), "")
    # Converted leads land on an account of their region created before the conversion.
    acc_created = company.account_created_day
    lead_account = company.random_account(rng, region, converted_at.astype("datetime64[D]"))
    lead_account[~converts] = -1
    account_ids = company.accounts.account_id.to_numpy()
    sink.write("crm", "leads", pd.DataFrame({
        "lead_id": lead_ids,
        "created_at": timestamp_text(created),
        "source": np.array(LEAD_SOURCES)[source],
        "status": status,
        "owner_rep_id": owner,
        "account_id": np.where(lead_account >= 0, account_ids[np.maximum(lead_account, 0)], ""),
        "score": rng.integers(1, 100, n),
        "qualified_at": np.where(qualifies, timestamp_text(qualified_at), ""),
        "converted_at": np.where(converts, timestamp_text(converted_at), ""),
        "opportunity_id": opp_ids,
        # The campaign that brought the lead: its source's campaign of the quarter.
        "campaign": [f"{LEAD_SOURCES[s]}-{month.period[:4]}Q{(int(month.period[5:7]) + 2) // 3}"
                     for s in source],
    }))

    # Opportunities: from converted leads, plus expansion deals with existing customers.
    conv = np.flatnonzero(converts & (lead_account >= 0))
    n_exp = int(rng.poisson(0.6 * max(1, conv.size)))
    exp_created = _random_times(rng, month, n_exp)
    exp_account = rng.integers(0, len(company.accounts), n_exp)
    exp_account = exp_account[acc_created[exp_account] <= exp_created.astype("datetime64[D]")]
    exp_created = exp_created[: exp_account.size]
    opp = pd.DataFrame({
        "opportunity_id": np.concatenate([opp_ids[conv].astype(str),
                                          [f"OX{month.index:02d}{i:06d}"
                                           for i in range(exp_account.size)]]),
        "account_idx": np.concatenate([lead_account[conv], exp_account]),
        "created": np.concatenate([converted_at[conv], exp_created]),
        "lead_id": np.concatenate([lead_ids[conv].astype(str), np.full(exp_account.size, "")]),
        "win_p": np.concatenate([LEAD_WIN[source[conv]], np.full(exp_account.size,
                                                                  EXPANSION_WIN)]),
    })
    return write_opportunities(company, sink, rng, opp)


def write_opportunities(company: Company, sink: CsvSink, rng: np.random.Generator,
                        opp: pd.DataFrame) -> pd.DataFrame:
    n = len(opp)
    acc = company.accounts
    a = opp.account_idx.to_numpy()
    created = opp.created.to_numpy().astype("datetime64[s]")
    owner = company.owner_on(a, created.astype("datetime64[D]"))
    quality = company.reps.set_index("rep_id").quality.reindex(owner).to_numpy()
    segment = acc.segment_idx.to_numpy()[a]
    region = acc.region_idx.to_numpy()[a]
    currency = np.where(region == 3, "EUR", "USD")
    won = rng.random(n) < np.clip(opp.win_p.to_numpy() + 0.05 * quality, 0.05, 0.95)
    cycle = rng.lognormal(np.log(SEGMENT_CYCLE_DAYS[segment]), 0.4)
    close_at = created + (cycle * 86400).astype("timedelta64[s]")
    is_open = close_at > END_TS
    amount = np.round(rng.lognormal(np.log(SEGMENT_DEAL_MEDIAN[segment]), 0.5), -1)
    amount_cents = (amount * 100).astype(np.int64)
    product = rng.choice(len(company.products), n, p=company.product_weights)
    # Furthest stage reached before the end: won deals pass all four, lost ones stop early,
    # open ones are as far along as the time elapsed allows.
    last_stage = np.where(won, 3, rng.integers(0, 4, n))
    elapsed = np.clip((END_TS - created).astype(float) / np.maximum(1, (close_at - created)
                                                                     .astype(float)), 0, 1)
    last_stage = np.where(is_open, np.minimum(last_stage, (elapsed * 4).astype(int)), last_stage)
    skip = rng.random(n) < 0.1  # some deals jump a stage (qualification or proposal)
    skipped_stage = rng.integers(1, 3, n)
    history_opp, history_stage, history_at = [], [], []
    last_entered = created.copy()
    span = (close_at - created).astype(np.int64)
    for k, stage in enumerate(STAGES):
        reached = last_stage >= k
        if k > 0:
            reached &= ~(skip & (skipped_stage == k) & (last_stage > k))
        at = created + (span * k // 5).astype("timedelta64[s]")
        idx = np.flatnonzero(reached)
        history_opp.append(opp.opportunity_id.to_numpy()[idx])
        history_stage.append(np.full(idx.size, stage))
        history_at.append(at[idx])
        last_entered[idx] = at[idx]
    closed = np.flatnonzero(~is_open)
    final_stage = np.where(won, WON, LOST)
    history_opp.append(opp.opportunity_id.to_numpy()[closed])
    history_stage.append(final_stage[closed])
    history_at.append(close_at[closed])
    last_entered[closed] = close_at[closed]
    stage_idx = np.minimum(last_stage, 3)
    stage = np.where(is_open, np.array(STAGES)[stage_idx], final_stage)
    probability = np.where(is_open, np.array(STAGE_PROBABILITY)[stage_idx],
                           np.where(won, 1.0, 0.0))
    forecast = np.where(is_open, np.array(FORECAST_BY_STAGE)[stage_idx],
                        np.where(won, "commit", "omitted"))
    blank_amount = is_open & (rng.random(n) < 0.08)
    blank_account = is_open & (rng.random(n) < 0.05)
    channel = np.where(rng.random(n) < 0.15, "partner", "direct")
    frame = pd.DataFrame({
        "opportunity_id": opp.opportunity_id,
        "owner_rep_id": owner,
        "created_at": timestamp_text(created),
        "stage": stage,
        "account_id": np.where(blank_account, "", acc.account_id.to_numpy()[a]),
        "amount": np.where(blank_amount, "", money_text(amount_cents)),
        "currency": currency,
        "close_date": np.where(is_open, date_text(
            np.minimum(close_at, END_TS + np.timedelta64(365, "D")).astype("datetime64[D]")),
            date_text(close_at.astype("datetime64[D]"))),
        "updated_at": timestamp_text(last_entered),
        "channel": channel,
        "product_id": company.products.product_id.to_numpy()[product],
        "product_category": company.products.category.to_numpy()[product],
        "forecast_category": forecast,
        "probability": [f"{p:.2f}" for p in probability],
        "lead_id": opp.lead_id,
        "lost_reason": np.where(~is_open & ~won, rng.choice(LOST_REASONS, n), ""),
        "is_deleted": np.where(rng.random(n) < 0.005, "true", "false"),
    })
    sink.write("crm", "opportunities", frame)
    sink.write("crm", "opportunity_stage_history", pd.DataFrame({
        "opportunity_id": np.concatenate(history_opp),
        "stage": np.concatenate(history_stage),
        "entered_at": timestamp_text(np.concatenate(history_at)),
    }))
    won_rows = ~is_open & won & (frame.is_deleted.to_numpy() == "false")
    return pd.DataFrame({
        "opportunity_id": frame.opportunity_id.to_numpy()[won_rows],
        "account_idx": a[won_rows],
        "rep_id": owner[won_rows],
        "close_day": close_at[won_rows].astype("datetime64[D]"),
        "amount_cents": amount_cents[won_rows],
        "product_idx": product[won_rows],
        "channel": channel[won_rows],
    })


def write_activities_month(company: Company, sink: CsvSink, month: Month) -> None:
    rng = company.stream_rng(5, month.index)
    reps = company.reps[company.reps.role.isin(["ae", "sdr"])]
    frames = []
    month_end = month.start + month.days - 1
    for rep in reps.itertuples():
        hire = np.datetime64(rep.hire_date)
        end = np.datetime64(rep.end_date) if rep.end_date else END64
        if hire > month_end or end < month.start:
            continue
        n = int(rng.poisson(45 if rep.role == "ae" else 70))
        when = _random_times(rng, month, n)
        when = when[(when.astype("datetime64[D]") >= hire) & (when.astype("datetime64[D]") <= end)]
        n = when.size
        region_idx = REGIONS.index(rep.region)
        accounts = np.flatnonzero(company.accounts.region_idx.to_numpy() == region_idx)
        kinds = (rng.choice(len(ACTIVITY_TYPES), n, p=ACTIVITY_WEIGHTS) if rep.role == "ae"
                 else rng.choice(2, n))
        frames.append(pd.DataFrame({
            "rep_id": rep.rep_id,
            "type": np.array(ACTIVITY_TYPES)[kinds],
            "occurred_at": when,
            "account_id": company.accounts.account_id.to_numpy()[
                accounts[rng.integers(0, accounts.size, n)]],
        }))
    if not frames:
        return
    acts = pd.concat(frames, ignore_index=True).sort_values(["occurred_at", "rep_id"],
                                                            kind="stable")
    acts.insert(0, "activity_id", [f"AC{month.index:02d}{i:07d}" for i in range(len(acts))])
    acts["occurred_at"] = timestamp_text(acts.occurred_at.to_numpy())
    acts["opportunity_id"] = ""
    sink.write("crm", "activities", acts)
