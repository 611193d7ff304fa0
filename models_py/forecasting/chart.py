"""A fan chart as a self-contained SVG (no plotting library): the history as a line, the
forecast as a line inside its 80 % and 95 % bands. Shown in the forecast asset's Dagster
metadata and written beside the exports."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, MARGIN = 760, 320, 48


def fan_chart_svg(title: str, history: list[tuple[str, float]],
                  forecast: list[tuple[str, float, float, float, float, float]]) -> str:
    """`history`: (month, value); `forecast`: (month, yhat, lo80, hi80, lo95, hi95)."""
    values = [v for _, v in history] + [x for row in forecast for x in row[1:]]
    low, high = min(0.0, min(values)), max(values) or 1.0
    count = len(history) + len(forecast)

    def x(i: int) -> float:
        return MARGIN + (WIDTH - 2 * MARGIN) * i / max(count - 1, 1)

    def y(v: float) -> float:
        return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * (v - low) / (high - low)

    def points(pairs: list[tuple[int, float]]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in pairs)

    start = len(history)
    # The forecast line starts from the last actual, so the eye follows on.
    anchor = [(start - 1, history[-1][1])] if history else []
    line = anchor + [(start + i, row[1]) for i, row in enumerate(forecast)]

    def band(lo: int, hi: int) -> str:
        upper = anchor + [(start + i, row[hi]) for i, row in enumerate(forecast)]
        lower = anchor + [(start + i, row[lo]) for i, row in enumerate(forecast)]
        return points(upper + lower[::-1])

    first = history[0][0] if history else forecast[0][0]
    last = forecast[-1][0] if forecast else history[-1][0]
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" \
viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">
<title>{escape(title)}</title>
<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>
<text x="{MARGIN}" y="20" font-size="13">{escape(title)}</text>
<line x1="{MARGIN}" y1="{y(low):.1f}" x2="{WIDTH - MARGIN}" y2="{y(low):.1f}" stroke="#999"/>
<polygon points="{band(4, 5)}" fill="#c6dbef"/>
<polygon points="{band(2, 3)}" fill="#6baed6"/>
<polyline points="{points(list(enumerate(v for _, v in history)))}" fill="none" \
stroke="black" stroke-width="1.5"/>
<polyline points="{points(line)}" fill="none" stroke="#08519c" stroke-width="2"/>
<text x="{MARGIN}" y="{HEIGHT - 18}">{escape(first)}</text>
<text x="{WIDTH - MARGIN}" y="{HEIGHT - 18}" text-anchor="end">{escape(last)}</text>
<text x="{MARGIN - 4}" y="{y(high):.1f}" text-anchor="end">{high:,.0f}</text>
<text x="{MARGIN - 4}" y="{y(low):.1f}" text-anchor="end">{low:,.0f}</text>
<text x="{WIDTH - MARGIN}" y="20" text-anchor="end">history, forecast, 80 % and 95 %</text>
</svg>
"""
