"""Django admin for mail in: mailboxes (with a write-only password) and received messages.

Imported from NotificationsConfig.ready(), beside notifications/admin.py.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mail.models import InboundMailbox, InboundMessage


class InboundMailboxForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current one."),
    )

    class Meta:
        model = InboundMailbox
        fields = [
            "agency", "address", "imap_host", "imap_port", "username", "new_password", "folder",
            "use_tls", "default_category", "allow_new_requesters", "is_active",
        ]  # fmt: skip

    def save(self, commit=True):
        if self.cleaned_data.get("new_password"):
            self.instance.password = self.cleaned_data["new_password"]
        return super().save(commit=commit)


@admin.register(InboundMailbox)
class InboundMailboxAdmin(admin.ModelAdmin):
    form = InboundMailboxForm
    list_display = ["address", "agency", "imap_host", "is_active", "last_polled_at", "last_error"]
    list_filter = ["is_active"]
    list_select_related = ["agency"]
    search_fields = ["address", "imap_host", "agency__code"]
    readonly_fields = ["last_polled_at", "last_error", "last_error_at"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """View only: releasing and discarding go through the quarantine pages and their service."""

    list_display = [
        "received_at", "state", "sender", "subject", "reason_code", "sender_check", "mailbox",
    ]  # fmt: skip
    list_filter = ["state", "reason_code", "sender_check"]
    list_select_related = ["mailbox"]
    search_fields = ["sender", "subject", "message_id"]
    exclude = ["raw"]
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
