from django.contrib import admin

from privacy.models import AccessLogEntry, Erasure, LegalHold, RetentionPolicy


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read only: the database refuses changes to the access log anyway."""

    list_display = ["at", "reader", "role", "kind", "ticket", "subject", "agency", "ip_address"]
    list_filter = ["kind", "role"]
    list_select_related = ["reader", "ticket", "subject", "agency"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["agency", "keep_days", "updated_at"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["pk", "ticket", "person", "placed_by", "placed_at", "released_at"]
    raw_id_fields = ["ticket", "person", "placed_by"]


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ["pk", "person", "erased_by", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
