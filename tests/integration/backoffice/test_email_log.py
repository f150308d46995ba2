"""Without SMTP settings, staff can still read every e-mail Boxoffice queued, a page at a time."""

import re

from boxoffice.mail.outbox import Email, queue_email
from tests.support.pager import read_pager
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


async def test_the_log_says_how_many_messages_there_are_and_pages_them_newest_first(client):
    for number in range(120):
        await queue_email(
            Email(recipient=f"guest{number:03}@example.org", subject=f"Message {number:03}", text="Hello")
        )
    await sign_in(client, await make_staff("admin"))

    first = await client.get("/backoffice/email-log")
    pager = read_pager(first.text)
    middle = await client.get(pager.links["Next"])
    last = await client.get(pager.links["Last"])

    assert pager.summary == "Showing 1–50 of 120" and pager.label == "Pages of the e-mail log, newest first"
    assert list(pager.links) == ["1", "2", "3", "Next", "Last"] and pager.current == "1"
    assert "Message 119" in first.text and "Message 070" in first.text and "Message 069" not in first.text
    assert read_pager(middle.text).summary == "Showing 51–100 of 120"
    subjects = re.findall(r">Message (\d{3})</a>", middle.text)
    assert subjects == [f"{number:03}" for number in range(69, 19, -1)]  # read from the oldest end
    assert list(read_pager(middle.text).links) == ["First", "Previous", "1", "2", "3", "Next", "Last"]
    assert read_pager(last.text).summary == "Showing 101–120 of 120"
    assert "Message 000" in last.text and "Message 020" not in last.text
    beyond = await client.get("/backoffice/email-log", params={"page": "99999999999999999999"})
    assert beyond.status_code == 200 and read_pager(beyond.text).summary == "Showing 101–120 of 120"
