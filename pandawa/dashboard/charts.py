"""Bar charts as server-side SVG: no JavaScript library, no CDN, nothing for the CSP to refuse.

Each chart is one `<svg>` with a `<title>`/`<desc>`, a title and axis labels written in it, a
value printed on (or just above) every bar so a wall screen can be read from across the room,
and every bar a link (`<a href>`) to the tickets behind it, named for screen readers with
`aria-label`. Colours are presentation attributes and classes (the CSP forbids inline `style`).
The markup is well-formed XML (tests parse it with xml.etree) and is embedded inline in HTML.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from pandawa.dashboard.i18n import WEEKDAYS_SHORT, bucket_label, t
from pandawa.hours.formatting import DAY_NAMES, format_date
from pandawa.web.i18n import language

if TYPE_CHECKING:
    from pandawa.reports.series import Bucket, DayPoint

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 960
HEIGHT = 320
# room around the plot: the title on top, tick values left, bar labels and the axis title below
TOP, RIGHT, BOTTOM, LEFT = 56, 16, 70, 72
MIN_SLOT_FOR_VALUES = 20  # narrower bars (a year of days) keep their value in the tooltip only


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: "09", "Sen", "5–15 m"
    value: float | None  # None: no data (drawn as a dash, not as zero)
    text: str  # printed on the bar: "12", "87%"
    title: str  # the whole sentence, for the tooltip and screen readers
    href: str | None = None


def nice_step(value: float, intervals: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^n; whole numbers only) so that `intervals` steps
    reach `value`: counts get whole-number ticks, the axis top stays close to the data."""
    if value <= intervals:
        return 1.0
    raw = value / intervals
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * power
        if candidate >= raw and candidate == int(candidate):
            return candidate
    return 10 * power  # pragma: no cover - the loop always returns


def axis_ticks(value: float, max_value: float | None = None) -> list[float]:
    """The tick values from 0 to the axis top: fixed (`max_value`, in quarters) or fitted."""
    if max_value is not None:
        return [max_value * i / 4 for i in range(5)]
    step = nice_step(value)
    count = max(1, math.ceil(value / step))
    return [step * i for i in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    x_label: str,
    y_label: str,
    max_value: float | None = None,
    tick_suffix: str = "",
    fill: float = 0.78,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """One bar chart. `max_value` fixes the axis (100 for percentages); else it fits the data."""
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    present = [b.value for b in bars if b.value is not None]
    ticks = axis_ticks(max(present, default=0), max_value)
    top = ticks[-1]
    slot = plot_w / max(len(bars), 1)
    bar_w = slot * fill  # the share of each slot the bar takes; the rest is the gap
    show_values = slot >= MIN_SLOT_FOR_VALUES
    value_size = max(12, min(24, round(slot * 0.55)))
    # labels shrink to fit their slot (down to 12); past that only one in n is written
    longest = max((len(b.label) for b in bars), default=1)
    label_size = 16
    while label_size > 12 and longest * label_size * 0.6 + 6 > slot:
        label_size -= 1
    label_every = max(1, math.ceil((longest * label_size * 0.6 + 6) / slot))
    base_y = TOP + plot_h

    out: list[str] = [
        f'<svg xmlns="{SVG_NS}" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" role="group" '
        f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<text class="chart-title" x="{LEFT}" y="30" font-size="22" font-weight="700">'
        f"{escape(title)}</text>",
    ]
    # grid and tick values
    for tick in ticks:
        y = base_y - plot_h * tick / top
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#c9d2db" stroke-width="1"/>'
        )
        out.append(
            f'<text class="tick" x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end" '
            f'font-size="15">{escape(_number(round(tick, 1)) + tick_suffix)}</text>'
        )
    out.append('<g class="bars">')
    for index, bar in enumerate(bars):
        x = LEFT + slot * index + (slot - bar_w) / 2
        centre = x + bar_w / 2
        parts: list[str] = []
        if bar.value is not None and top > 0:
            h = plot_h * min(bar.value, top) / top
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="#1f6fb2"><title>{escape(bar.title)}</title></rect>'
            )
            if show_values:
                # inside the bar when it fits (white on blue), else just above it
                inside = h >= value_size + 10 and bar_w >= value_size * 0.6 * len(bar.text)
                y = base_y - h + value_size + 2 if inside else base_y - h - 6
                colour = "#ffffff" if inside else ("#1b1f23" if bar.value else "#8a99a8")
                parts.append(
                    f'<text class="value" x="{centre:.1f}" y="{y:.1f}" text-anchor="middle" '
                    f'font-size="{value_size}" font-weight="700" fill="{colour}">'
                    f"{escape(bar.text)}</text>"
                )
        else:
            parts.append(
                f'<text class="value none" x="{centre:.1f}" y="{base_y - 6:.1f}" '
                f'text-anchor="middle" font-size="{value_size}" fill="#55606b">'
                f"–<title>{escape(bar.title)}</title></text>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{base_y + label_size + 6:.1f}" '
                f'text-anchor="middle" font-size="{label_size}">{escape(bar.label)}</text>'
            )
        body = "".join(parts)
        if bar.href:
            out.append(f'<a href="{escape(bar.href)}" aria-label="{escape(bar.title)}">{body}</a>')
        else:
            out.append(f"<g>{body}</g>")
    out.append("</g>")
    out.append(
        f'<line class="axis" x1="{LEFT}" x2="{width - RIGHT}" y1="{base_y}" y2="{base_y}" '
        f'stroke="#1b1f23" stroke-width="2"/>'
    )
    out.append(
        f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{height - 12}" '
        f'text-anchor="middle" font-size="16">{escape(x_label)}</text>'
    )
    mid_y = TOP + plot_h / 2
    out.append(
        f'<text class="axis-label" x="18" y="{mid_y:.1f}" text-anchor="middle" font-size="16" '
        f'transform="rotate(-90 18 {mid_y:.1f})">{escape(y_label)}</text>'
    )
    out.append("</svg>")
    # every text and attribute value above went through escape(); the rest is our own markup
    return Markup("".join(out))  # noqa: S704


def count_bars(
    labels: Sequence[str],
    counts: Sequence[int],
    title_for: Callable[[int, int], str],
    href_for: Callable[[int], str | None],
) -> list[Bar]:
    """Bars of ticket counts: bar i has label `labels[i]`, its count printed, a sentence from
    `title_for(i, count)` and a link from `href_for(i)` (none for an empty bar)."""
    return [
        Bar(
            label=labels[i],
            value=float(count),
            text=str(count),
            title=title_for(i, count),
            href=href_for(i) if count else None,
        )
        for i, count in enumerate(counts)
    ]


def percent_text(share: float | None, language: str = "id") -> str:
    """0.8734 → "87,3%" (Indonesian decimal comma; "87.3%" in English); None → "–"."""
    if share is None:
        return "–"
    value = round(share * 100, 1)
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return (text if language == "en" else text.replace(".", ",")) + "%"


# --- the four charts of the figures page ------------------------------------------------------
# `link(**drill)` gives the drill-down URL of a bar (the page's scope plus the bar's filter).


def hour_chart(counts: Sequence[int], link: Callable[..., str]) -> Markup:
    hours = [f"{h:02d}" for h in range(24)]
    return bar_chart(
        chart_id="chart-hour",
        title=t("chart_hour"),
        description=t("chart_hour_desc"),
        bars=count_bars(
            hours,
            counts,
            lambda i, n: t("bar_hour", hour=hours[i], count=n),
            lambda i: link(hour=i),
        ),
        x_label=t("axis_hour"),
        y_label=t("axis_tickets"),
    )


def weekday_chart(counts: Sequence[int], link: Callable[..., str]) -> Markup:
    lang = language()
    return bar_chart(
        chart_id="chart-weekday",
        title=t("chart_weekday"),
        description=t("chart_weekday_desc"),
        bars=count_bars(
            list(WEEKDAYS_SHORT[lang]),
            counts,
            lambda i, n: t("bar_weekday", day=DAY_NAMES[lang][i], count=n),
            lambda i: link(weekday=i),
        ),
        x_label=t("axis_weekday"),
        y_label=t("axis_tickets"),
    )


def wait_chart(buckets: Sequence[Bucket], link: Callable[..., str]) -> Markup:
    """The wait distribution: one bar per bucket, in order."""

    keys = [str(b.key) for b in buckets]
    labels = [bucket_label(key, str(b.label)) for key, b in zip(keys, buckets, strict=True)]
    return bar_chart(
        chart_id="chart-wait",
        title=t("chart_wait"),
        description=t("chart_wait_desc"),
        bars=count_bars(
            labels,
            [int(b.count) for b in buckets],
            lambda i, n: t("bar_wait", label=labels[i], count=n),
            lambda i: link(wait_bucket=keys[i]),
        ),
        x_label=t("axis_wait"),
        y_label=t("axis_tickets"),
    )


def sla_chart(points: Sequence[DayPoint], link: Callable[..., str]) -> Markup:
    """SLA attainment per local day (no bar, a dash, for a day with nothing counted)."""

    lang = language()
    bars = []
    for point in points:
        day = point.day
        share = point.attainment
        counted = int(point.counted)
        long_day = format_date(day, lang)
        bars.append(
            Bar(
                label=f"{day.day}/{day.month}",
                value=None if share is None else share * 100,
                # whole percents: a month of days leaves narrow bars (the axis says "%")
                text=str(round(share * 100)) if share is not None else "–",
                title=(
                    t("bar_sla_none", day=long_day)
                    if share is None
                    else t(
                        "bar_sla",
                        day=long_day,
                        share=percent_text(share, lang),
                        met=point.met,
                        counted=counted,
                    )
                ),
                href=link(day=day.isoformat()) if counted else None,
            )
        )
    return bar_chart(
        chart_id="chart-sla",
        title=t("chart_sla"),
        description=t("chart_sla_desc"),
        bars=bars,
        x_label=t("axis_day"),
        y_label=t("axis_percent"),
        max_value=100,
        tick_suffix="%",
        fill=0.86,
    )
