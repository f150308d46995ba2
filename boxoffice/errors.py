"""`Refused`: the one shape of every refusal a service makes.

A service refuses before it changes anything, so a refusal means nothing was changed. Its `problems`
map each form field at fault to what is wrong with it, in words for the person who typed it; the key ""
is for the request as a whole. Pages show them beside their fields and move focus to the first.
"""

from __future__ import annotations


class Refused(Exception):
    """A rule said no; nothing was changed. Built from one message (about `field`, or the whole
    request) or from several problems at once."""

    def __init__(self, problems: dict[str, str] | str, field: str = "") -> None:
        if isinstance(problems, str):
            problems = {field: problems}
        super().__init__(" ".join(problems.values()))
        self.problems = problems

    @property
    def field(self) -> str:
        """The first field at fault, "" when the problem is with the whole request."""
        return next(iter(self.problems), "")
