"""Handles one e-mail read on standard input, for a mail server that pipes messages, such as
this line in Postfix's aliases file:

    help: "| /srv/govdesk/.venv/bin/python /srv/govdesk/manage.py receive_email
             --mailbox help@mof.gov.lr"   (on one line)

Exits 0 once the message is recorded, whatever became of it (a quarantined message waits for
an admin); 75 (EX_TEMPFAIL) when the database cannot be reached, so the mail server retries.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from mail.inbound import inbound_handle
from mail.models import InboundMailbox

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Reads one e-mail on standard input and adds it to GovDesk (or says why not)."
    # Tests hand the message in as a file: call_command("receive_email", stdin=...).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--mailbox",
            metavar="ADDRESS",
            help="The inbound mailbox the message was sent to; its agency receives new tickets.",
        )

    def handle(self, *args, **options):
        stream = options.get("stdin") or sys.stdin.buffer
        mailbox = None
        try:
            if options["mailbox"]:
                mailbox = (
                    InboundMailbox.objects.select_related("agency", "default_category")
                    .filter(address__iexact=options["mailbox"].strip())
                    .first()
                )
                if mailbox is None:
                    # Kept in the mail server's queue until the alias or the mailbox is fixed.
                    raise CommandError(
                        f"No inbound mailbox has the address {options['mailbox']}.",
                        returncode=EX_TEMPFAIL,
                    )
            record = inbound_handle(stream.read(), mailbox=mailbox)
        except DatabaseError as error:
            raise CommandError(
                f"Database unavailable, try later: {error}", returncode=EX_TEMPFAIL
            ) from error
        self.stdout.write(describe(record))


def describe(record) -> str:
    if getattr(record, "duplicate", False):
        return f"Already received as message {record.pk} ({record.state}); nothing done."
    where = f" on {record.ticket.reference}" if record.ticket_id else ""
    if record.state == record.State.PROCESSED:
        kind = "reply" if record.event_id and record.event.kind == "reply" else "new ticket"
        return f"Processed: {kind}{where} (message {record.pk})."
    return f"{record.get_state_display()}: {record.reason} (message {record.pk})."
