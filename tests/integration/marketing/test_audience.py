"""Who a campaign goes to: contacts whose latest e-mail consent is an opt-in, never restricted or removed
ones, narrowed by tag, by event or performance attended, or by purchase date, counted in SQL."""

from __future__ import annotations

from datetime import timedelta

from boxoffice.marketing.audience import AudienceFilter, audience_size
from boxoffice.marketing.consent import record_consent
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.marketing import START, buy_ticket, make_contact, tag_contacts


async def test_only_contacts_whose_latest_email_consent_is_an_opt_in_count(database):
    await make_contact("in@example.org")
    await make_contact("never@example.org", opted_in=None)
    await make_contact("out@example.org", opted_in=False)
    await make_contact("restricted@example.org", restricted=True)
    await make_contact("removed@example.org", erased=True)
    changed_mind = await make_contact("changed@example.org")
    await record_consent(
        contact_id=changed_mind,
        channel="email",
        granted=False,
        source="staff",
        wording="Asked us on the phone to stop e-mails",
        now=START,
    )
    by_post_only = await make_contact("post@example.org", opted_in=None)
    await record_consent(
        contact_id=by_post_only,
        channel="post",
        granted=True,
        source="import",
        wording="Paper form",
        now=START,
    )
    came_back = await make_contact("back@example.org", opted_in=False)
    await record_consent(
        contact_id=came_back,
        channel="email",
        granted=True,
        source="online_checkout",
        wording="Yes",
        now=START,
    )

    assert await audience_size(AudienceFilter()) == 2  # in@ and back@


async def test_filters_narrow_by_tag_event_performance_and_purchase_date(database):
    hall = await make_venue()
    tempest = await make_event(hall, "the-tempest", "The Tempest")
    jazz = await make_event(hall, "jazz", "Jazz Night")
    friday = await make_performance(tempest, START + timedelta(days=10), {"Adult": 2400})
    saturday = await make_performance(tempest, START + timedelta(days=11), {"Adult": 2400})
    jazz_night = await make_performance(jazz, START + timedelta(days=12), {"Standard": 1500})
    ada = await make_contact("ada@example.org")
    bea = await make_contact("bea@example.org")
    cy = await make_contact("cy@example.org")
    dot = await make_contact("dot@example.org", opted_in=False)
    await buy_ticket(ada, friday.id, when=START - timedelta(days=40))
    await buy_ticket(bea, saturday.id, when=START - timedelta(days=5))
    await buy_ticket(cy, jazz_night.id, when=START - timedelta(days=5))
    await buy_ticket(cy, friday.id, when=START - timedelta(days=2), status="expired")  # never paid
    await buy_ticket(dot, friday.id, when=START - timedelta(days=5))
    friends = await tag_contacts("Friends", ada, cy, dot)

    assert await audience_size(AudienceFilter()) == 3
    assert await audience_size(AudienceFilter(tag_id=friends)) == 2
    assert await audience_size(AudienceFilter(event_id=tempest.id)) == 2
    assert await audience_size(AudienceFilter(performance_id=friday.id)) == 1
    assert await audience_size(AudienceFilter(event_id=jazz.id, tag_id=friends)) == 1
    assert await audience_size(AudienceFilter(purchased_from=START - timedelta(days=10))) == 2
    assert await audience_size(AudienceFilter(purchased_until=START - timedelta(days=10))) == 1
    assert (
        await audience_size(
            AudienceFilter(
                purchased_from=START - timedelta(days=6), purchased_until=START - timedelta(days=4)
            )
        )
        == 2
    )
    # A filter naming something that is gone matches nobody: it never widens the audience.
    assert await audience_size(AudienceFilter(tag_id=friends + 100)) == 0
    assert await audience_size(AudienceFilter(event_id=jazz.id + 100)) == 0
