"""The staffing forecast on each database the product runs on (PostgreSQL, and SQLite as
`pandawa dev` serves it: local hours and days in SQL, a window function): the beat task stores
it and the board's strip shows it beside the arrivals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from pandawa.core.extensions import db
from pandawa.reports.models import StaffingForecast
from pandawa.reports.tasks import forecast_staffing
from tests.harness import reset_throttle, sign_in, with_password

WIB = ZoneInfo("Asia/Jakarta")


def test_forecast_and_strip_on_each_database(
    database, clock, make_office, make_queue, make_user, make_ticket, make_conversation
):
    with database.app_context():
        office, queue = make_office("KC-DB"), make_queue("QDB")
        supervisor = with_password(make_user(role="supervisor"))
        for day, minute in ((24, 5), (24, 35), (17, 10), (17, 12), (1, 9)):
            month = 12 if day == 1 else 11
            ticket = make_ticket(queue=queue, conversation=make_conversation(office=office))
            ticket.created_at = datetime(2026, month, day, 9, minute, tzinfo=WIB)
            ticket.status, ticket.first_response_at = "resolved", ticket.created_at
            ticket.resolved_at = datetime(2026, month, day, 9, 50, tzinfo=WIB)
        email = supervisor.email
        db.session.commit()
        clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=WIB))
        assert forecast_staffing() == 1
        row = db.session.scalar(sa.select(StaffingForecast))
        (plan,) = row.payload["queues"]
        assert plan["arrivals"][9] == round(4 / 6, 3)  # the last 6 Tuesdays at 09.00
        db.session.remove()
    reset_throttle(database)
    client = database.test_client()
    sign_in(client, email)
    page = client.get("/dashboard/board").get_data(as_text=True)
    start = page.index('class="forecast-strip" data-office="KC-DB"')
    strip = page[start : page.index("</table>", start)]
    actual = strip[strip.index('data-row="actual"') : strip.index('data-row="agents"')]
    assert '<td class="num">1</td>' in actual  # today's 09.09 arrival
    assert client.get("/dashboard/forecast").status_code == 200
