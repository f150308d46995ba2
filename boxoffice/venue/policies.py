"""The T&Cs and the privacy policy, versioned: every change adds a row and no row is ever edited, so the
version a buyer accepted stays on record.

Version 1 of each is created the first time it is read, not by a migration, so a database emptied by a
test or a restore gets it back as well. Creation is race-safe: (kind, version) is unique and the insert is
`ON CONFLICT DO NOTHING`, so two first readers at once both end up reading the same single row.

Policy HTML is pasted in by venue staff and shown to the public, so it is sanitised with nh3 before it
is stored and again when it is read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from boxoffice.auth import audit
from boxoffice.documents.html import formatting_cleaner
from boxoffice.venue.tables import PolicyDocument, PolicyKind

if TYPE_CHECKING:
    import nh3


MAX_POLICY_LENGTH = 200_000  # characters of HTML as submitted


DEFAULT_POLICY_HTML = {
    PolicyKind.TERMS: """\
<p><strong>These are example terms supplied with Boxoffice. The venue should replace them with its own
terms and conditions before it sells tickets.</strong></p>
<h2>Buying tickets</h2>
<ul>
<li>Tickets are sold by the venue named on them, subject to availability, at the price shown when
you buy.</li>
<li>Please check your order before you pay. Tickets are not refundable or exchangeable unless the venue
says otherwise or the performance is cancelled, in which case you will be offered a refund.</li>
</ul>
<h2>At the venue</h2>
<ul>
<li>Each ticket admits one person once: its code is checked at the door, so keep it to yourself.</li>
<li>Latecomers may be admitted at a suitable break. The venue may change the programme or performers
when it has to.</li>
</ul>
<p>Questions about your booking? Please contact the box office.</p>""",
    PolicyKind.PRIVACY: """\
<p><strong>This is an example privacy notice supplied with Boxoffice. The venue should replace it with
its own notice, naming itself as the data controller and giving its contact details.</strong></p>
<h2>What we keep and why</h2>
<ul>
<li>Your name, e-mail address and the other details you give us, to sell you tickets, send them to you
and tell you about changes to your booking.</li>
<li>Your orders and tickets, as our accounts require.</li>
<li>Your marketing choices, with when and how you made them. We send you news only if you asked for it,
and every such e-mail has a link that stops it at once.</li>
</ul>
<h2>Payments</h2>
<p>Card payments are handled by Stripe. We never see or store your card details.</p>
<h2>Your rights</h2>
<p>You may ask for a copy of what we hold about you, ask us to correct it, to restrict its use or to
delete it, and you may complain to your data protection authority.</p>""",
}


POLICY_TITLES = {PolicyKind.TERMS: "Terms and conditions", PolicyKind.PRIVACY: "Privacy policy"}


@functools.cache
def policy_cleaners() -> tuple[nh3.Cleaner, nh3.Cleaner]:
    """The cleaner for policy HTML, and one that keeps only its text."""
    policy = formatting_cleaner({"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a"})
    return policy, formatting_cleaner(set())


def sanitise_policy_html(html: str) -> str:
    """Policy HTML reduced to ordinary formatting: paragraphs, line breaks, h2-h4 headings, lists,
    strong, em, and links to http, https or mailto addresses (which get rel="noopener noreferrer").
    Scripts and styles go with their content; images, style and event-handler attributes, relative and
    `javascript:` URLs, and every other tag or attribute are dropped."""
    policy, _ = policy_cleaners()
    return policy.clean(html.replace("\r\n", "\n").strip()).strip()


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    kind: str
    version: int
    html: str  # sanitised
    published_at: datetime


def _policy_kind(kind: str) -> PolicyKind:
    try:
        return PolicyKind(kind)
    except ValueError:
        raise ValueError(f"no policy of kind {kind!r}") from None


def _policy_version(row: dict) -> PolicyVersion:
    return PolicyVersion(
        kind=row["kind"],
        version=row["version"],
        html=sanitise_policy_html(row["body_html"]),
        published_at=row["published_at"],
    )


POLICY_COLUMNS = (
    PolicyDocument.kind,
    PolicyDocument.version,
    PolicyDocument.body_html,
    PolicyDocument.published_at,
)


async def _create_first_policy(kind: PolicyKind) -> None:
    await PolicyDocument.insert(
        PolicyDocument(kind=kind, version=1, body_html=sanitise_policy_html(DEFAULT_POLICY_HTML[kind]))
    ).on_conflict(action="DO NOTHING")


async def current_policy(kind: str) -> PolicyVersion:
    """The version of the T&Cs ("terms") or privacy policy ("privacy") in effect."""
    policy_kind = _policy_kind(kind)
    for _ in range(2):
        row = (
            await PolicyDocument.select(*POLICY_COLUMNS)
            .where(PolicyDocument.kind == policy_kind)
            .order_by(PolicyDocument.version, ascending=False)
            .first()
        )
        if row is not None:
            return _policy_version(row)
        await _create_first_policy(policy_kind)
    raise RuntimeError(f"the first {kind} policy could not be created")


async def policy_version(kind: str, version: int) -> PolicyVersion | None:
    """One published version, or None when there is no such version."""
    policy_kind = _policy_kind(kind)
    if version == 1:
        await current_policy(policy_kind)
    row = (
        await PolicyDocument.select(*POLICY_COLUMNS)
        .where((PolicyDocument.kind == policy_kind) & (PolicyDocument.version == version))
        .first()
    )
    return _policy_version(row) if row else None


async def policy_versions(kind: str) -> list[PolicyVersion]:
    """Every published version, newest first."""
    policy_kind = _policy_kind(kind)
    await current_policy(policy_kind)
    rows = (
        await PolicyDocument.select(*POLICY_COLUMNS)
        .where(PolicyDocument.kind == policy_kind)
        .order_by(PolicyDocument.version, ascending=False)
    )
    return [_policy_version(row) for row in rows]


def visible_text(html: str) -> str:
    _, text_only = policy_cleaners()
    return text_only.clean(html).strip()


async def publish_policy(kind: PolicyKind, *, html: str, actor_id: int, ip: str, now: datetime) -> bool:
    """Make sanitised `html` the version in effect, unless it already is; inside the caller's transaction.
    False when someone else published the same version at the same moment, and nothing was added."""
    current = await current_policy(kind)
    if current.html == html:
        return True
    version = current.version + 1
    added = (
        await PolicyDocument.insert(
            PolicyDocument(
                kind=kind, version=version, body_html=html, published_at=now, published_by=actor_id
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(PolicyDocument.id)
    )
    if not added:
        return False
    await audit.record(
        "policy.published",
        actor_id=actor_id,
        ip=ip,
        object_type="policy_document",
        object_id=added[0]["id"],
        detail={"kind": kind.value, "version": version},
    )
    return True
