"""Two retries of one report arriving at the same moment make one ticket: the unique
constraint on (person, key) makes the second wait for the first and replay its answer."""

import threading

from django.db import connection

from tickets.models import Ticket


def test_it_makes_one_ticket_of_concurrent_retries(
    transactional_db, api, mof_service_desk, printer_category, mof_requester
):
    client_a, client_b = api(mof_requester), api(mof_requester)
    body = {
        "subject": "Cannot print", "description": "Offline.", "category": "computer-and-printer",
        "impact": "low", "urgency": "low",
    }  # fmt: skip
    start = threading.Barrier(2)
    answers = []

    def post(client):
        try:
            start.wait()
            answers.append(
                client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
            )
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=post, args=(c,)) for c in (client_a, client_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Ticket.objects.count() == 1
