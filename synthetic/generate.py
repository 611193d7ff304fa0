"""Entry point of the synthetic company: `generate(out, scale, seed)`."""

from __future__ import annotations

from pathlib import Path

from synthetic.company import (
    Company,
    months,
    write_activities_month,
    write_people_and_catalogue,
    write_pipeline_month,
)
from synthetic.orders import OrderBook
from synthetic.plan import COMMISSION_PLANS, plan_tables
from synthetic.writer import CsvSink


def generate(out: Path, scale: float = 1.0, seed: int = 42) -> dict[str, int]:
    """Write the landing folder under `out`; returns rows written per `source/entity`."""
    company = Company(seed, scale)
    sink = CsvSink(out)
    try:
        write_people_and_catalogue(company, sink)
        book = OrderBook(company, sink)
        for month in months():
            book.add_won_deals(write_pipeline_month(company, sink, month))
            book.write_month(month)
            write_activities_month(company, sink, month)
        for entity, frame in plan_tables(company, book.totals).items():
            sink.write("plan", entity, frame)
        for name, text in COMMISSION_PLANS.items():
            sink.write_text("plan", "commission_plans", name, text)
    except BaseException:
        sink.abandon()  # no .part files left behind
        raise
    return sink.close()
