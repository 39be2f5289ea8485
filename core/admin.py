from django.contrib import admin

from core.models import AuditEntry, SchedulerHeartbeat


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "agency", "action", "target"]
    list_filter = ["action", "agency"]
    search_fields = ["target", "actor__email"]
    list_select_related = ["actor", "agency"]

    # History is append-only, in the admin too.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchedulerHeartbeat)
class SchedulerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at"]
