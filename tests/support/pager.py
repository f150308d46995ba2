"""Reading a list page's pager back as a person (or a screen reader) meets it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Pager:
    label: str = ""
    summary: str = ""  # its first line: which items are shown, of how many
    links: dict[str, str] = field(default_factory=dict)  # link text -> address, as written in the page
    current: str = ""  # the text of the link marked aria-current="page"
    notices: list[str] = field(default_factory=list)


class PagerReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pager: Pager | None = None
        self.pagers: list[Pager] = []
        self._depth = 0
        self._link: dict[str, str | None] | None = None
        self._text = ""
        self._in = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "nav" and "pager" in (attributes.get("class") or "").split():
            self.pager = Pager(label=attributes.get("aria-label") or "")
            self.pagers.append(self.pager)
            self._depth = 1
        elif self._depth:
            if tag == "nav":
                self._depth += 1
            elif tag == "a":
                self._link, self._text = attributes, ""
            elif tag == "p":
                self._in, self._text = attributes.get("class") or "", ""

    def handle_endtag(self, tag: str) -> None:
        if not self._depth or self.pager is None:
            return
        if tag == "nav":
            self._depth -= 1
        elif tag == "a" and self._link is not None:
            text = " ".join(self._text.split())
            self.pager.links[text] = self._link.get("href") or ""
            if self._link.get("aria-current") == "page":
                self.pager.current = text
            self._link = None
        elif tag == "p":
            text = " ".join(self._text.split())
            if "pager-summary" in self._in:
                self.pager.summary = text
            else:
                self.pager.notices.append(text)
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text += data


def read_pager(html: str, label: str | None = None) -> Pager:
    """The page's pager, or the one named `label` on a page with several; fails the test when there is
    no such pager."""
    reader = PagerReader()
    reader.feed(html)
    found = [pager for pager in reader.pagers if label is None or pager.label == label]
    assert found, f"the page has no pager{f' named {label!r}' if label else ''}"
    return found[0]
