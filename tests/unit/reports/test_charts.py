from boxoffice.reports.charts import draw
from boxoffice.reports.tabular import COUNT, PERCENT, TEXT, Chart, Column, ReportTable


def shown(value, column):
    return "–" if value is None else str(value)


def seats_table(rows: int) -> ReportTable:
    return ReportTable(
        "Seats",
        [Column("label", "Performance", TEXT), Column("sold", "Sold", COUNT), Column("held", "Held", COUNT)],
        [{"label": f"Show {n}", "sold": n, "held": 1} for n in range(rows)],
        chart=Chart("bars", "label", ("sold", "held"), "Seats", "Sold and held.", limit=5),
    )


def test_bars_tell_series_apart_by_pattern_and_name_their_figures_in_text():
    drawing = draw(seats_table(3), shown)

    rects = [shape for shape in drawing.shapes if shape.kind == "rect" and shape.text]
    assert {shape.style for shape in rects} == {0, 1}  # solid and hatched, not two colours
    assert "Show 2: Sold 2" in {shape.text for shape in rects}
    assert drawing.legend == [(0, "Sold"), (1, "Held")]
    assert "2 / 1" in {shape.text for shape in drawing.shapes if shape.kind == "text"}


def test_bars_draw_at_most_their_limit_and_say_so():
    drawing = draw(seats_table(8), shown)

    assert (drawing.shown, drawing.rows) == (5, 8)


def test_a_line_has_a_point_with_its_figure_for_each_row_and_no_chart_without_rows():
    table = ReportTable(
        "Pickup",
        [Column("label", "When", TEXT), Column("share", "Of capacity", PERCENT)],
        [{"label": "7 days before", "share": 0.25}, {"label": "On the day", "share": 0.5}],
        chart=Chart("line", "label", ("share",), "Pickup", "Share sold."),
    )

    drawing = draw(table, shown)

    points = [shape.text for shape in drawing.shapes if shape.kind == "circle"]
    assert points == ["7 days before: Of capacity 0.25", "On the day: Of capacity 0.5"]
    assert draw(ReportTable("Empty", table.columns, [], chart=table.chart), shown) is None
