"""Every write to agencies, their e-mail domains and their teams."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.permissions import staff_of_agency_q
from agencies.models import Agency, AgencyDomain, Team
from core.audit import audit_record
from core.pending_work import Run, pending_work_record

# The agency's time zone is its calendar's, so changing it moves its open tickets' due times:
# service_levels, above this app, handles the topic (service_levels.services.RECOMPUTE_TOPIC).
SLA_RECOMPUTE_TOPIC = "service_levels.recompute"


def _check_domains_free(domains: list[str], agency: Agency | None) -> None:
    taken = (
        AgencyDomain.objects.annotate(lower_domain=Lower("domain"))
        .filter(lower_domain__in=domains)
        .select_related("agency")
    )
    if agency is not None:
        taken = taken.exclude(agency=agency)
    clashes = [f"{d.domain} ({d.agency.code})" for d in taken]
    if clashes:
        raise ValidationError(
            {
                "domains": _("Already used by another agency: %(list)s.")
                % {"list": ", ".join(clashes)}
            }
        )


def _set_domains(agency: Agency, domains: list[str]) -> None:
    agency.domains.exclude(domain__in=domains).delete()
    existing = set(agency.domains.values_list("domain", flat=True))
    AgencyDomain.objects.bulk_create(
        AgencyDomain(agency=agency, domain=d) for d in domains if d not in existing
    )


@transaction.atomic
def agency_create(
    *,
    code: str,
    name: str,
    kind: str,
    time_zone: str,
    actor: User,
    parent: Agency | None = None,
    domains: list[str] = (),
) -> Agency:
    code = code.strip().upper()
    if Agency.objects.filter(code__iexact=code).exists():
        raise ValidationError(
            {"code": _("Another agency already uses the code %(code)s.") % {"code": code}}
        )
    domains = sorted({d.strip().lower() for d in domains if d.strip()})
    _check_domains_free(domains, None)
    agency = Agency(code=code, name=name.strip(), kind=kind, time_zone=time_zone, parent=parent)
    agency.full_clean()
    agency.save()
    _set_domains(agency, domains)
    audit_record(
        actor=actor, action="agency.created", target=agency, agency=agency, domains=domains
    )
    return agency


@transaction.atomic
def agency_update(
    *,
    agency: Agency,
    name: str,
    kind: str,
    time_zone: str,
    is_active: bool,
    actor: User,
    parent: Agency | None = None,
    domains: list[str] = (),
) -> Agency:
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    domains = sorted({d.strip().lower() for d in domains if d.strip()})
    _check_domains_free(domains, agency)
    before = {
        "name": agency.name,
        "kind": agency.kind,
        "time_zone": agency.time_zone,
        "is_active": agency.is_active,
        "parent": agency.parent_id,
    }
    agency.name, agency.kind, agency.time_zone = name.strip(), kind, time_zone
    agency.is_active, agency.parent = is_active, parent
    agency.full_clean()
    agency.save(update_fields=["name", "kind", "time_zone", "is_active", "parent"])
    _set_domains(agency, domains)
    if before["time_zone"] != time_zone:
        pending_work_record(
            items=[(SLA_RECOMPUTE_TOPIC, {"agency": agency.pk, "reason": "time_zone"}, Run.TASK)]
        )
    audit_record(
        actor=actor,
        action="agency.updated",
        target=agency,
        agency=agency,
        before=before,
        domains=domains,
    )
    return agency


def _check_team_members(agency: Agency, members: list[User]) -> None:
    staff_ids = set(
        Membership.objects.filter(staff_of_agency_q(agency.pk)).values_list("user_id", flat=True)
    )
    outsiders = [m.email for m in members if m.pk not in staff_ids]
    if outsiders:
        raise ValidationError(
            {"members": _("Only this agency's agents and admins can join its teams: %(list)s.")
             % {"list": ", ".join(outsiders)}}
        )  # fmt: skip


def _check_team_lead(lead: User | None, members: list[User]) -> None:
    if lead is not None and lead.pk not in {m.pk for m in members}:
        raise ValidationError(
            {"lead": _("Choose the lead among the team's members, or tick them as a member.")}
        )


@transaction.atomic
def team_create(
    *,
    agency: Agency,
    name: str,
    actor: User,
    description: str = "",
    members: list[User] = (),
    assignment: str = Team.Assignment.NONE,
    lead: User | None = None,
) -> Team:
    if not agency.is_active:
        raise ValidationError(_("This agency is inactive: reactivate it before adding teams."))
    members = list(members)
    _check_team_members(agency, members)
    _check_team_lead(lead, members)
    team = Team(
        agency=agency,
        name=name.strip(),
        description=description.strip(),
        assignment=assignment,
        lead=lead,
    )
    team.full_clean()
    team.save()
    team.members.set(members)
    audit_record(
        actor=actor,
        action="team.created",
        target=team,
        agency=agency,
        assignment=assignment,
        members=[m.email for m in members],
        lead=lead.email if lead else None,
    )
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    name: str,
    is_active: bool,
    actor: User,
    description: str = "",
    members: list[User] = (),
    assignment: str = Team.Assignment.NONE,
    lead: User | None = None,
) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    members = list(members)
    _check_team_members(team.agency, members)
    _check_team_lead(lead, members)
    team.name, team.description, team.is_active = name.strip(), description.strip(), is_active
    team.assignment, team.lead = assignment, lead
    team.full_clean()
    team.save(update_fields=["name", "description", "is_active", "assignment", "lead"])
    team.members.set(members)
    audit_record(
        actor=actor,
        action="team.updated",
        target=team,
        agency=team.agency,
        is_active=is_active,
        assignment=assignment,
        members=[m.email for m in members],
        lead=lead.email if lead else None,
    )
    return team


@transaction.atomic
def agency_set_intake_team(*, agency: Agency, team: Team | None, actor: User) -> Agency:
    """Chooses the team that receives the agency's tickets whose category names no team."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if team is not None and team.agency_id != agency.pk:
        raise ValidationError({"intake_team": _("Choose one of this agency's own teams.")})
    if team is not None and not team.is_active and team.pk != agency.intake_team_id:
        raise ValidationError(
            {"intake_team": _("%(team)s is inactive: choose an active team.") % {"team": team.name}}
        )
    old = agency.intake_team
    if getattr(old, "pk", None) == getattr(team, "pk", None):
        return agency
    agency.intake_team = team
    agency.save(update_fields=["intake_team"])
    audit_record(
        actor=actor,
        action="agency.intake_team_changed",
        target=agency,
        agency=agency,
        old=old.name if old else None,
        new=team.name if team else None,
    )
    return agency
