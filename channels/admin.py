from django.contrib import admin

from channels.models import InboundSms, PhoneNumber


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = ("user", "number", "confirmed_at", "sms_updates")
    search_fields = ("user__email", "number")
    raw_id_fields = ("user",)
    readonly_fields = ("code_digest", "code_sent_at", "code_attempts")


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin):
    """The quarantine: what unknown or unconfirmed numbers sent, until the sweep deletes it."""

    list_display = ("received_at", "state", "reason_code", "sender", "ticket")
    list_filter = ("state", "reason_code")
    readonly_fields = [f.name for f in InboundSms._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
