"""Charts drawn on the server as plain shapes for an SVG, from a report table's chart description.

No meaning rests on colour alone: series differ by fill pattern (solid, hatched, outlined) and by line
dash and marker, a legend names them in text, each bar and point carries its figures as a tooltip
title, bars end in their figures as text, and the table beside every chart holds all the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from boxoffice.reports.tabular import Column, ReportTable

WIDTH = 720
LABEL_WIDTH = 250
BAR_AREA = 330
ROW_HEIGHT = 24
LINE_HEIGHT = 240
MARGIN = 60  # left of a line chart, for its axis labels
STYLES = 3  # solid, hatched, outlined; a fourth series would repeat the first


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str  # rect, text, line, circle, polyline
    style: int = 0
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text: str = ""  # a text's content, or a shape's tooltip
    points: str = ""  # a polyline's
    anchor: str = "start"


@dataclass(slots=True)
class Drawing:
    title: str
    description: str
    width: int
    height: int
    legend: list[tuple[int, str]]
    shapes: list[Shape] = field(default_factory=list)
    shown: int = 0  # rows drawn
    rows: int = 0  # rows in the table


def short(text: str, most: int = 38) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def draw(table: ReportTable, display: Callable[[object, Column], str]) -> Drawing | None:
    """The table's chart, or None when it has none or nothing to draw."""
    chart = table.chart
    if chart is None or not table.rows:
        return None
    series = [table.column(key) for key in chart.series]
    rows = table.rows[: chart.limit] if chart.kind == "bars" else table.rows
    legend = [(index % STYLES, column.label) for index, column in enumerate(series)]
    if chart.kind == "bars":
        return bars(chart.title, chart.description, rows, series, legend, display, len(table.rows))
    return lines(chart.title, chart.description, rows, series, legend, display, chart.label)


def value(row: dict, column: Column) -> float:
    return float(row.get(column.key) or 0)


def bars(title, description, rows, series, legend, display, total_rows) -> Drawing:
    top = 28  # room for the legend
    drawing = Drawing(
        title, description, WIDTH, top + ROW_HEIGHT * len(rows) + 8, legend, shown=len(rows), rows=total_rows
    )
    largest = max([1.0, *(sum(max(0.0, value(row, column)) for column in series) for row in rows)])
    for index, (style, label) in enumerate(legend):
        x = LABEL_WIDTH + index * 140
        drawing.shapes.append(Shape("rect", style, x, 6, 14, 14))
        drawing.shapes.append(Shape("text", 0, x + 20, 18, text=label))
    for number, row in enumerate(rows):
        y = top + number * ROW_HEIGHT
        drawing.shapes.append(
            Shape("text", 0, LABEL_WIDTH - 8, y + 16, text=short(str(row["label"])), anchor="end")
        )
        x = float(LABEL_WIDTH)
        figures = []
        for index, column in enumerate(series):
            width = max(0.0, value(row, column)) / largest * BAR_AREA
            figure = display(row.get(column.key), column)
            figures.append(figure)
            if width > 0:
                drawing.shapes.append(
                    Shape(
                        "rect",
                        index % STYLES,
                        round(x, 1),
                        y + 4,
                        round(width, 1),
                        ROW_HEIGHT - 8,
                        text=f"{row['label']}: {column.label} {figure}",
                    )
                )
            x += width
        drawing.shapes.append(Shape("text", 0, round(x + 6, 1), y + 16, text=" / ".join(figures)))
    return drawing


def lines(title, description, rows, series, legend, display, label_key) -> Drawing:
    top, bottom = 30, 34
    plot_height = LINE_HEIGHT - top - bottom
    drawing = Drawing(title, description, WIDTH, LINE_HEIGHT, legend, shown=len(rows), rows=len(rows))
    values = [value(row, column) for row in rows for column in series]
    low, high = min([0.0, *values]), max([0.0, *values])
    high = high if high > low else low + 1
    step = (WIDTH - MARGIN - 20) / max(1, len(rows) - 1)

    def y_of(amount: float) -> float:
        return round(top + (high - amount) / (high - low) * plot_height, 1)

    for index, (style, label) in enumerate(legend):
        x = MARGIN + index * 160
        drawing.shapes.append(Shape("line", style, x, 12, x + 24, 12))
        drawing.shapes.append(Shape("text", 0, x + 30, 16, text=label))
    first = series[0]
    for amount in sorted({low, 0.0, high}):
        drawing.shapes.append(Shape("line", -1, MARGIN, y_of(amount), WIDTH - 20, y_of(amount)))
        drawing.shapes.append(
            Shape(
                "text",
                0,
                MARGIN - 6,
                y_of(amount) + 4,
                text=display(amount if first.kind != "count" else int(amount), first),
                anchor="end",
            )
        )
    every = max(1, -(-len(rows) // 8))
    for number, row in enumerate(rows):
        if number % every == 0 or number == len(rows) - 1:
            drawing.shapes.append(
                Shape(
                    "text",
                    0,
                    round(MARGIN + number * step, 1),
                    LINE_HEIGHT - 12,
                    text=short(str(row[label_key]), 16),
                    anchor="middle",
                )
            )
    for index, column in enumerate(series):
        points = [
            (round(MARGIN + number * step, 1), y_of(value(row, column))) for number, row in enumerate(rows)
        ]
        drawing.shapes.append(
            Shape("polyline", index % STYLES, points=" ".join(f"{x},{y}" for x, y in points))
        )
        for (x, y), row in zip(points, rows, strict=True):
            drawing.shapes.append(
                Shape(
                    "circle",
                    index % STYLES,
                    x,
                    y,
                    text=f"{row[label_key]}: {column.label} {display(row.get(column.key), column)}",
                )
            )
    return drawing
