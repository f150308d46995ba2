"""Cleaning HTML that staff write and the public or customers read (policies, campaign bodies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nh3


def formatting_cleaner(tags: set[str]) -> nh3.Cleaner:
    """An nh3 cleaner that keeps only `tags`, links only to http, https or mailto addresses (given
    rel="noopener noreferrer"), and drops scripts and styles with their content, comments, and every
    other attribute. nh3 is loaded on the first call, so a worker that only shows events never loads it."""
    import nh3

    return nh3.Cleaner(
        tags=tags,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}} if "a" in tags else {},
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        strip_comments=True,
    )
