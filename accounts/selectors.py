from django.db.models import Q, QuerySet

from accounts.models import MFA_REQUIRED_ROLES, Membership, Role, User
from accounts.permissions import Right, memberships_with_right_q, staff_of_agency_q


def memberships_usable_by(user: User) -> QuerySet[Membership]:
    """The memberships a person may act under: those of active agencies, and agency-less ones."""
    return (
        Membership.objects.filter(user=user)
        .filter(Q(agency__isnull=True) | Q(agency__is_active=True))
        # The intake team: where a ticket reported under the membership goes, read with it.
        .select_related("agency__intake_team")
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


def memberships_with_right(right: Right, agency=None) -> QuerySet[Membership]:
    """Memberships whose role grants `right` (on `agency`, an Agency or its id, for
    agency-scoped rights), government-wide ones included."""
    return Membership.objects.filter(memberships_with_right_q(right, getattr(agency, "pk", agency)))


def user_has_right(user: User, right: Right, agency=None) -> bool:
    """Whether any of the person's memberships grants `right` (on `agency`): for services
    given only the person who acts, not the role they chose."""
    return memberships_with_right(right, agency).filter(user=user).exists()


def user_is_staff_of(user: User, agency_id: int) -> bool:
    """Whether the person is one of the agency's own staff (an agent or admin of it): those a
    ticket may be assigned to, unlike a platform admin, who works every agency's."""
    return Membership.objects.filter(staff_of_agency_q(agency_id), user=user).exists()


# The benchmark's personas: one everyday agent, one plain requester, one Council member.


def agents_of_agency_only(agency_id: int) -> QuerySet[User]:
    """The agency's agents, not its admins: people who work its queue and run nothing."""
    return User.objects.filter(memberships__agency=agency_id, memberships__role=Role.AGENT)


def requesters_of_agency(agency_id: int) -> QuerySet[User]:
    """People of the agency who only report problems."""
    return User.objects.filter(memberships__agency=agency_id, memberships__role=Role.REQUESTER)


def council_members() -> QuerySet[User]:
    return User.objects.filter(memberships__role=Role.COUNCIL)
