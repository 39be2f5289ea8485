"""What goes into a daily digest and how it reads. No writes: notice_services sends it."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.templatetags.moments import moment_text
from notifications.models import Notice


@dataclass(frozen=True)
class DigestMessage:
    subject: str
    body_text: str
    body_html: str


def digest_dedupe_key(user: User, day: date) -> str:
    """One digest per person per day, however often the task runs."""
    return f"digest:{user.pk}:{day.isoformat()}"


def digest_users_due() -> QuerySet[User]:
    """Active people with notices waiting for their digest (the notice_digest_due index)."""
    waiting = Notice.objects.filter(digest_pending=True).values("user")
    return User.objects.filter(is_active=True, pk__in=waiting).order_by("pk")


def digest_notices_pending(user: User) -> list[Notice]:
    """The person's notices waiting for a digest, oldest first, each with its ticket."""
    return list(
        Notice.objects.filter(user=user, digest_pending=True)
        .select_related("ticket")
        .only("kind", "text", "created_at", "ticket", "ticket__reference")
        .order_by("created_at", "id")
    )


def digest_render(*, user: User, notices: list[Notice], day: date) -> DigestMessage:
    """The digest e-mail in the person's language, each notice linking to its ticket."""
    site = settings.GOVDESK_SITE_URL
    notices_url = site + reverse("notices")
    items = [
        {
            "text": notice.text,
            "created_at": notice.created_at,
            "url": (
                site + reverse("ticket_detail", args=[notice.ticket.reference])
                if notice.ticket_id
                else notices_url
            ),
        }
        for notice in notices
    ]
    with translation.override(user.language):
        context = {
            "user": user,
            "items": items,
            "day": day,
            "notices_url": notices_url,
            "preferences_url": site + reverse("notification_preferences"),
            "LANGUAGE_CODE": translation.get_language(),
        }
        subject = _("Your GovDesk summary for %(date)s") % {"date": moment_text(day, "date")}
        return DigestMessage(
            subject=subject,
            body_text=render_to_string("notifications/email/digest.txt", context),
            body_html=render_to_string("notifications/email/digest.html", context),
        )
