"""Taking a person's details out of text that must otherwise stay: a reason typed for a payment, an audit
entry, an e-mail's subject in the log. What was taken out reads as `ERASED_VALUE`."""

from __future__ import annotations

import re

ERASED_VALUE = "(removed)"


def redact(text: str, identifiers: list[str]) -> str:
    """`text` with each identifier in it replaced, whatever its case, where it stands as a word of its own:
    a contact called Ann leaves "Annual comp" as it is."""
    for identifier in sorted(identifiers, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(identifier)}(?!\w)", ERASED_VALUE, text, flags=re.IGNORECASE)
    return text
