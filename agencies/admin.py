from django.contrib import admin

from agencies.models import Agency, AgencyDomain, Team


class AgencyDomainInline(admin.TabularInline):
    model = AgencyDomain
    extra = 1


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "time_zone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [AgencyDomainInline]
    list_select_related = ["parent"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "is_active"]
    list_filter = ["agency", "is_active"]
    search_fields = ["name", "agency__code"]
    filter_horizontal = ["members"]
    list_select_related = ["agency"]
