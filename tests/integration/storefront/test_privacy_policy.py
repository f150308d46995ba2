"""The privacy policy names the processors that Records of processing names, read from the one list, and
leads to the privacy centre."""

from __future__ import annotations

from dataclasses import replace

from boxoffice.config import get_settings
from boxoffice.privacy.processors import processors
from tests.support.app import app_client
from tests.support.staff import make_staff, sign_in


async def test_the_policy_and_the_records_name_the_same_processors(database, fake_stripe):
    settings = replace(
        get_settings(),
        stripe_secret_key=fake_stripe.secret_key,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        stripe_api_base=fake_stripe.url,
        smtp_host="smtp.mailer.example",
        mail_from="Box office <boxoffice@venue.example>",
    )
    expected = [
        processor.name for processor in processors(card_payments=True, smtp_host="smtp.mailer.example")
    ]
    assert expected == ["Stripe", "The e-mail provider at smtp.mailer.example"]
    async with app_client(settings) as client:
        policy = (await client.get("/privacy")).text
        await sign_in(client, await make_staff("admin"))
        records = (await client.get("/marketing/processing")).text

    for name in expected:
        assert f"<strong>{name}</strong>" in policy
        assert f'<th scope="row">{name}</th>' in records
    assert 'href="/privacy-centre"' in policy


async def test_without_processors_the_policy_says_nobody_handles_the_data(client):
    policy = (await client.get("/privacy")).text

    assert "Nobody outside the box office handles your data." in policy
