"""The payout rules of PAYOUTS.md as plain Python over `Decimal`: credit, quota, tiers, caps,
SPIFFs and contests, manager overrides, adjustments, clawbacks into the first open period, and
draws. No Dagster, no database: the adapter (orchestration/assets/payouts.py) reads the inputs
with SQL and writes the result.

Money is never a float. Amounts are exact until a line's amount is rounded, once, with the
plan's rounding mode; totals are sums of rounded lines. Periods are months (YYYY-MM); a quarter
plan measures attainment over its quarter and posts commission in the quarter's last month.

Locked periods are never recomputed into the output: their frozen lines are returned verbatim.
They are recomputed only to find what changed since they were locked; the difference goes to
`clawback` lines in the first open period after them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from models_py.payouts.plans import PlanVersion, plan_for

CENT = Decimal("0.01")
ZERO = Decimal(0)
EARNED_TYPES = ("commission", "cap", "spiff", "contest", "override")  # recomputed on a change
DRAW_TYPES = ("draw", "draw_recovery")
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
EXACT = Context(prec=60)  # far beyond any amount: products and quotients stay exact enough


# -- inputs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credit:
    """One order (net_revenue basis) or won deal (bookings basis) credited to a rep."""

    rep_id: str
    source_ref: str  # order id or opportunity id
    day: date  # order date or close date: picks the plan and the period
    amount: Decimal  # in the reporting currency


@dataclass(frozen=True)
class Return:
    rep_id: str
    order_id: str
    order_day: date
    return_day: date
    amount: Decimal  # value of the units returned, reporting currency, positive


@dataclass(frozen=True)
class RepMonth:
    """A rep as they stood in a month (the reps file's history)."""

    rep_id: str
    month: str
    role: str | None
    manager_id: str | None
    employed: bool = True


@dataclass(frozen=True)
class NewCustomer:
    """An account's first-ever order."""

    account_id: str
    order_id: str
    rep_id: str
    day: date


@dataclass(frozen=True)
class Adjustment:
    rep_id: str
    period: str
    amount: Decimal
    currency: str
    reason: str
    approved_by: str
    ref: str  # where it came from: file and line


@dataclass(frozen=True)
class Line:
    plan_id: str
    plan_version: str
    rep_id: str
    period: str
    line_type: str
    source_ref: str
    basis_amount: Decimal | None
    rate: Decimal | None
    amount: Decimal
    currency: str
    detail: str  # JSON, keys sorted
    period_status: str = "open"
    run_id: str = ""  # the build that computed it (a locked line keeps its own)


@dataclass(frozen=True)
class Issue:
    """A row of finance.commission_exceptions."""

    rep_id: str
    period: str
    kind: str  # no_quota | no_plan | quota_currency | adjustment_without_plan | ...
    detail: str
    amount: Decimal | None = None
    blocking: bool = True  # fails the payout checks


@dataclass
class Inputs:
    plans: list[PlanVersion]
    periods: list[str]  # every month to pay, in order
    reps: dict[tuple[str, str], RepMonth]  # (rep_id, month)
    credits: dict[str, list[Credit]]  # basis -> credits
    returns: list[Return] = field(default_factory=list)
    quotas: dict[tuple[str, str], tuple[Decimal, str]] = field(default_factory=dict)
    new_customers: list[NewCustomer] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    reporting_currency: str = "USD"
    # Units of the reporting currency per unit of `currency` on `day`; None when unknown.
    fx: Callable[[str, date], Decimal | None] = lambda currency, day: None
    locked_lines: dict[str, list[Line]] = field(default_factory=dict)  # period -> frozen lines
    # (period, rep_id, source_ref) -> credit (plan currency) as it stood when the period locked
    locked_credits: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Standing:
    """A rep's month under their plan: the month's credit (plan currency), and the quota and
    attainment of the attainment period that closes in it (None when it closes later, or
    when there is no quota)."""

    plan: PlanVersion
    credit: Decimal
    quota: Decimal | None
    attainment: Decimal | None


@dataclass
class Result:
    lines: list[Line]
    issues: list[Issue]
    credits: dict[tuple[str, str, str], Decimal]  # (period, rep_id, source_ref) -> credit
    standing: dict[tuple[str, str], Standing]  # (rep_id, period), open periods


# -- small rules -------------------------------------------------------------------------------

def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def quarter_months(month: str) -> list[str]:
    year, m = int(month[:4]), int(month[5:7])
    start = (m - 1) // 3 * 3 + 1
    return [f"{year:04d}-{start + i:02d}" for i in range(3)]


def round_money(amount: Decimal, mode: str) -> Decimal:
    """Once per line: half_up is away from zero (-2.345 -> -2.35); half_even is banker's."""
    return amount.quantize(CENT, rounding=ROUNDING[mode])


def split_evenly(total: Decimal, owners: list[str]) -> dict[str, Decimal]:
    """`total` in equal cents; the remainder cents go to the first owners by id, so the parts
    sum to the total exactly."""
    owners = sorted(owners)
    cents = int((total / CENT).to_integral_value())
    share, remainder = divmod(cents, len(owners))
    return {o: (share + (1 if i < remainder else 0)) * CENT for i, o in enumerate(owners)}


def allocate(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """`total` (cents) split in proportion to `weights` by largest remainder; parts sum to
    the total. Ties in remainder go to the first key."""
    cents = int((total / CENT).to_integral_value())
    sign = -1 if cents < 0 else 1
    weight_sum = sum(abs(w) for w in weights.values())
    keys = sorted(weights)
    if weight_sum == 0:
        return split_evenly(total, keys)
    with localcontext(EXACT):
        exact = {k: abs(cents) * abs(weights[k]) / weight_sum for k in keys}
    floors = {k: int(exact[k].to_integral_value(rounding=ROUND_DOWN)) for k in keys}
    left = abs(cents) - sum(floors.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
        floors[k] += 1
    return {k: sign * floors[k] * CENT for k in keys}


def detail(**values: object) -> str:
    return json.dumps({k: (str(v) if isinstance(v, Decimal) else v)
                       for k, v in values.items() if v is not None}, sort_keys=True)


def band_label(lower: Decimal, upper: Decimal | None) -> str:
    return f"[{lower}, {upper if upper is not None else '∞'})"


def commission_lines(plan: PlanVersion, credit: Decimal, quota: Decimal, rep_id: str,
                     period: str, attainment_period: str) -> list[Line]:
    """Tier lines for one rep and attainment period. Marginal: each band's slice of credit at
    the band's rate (like tax brackets). Retroactive: all credit at the rate of the band the
    attainment reaches. Bands are [from, to): exactly on a boundary is the upper band. Bands
    are compared as credit against from x quota, never through a rounded ratio."""
    with localcontext(EXACT):
        attainment = credit / quota
        lines = []
        if plan.method == "retroactive":
            band = next((b for b in plan.bands if credit >= b.lower * quota
                         and (b.upper is None or credit < b.upper * quota)), plan.bands[0])
            amount = round_money(credit * band.rate, plan.rounding)
            lines.append(_line(plan, rep_id, period, "commission", attainment_period, credit,
                               band.rate, amount, detail(
                                   attainment=_ratio(attainment), method="retroactive",
                                   band=band_label(band.lower, band.upper),
                                   attainment_period=attainment_period)))
            return lines
        for band in plan.bands:
            low = band.lower * quota
            high = band.upper * quota if band.upper is not None else None
            if credit <= low:
                break
            top = credit if high is None else min(credit, high)
            piece = top - low
            amount = round_money(piece * band.rate, plan.rounding)
            lines.append(_line(plan, rep_id, period, "commission", attainment_period, piece,
                               band.rate, amount, detail(
                                   attainment=_ratio(attainment), method="marginal",
                                   band=band_label(band.lower, band.upper),
                                   attainment_before=_ratio(low / quota),
                                   attainment_after=_ratio(top / quota),
                                   attainment_period=attainment_period)))
        return lines


def _ratio(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def _line(plan: PlanVersion, rep_id: str, period: str, line_type: str, source_ref: str,
          basis: Decimal | None, rate: Decimal | None, amount: Decimal, info: str,
          currency: str | None = None) -> Line:
    return Line(plan.plan_id, plan.version, rep_id, period, line_type, source_ref, basis, rate,
                amount, currency or plan.currency, info)


def draw_lines(plan: PlanVersion, rep_id: str, period: str, earned: Decimal,
               balance: Decimal) -> tuple[list[Line], Decimal]:
    """The draw for one period: pay up to the draw when earnings fall short; a recoverable
    draw carries the shortfall as a balance that later earnings above the draw repay.
    Returns the lines and the balance after."""
    assert plan.draw is not None
    draw = round_money(plan.draw.per_period, plan.rounding)
    recoverable = plan.draw.kind == "recoverable"
    if earned < draw:
        top_up = draw - earned
        after = balance + top_up if recoverable else balance
        return [_line(plan, rep_id, period, "draw", plan.draw.kind, earned, None, top_up,
                      detail(draw=draw, earned=earned, balance_before=balance,
                             balance_after=after, kind=plan.draw.kind))], after
    if recoverable and balance > 0:
        recovered = min(earned - draw, balance)
        if recovered > 0:
            after = balance - recovered
            return [_line(plan, rep_id, period, "draw_recovery", plan.draw.kind, earned, None,
                          -recovered, detail(draw=draw, earned=earned, balance_before=balance,
                                             balance_after=after))], after
    return [], balance


# -- the whole computation ---------------------------------------------------------------------

class _Book:
    """Credit per rep and month, in a plan's currency, net of returns inside the window of the
    plan the credit falls under; and the per-order credits behind it."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.issues: list[Issue] = []
        self._plan_cache: dict[tuple[str, date], PlanVersion | None] = {}
        # (basis, rep, month) -> {source_ref: credit in reporting currency}
        self.by_order: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(dict)
        self.credit_day: dict[tuple[str, str], date] = {}
        for basis, credits in inputs.credits.items():
            for c in credits:
                cell = self.by_order[(basis, c.rep_id, month_of(c.day))]
                cell[c.source_ref] = cell.get(c.source_ref, ZERO) + c.amount
                self.credit_day[(basis, c.source_ref)] = c.day
        for r in inputs.returns:
            plan = self.plan(r.rep_id, r.order_day)
            window = plan.clawback_days if plan else None
            if window is not None and (r.return_day - r.order_day).days > window:
                self.issues.append(Issue(r.rep_id, month_of(r.order_day), "return_outside_window",
                                         f"order {r.order_id}: returned {r.return_day}, "
                                         f"{(r.return_day - r.order_day).days} days after the "
                                         f"order; the window is {window} days: no clawback",
                                         r.amount, blocking=False))
                continue
            cell = self.by_order[("net_revenue", r.rep_id, month_of(r.order_day))]
            cell[r.order_id] = cell.get(r.order_id, ZERO) - r.amount

    def role(self, rep_id: str, month: str) -> str | None:
        rep = self.inputs.reps.get((rep_id, month))
        return rep.role if rep else None

    def employed(self, rep_id: str, month: str) -> bool:
        rep = self.inputs.reps.get((rep_id, month))
        return rep is not None and rep.employed

    def plan(self, rep_id: str, day: date) -> PlanVersion | None:
        """The rep's plan on the day; none while not employed (orders still credited to a
        rep after their end date earn nothing: listed as an exception)."""
        key = (rep_id, day)
        if key not in self._plan_cache:
            self._plan_cache[key] = (
                plan_for(self.inputs.plans, rep_id, self.role(rep_id, month_of(day)), day)
                if self.employed(rep_id, month_of(day)) else None)
        return self._plan_cache[key]

    def month_plan(self, rep_id: str, month: str) -> PlanVersion | None:
        """The plan of a rep for month-level items (quota, draw, contests, overrides): in
        force on the month's first day, else on any later day of it."""
        start = first_day(month)
        plan = self.plan(rep_id, start)
        if plan is not None:
            return plan
        for p in self.inputs.plans:
            if p.effective_from.strftime("%Y-%m") == month:
                return self.plan(rep_id, p.effective_from)
        return None

    def to_currency(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        if currency == self.inputs.reporting_currency:
            return amount
        rate = self.inputs.fx(currency, day)
        if rate is None or rate == 0:
            return None
        with localcontext(EXACT):
            return amount / rate

    def orders(self, basis: str, rep_id: str, month: str, plan: PlanVersion
               ) -> dict[str, Decimal]:
        """Per order credit in the plan's currency, for credits under this plan."""
        out: dict[str, Decimal] = {}
        for ref, amount in sorted(self.by_order.get((basis, rep_id, month), {}).items()):
            day = self.credit_day.get((basis, ref), first_day(month))
            if self.plan(rep_id, day) != plan:
                continue
            converted = self.to_currency(amount, plan.currency, day)
            if converted is None:
                self.issues.append(Issue(rep_id, month, "missing_fx_rate",
                                         f"{ref}: no {plan.currency} rate on {day}", amount))
                continue
            out[ref] = converted
        return out

    def unplanned(self) -> list[Issue]:
        """Credits of reps with no plan on the credit's day (not on commission: listed)."""
        missing: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for (basis, rep_id, month), orders in self.by_order.items():
            for ref, amount in orders.items():
                day = self.credit_day.get((basis, ref), first_day(month))
                if self.plan(rep_id, day) is None and basis == "net_revenue":
                    missing[(rep_id, month)] += amount
        return [Issue(rep, month, "no_plan", "credit of a rep with no plan in force: "
                      "not on commission", amount, blocking=False)
                if self.employed(rep, month) else
                Issue(rep, month, "not_employed", "credit of a rep not employed in the month "
                      "(after their end date): no commission; reassign their accounts",
                      amount, blocking=False)
                for (rep, month), amount in sorted(missing.items())]


def compute(inputs: Inputs) -> Result:
    book = _Book(inputs)
    locked = set(inputs.locked_lines)
    issues: list[Issue] = []
    computed: dict[str, list[Line]] = {}  # period -> lines as computed now (all periods)
    credits_now: dict[tuple[str, str, str], Decimal] = {}
    standing: dict[tuple[str, str], Standing] = {}
    rep_ids = sorted({rep for rep, _ in inputs.reps})
    for period in inputs.periods:
        lines, period_credits = _earned_lines(book, period, rep_ids, issues, standing)
        computed[period] = lines
        credits_now.update(period_credits)
    # What changed in locked periods since they were locked: clawbacks in the first open one.
    clawbacks = _clawbacks(inputs, computed, credits_now)
    out: list[Line] = []
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for period in inputs.periods:
        if period in locked:
            frozen = inputs.locked_lines[period]
            out += frozen
            for line in frozen:
                if line.line_type in DRAW_TYPES and line.source_ref == "recoverable":
                    balances[line.rep_id] += line.amount
            continue
        lines = computed[period] + clawbacks.get(period, [])
        lines += _adjustment_lines(book, period, issues)
        lines += _period_draws(book, period, rep_ids, lines, balances)
        out += [replace(line, period_status="open") for line in lines]
    issues += book.issues + book.unplanned()
    open_credits = {k: v for k, v in credits_now.items() if k[0] not in locked}
    open_standing = {k: v for k, v in standing.items() if k[1] not in locked}
    locked_issues = [i for i in issues if i.period in locked]
    return Result(sorted(out, key=_line_order),
                  _dedupe([i for i in issues if i not in locked_issues]), open_credits,
                  open_standing)


def _line_order(line: Line) -> tuple:
    return (line.period, line.rep_id, line.line_type, line.source_ref, line.plan_id,
            line.detail)


def _dedupe(issues: list[Issue]) -> list[Issue]:
    return sorted(set(issues), key=lambda i: (i.period, i.rep_id, i.kind, i.detail))


def _earned_lines(book: _Book, period: str, rep_ids: list[str], issues: list[Issue],
                  standing: dict[tuple[str, str], Standing]
                  ) -> tuple[list[Line], dict[tuple[str, str, str], Decimal]]:
    """Commission, cap, SPIFF, contest and override lines of one month, as the inputs stand."""
    inputs = book.inputs
    lines: list[Line] = []
    credits: dict[tuple[str, str, str], Decimal] = {}
    month_credit: dict[str, Decimal] = {}  # rep -> credit of the month under their plan
    for rep_id in rep_ids:
        plan = book.month_plan(rep_id, period)
        if plan is None:
            continue
        orders = book.orders(plan.basis, rep_id, period, plan)
        for ref, amount in orders.items():
            credits[(period, rep_id, ref)] = amount
        month_credit[rep_id] = sum(orders.values(), ZERO)
        months = quarter_months(period) if plan.period == "quarter" else [period]
        if period != months[-1]:
            standing[(rep_id, period)] = Standing(plan, month_credit[rep_id], None, None)
            continue  # a quarter plan posts at the quarter's end
        # The month's own credit is known; a quarter adds its earlier months.
        credit = month_credit[rep_id] + sum(
            (sum(book.orders(plan.basis, rep_id, m, plan).values(), ZERO)
             for m in months if m != period), ZERO)
        quota = _quota(inputs, rep_id, months, plan, credit, issues, period)
        attainment_period = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
        with localcontext(EXACT):
            standing[(rep_id, period)] = Standing(
                plan, month_credit[rep_id], quota,
                _ratio(credit / quota) if quota is not None else None)
        if quota is not None:
            earned = commission_lines(plan, credit, quota, rep_id, period, attainment_period)
            lines += earned
            total = sum((line.amount for line in earned), ZERO)
            if plan.cap is not None and total > round_money(plan.cap, plan.rounding):
                cap = round_money(plan.cap, plan.rounding)
                lines.append(_line(plan, rep_id, period, "cap", attainment_period, total, None,
                                   cap - total, detail(cap=cap, commission_before_cap=total)))
    lines += _spiff_lines(book, period)
    lines += _contest_lines(book, period, month_credit)
    lines += _override_lines(book, period, rep_ids, month_credit)
    return lines, credits


def _quota(inputs: Inputs, rep_id: str, months: list[str], plan: PlanVersion, credit: Decimal,
           issues: list[Issue], period: str) -> Decimal | None:
    amounts = []
    for month in months:
        quota = inputs.quotas.get((rep_id, month))
        if quota is None:
            continue
        amount, currency = quota
        if currency != plan.currency:
            issues.append(Issue(rep_id, period, "quota_currency",
                                f"quota of {month} in {currency}, plan {plan.label} pays in "
                                f"{plan.currency}: no commission computed", credit))
            return None
        amounts.append(amount)
    if len(amounts) < len(months) or sum(amounts, ZERO) <= 0:
        if credit != 0:
            issues.append(Issue(rep_id, period, "no_quota",
                                f"credit {credit.quantize(CENT)} {plan.currency} under "
                                f"{plan.label} and no quota for {', '.join(months)}: no "
                                "commission is guessed; deliver plan/quotas", credit))
        return None
    return sum(amounts, ZERO)


def _spiff_lines(book: _Book, period: str) -> list[Line]:
    lines = []
    for customer in book.inputs.new_customers:
        if month_of(customer.day) != period:
            continue
        plan = book.plan(customer.rep_id, customer.day)
        if plan is None:
            continue
        for spiff in plan.spiffs:
            if spiff.start <= customer.day <= spiff.end:
                amount = round_money(spiff.per_new_customer, plan.rounding)
                lines.append(_line(plan, customer.rep_id, period, "spiff",
                                   f"{spiff.id}:{customer.order_id}", None, None, amount,
                                   detail(spiff=spiff.id, account_id=customer.account_id,
                                          first_order=customer.order_id)))
    return lines


def _contest_lines(book: _Book, period: str, month_credit: dict[str, Decimal]) -> list[Line]:
    """Each of the `top` places pays `amount`; reps tied across places share those places'
    amounts equally (remainder cents to the first rep by id). A rep needs a positive metric."""
    lines = []
    contests: dict[tuple[str, str, str], tuple[PlanVersion, object]] = {}
    for rep_id in sorted(month_credit):
        plan = book.month_plan(rep_id, period)
        for contest in plan.contests if plan else ():
            if contest.period == period:
                contests[(plan.plan_id, plan.version, contest.id)] = (plan, contest)
    for plan, contest in contests.values():
        scores = sorted(((month_credit[r], r) for r in month_credit
                         if book.month_plan(r, period) == plan and month_credit[r] > 0),
                        key=lambda s: (-s[0], s[1]))
        place = 0
        while place < contest.top and place < len(scores):
            value = scores[place][0]
            tied = [r for v, r in scores if v == value]
            places = min(len(tied), contest.top - place)
            prize = round_money(contest.amount * places, plan.rounding)
            for rep_id, amount in split_evenly(prize, tied).items():
                lines.append(_line(plan, rep_id, period, "contest", contest.id, value, None,
                                   amount, detail(contest=contest.id, metric=contest.metric,
                                                  place=place + 1, tied_with=len(tied))))
            place += len(tied)
    return lines


def _override_lines(book: _Book, period: str, rep_ids: list[str],
                    month_credit: dict[str, Decimal]) -> list[Line]:
    """A manager's override: rate x the month's credit of each rep who reported to them in
    that month (the hierarchy as it stood then)."""
    lines = []
    for manager_id in rep_ids:
        plan = book.month_plan(manager_id, period)
        if plan is None or plan.override_rate is None:
            continue
        for rep_id in rep_ids:
            rep = book.inputs.reps.get((rep_id, period))
            if rep is None or rep.manager_id != manager_id or rep_id == manager_id:
                continue
            basis = _report_credit(book, rep_id, period, plan.currency)
            if basis is None or basis == 0:
                continue
            amount = round_money(basis * plan.override_rate, plan.rounding)
            lines.append(_line(plan, manager_id, period, "override", rep_id, basis,
                               plan.override_rate, amount,
                               detail(report=rep_id, manager_in_period=manager_id)))
    return lines


def _report_credit(book: _Book, rep_id: str, period: str, currency: str) -> Decimal | None:
    """A report's net-revenue credit of the month, in the manager's currency (returns inside
    the report's own plan window already taken off)."""
    total = ZERO
    for ref, amount in book.by_order.get(("net_revenue", rep_id, period), {}).items():
        day = book.credit_day.get(("net_revenue", ref), first_day(period))
        converted = book.to_currency(amount, currency, day)
        if converted is None:
            return None
        total += converted
    return total


def _adjustment_lines(book: _Book, period: str, issues: list[Issue]) -> list[Line]:
    lines = []
    for adj in book.inputs.adjustments:
        if adj.period != period:
            continue
        plan = book.month_plan(adj.rep_id, period)
        if plan is None:
            issues.append(Issue(adj.rep_id, period, "adjustment_without_plan",
                                f"{adj.ref}: the rep has no plan in force in {period}; not "
                                "paid", adj.amount))
            continue
        if plan.currency != adj.currency:
            issues.append(Issue(adj.rep_id, period, "adjustment_currency",
                                f"{adj.ref}: in {adj.currency}, the rep's plan pays in "
                                f"{plan.currency}; not paid", adj.amount))
            continue
        lines.append(_line(plan, adj.rep_id, period, "adjustment", adj.ref, None, None,
                           round_money(adj.amount, plan.rounding),
                           detail(reason=adj.reason, approved_by=adj.approved_by),
                           currency=adj.currency))
    return lines


def _period_draws(book: _Book, period: str, rep_ids: list[str], lines: list[Line],
                  balances: dict[str, Decimal]) -> list[Line]:
    earned: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        earned[line.rep_id] += line.amount
    out = []
    for rep_id in rep_ids:
        plan = book.month_plan(rep_id, period)
        rep = book.inputs.reps.get((rep_id, period))
        if plan is None or plan.draw is None or rep is None or not rep.employed:
            continue
        drawn, balances[rep_id] = draw_lines(plan, rep_id, period, earned[rep_id],
                                             balances[rep_id])
        out += drawn
    return out


def _clawbacks(inputs: Inputs, computed: dict[str, list[Line]],
               credits_now: dict[tuple[str, str, str], Decimal]) -> dict[str, list[Line]]:
    """For each locked period and rep: what its earned lines come to now, minus what was
    locked, minus clawbacks already posted for it in later locked periods. The rest is posted
    in the first open period after it, split over the orders whose credit changed."""
    locked = sorted(inputs.locked_lines)
    open_periods = [p for p in inputs.periods if p not in inputs.locked_lines]
    posted: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for lines in inputs.locked_lines.values():
        for line in lines:
            if line.line_type == "clawback":
                original = json.loads(line.detail).get("original_period")
                posted[(original, line.rep_id)] += line.amount
    # Per (period, rep): the orders whose credit the lock recorded or the inputs hold now.
    refs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p, r, ref in (*credits_now, *inputs.locked_credits):
        refs[(p, r)].add(ref)
    out: dict[str, list[Line]] = defaultdict(list)
    for period in locked:
        target = next((p for p in open_periods if p > period), None)
        if target is None or period not in computed:
            continue
        now: dict[str, Decimal] = defaultdict(lambda: ZERO)
        then: dict[str, Decimal] = defaultdict(lambda: ZERO)
        plans: dict[str, Line] = {}
        for line in computed[period]:
            if line.line_type in EARNED_TYPES:
                now[line.rep_id] += line.amount
                plans.setdefault(line.rep_id, line)
        for line in inputs.locked_lines[period]:
            if line.line_type in EARNED_TYPES:
                then[line.rep_id] += line.amount
                plans.setdefault(line.rep_id, line)
        for rep_id in sorted(set(now) | set(then)):
            outstanding = now[rep_id] - then[rep_id] - posted[(period, rep_id)]
            if outstanding == 0:
                continue
            changes = {ref: credits_now.get((period, rep_id, ref), ZERO)
                       - inputs.locked_credits.get((period, rep_id, ref), ZERO)
                       for ref in refs[(period, rep_id)]}
            changes = {ref: delta for ref, delta in changes.items() if delta != 0}
            basis_line = plans[rep_id]
            parts = allocate(outstanding, changes) if changes else {"": outstanding}
            for ref, amount in sorted(parts.items()):
                if amount == 0:
                    continue
                out[target].append(Line(
                    basis_line.plan_id, basis_line.plan_version, rep_id, target, "clawback",
                    f"{period}:{ref}" if ref else period, changes.get(ref), None, amount,
                    basis_line.currency, detail(original_period=period, order_id=ref or None,
                                                recomputed=now[rep_id], locked=then[rep_id])))
    return out


def payouts(lines: Iterable[Line]) -> list[dict[str, object]]:
    """One row per rep x period: the lines summed by kind (totals are sums of rounded lines)."""
    groups = {"commission": ("commission", "cap"), "spiffs": ("spiff", "contest"),
              "overrides": ("override",), "clawbacks": ("clawback",),
              "adjustments": ("adjustment",), "draw": DRAW_TYPES}
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for line in lines:
        row = rows.setdefault((line.rep_id, line.period), {
            "rep_id": line.rep_id, "period": line.period, "plan_id": line.plan_id,
            "plan_version": line.plan_version, "currency": line.currency,
            "status": line.period_status, **{g: ZERO for g in groups},
            "total_payable": ZERO})
        for group, types in groups.items():
            if line.line_type in types:
                row[group] += line.amount  # type: ignore[operator]
        row["total_payable"] += line.amount  # type: ignore[operator]
    return [rows[k] for k in sorted(rows)]
