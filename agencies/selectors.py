from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Membership
from accounts.permissions import Right, membership_has_right
from agencies.models import Agency, Team


def agency_get_for_manager(membership: Membership | None, code: str, right: Right) -> Agency:
    """The agency `code` if acting as `membership` grants `right` on it; 404 otherwise.

    Missing and not-yours look the same, so codes of other agencies cannot be probed.
    """
    agency = Agency.objects.filter(code=code.upper()).first()
    if agency is None or not membership_has_right(membership, right, agency):
        raise Http404
    return agency


def agencies_for_platform() -> QuerySet[Agency]:
    return (
        Agency.objects.select_related("parent")
        .prefetch_related("domains")
        .annotate(
            team_count=Count("teams", distinct=True),
            member_count=Count("memberships", distinct=True),
        )
        .order_by("name")
    )


def teams_of_agency(agency: Agency) -> QuerySet[Team]:
    return (
        Team.objects.filter(agency=agency)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("-is_active", "name")
    )


def team_get_in_agency(agency: Agency, team_id: int) -> Team:
    team = Team.objects.filter(agency=agency, pk=team_id).prefetch_related("members").first()
    if team is None:
        raise Http404
    return team


def membership_get_in_agency(agency: Agency, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(agency=agency, pk=membership_id).select_related("user").first()
    )
    if membership is None:
        raise Http404
    return membership


def staff_of_agency(agency: Agency):
    from accounts.models import User
    from accounts.permissions import staff_of_agency_q

    return User.objects.filter(staff_of_agency_q(agency.pk, prefix="memberships__")).order_by(
        "full_name", "email"
    )
