"""Reads of the service catalogue: the one rule of which services a person may choose when
reporting a problem or logging a call (web and API alike), and the catalogue for the people
who manage it.

An agency admin manages their own agency's categories; a platform admin manages the
government-wide ones and may open every agency's. Anything else is a 404 on the object pages
and a 403 on the pages without one (the views check `may_manage_catalogue`).
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership
from accounts.permissions import Right, membership_has_right, sees_all_agencies
from agencies.models import Agency, Team
from tickets.models import Category

CATALOGUE_RELATED = ("agency", "handling_agency", "team", "team__agency")


# -- Choosing a service ------------------------------------------------------------------------


def categories_to_report_under(membership: Membership | None) -> QuerySet[Category]:
    """Active services a person may report their own problem under: the government-wide ones
    and those of the agency they act for. Another agency's own service is refused by
    `tickets.services.ticket_create`, so it is never offered, whoever asks."""
    agency_id = membership.agency_id if membership is not None else None
    return (
        Category.objects.filter(is_active=True)
        .filter(Q(agency__isnull=True) | Q(agency=agency_id))
        # What routing a new ticket reads of the chosen one (`tickets.services.route_for`).
        .select_related("parent", "handling_agency", "team")
        .order_by("parent__name", "name")
    )


def categories_to_log_calls_under(membership: Membership | None) -> QuerySet[Category]:
    """Active services an agent may log someone's call under: those they may report under;
    every one for those who work every agency, since the caller may belong to any (the
    service then checks the service against the caller's agency)."""
    if not sees_all_agencies(membership):
        return categories_to_report_under(membership)
    return (
        Category.objects.filter(is_active=True)
        .select_related("parent", "handling_agency", "team")
        .order_by("parent__name", "name")
    )


# -- Managing the catalogue --------------------------------------------------------------------


def _manages_government_wide(membership: Membership | None) -> bool:
    """The government-wide scope, and every agency's, is the government's own configuration."""
    return membership_has_right(membership, Right.MANAGE_AGENCIES)


def may_manage_catalogue(membership: Membership | None) -> bool:
    """Whether acting as `membership` manages some part of the catalogue."""
    return membership_has_right(membership, Right.CONFIGURE_AGENCY)


def catalogue_scope(membership: Membership) -> Agency | None:
    """Where a new category made by this person belongs: their agency, or government-wide."""
    return None if _manages_government_wide(membership) else membership.agency


def categories_managed_by(membership: Membership | None) -> QuerySet[Category]:
    categories = Category.objects.select_related(*CATALOGUE_RELATED)
    if not may_manage_catalogue(membership):
        return categories.none()
    if _manages_government_wide(membership):
        return categories
    return categories.filter(agency=membership.agency_id)


def category_get_for_manager(membership: Membership | None, slug: str) -> Category:
    """The category if this person manages it; 404 for missing and not-yours alike."""
    category = categories_managed_by(membership).filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


@dataclass
class CatalogueSection:
    """One scope of the catalogue (an agency's, or the government-wide one) as a tree."""

    agency: Agency | None
    editable: bool
    # (category, depth, parent) in reading order: each parent followed by its children.
    rows: list[tuple[Category, int, Category | None]] = field(default_factory=list)


def _tree(categories: list[Category]) -> list[tuple[Category, int, Category | None]]:
    by_pk = {c.pk: c for c in categories}
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        parent_pk = category.parent_id if category.parent_id in by_pk else None
        children.setdefault(parent_pk, []).append(category)
    rows, seen = [], set()

    def walk(parent: Category | None, depth: int) -> None:
        for category in sorted(children.get(parent.pk if parent else None, []), key=_by_name):
            if category.pk not in seen:  # a cycle in stored data must not hang the page
                seen.add(category.pk)
                rows.append((category, depth, parent))
                walk(category, depth + 1)

    walk(None, 0)
    # Whatever a cycle cut off from the roots still shows, at the top level.
    rows += [(c, 0, None) for c in sorted(categories, key=_by_name) if c.pk not in seen]
    return rows


def _by_name(category: Category) -> str:
    return category.name.casefold()


def catalogue_for(membership: Membership) -> list[CatalogueSection]:
    """The catalogue as this person may see it, in one query.

    A platform admin sees every scope, government-wide first. An agency admin sees their own
    agency's categories, which they edit, and the government-wide ones, read-only: their staff
    report under those too, and those handled by "the requester's own agency" reach them.
    """
    if not may_manage_catalogue(membership):
        return []
    categories = Category.objects.select_related(*CATALOGUE_RELATED)
    government_wide = _manages_government_wide(membership)
    if not government_wide:
        categories = categories.filter(Q(agency=membership.agency_id) | Q(agency__isnull=True))
    scopes: dict[int | None, list[Category]] = {}
    for category in categories:
        scopes.setdefault(category.agency_id, []).append(category)
    sections = []
    if not government_wide:
        own = scopes.pop(membership.agency_id, [])
        sections.append(CatalogueSection(membership.agency, True, _tree(own)))
    if government_wide or None in scopes:
        sections.append(CatalogueSection(None, government_wide, _tree(scopes.pop(None, []))))
    for categories_of_agency in sorted(scopes.values(), key=lambda cs: cs[0].agency.name):
        agency = categories_of_agency[0].agency
        sections.append(CatalogueSection(agency, True, _tree(categories_of_agency)))
    return sections


def parent_candidates(membership: Membership) -> QuerySet[Category]:
    """Every category this person may see in the catalogue: a parent posted from outside it is
    "not in the list"; one inside it but of another scope gets the service's explanation."""
    categories = Category.objects.select_related("parent")
    if not _manages_government_wide(membership):
        categories = categories.filter(Q(agency=membership.agency_id) | Q(agency__isnull=True))
    return categories.order_by("parent__name", "name")


def handling_agency_candidates() -> QuerySet[Agency]:
    """Every agency; the form offers the active ones, the service explains the others."""
    return Agency.objects.order_by("name")


def team_candidates() -> QuerySet[Team]:
    """Every team; the form offers those of active agencies, the service checks the agency."""
    return Team.objects.select_related("agency").order_by("agency__name", "name")
