"""A one-sheet XLSX workbook written as it goes, for exports too large to hold in memory.

openpyxl's and XlsxWriter's write-only modes keep rows out of memory but assemble the file only when it
is closed, so nothing reaches the browser until the last row is written. An XLSX file is a zip of a few
XML parts; Python's zipfile writes to a stream that cannot seek (sizes go in data descriptors after each
part), so the sheet is compressed and handed out in chunks while rows are still being added. Every
cell is an inline string: nothing in an export is a number or formula to a spreadsheet.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

# Cell text as XML: markup characters escaped, a bare CR kept (XML would read it back as LF), and the
# control characters XML 1.0 cannot hold at all dropped.
CELL_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": "&#13;",
        **{chr(code): None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)},
    }
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE_NS = "http://schemas.openxmlformats.org/package/2006"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CONTENT_TYPES = (
    f'{XML_DECLARATION}<Types xmlns="{PACKAGE_NS}/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_NS}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'{XML_DECLARATION}<workbook xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_NS}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_START = f'{XML_DECLARATION}<worksheet xmlns="{MAIN_NS}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"


class ChunkSink(io.RawIOBase):
    """Collects what the zip writer writes until it is taken; it cannot seek, so zipfile streams."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken = b"".join(self.chunks)
        self.chunks.clear()
        return taken


@functools.cache
def column_letters(index: int) -> str:
    """A, B, ... Z, AA, ... for the 0-based column `index`."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def row_xml(number: int, values: Iterable[str]) -> str:
    cells = "".join(
        f'<c r="{column_letters(index)}{number}" t="inlineStr"><is><t xml:space="preserve">'
        f"{value.translate(CELL_TEXT)}</t></is></c>"
        for index, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


class StreamingWorkbook:
    """Add rows with `add_rows`, hand out `take()` as it grows, and end with `close()`."""

    def __init__(self, sheet_name: str = "Sheet1") -> None:
        self.sink = ChunkSink()
        self.archive = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED)
        self.archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        self.archive.writestr("_rels/.rels", PACKAGE_RELS)
        self.archive.writestr("xl/workbook.xml", WORKBOOK.format(name=escape(sheet_name, {'"': "&quot;"})))
        self.archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self.sheet = self.archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(SHEET_START.encode())
        self.rows = 0

    def add_rows(self, rows: Iterable[Iterable[str]]) -> None:
        written = []
        for values in rows:
            self.rows += 1
            written.append(row_xml(self.rows, values))
        self.sheet.write("".join(written).encode())

    def take(self) -> bytes:
        return self.sink.take()

    def close(self) -> bytes:
        """Finish the file and return its last bytes."""
        self.sheet.write(SHEET_END.encode())
        self.sheet.close()
        self.archive.close()
        return self.sink.take()
