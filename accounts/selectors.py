from django.db.models import Q, QuerySet

from accounts.models import MFA_REQUIRED_ROLES, Membership, User


def memberships_usable_by(user: User) -> QuerySet[Membership]:
    """The memberships a person may act under: those of active agencies, and agency-less ones."""
    return (
        Membership.objects.filter(user=user)
        .filter(Q(agency__isnull=True) | Q(agency__is_active=True))
        .select_related("agency")
        .order_by("agency__name", "role")
    )


def membership_current_for(
    user: User, membership_id: int | None
) -> tuple[Membership | None, list[Membership]]:
    """The membership the person chose in the header (else their first usable one), and all
    the memberships they may switch to."""
    if not user.is_authenticated:
        return None, []
    memberships = list(memberships_usable_by(user))
    chosen = next((m for m in memberships if m.pk == membership_id), None)
    return chosen or (memberships[0] if memberships else None), memberships


def user_requires_mfa(user: User) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=MFA_REQUIRED_ROLES).exists()


def members_of_agency(agency) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(agency=agency)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
