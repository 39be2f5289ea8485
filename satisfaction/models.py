"""The requester's verdict on a resolution: one question, asked once per resolution."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

COMMENT_MAX_LENGTH = 2000


class Survey(models.Model):
    """The question asked when a ticket was resolved, and its answer once given.

    One per resolution (the resolving status event): a reopened ticket resolved again is asked
    again. `agency` is the agency that held the ticket when it was resolved, so a transfer
    afterwards moves no score.
    """

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        BAD = "bad", _("Bad")

    personal_data_fields = ("comment",)

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    resolution = models.OneToOneField(
        "tickets.TicketEvent", on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    resolved_at = models.DateTimeField()
    rating = models.CharField(
        _("rating"), max_length=10, choices=Rating.choices, blank=True, default=""
    )
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        indexes = [
            models.Index(
                fields=["agency", "answered_at"],
                name="survey_agency_answered",
                condition=Q(answered_at__isnull=False),
            ),
            models.Index(fields=["ticket", "-resolved_at"], name="survey_ticket_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, rating="")
                | Q(answered_at__isnull=False, rating__in=["good", "bad"]),
                name="survey_answer_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.rating or '?'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
