"""The brochure's horizontal bar chart, "% of enterprises reporting improvement", as SVG.

Drawn with the standard library's ElementTree, so text is escaped and the document is
well-formed whatever an indicator is called. Every bar shows its n beside it.
"""

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)

WIDTH = 800
LABEL_WIDTH = 280  # left column: indicator names
PLOT_WIDTH = 380  # 0..100 %
N_GAP = 56  # from the plot's right edge to "n = 23": room for a full bar's "100%"
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 84
LINE = 14
FONT = "Helvetica, Arial, sans-serif"
BAR_COLOUR = "#1e2dbe"  # ILO blue
GRID_COLOUR = "#d0d4e4"
TEXT_COLOUR = "#1a1a1a"
MUTED_COLOUR = "#5a5a5a"
LABEL_CHARS = 40


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float  # 0..100
    n: int


@dataclass(frozen=True)
class Chart:
    title: str
    subtitle: str
    bars: Sequence[Bar]
    footnotes: Sequence[str] = ()


def _el(parent: ET.Element, tag: str, text: str | None = None, **attributes: object) -> ET.Element:
    element = ET.SubElement(
        parent,
        f"{{{SVG_NS}}}{tag}",
        {k.rstrip("_").replace("_", "-"): str(v) for k, v in attributes.items()},
    )
    if text is not None:
        element.text = text
    return element


def _percent_text(percent: float) -> str:
    return f"{percent:.0f}%" if percent == round(percent) else f"{percent:.1f}%"


def _wrapped(text: str, width: int, lines: int) -> list[str]:
    parts = textwrap.wrap(text, width) or [""]
    if len(parts) > lines:
        parts = [*parts[: lines - 1], textwrap.shorten(" ".join(parts[lines - 1 :]), width)]
    return parts


def render_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document; its height grows with the number of bars."""
    plot_left = LABEL_WIDTH
    plot_top = TOP
    plot_height = max(len(chart.bars), 1) * ROW_HEIGHT
    # Footnotes wrap instead of running off the image; the method is shown in full.
    footnote_lines = [line for note in chart.footnotes for line in textwrap.wrap(note, 120)]
    height = plot_top + plot_height + 40 + len(footnote_lines) * LINE + 16

    svg = ET.Element(
        f"{{{SVG_NS}}}svg",
        {
            "width": str(WIDTH),
            "height": str(height),
            "viewBox": f"0 0 {WIDTH} {height}",
            "role": "img",
            "aria-labelledby": "chart-title chart-desc",
            "font-family": FONT,
        },
    )
    _el(svg, "title", chart.title, id="chart-title")
    description = "; ".join(
        f"{bar.label}: {_percent_text(bar.percent)}, n={bar.n}" for bar in chart.bars
    )
    _el(svg, "desc", f"{chart.subtitle}. {description or 'No data.'}", id="chart-desc")
    _el(svg, "rect", x=0, y=0, width=WIDTH, height=height, fill="#ffffff")
    _el(svg, "text", chart.title, x=16, y=30, font_size=20, font_weight="bold", fill=TEXT_COLOUR)
    _el(svg, "text", chart.subtitle, x=16, y=52, font_size=12, fill=MUTED_COLOUR)

    axis = _el(svg, "g", id="axis", font_size=11, fill=MUTED_COLOUR)
    for tick in range(0, 101, 25):
        x = plot_left + PLOT_WIDTH * tick / 100
        _el(
            axis,
            "line",
            x1=x,
            y1=plot_top - 6,
            x2=x,
            y2=plot_top + plot_height,
            stroke=GRID_COLOUR,
            stroke_width=1,
        )
        _el(axis, "text", f"{tick}%", x=x, y=plot_top - 10, text_anchor="middle")

    bars = _el(svg, "g", id="bars", font_size=12, fill=TEXT_COLOUR)
    if not chart.bars:
        _el(
            bars,
            "text",
            "No indicator has enough matched baseline and endline values to show.",
            x=plot_left,
            y=plot_top + ROW_HEIGHT / 2 + 4,
            fill=MUTED_COLOUR,
        )
    for index, bar in enumerate(chart.bars):
        top = plot_top + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        group = _el(bars, "g", class_="bar")
        _el(group, "title", f"{bar.label}: {_percent_text(bar.percent)} (n = {bar.n})")
        lines = _wrapped(bar.label, LABEL_CHARS, 2)
        label = _el(
            group,
            "text",
            x=plot_left - 10,
            y=middle + 4 - (len(lines) - 1) * LINE / 2,
            text_anchor="end",
        )
        for number, text in enumerate(lines):
            _el(label, "tspan", text, x=plot_left - 10, dy=0 if number == 0 else LINE)
        width = PLOT_WIDTH * max(0.0, min(bar.percent, 100.0)) / 100
        _el(
            group,
            "rect",
            x=plot_left,
            y=middle - BAR_HEIGHT / 2,
            width=f"{width:.2f}",
            height=BAR_HEIGHT,
            fill=BAR_COLOUR,
        )
        value_x = plot_left + width + 6
        _el(
            group,
            "text",
            _percent_text(bar.percent),
            x=f"{value_x:.2f}",
            y=middle + 4,
            font_weight="bold",
        )
        _el(
            group,
            "text",
            f"n = {bar.n}",
            x=plot_left + PLOT_WIDTH + N_GAP,
            y=middle + 4,
            fill=MUTED_COLOUR,
            class_="n",
        )

    notes = _el(svg, "g", id="footnotes", font_size=11, fill=MUTED_COLOUR)
    for number, text in enumerate(footnote_lines):
        _el(notes, "text", text, x=16, y=plot_top + plot_height + 32 + number * LINE)
    return ET.tostring(svg, encoding="unicode", xml_declaration=True)
