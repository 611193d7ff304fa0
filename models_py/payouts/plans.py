"""Commission plan files (PAYOUTS.md): one plan version per YAML file, validated on load.

Every error names the file and the field, and says what is allowed. Numbers are read as their
written text into `Decimal` (a YAML float 0.05 becomes Decimal("0.05"), never the binary
0.05000000000000000277). Two versions that could apply to the same rep on the same day are an
error: which one pays would be an accident of file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
METHODS = ("marginal", "retroactive")
BASES = ("net_revenue", "bookings")
PERIODS = ("month", "quarter")
ROUNDINGS = ("half_up", "half_even")
DRAW_TYPES = ("recoverable", "non_recoverable")
TOP_KEYS = {"plan_id", "version", "effective_from", "effective_to", "applies_to", "currency",
            "period", "credit", "tiers", "cap", "clawback", "spiffs", "manager_override", "draw",
            "rounding", "description"}


class PlanError(Exception):
    """A plan file is invalid, or two plans collide; the message names file(s) and field."""


@dataclass(frozen=True)
class Band:
    """Attainment in [lower, upper) (upper None: no end) earns `rate`."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal

    def holds(self, attainment: Decimal) -> bool:
        return attainment >= self.lower and (self.upper is None or attainment < self.upper)


@dataclass(frozen=True)
class Spiff:
    """`per_new_customer` for each customer whose first-ever order falls in [start, end]."""

    id: str
    start: date
    end: date
    per_new_customer: Decimal


@dataclass(frozen=True)
class Contest:
    """The `top` reps of the plan by `metric` in `period` each win `amount` (ties split)."""

    id: str
    period: str  # YYYY-MM
    top: int
    metric: str
    amount: Decimal


@dataclass(frozen=True)
class Draw:
    kind: str  # recoverable | non_recoverable
    per_period: Decimal


@dataclass(frozen=True)
class PlanVersion:
    plan_id: str
    version: str
    effective_from: date
    effective_to: date | None
    role: str | None
    rep_ids: tuple[str, ...]
    currency: str
    period: str
    basis: str
    method: str
    bands: tuple[Band, ...]
    cap: Decimal | None
    clawback_days: int | None
    spiffs: tuple[Spiff, ...]
    contests: tuple[Contest, ...]
    override_rate: Decimal | None
    draw: Draw | None
    rounding: str
    origin: str  # the file, for messages

    @property
    def label(self) -> str:
        return f"{self.plan_id} {self.version} ({self.origin})"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)

    def applies(self, rep_id: str, role: str | None, day: date) -> bool:
        if not self.in_force(day):
            return False
        if self.rep_ids:
            return rep_id in self.rep_ids
        return role is not None and role == self.role

    def band_for(self, attainment: Decimal) -> Band:
        for band in self.bands:
            if band.holds(attainment):
                return band
        return self.bands[0]  # below the first band (a negative credit): its rate


# -- reading -----------------------------------------------------------------------------------

class _Reader:
    """Typed access to one file's mapping; every failure names the file and the field."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, problem: str) -> PlanError:
        return PlanError(f"{self.origin}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        return value

    def text(self, value: Any, where: str, choices: tuple[str, ...] | None = None) -> str:
        if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
            raise self.fail(where, "is required" if value is None else "must be a text")
        text = str(value).strip()
        if choices and text not in choices:
            raise self.fail(where, f"{text!r} is not one of {', '.join(choices)}")
        return text

    def decimal(self, value: Any, where: str, minimum: Decimal | None = Decimal(0)) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(where, "must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(where, f"{value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(where, "must be a finite number")
        if minimum is not None and number < minimum:
            raise self.fail(where, f"must be at least {minimum}")
        return number

    def day(self, value: Any, where: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(where, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def integer(self, value: Any, where: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(where, f"must be a whole number of at least {minimum}")
        return value

    def known_keys(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            place = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.fail(place, f"unknown key; use {', '.join(sorted(allowed))}")


def load_plan(path: Path) -> PlanVersion:
    origin = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanError(f"{origin}: not valid YAML: {exc}") from None
    r = _Reader(origin)
    raw = r.mapping(raw, "(file)")
    r.known_keys(raw, TOP_KEYS, "")
    effective_from = r.day(raw.get("effective_from"), "effective_from")
    effective_to = (r.day(raw["effective_to"], "effective_to")
                    if raw.get("effective_to") is not None else None)
    if effective_to is not None and effective_to < effective_from:
        raise r.fail("effective_to", "is before effective_from")
    applies = r.mapping(raw.get("applies_to"), "applies_to")
    r.known_keys(applies, {"role", "rep_ids"}, "applies_to")
    if ("role" in applies) == ("rep_ids" in applies):
        raise r.fail("applies_to", "give either role or rep_ids")
    rep_ids: tuple[str, ...] = ()
    if "rep_ids" in applies:
        if not isinstance(applies["rep_ids"], list) or not applies["rep_ids"]:
            raise r.fail("applies_to.rep_ids", "must list at least one rep id")
        rep_ids = tuple(str(x) for x in applies["rep_ids"])
    credit = r.mapping(raw.get("credit", {"basis": "net_revenue"}), "credit")
    r.known_keys(credit, {"basis"}, "credit")
    spiffs, contests = _incentives(r, raw)
    currency = r.text(raw.get("currency"), "currency").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise r.fail("currency", f"{currency!r} is not a three-letter currency code")
    return PlanVersion(
        plan_id=r.text(raw.get("plan_id"), "plan_id"),
        version=r.text(raw.get("version"), "version"),
        effective_from=effective_from,
        effective_to=effective_to,
        role=r.text(applies["role"], "applies_to.role") if "role" in applies else None,
        rep_ids=rep_ids,
        currency=currency,
        period=r.text(raw.get("period", "month"), "period", PERIODS),
        basis=r.text(credit.get("basis"), "credit.basis", BASES),
        method=_method(r, raw),
        bands=_bands(r, raw),
        cap=_cap(r, raw),
        clawback_days=_clawback(r, raw),
        spiffs=spiffs,
        contests=contests,
        override_rate=_override(r, raw),
        draw=_draw(r, raw),
        rounding=r.text(raw.get("rounding", "half_up"), "rounding", ROUNDINGS),
        origin=origin,
    )


def _method(r: _Reader, raw: dict[str, Any]) -> str:
    tiers = r.mapping(raw.get("tiers"), "tiers")
    r.known_keys(tiers, {"method", "bands"}, "tiers")
    return r.text(tiers.get("method"), "tiers.method", METHODS)


def _bands(r: _Reader, raw: dict[str, Any]) -> tuple[Band, ...]:
    bands_raw = raw["tiers"].get("bands")
    if not isinstance(bands_raw, list) or not bands_raw:
        raise r.fail("tiers.bands", "must list at least one band")
    bands = []
    for i, band in enumerate(bands_raw):
        where = f"tiers.bands[{i}]"
        band = r.mapping(band, where)
        r.known_keys(band, {"from", "to", "rate"}, where)
        lower = r.decimal(band.get("from"), f"{where}.from")
        upper = (r.decimal(band["to"], f"{where}.to") if band.get("to") is not None else None)
        rate = r.decimal(band.get("rate"), f"{where}.rate")
        if upper is not None and upper <= lower:
            raise r.fail(f"{where}.to", "must be above from")
        if i == 0 and lower != 0:
            raise r.fail(f"{where}.from", "the first band starts at 0")
        if i > 0 and lower != bands[-1].upper:
            raise r.fail(f"{where}.from", f"must equal the previous band's to "
                         f"({bands[-1].upper}): bands are contiguous, without gaps or overlaps")
        if upper is None and i != len(bands_raw) - 1:
            raise r.fail(f"{where}.to", "only the last band may be open-ended")
        bands.append(Band(lower, upper, rate))
    return tuple(bands)


def _cap(r: _Reader, raw: dict[str, Any]) -> Decimal | None:
    if raw.get("cap") is None:
        return None
    cap = r.mapping(raw["cap"], "cap")
    r.known_keys(cap, {"per_period"}, "cap")
    return r.decimal(cap.get("per_period"), "cap.per_period")


def _clawback(r: _Reader, raw: dict[str, Any]) -> int | None:
    if raw.get("clawback") is None:
        return None
    clawback = r.mapping(raw["clawback"], "clawback")
    r.known_keys(clawback, {"window_days"}, "clawback")
    return r.integer(clawback.get("window_days"), "clawback.window_days", 0)


def _incentives(r: _Reader, raw: dict[str, Any]) -> tuple[tuple[Spiff, ...],
                                                       tuple[Contest, ...]]:
    """The `spiffs:` list, in one pass: an entry with a `period` is a contest, any other a
    per-new-customer SPIFF."""
    spiffs, contests = [], []
    for i, item in enumerate(raw.get("spiffs") or []):
        where = f"spiffs[{i}]"
        item = r.mapping(item, where)
        if "period" in item:
            contests.append(_contest(r, item, where))
            continue
        r.known_keys(item, {"id", "from", "to", "per_new_customer"}, where)
        start, end = r.day(item.get("from"), f"{where}.from"), r.day(item.get("to"), f"{where}.to")
        if end < start:
            raise r.fail(f"{where}.to", "is before from")
        spiffs.append(Spiff(r.text(item.get("id"), f"{where}.id"), start, end,
                            r.decimal(item.get("per_new_customer"), f"{where}.per_new_customer")))
    return tuple(spiffs), tuple(contests)


def _contest(r: _Reader, item: dict[str, Any], where: str) -> Contest:
    r.known_keys(item, {"id", "period", "top", "metric", "amount"}, where)
    period = r.text(item.get("period"), f"{where}.period")
    if not PERIOD.fullmatch(period):
        raise r.fail(f"{where}.period", f"{period!r} is not a month (YYYY-MM)")
    return Contest(
        r.text(item.get("id"), f"{where}.id"), period,
        r.integer(item.get("top", 1), f"{where}.top", 1),
        r.text(item.get("metric", "net_revenue"), f"{where}.metric", ("net_revenue",)),
        r.decimal(item.get("amount"), f"{where}.amount"),
    )


def _override(r: _Reader, raw: dict[str, Any]) -> Decimal | None:
    if raw.get("manager_override") is None:
        return None
    override = r.mapping(raw["manager_override"], "manager_override")
    r.known_keys(override, {"rate"}, "manager_override")
    return r.decimal(override.get("rate"), "manager_override.rate")


def _draw(r: _Reader, raw: dict[str, Any]) -> Draw | None:
    if raw.get("draw") is None:
        return None
    draw = r.mapping(raw["draw"], "draw")
    r.known_keys(draw, {"type", "per_period"}, "draw")
    return Draw(r.text(draw.get("type"), "draw.type", DRAW_TYPES),
                r.decimal(draw.get("per_period"), "draw.per_period"))


# -- a folder of plans -------------------------------------------------------------------------

def load_plans(folder: Path) -> list[PlanVersion]:
    """Every plan version in the folder (*.yml, *.yaml), checked against each other."""
    paths = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix in (".yml", ".yaml") and not p.name.startswith("."))
    plans = [load_plan(p) for p in paths]
    seen: dict[tuple[str, str], PlanVersion] = {}
    for plan in plans:
        first = seen.setdefault((plan.plan_id, plan.version), plan)
        if first is not plan:
            raise PlanError(f"{plan.origin}: version: {plan.plan_id} {plan.version} is also "
                            f"defined in {first.origin}; each version once")
    for i, a in enumerate(plans):
        for b in plans[i + 1:]:
            if _dates_overlap(a, b) and _same_reps(a, b):
                raise PlanError(
                    f"{b.origin}: effective_from: {b.label} and {a.label} both apply to "
                    f"{_who(a)} between {max(a.effective_from, b.effective_from)} and "
                    f"{_overlap_end(a, b)}; end one version (effective_to) before the other "
                    "starts")
    return plans


def _dates_overlap(a: PlanVersion, b: PlanVersion) -> bool:
    a_end, b_end = a.effective_to or date.max, b.effective_to or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


def _overlap_end(a: PlanVersion, b: PlanVersion) -> str:
    end = min(a.effective_to or date.max, b.effective_to or date.max)
    return "open end" if end == date.max else end.isoformat()


def _same_reps(a: PlanVersion, b: PlanVersion) -> bool:
    if a.role is not None and b.role is not None:
        return a.role == b.role
    if a.rep_ids and b.rep_ids:
        return bool(set(a.rep_ids) & set(b.rep_ids))
    return False  # a role and a rep list: only known per rep (see plan_for)


def _who(plan: PlanVersion) -> str:
    return f"role {plan.role}" if plan.role else f"reps {', '.join(plan.rep_ids)}"


def plan_for(plans: list[PlanVersion], rep_id: str, role: str | None,
             day: date) -> PlanVersion | None:
    """The one plan version that applies to the rep on the day; two are an error."""
    matching = [p for p in plans if p.applies(rep_id, role, day)]
    if len(matching) > 1:
        raise PlanError(f"{matching[1].origin}: applies_to: {matching[1].label} and "
                        f"{matching[0].label} both apply to rep {rep_id} ({role}) on {day}; a "
                        "rep has one plan on a day")
    return matching[0] if matching else None
