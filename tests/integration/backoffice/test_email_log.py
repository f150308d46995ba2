"""Without SMTP settings, staff can still read every e-mail Boxoffice queued."""

from boxoffice.mail.outbox import Email, queue_email
from tests.support.staff import make_staff, sign_in


async def test_queued_e_mail_can_be_read_in_the_back_office(client):
    message_id = await queue_email(
        Email(
            recipient="ada@example.org",
            subject="Your tickets: order ABC123",
            text="Dear Ada,\n<hello>",
            kind="order_confirmation",
        )
    )
    await sign_in(client, await make_staff("admin"))

    listing = (await client.get("/backoffice/email-log")).text
    assert "ada@example.org" in listing and "Your tickets: order ABC123" in listing and "queued" in listing

    message = await client.get(f"/backoffice/email-log/{message_id}")
    assert message.status_code == 200 and "Dear Ada,\n&lt;hello&gt;" in message.text
    assert (await client.get("/backoffice/email-log/999999")).status_code == 404


async def test_door_staff_cannot_read_the_e_mail_log(client):
    await sign_in(client, await make_staff("door_staff", enrolled=False))
    assert (await client.get("/backoffice/email-log")).status_code == 403
