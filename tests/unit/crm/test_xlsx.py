"""The streaming XLSX writer: a workbook spreadsheets open, written in pieces, keeping every character a
cell can hold."""

from __future__ import annotations

import io

import openpyxl

from boxoffice.crm.bulk_export import neutralised
from boxoffice.crm.xlsx import StreamingWorkbook, column_letters


def test_columns_are_lettered_as_spreadsheets_do():
    assert [column_letters(index) for index in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_a_workbook_written_in_pieces_opens_with_its_text_intact():
    book = StreamingWorkbook('Contacts "2026"')
    pieces = [book.take()]
    book.add_rows([["Name", "Note"], ["Ada <Lovelace> & co", "line\r\nbreak\ttab"]])
    pieces.append(book.take())
    book.add_rows([["bell\x07gone", "ünïcödé ✓"]])
    pieces.append(book.close())

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(pieces)), read_only=True)

    assert workbook.sheetnames == ['Contacts "2026"']
    assert list(workbook.active.iter_rows(values_only=True)) == [
        ("Name", "Note"),
        ("Ada <Lovelace> & co", "line\r\nbreak\ttab"),
        ("bellgone", "ünïcödé ✓"),
    ]


def test_rows_go_out_before_the_file_is_closed():
    book = StreamingWorkbook()
    book.take()
    book.add_rows([[f"person{number}@example.org", f"Person {number}"] for number in range(2000)])

    assert len(book.take()) > 10_000
    assert book.close().endswith(b"\x00\x00")  # the zip's closing record


def test_formula_like_cells_are_neutralised_and_others_left_alone():
    assert [neutralised(value) for value in ("=1+2", "+44 117", "-5", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+2",
        "'+44 117",
        "'-5",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert [neutralised(value) for value in ("Ada", "ada@example.org", "BS1 4DJ", "")] == [
        "Ada",
        "ada@example.org",
        "BS1 4DJ",
        "",
    ]
