from django.contrib import admin

from incidents.models import GovService, IncidentAffected, ProposedIncident


@admin.register(GovService)
class GovServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "is_listed", "state_changed_at"]
    list_filter = ["state", "is_listed"]
    filter_horizontal = ["categories"]


@admin.register(ProposedIncident)
class ProposedIncidentAdmin(admin.ModelAdmin):
    list_display = [
        "fingerprint",
        "category",
        "owner_agency",
        "state",
        "ticket_count",
        "detected_at",
    ]
    list_filter = ["state", "basis"]
    readonly_fields = [f.name for f in ProposedIncident._meta.fields]


@admin.register(IncidentAffected)
class IncidentAffectedAdmin(admin.ModelAdmin):
    list_display = ["incident", "user", "agency", "created_at"]
    raw_id_fields = ["incident", "user"]
