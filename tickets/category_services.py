"""Every write to the service catalogue: one function per use case, one transaction each,
each recording an audit entry. The web pages, the Django admin and the API call these."""

from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Agency, Team
from core.audit import audit_record
from tickets.models import Category, Level

# Serialises changes to the tree's shape, so that two parents set at the same moment
# (A inside B, B inside A) cannot together make a cycle that neither saw.
CATALOGUE_TREE_LOCK = 7_400_001

AUDITED_FIELDS = (
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


def category_suggest_slug(name: str, agency: Agency | None) -> str:
    """A short name from the name; an agency's own categories start with its code."""
    base = slugify(name)
    if base and agency is not None:
        base = f"{agency.code.lower()}-{base}"
    return base[: Category._meta.get_field("slug").max_length].strip("-")


def _changed(category: Category | None, field: str, value) -> bool:
    if category is None:
        return True
    return getattr(category, f"{field}_id") != getattr(value, "pk", None)


def category_validate(
    *,
    category: Category | None,
    agency: Agency | None,
    name: str,
    slug: str,
    parent: Category | None,
    handling_agency: Agency | None,
    team: Team | None,
    default_impact: str,
    default_urgency: str,
) -> dict:
    """Checks a category's settings within its scope `agency` (None: government-wide).

    Returns the cleaned name and short name; raises one ValidationError naming every field
    that is wrong, so the form shows all the problems at once.
    """
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Enter a name.")
    slug = slug.strip().lower() or category_suggest_slug(name, agency)
    if not slug or not slug_re.match(slug):
        errors["slug"] = _("Enter a short name of letters, digits and hyphens, such as payroll.")
    else:
        taken = Category.objects.filter(slug=slug)
        if category is not None:
            taken = taken.exclude(pk=category.pk)
        if taken.exists():
            errors["slug"] = _(
                "Another category already uses the short name %(slug)s: choose another."
            ) % {"slug": slug}
    if parent is not None:
        errors.update(_check_parent(category, agency, parent))
    if (
        handling_agency is not None
        and not handling_agency.is_active
        and _changed(category, "handling_agency", handling_agency)
    ):
        errors["handling_agency"] = _(
            "%(agency)s is not taking tickets: choose an active agency, or leave it empty."
        ) % {"agency": handling_agency.name}
    if team is not None:
        error = _check_team(category, agency, handling_agency, team)
        if error:
            errors["team"] = error
    if default_impact not in Level.values:
        errors["default_impact"] = _("Choose high, medium or low.")
    if default_urgency not in Level.values:
        errors["default_urgency"] = _("Choose high, medium or low.")
    if category is None and agency is not None and not agency.is_active:
        errors["__all__"] = _("This agency is inactive: reactivate it before adding categories.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "slug": slug}


def _check_parent(category: Category | None, agency: Agency | None, parent: Category) -> dict:
    if parent.agency_id != getattr(agency, "pk", None):
        if agency is None:
            message = _(
                "A government-wide category can only sit inside another government-wide one."
            )
        else:
            message = _("Choose a parent among the categories of %(agency)s.") % {
                "agency": agency.name
            }
        return {"parent": message}
    if category is None or category.pk is None:
        return {}
    ancestor, seen = parent, set()
    while ancestor is not None and ancestor.pk not in seen:
        if ancestor.pk == category.pk:
            return {
                "parent": _("%(parent)s sits inside %(name)s: a category cannot sit inside itself.")
                % {"parent": parent.name, "name": category.name}
            }
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    return {}


def _check_team(
    category: Category | None, agency: Agency | None, handling_agency: Agency | None, team: Team
) -> str | None:
    routed_to = handling_agency or agency
    if routed_to is None:
        return _(
            "Leave the team empty, or choose the agency that handles these tickets: each "
            "requester's own agency gives them to its intake team."
        )
    if team.agency_id != routed_to.pk:
        return _(
            "%(team)s is a team of %(team_agency)s. Choose a team of %(agency)s, which handles "
            "these tickets."
        ) % {"team": team.name, "team_agency": team.agency.code, "agency": routed_to.code}
    if not team.is_active and _changed(category, "team", team):
        return _("%(team)s is inactive: choose an active team.") % {"team": team.name}
    return None


def _lock_tree() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATALOGUE_TREE_LOCK])


def _describe(value):
    if isinstance(value, Agency):
        return value.code
    if isinstance(value, Team):
        return f"{value.agency.code}: {value.name}"
    if isinstance(value, Category):
        return value.slug
    return value


@transaction.atomic
def category_create(
    *,
    actor: User,
    agency: Agency | None,
    name: str,
    slug: str = "",
    description: str = "",
    parent: Category | None = None,
    handling_agency: Agency | None = None,
    team: Team | None = None,
    default_impact: str = Level.LOW,
    default_urgency: str = Level.MEDIUM,
    is_active: bool = True,
) -> Category:
    """Adds a category to `agency`'s own catalogue, or government-wide when it is None."""
    if parent is not None:
        _lock_tree()
    cleaned = category_validate(
        category=None, agency=agency, name=name, slug=slug, parent=parent,
        handling_agency=handling_agency, team=team,
        default_impact=default_impact, default_urgency=default_urgency,
    )  # fmt: skip
    category = Category(
        agency=agency,
        description=description.strip(),
        parent=parent,
        handling_agency=handling_agency,
        team=team,
        default_impact=default_impact,
        default_urgency=default_urgency,
        is_active=is_active,
        **cleaned,
    )
    category.full_clean()
    category.save()
    audit_record(
        actor=actor,
        action="category.created",
        target=category,
        agency=agency,
        **{field: _describe(getattr(category, field)) for field in AUDITED_FIELDS},
    )
    return category


@transaction.atomic
def category_update(
    *,
    category: Category,
    actor: User,
    name: str,
    slug: str,
    description: str,
    parent: Category | None,
    handling_agency: Agency | None,
    team: Team | None,
    default_impact: str,
    default_urgency: str,
    is_active: bool,
) -> Category:
    """Replaces a category's settings, all of them: none has a default, so that leaving one
    out cannot clear it. A blank short name is made again from the name. The category's scope
    (the agency it belongs to) never changes: its tickets were reported under it."""
    if parent is not None:
        _lock_tree()
    category = (
        Category.objects.select_for_update(of=("self",))
        .select_related("agency", "parent", "handling_agency", "team__agency")
        .get(pk=category.pk)
    )
    cleaned = category_validate(
        category=category, agency=category.agency, name=name, slug=slug, parent=parent,
        handling_agency=handling_agency, team=team,
        default_impact=default_impact, default_urgency=default_urgency,
    )  # fmt: skip
    before = {field: _describe(getattr(category, field)) for field in AUDITED_FIELDS}
    category.name, category.slug = cleaned["name"], cleaned["slug"]
    category.description = description.strip()
    category.parent, category.handling_agency, category.team = parent, handling_agency, team
    category.default_impact, category.default_urgency = default_impact, default_urgency
    category.is_active = is_active
    category.full_clean()
    after = {field: _describe(getattr(category, field)) for field in AUDITED_FIELDS}
    changes = {
        field: [before[field], after[field]]
        for field in AUDITED_FIELDS
        if before[field] != after[field]
    }
    if not changes:
        return category
    category.save(update_fields=list(AUDITED_FIELDS))
    audit_record(
        actor=actor,
        action="category.updated",
        target=category,
        agency=category.agency,
        changes=changes,
    )
    return category
