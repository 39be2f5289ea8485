"""The Django admin for tickets: a window for platform admins, not a second way to change them.

Tickets change only through tickets.services, which write the history; so tickets, their
events, attachments and transfers are view-only here. Categories may be edited, through the
same services (and their checks and audit entries) as the catalogue pages.
"""

from django import forms
from django.contrib import admin

from tickets import category_services
from tickets.models import Attachment, Category, Ticket, TicketEvent, TicketTransfer

CATEGORY_SETTINGS = (
    "name",
    "slug",
    "description",
    "parent",
    "handling_agency",
    "team",
    "default_impact",
    "default_urgency",
    "is_active",
)


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["agency", *CATEGORY_SETTINGS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank: the service makes one from the name, as on the catalogue pages.
        self.fields["slug"].required = False
        if self.instance.pk:
            # A category's scope never changes: its tickets were reported under it.
            self.fields["agency"].disabled = True

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The service's own checks, so that a refusal shows on the form rather than as an error
        # page when save_model calls the service.
        data.update(
            category_services.category_validate(
                category=self.instance if self.instance.pk else None,
                agency=data.get("agency"),
                name=data.get("name", ""),
                slug=data.get("slug", ""),
                parent=data.get("parent"),
                handling_agency=data.get("handling_agency"),
                team=data.get("team"),
                default_impact=data.get("default_impact"),
                default_urgency=data.get("default_urgency"),
            )
        )
        return data

    def _post_clean(self):
        # The services save and validate the model; the form's own instance checks would
        # run on a half-filled instance (no slug yet).
        pass


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = [
        "name", "slug", "parent", "agency", "handling_agency", "team",
        "default_impact", "default_urgency", "is_active",
    ]  # fmt: skip
    list_filter = ["is_active", "handling_agency", "agency"]
    search_fields = ["name", "slug"]
    list_select_related = ["parent", "agency", "handling_agency", "team"]
    autocomplete_fields = ["parent", "agency", "handling_agency", "team"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Tickets keep their category for ever (PROTECT): deactivate a category instead.
        return False

    def save_model(self, request, obj, form, change) -> None:
        fields = {f: form.cleaned_data[f] for f in CATEGORY_SETTINGS}
        if change:
            saved = category_services.category_update(category=obj, actor=request.user, **fields)
        else:
            saved = category_services.category_create(
                agency=form.cleaned_data["agency"], actor=request.user, **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor", "is_public", "body", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TicketTransferInline(admin.TabularInline):
    model = TicketTransfer
    fields = ["created_at", "from_agency", "to_agency", "actor", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ViewOnlyAdmin):
    list_display = [
        "reference", "subject", "agency", "team", "assignee", "status", "priority", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "priority", "channel", "agency"]
    search_fields = ["reference", "subject", "requester__email"]
    list_select_related = ["agency", "team", "assignee"]
    # Counting every ticket for "N of M" would scan the whole table on each page.
    show_full_result_count = False
    exclude = ["search_public", "search_notes"]
    inlines = [TicketTransferInline, TicketEventInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ViewOnlyAdmin):
    """Append-only history: a database trigger refuses UPDATE and DELETE anyway."""

    list_display = ["ticket", "kind", "actor", "is_public", "created_at"]
    list_filter = ["kind", "is_public"]
    search_fields = ["ticket__reference"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ViewOnlyAdmin):
    """The file itself is served only by the ticket's attachment view, which checks access."""

    list_display = ["name", "ticket", "content_type", "size", "uploaded_by", "created_at"]
    search_fields = ["name", "ticket__reference"]
    list_select_related = ["ticket", "uploaded_by"]
    exclude = ["file"]
    show_full_result_count = False


@admin.register(TicketTransfer)
class TicketTransferAdmin(ViewOnlyAdmin):
    list_display = ["ticket", "from_agency", "to_agency", "actor", "created_at"]
    list_filter = ["from_agency", "to_agency"]
    search_fields = ["ticket__reference"]
    list_select_related = ["ticket", "from_agency", "to_agency", "actor"]
