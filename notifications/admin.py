"""The Django admin for notifications: a window on what was sent, not a way to rewrite it.

Outbox rows and notices are written by notifications.services and change state only through
mail.delivery, so they are view-only here; a failed message can be retried, through
the same service as the outbox page.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.permissions import Right, membership_has_right
from mail.delivery import outbox_retry
from mail.models import Outbox
from notifications.models import Notice, Preference


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Outbox)
class OutboxAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "state", "to_address", "subject", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["to_address", "subject", "message_id", "ticket__reference"]
    date_hierarchy = "created_at"
    list_select_related = ["ticket"]
    readonly_fields = [
        "channel", "state", "recipient", "to_address", "subject", "body_text", "body_html",
        "headers", "message_id", "ticket", "dedupe_key", "attempts", "last_error", "created_at",
        "next_attempt_at", "sent_at",
    ]  # fmt: skip
    actions = ["retry"]

    def has_retry_permission(self, request) -> bool:
        return request.user.is_superuser or membership_has_right(
            getattr(request, "membership", None), Right.MANAGE_AGENCIES
        )

    @admin.action(description=_("Retry the selected failed messages"), permissions=["retry"])
    def retry(self, request, queryset):
        retried = sum(
            outbox_retry(outbox=outbox, actor=request.user)
            for outbox in queryset.filter(state=Outbox.State.FAILED)
        )
        skipped = queryset.count() - retried
        self.message_user(
            request,
            ngettext(
                "%(count)d message is queued to be sent again.",
                "%(count)d messages are queued to be sent again.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message had not failed and was left alone.",
                    "%(count)d messages had not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Notice)
class NoticeAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "user", "kind", "ticket", "read_at", "digest_pending"]
    list_filter = ["kind", "digest_pending"]
    search_fields = ["user__email", "text", "ticket__reference"]
    list_select_related = ["user", "ticket"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "mode"]
    list_filter = ["kind", "mode"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
