"""The order system and survey tool of the synthetic company, one month at a time.

Run-rate orders come from customers weighted by size through their usual channel (sometimes
another one: channel conflict); won deals become an order on their close date. Lines carry
channel prices and discounts; some orders are cancelled, the others ship in one parcel or
two and mostly arrive by the promised date; some lines are returned (a few after the 90-day
clawback window), and delivered orders draw NPS/CSAT responses (lower after a late delivery)
and complaints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthetic.company import (
    BASE_ORDERS_PER_MONTH,
    CHANNEL_PRICE_FACTOR,
    CHANNEL_SATISFACTION,
    CHANNELS,
    COMPLAINT_CATEGORIES,
    END_TS,
    EUR_PER_USD,
    REGIONS,
    SEGMENT_ORDER_WEIGHT,
    SEGMENT_QTY,
    Company,
    Month,
)
from synthetic.writer import CsvSink, date_text, money_text, timestamp_text

CARRIERS = ("DHL", "UPS", "FedEx", "Regional Express")
CARRIER_SHARE = np.array([0.35, 0.30, 0.20, 0.15])
CARRIER_EXTRA_DAYS = np.array([0.0, 0.3, 0.0, 1.6])  # the regional courier is slower
# Days from order to the delivery promised to the customer, by channel (direct, distributor,
# online, retail, partner): business customers are promised eight days, consumers six.
PROMISE_DAYS = np.array([8, 8, 6, 6, 8])

COMMENTS = ("", "", "", "Great service, thanks", 'Delivery was "late" again',
            "Good value; will reorder", "Support took too long, but solved it")


@dataclass
class Totals:
    """Approximate USD figures the plan is set from (quotas, targets, market size)."""

    rep: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    channel: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    region: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    new_customers: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class OrderBook:
    def __init__(self, company: Company, sink: CsvSink) -> None:
        self.company = company
        self.sink = sink
        # Won deals waiting for their order; typed even while empty (a small company may win
        # nothing in its first months).
        self.pending = pd.DataFrame({
            "account_idx": pd.Series(dtype=np.int64), "close_day": pd.Series(dtype="datetime64[s]"),
            "channel": pd.Series(dtype=object), "rep_id": pd.Series(dtype=object),
            "opportunity_id": pd.Series(dtype=object), "product_idx": pd.Series(dtype=np.int64),
            "amount_cents": pd.Series(dtype=np.int64)})
        self.order_seq = 0
        self.return_seq = 0
        self.response_seq = 0
        self.complaint_seq = 0
        self.shipment_seq = 0
        self.seen_customer = np.zeros(len(company.accounts), dtype=bool)
        self.totals = Totals()
        reps = company.reps
        self.channel_rep = np.array(
            [reps[(reps.role == "channel") & (reps.region == r)].rep_id.iloc[0] for r in REGIONS],
            dtype=object)
        self.rep_quality = reps.set_index("rep_id").quality

    def add_won_deals(self, won: pd.DataFrame) -> None:
        if len(won):
            self.pending = won if self.pending.empty else pd.concat([self.pending, won],
                                                                    ignore_index=True)

    def _due(self, month: Month) -> pd.DataFrame:
        if self.pending.empty:
            return self.pending.iloc[0:0]
        month_end = month.start + month.days - 1
        due = self.pending.close_day.to_numpy() <= month_end
        out, self.pending = self.pending[due], self.pending[~due].reset_index(drop=True)
        return out.reset_index(drop=True)

    def write_month(self, month: Month) -> None:
        company, rng = self.company, self.company.stream_rng(3, month.index)
        acc = company.accounts
        month_end = month.start + month.days - 1
        eligible = int(np.searchsorted(company.account_created_day, month_end, side="right"))
        n = int(rng.poisson(BASE_ORDERS_PER_MONTH * company.scale * month.factor))
        weights = SEGMENT_ORDER_WEIGHT[acc.segment_idx.to_numpy()[:eligible]]
        account = rng.choice(eligible, n, p=weights / weights.sum())
        day = month.start + rng.integers(0, month.days, n)
        day = np.maximum(day, company.account_created_day[account])
        primary = acc.channel_idx.to_numpy()[account]
        channel = np.where(rng.random(n) < 0.85, primary, rng.integers(0, len(CHANNELS), n))
        deals = self._due(month)
        # One line per run-rate order is a product draw; won deals carry their own product.
        n_lines = rng.geometric(0.45, n).clip(1, 8)
        order_account = np.concatenate([account, deals.account_idx.to_numpy(dtype=np.int64)])
        order_day = np.concatenate([day, deals.close_day.to_numpy(dtype="datetime64[D]")])
        order_channel = np.concatenate([
            channel, np.where(deals.channel.to_numpy() == "partner", 4, 0).astype(np.int64)])
        n_orders = order_account.size
        region = acc.region_idx.to_numpy()[order_account]
        owner = company.owner_on(order_account, order_day)
        if len(deals):
            owner[n:] = deals.rep_id.to_numpy()
        rep = np.where(order_channel == 0, owner, np.where(
            np.isin(order_channel, (1, 4)), self.channel_rep[region], ""))
        rep = np.where(np.arange(n_orders) >= n, owner, rep)  # a won deal's order is its owner's
        order_ids = np.array([f"SO{self.order_seq + i + 1:09d}" for i in range(n_orders)])
        self.order_seq += n_orders
        cancelled = rng.random(n_orders) < 0.03
        # What the order system says follows from its parcels (_shipments).
        shipped, delivered, late = self._shipments(month, order_ids, order_day, order_channel,
                                                   cancelled)
        status = np.where(cancelled, "cancelled", np.where(
            ~shipped, "placed", np.where(delivered, "delivered", "shipped")))
        updated = order_day.astype("datetime64[s]") + rng.integers(
            0, 10 * 86400, n_orders).astype("timedelta64[s]")
        updated = np.minimum(updated, END_TS)
        currency = np.where(region == 3, "EUR", "USD")
        self.sink.write("orders", "orders", pd.DataFrame({
            "order_id": order_ids,
            "account_id": acc.account_id.to_numpy()[order_account],
            "order_date": date_text(order_day),
            "channel": np.array(CHANNELS)[order_channel],
            "status": status,
            "currency": currency,
            "updated_at": timestamp_text(updated),
            "rep_id": rep,
            "opportunity_id": np.concatenate([np.full(n, ""),
                                              deals.opportunity_id.to_numpy(dtype=str)]),
        }))
        lines = self._lines(rng, n, n_lines, deals, order_account, order_channel, currency)
        lines["order_idx"] = lines.order_idx.astype(np.int64)
        self.sink.write("orders", "order_lines", pd.DataFrame({
            "order_id": order_ids[lines.order_idx],
            "line_no": lines.line_no,
            "product_id": company.products.product_id.to_numpy()[lines.product_idx],
            "quantity": lines.quantity,
            "unit_price": money_text(lines.price_cents.to_numpy()),
            "discount_amount": money_text(lines.discount_cents.to_numpy()),
        }))
        self._payments(rng, lines, order_ids, order_channel, cancelled)
        returned_order = self._returns(rng, lines, order_ids, order_day, delivered)
        self._surveys(rng, order_ids, order_account, order_day, order_channel, rep, delivered,
                      returned_order, late)
        self._tally(month, lines, order_account, order_channel, region, rep, cancelled,
                    currency)

    def _lines(self, rng: np.random.Generator, n_runrate: int, n_lines: np.ndarray,
               deals: pd.DataFrame, order_account: np.ndarray, order_channel: np.ndarray,
               currency: np.ndarray) -> pd.DataFrame:
        company = self.company
        order_idx = np.repeat(np.arange(n_runrate), n_lines)
        starts = np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
        line_no = np.arange(order_idx.size) - starts + 1
        product = rng.choice(len(company.products), order_idx.size, p=company.product_weights)
        segment = company.accounts.segment_idx.to_numpy()[order_account[order_idx]]
        quantity = 1 + rng.poisson(SEGMENT_QTY[segment] - 1)
        list_cents = company.products.list_price.to_numpy()[product]
        fx = np.where(currency[order_idx] == "EUR", EUR_PER_USD, 1.0)
        price = np.round(list_cents * CHANNEL_PRICE_FACTOR[order_channel[order_idx]] * fx)
        if len(deals):  # a won deal: one line priced so that it adds up to the deal amount
            d_idx = np.arange(n_runrate, n_runrate + len(deals))
            d_product = deals.product_idx.to_numpy(dtype=np.int64)
            d_list = company.products.list_price.to_numpy()[d_product]
            d_qty = np.maximum(1, np.round(deals.amount_cents.to_numpy() / d_list)).astype(int)
            d_price = np.round(deals.amount_cents.to_numpy() / d_qty)
            order_idx = np.concatenate([order_idx, d_idx])
            line_no = np.concatenate([line_no, np.ones(len(deals), dtype=int)])
            product = np.concatenate([product, d_product])
            quantity = np.concatenate([quantity, d_qty])
            price = np.concatenate([price, d_price])
        price = price.astype(np.int64)
        gross = quantity * price
        discounted = rng.random(order_idx.size) < 0.25
        discount = np.where(discounted, np.round(gross * rng.uniform(0.02, 0.12, gross.size)),
                            0).astype(np.int64)
        return pd.DataFrame({"order_idx": order_idx, "line_no": line_no, "product_idx": product,
                             "quantity": quantity, "price_cents": price,
                             "discount_cents": discount})

    def _payments(self, rng: np.random.Generator, lines: pd.DataFrame, order_ids: np.ndarray,
                  channel: np.ndarray, cancelled: np.ndarray) -> None:
        """Online and retail orders are paid by card at once; the others on invoice."""
        net = (lines.quantity * lines.price_cents - lines.discount_cents).groupby(
            lines.order_idx).sum()
        paid = net.index.to_numpy()[~cancelled[net.index.to_numpy()]]
        kind = np.where(np.isin(channel[paid], (2, 3)), "card", "invoice")
        self.sink.write("orders", "payments", pd.DataFrame({
            "order_id": order_ids[paid], "payment_sequential": 1, "payment_type": kind,
            "installments": np.where(kind == "card", rng.integers(1, 4, paid.size), 1),
            "amount": money_text(net.loc[paid].to_numpy()),
        }))

    def _returns(self, rng: np.random.Generator, lines: pd.DataFrame, order_ids: np.ndarray,
                 order_day: np.ndarray, delivered: np.ndarray) -> np.ndarray:
        idx = lines.order_idx.to_numpy()
        pick = delivered[idx] & (rng.random(len(lines)) < 0.04)
        qty = lines.quantity.to_numpy()
        # Most returns come within weeks; the long tail passes the 90-day clawback window.
        after = (1 + rng.exponential(25, len(lines))) * 86400
        when = order_day[idx].astype("datetime64[s]") + after.astype("timedelta64[s]")
        pick &= when <= END_TS
        chosen = np.flatnonzero(pick)
        returned_qty = np.array([int(rng.integers(1, q + 1)) for q in qty[chosen]], dtype=int)
        ids = [f"RT{self.return_seq + i + 1:08d}" for i in range(chosen.size)]
        self.return_seq += chosen.size
        self.sink.write("orders", "returns", pd.DataFrame({
            "return_id": ids,
            "order_id": order_ids[idx[chosen]],
            "line_no": lines.line_no.to_numpy()[chosen],
            "returned_at": timestamp_text(when[chosen]),
            "quantity": returned_qty,
            "reason": rng.choice(["damaged", "wrong_item", "not_needed", "quality"], chosen.size),
        }))
        returned_order = np.zeros(order_ids.size, dtype=bool)
        returned_order[idx[chosen]] = True
        return returned_order

    def _surveys(self, rng: np.random.Generator, order_ids: np.ndarray, account: np.ndarray,
                 day: np.ndarray, channel: np.ndarray, rep: np.ndarray, delivered: np.ndarray,
                 returned: np.ndarray, late: np.ndarray) -> None:
        company = self.company
        n = order_ids.size
        quality = self.rep_quality.reindex(rep).fillna(0.0).to_numpy()
        # A return or a late delivery leaves the customer less satisfied.
        latent = (CHANNEL_SATISFACTION[channel] + quality + rng.normal(0, 1.6, n)
                  - 2.0 * returned - 1.5 * late)
        frames = []
        for survey, share, score in (
            ("nps", 0.12, np.clip(np.round(latent), 0, 10)),
            ("csat", 0.18, np.clip(np.round(1 + latent * 0.45 - 0.4), 1, 5)),
        ):
            chosen = np.flatnonzero(delivered & (rng.random(n) < share))
            when = day[chosen].astype("datetime64[s]") + (
                rng.uniform(3, 20, chosen.size) * 86400).astype("timedelta64[s]")
            keep = when <= END_TS
            chosen, when = chosen[keep], when[keep]
            frames.append(pd.DataFrame({
                "account_id": company.accounts.account_id.to_numpy()[account[chosen]],
                "submitted_at": when, "survey_type": survey,
                "score": score[chosen].astype(int), "order_id": order_ids[chosen],
                "rep_id": rep[chosen], "channel": np.array(CHANNELS)[channel[chosen]],
                "comment": rng.choice(COMMENTS, chosen.size),
            }))
        responses = pd.concat(frames, ignore_index=True).sort_values(
            ["submitted_at", "order_id", "survey_type"], kind="stable")
        responses.insert(0, "response_id", [f"SR{self.response_seq + i + 1:08d}"
                                            for i in range(len(responses))])
        self.response_seq += len(responses)
        responses["submitted_at"] = timestamp_text(responses.submitted_at.to_numpy())
        self.sink.write("survey", "responses", responses)

        chosen = np.flatnonzero(rng.random(n) < 0.015 + 0.3 * returned)
        opened = day[chosen].astype("datetime64[s]") + (
            rng.uniform(1, 30, chosen.size) * 86400).astype("timedelta64[s]")
        keep = opened <= END_TS
        chosen, opened = chosen[keep], opened[keep]
        hours = rng.lognormal(np.log(30), 1.0, chosen.size)
        resolved = opened + (hours * 3600).astype("timedelta64[s]")
        is_resolved = (rng.random(chosen.size) < 0.85) & (resolved <= END_TS)
        ids = [f"CP{self.complaint_seq + i + 1:07d}" for i in range(chosen.size)]
        self.complaint_seq += chosen.size
        self.sink.write("survey", "complaints", pd.DataFrame({
            "complaint_id": ids,
            "account_id": company.accounts.account_id.to_numpy()[account[chosen]],
            "opened_at": timestamp_text(opened),
            "category": rng.choice(COMPLAINT_CATEGORIES, chosen.size),
            "severity": rng.choice(["low", "medium", "high"], chosen.size, p=[0.5, 0.35, 0.15]),
            "status": np.where(is_resolved, "resolved", "open"),
            "resolved_at": np.where(is_resolved, timestamp_text(resolved), ""),
            "order_id": order_ids[chosen],
            "rep_id": rep[chosen],
        }))

    def _shipments(self, month: Month, order_ids: np.ndarray, order_day: np.ndarray,
                   channel: np.ndarray, cancelled: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Parcels of the month's orders (one each, two for some), handed to a carrier a few
        days after the order and delivered days later, mostly by the promised date; a few
        are lost or sent back. Returns per order: shipped, delivered (every parcel), late (a
        parcel delivered after the promise, or lost)."""
        rng = self.company.stream_rng(12, month.index)
        n = order_ids.size
        parcels = np.where(rng.random(n) < 0.08, 2, 1)
        order_idx = np.repeat(np.arange(n), parcels)
        second = np.concatenate([[False], order_idx[1:] == order_idx[:-1]])
        m = order_idx.size
        lag = (rng.geometric(0.55, m) - 1).clip(0, 6) + np.isin(channel[order_idx], (0, 1))
        lag = lag + np.where(second, rng.integers(1, 4, m), 0)
        shipped_at = (order_day[order_idx].astype("datetime64[s]")
                      + (lag * 86400 + rng.integers(8 * 3600, 18 * 3600, m))
                      .astype("timedelta64[s]"))
        carrier = rng.choice(len(CARRIERS), m, p=CARRIER_SHARE)
        transit = 1 + rng.gamma(2.0, 1.3, m) + CARRIER_EXTRA_DAYS[carrier]
        delivered_at = shipped_at + (transit * 86400).astype("timedelta64[s]")
        promised = order_day[order_idx] + PROMISE_DAYS[channel[order_idx]]
        outcome = rng.random(m)
        lost, sent_back = outcome < 0.006, (outcome >= 0.006) & (outcome < 0.01)
        exists = ~cancelled[order_idx] & (shipped_at <= END_TS)
        arrived = exists & ~lost & ~sent_back & (delivered_at <= END_TS)
        status = np.where(lost, "lost", np.where(sent_back, "returned", np.where(
            arrived, "delivered", "in_transit")))
        updated = np.where(arrived, delivered_at, shipped_at)
        keep = np.flatnonzero(exists)
        ids = [f"SH{self.shipment_seq + i + 1:09d}" for i in range(keep.size)]
        self.shipment_seq += keep.size
        self.sink.write("orders", "shipments", pd.DataFrame({
            "shipment_id": ids,
            "order_id": order_ids[order_idx[keep]],
            "shipped_at": timestamp_text(shipped_at[keep]),
            "promised_at": date_text(promised[keep]),
            "delivered_at": np.where(arrived[keep], timestamp_text(delivered_at[keep]), ""),
            "carrier": np.array(CARRIERS)[carrier[keep]],
            "status": status[keep],
            "updated_at": timestamp_text(updated[keep]),
        }))
        late_parcel = exists & (lost | (arrived & (delivered_at.astype("datetime64[D]")
                                                   > promised)))
        shipped = np.zeros(n, dtype=bool)
        shipped[order_idx[exists]] = True
        not_arrived = np.zeros(n, dtype=bool)
        not_arrived[order_idx[exists & ~arrived]] = True
        late = np.zeros(n, dtype=bool)
        late[order_idx[late_parcel]] = True
        return shipped, shipped & ~not_arrived, late

    def _tally(self, month: Month, lines: pd.DataFrame, account: np.ndarray,
               channel: np.ndarray, region: np.ndarray, rep: np.ndarray,
               cancelled: np.ndarray, currency: np.ndarray) -> None:
        idx = lines.order_idx.to_numpy()
        net = (lines.quantity * lines.price_cents - lines.discount_cents).to_numpy() / 100.0
        net = np.where(currency[idx] == "EUR", net / EUR_PER_USD, net)
        net = np.where(cancelled[idx], 0.0, net)
        frame = pd.DataFrame({"rep": rep[idx], "channel": channel[idx], "region": region[idx],
                              "net": net})
        for key, value in frame.groupby("rep").net.sum().items():
            if key:
                self.totals.rep[(key, month.period)] += float(value)
        for key, value in frame.groupby("channel").net.sum().items():
            self.totals.channel[(CHANNELS[int(key)], month.period)] += float(value)
        for key, value in frame.groupby("region").net.sum().items():
            self.totals.region[(REGIONS[int(key)], month.period)] += float(value)
        buyers = np.unique(account[~cancelled])
        new = buyers[~self.seen_customer[buyers]]
        self.seen_customer[new] = True
        self.totals.new_customers[month.period] += int(new.size)
