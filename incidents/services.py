"""Every change to major incidents: detection's proposals, confirming and dismissing them,
declaring by hand, attaching and detaching tickets, people affected, resolving, and the
government services of the status page.

A major incident is a Ticket of kind major incident owned by the agency that runs the
affected service; the tickets it groups are its children (Ticket.parent). Changes to tickets
go through tickets.services, so each ticket keeps its own history.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Right
from accounts.selectors import user_has_right
from agencies.models import Agency
from core.audit import audit_record
from incidents import detection
from incidents.models import (
    GovService,
    IncidentAffected,
    IncidentArticle,
    ProposedIncident,
    ProposedIncidentTicket,
)
from knowledge.models import Article, Audience
from tickets import services as ticket_services
from tickets.events import Quiet, event_record
from tickets.models import Category, Level, Ticket, TicketEvent

Status = Ticket.Status
Event = TicketEvent.Kind
# One number for the detection run's advisory lock: two runs at once, one does the work.
DETECTION_LOCK = int.from_bytes(hashlib.sha256(b"govdesk.incidents.detect").digest()[:4], "big")


def owner_agency_for(category: Category) -> Agency | None:
    """The agency that runs the service: its handling agency, else the agency whose own
    service it is. A government-wide service each agency handles itself has none."""
    return category.handling_agency or category.agency


def _may_act_for(actor: User, agency: Agency) -> bool:
    return user_has_right(actor, Right.MANAGE_INCIDENTS, agency)


def _require_owner_staff(actor: User, agency: Agency) -> None:
    if not _may_act_for(actor, agency):
        raise ValidationError(
            _("Only the staff of %(agency)s, which runs this service, can do this.")
            % {"agency": agency.name}
        )


# -- Declaring --------------------------------------------------------------------------------


@transaction.atomic
def incident_declare(*, actor: User, category: Category, subject: str, description: str) -> Ticket:
    """Opens a major incident: a P1 ticket of kind major incident, owned by the agency that
    runs the service. Its subject and description are public (banner, status page)."""
    owner = owner_agency_for(category)
    if owner is None:
        raise ValidationError(
            {"category": _("No agency runs this service for the whole government, so a major "
                           "incident about it has no owner. Choose a shared service.")}
        )  # fmt: skip
    _require_owner_staff(actor, owner)
    incident = ticket_services.ticket_create(
        requester=actor,
        # The category's own agency, where it has one, is the only one allowed to use it.
        requester_agency=category.agency or owner,
        category=category,
        subject=subject,
        description=description,
        impact=Level.HIGH,
        urgency=Level.HIGH,
        kind=Ticket.Kind.MAJOR_INCIDENT,
    )
    audit_record(
        actor=actor, action="incident.declare", target=incident, agency=owner,
        category=category.slug,
    )  # fmt: skip
    return incident


# -- Proposals --------------------------------------------------------------------------------


def _try_detection_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [DETECTION_LOCK])
        return cursor.fetchone()[0]


@transaction.atomic
def incidents_detect(*, now=None) -> int:
    """Proposes a major incident for each new cluster of recent tickets; returns how many.

    1. Take the advisory lock, or leave it to the run that holds it.
    2. Find the clusters (incidents/detection.py).
    3. Tickets of a service with a proposal still waiting join it; others become a new
       proposal, each ticket linked once (a unique row), so nothing is proposed twice.
    """
    if not _try_detection_lock():
        return 0
    proposed = 0
    for cluster in detection.find_clusters(now):
        if cluster.extends is not None:
            _proposal_extend(cluster.extends, cluster)
            continue
        category = Category.objects.select_related("handling_agency", "agency").get(
            pk=cluster.category_id
        )
        try:
            with transaction.atomic():
                proposal = ProposedIncident.objects.create(
                    fingerprint=cluster.fingerprint,
                    basis=cluster.basis,
                    category=category,
                    owner_agency=owner_agency_for(category),
                    ticket_count=len(cluster.ticket_ids),
                    agency_count=len(cluster.agency_ids),
                    first_reported_at=cluster.first_reported_at,
                    detected_at=timezone.now(),
                )
                ProposedIncidentTicket.objects.bulk_create(
                    ProposedIncidentTicket(proposal=proposal, ticket_id=pk)
                    for pk in cluster.ticket_ids
                )
        except IntegrityError:
            # Another process proposed these tickets first: theirs stands.
            continue
        audit_record(
            actor=None, action="incident.propose", target=proposal.fingerprint,
            agency=proposal.owner_agency, tickets=len(cluster.ticket_ids),
            agencies=len(cluster.agency_ids),
        )  # fmt: skip
        proposed += 1
    return proposed


def _proposal_extend(proposal: ProposedIncident, cluster: detection.Cluster) -> None:
    ProposedIncidentTicket.objects.bulk_create(
        (ProposedIncidentTicket(proposal=proposal, ticket_id=pk) for pk in cluster.ticket_ids),
        ignore_conflicts=True,
    )
    links = ProposedIncidentTicket.objects.filter(proposal=proposal)
    proposal.ticket_count = links.count()
    proposal.agency_count = (
        links.exclude(ticket__requester_agency=None)
        .values("ticket__requester_agency")
        .distinct()
        .count()
    )
    proposal.save(update_fields=["ticket_count", "agency_count"])


def _lock_waiting_proposal(proposal: ProposedIncident) -> ProposedIncident:
    proposal = ProposedIncident.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state == ProposedIncident.State.CONFIRMED:
        raise ValidationError(_("This proposal is already confirmed."))
    if proposal.state == ProposedIncident.State.DISMISSED:
        raise ValidationError(_("This proposal is already dismissed."))
    return proposal


@transaction.atomic
def proposal_confirm(*, proposal: ProposedIncident, actor: User, subject: str = "") -> Ticket:
    """Turns a proposal into a major incident and attaches its tickets that are still open
    and in no incident."""
    proposal = _lock_waiting_proposal(proposal)
    if proposal.owner_agency_id is None:
        raise ValidationError(
            _("No agency runs %(service)s for the whole government, so this incident would "
              "have no owner. Dismiss it, or declare one by hand under a shared service.")
            % {"service": proposal.category.name}
        )  # fmt: skip
    owner = proposal.owner_agency
    _require_owner_staff(actor, owner)
    subject = subject.strip() or _("Problem with %(service)s") % {"service": proposal.category.name}
    incident = incident_declare(
        actor=actor,
        category=proposal.category,
        subject=subject,
        description=_(
            "People in %(agencies)s agencies report problems with %(service)s. %(owner)s is "
            "working on it; updates follow here."
        )
        % {
            "agencies": proposal.agency_count,
            "service": proposal.category.name,
            "owner": owner.name,
        },
    )
    tickets = Ticket.objects.filter(
        pk__in=ProposedIncidentTicket.objects.filter(proposal=proposal).values("ticket")
    ).order_by("pk")
    for ticket in tickets:
        if ticket.parent_id is None and ticket.status != Status.CLOSED:
            _attach(incident, ticket_services.ticket_lock(ticket), actor)
    proposal.state = ProposedIncident.State.CONFIRMED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.incident = incident
    proposal.save(update_fields=["state", "decided_by", "decided_at", "incident"])
    audit_record(
        actor=actor, action="incident.confirm", target=incident, agency=owner,
        proposal=proposal.pk,
    )  # fmt: skip
    return incident


@transaction.atomic
def proposal_dismiss(*, proposal: ProposedIncident, actor: User) -> ProposedIncident:
    """Not a shared outage. Its tickets stay linked to it, so they are not proposed again."""
    proposal = _lock_waiting_proposal(proposal)
    if proposal.owner_agency_id is not None:
        _require_owner_staff(actor, proposal.owner_agency)
    elif not user_has_right(actor, Right.MANAGE_GOV_SERVICES):
        raise ValidationError(_("Only platform admins decide on a proposal no agency owns."))
    proposal.state = ProposedIncident.State.DISMISSED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        actor=actor, action="incident.dismiss", target=proposal.fingerprint,
        agency=proposal.owner_agency,
    )  # fmt: skip
    return proposal


# -- Attaching and detaching ------------------------------------------------------------------


def _check_attachable(incident: Ticket, ticket: Ticket) -> None:
    if ticket.pk == incident.pk:
        raise ValidationError({"reference": _("A ticket cannot be part of itself.")})
    if not incident.is_major_incident:
        raise ValidationError(
            _("%(reference)s is not a major incident.") % {"reference": incident.reference}
        )
    if not incident.is_open:
        raise ValidationError(
            _("%(reference)s is resolved: attach tickets to an open major incident.")
            % {"reference": incident.reference}
        )
    ancestor, seen = incident.parent, {incident.pk}
    while ancestor is not None and ancestor.pk not in seen:
        if ancestor.pk == ticket.pk:
            raise ValidationError(
                {"reference": _("%(ticket)s already contains %(incident)s: that would be a loop.")
                 % {"ticket": ticket.reference, "incident": incident.reference}}
            )  # fmt: skip
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    if ticket.is_major_incident:
        raise ValidationError({"reference": _("A major incident cannot be part of another one.")})
    if ticket.parent_id == incident.pk:
        raise ValidationError(
            {"reference": _("%(reference)s is already part of this incident.")
             % {"reference": ticket.reference}}
        )  # fmt: skip
    if ticket.parent_id is not None:
        raise ValidationError(
            {"reference": _("%(reference)s is part of another incident, %(other)s: detach it "
                            "there first.")
             % {"reference": ticket.reference, "other": ticket.parent.reference}}
        )  # fmt: skip
    if ticket.status == Status.CLOSED:
        raise ValidationError(
            {"reference": _("%(reference)s is closed.") % {"reference": ticket.reference}}
        )


def _attach(
    incident: Ticket, ticket: Ticket, actor: User | None, *, quiet: Quiet = Quiet.NONE
) -> None:
    """Both locked and checked. The child's requester follows the incident from now on, so
    each of the incident's public updates reaches them once, however many tickets they have
    in it; the child's history says what happened and tells its requester at once."""
    ticket.parent = incident
    event_record(
        ticket, Event.INCIDENT, actor, quiet=quiet, action="attached",
        incident=incident.reference, owner=incident.agency.name, subject=incident.subject,
    )  # fmt: skip
    ticket_services.ticket_save(ticket, "parent")
    # Internal on the incident: the people following it need not learn each other's tickets.
    event_record(
        incident, Event.INCIDENT, actor, quiet=quiet, public=False, action="child_attached",
        child=ticket.reference,
    )  # fmt: skip
    if ticket.requester_id != incident.requester_id:
        incident.watchers.add(ticket.requester_id)
    ticket_services.ticket_save(incident)


def _lock_pair(incident: Ticket, ticket: Ticket) -> tuple[Ticket, Ticket]:
    # One lock order (by id) for every service that locks two tickets: no deadlocks.
    if incident.pk == ticket.pk:
        locked = ticket_services.ticket_lock(incident)
        return locked, locked
    first, second = sorted([incident, ticket], key=lambda t: t.pk)
    first, second = ticket_services.ticket_lock(first), ticket_services.ticket_lock(second)
    return (first, second) if first.pk == incident.pk else (second, first)


@transaction.atomic
def incident_attach(*, incident: Ticket, ticket: Ticket, actor: User) -> Ticket:
    incident, ticket = _lock_pair(incident, ticket)
    _check_attachable(incident, ticket)
    _attach(incident, ticket, actor)
    audit_record(
        actor=actor, action="incident.attach", target=incident, agency=incident.agency,
        ticket=ticket.reference,
    )  # fmt: skip
    return ticket


@transaction.atomic
def incident_detach(*, incident: Ticket, ticket: Ticket, actor: User) -> Ticket:
    incident, ticket = _lock_pair(incident, ticket)
    if ticket.parent_id != incident.pk:
        raise ValidationError(
            {"reference": _("%(reference)s is not part of this incident.")
             % {"reference": ticket.reference}}
        )  # fmt: skip
    ticket.parent = None
    event_record(ticket, Event.INCIDENT, actor, action="detached", incident=incident.reference)
    ticket_services.ticket_save(ticket, "parent")
    event_record(
        incident, Event.INCIDENT, actor, public=False, action="child_detached",
        child=ticket.reference,
    )  # fmt: skip
    still_concerned = (
        incident.children.filter(requester=ticket.requester_id).exists()
        or IncidentAffected.objects.filter(incident=incident, user=ticket.requester_id).exists()
    )
    if not still_concerned:
        incident.watchers.remove(ticket.requester_id)
    ticket_services.ticket_save(incident)
    audit_record(
        actor=actor, action="incident.detach", target=incident, agency=incident.agency,
        ticket=ticket.reference,
    )  # fmt: skip
    return ticket


def incident_attach_on_arrival(*, ticket: Ticket, quiet: Quiet = Quiet.NONE) -> Ticket | None:
    """A new ticket that matches an open major incident joins it, and its reporter is told.

    Called by the subscriber of ticket creations (incidents/subscribers.py) once the ticket
    has committed; a ticket already attached (the subscriber run again) is left as it is.
    """
    from incidents.selectors import incident_matching

    incident = incident_matching(ticket)
    if incident is None:
        return None
    incident, locked = _lock_pair(incident, ticket)
    try:
        _check_attachable(incident, locked)
    except ValidationError:
        return None  # resolved meanwhile, or attached already: the ticket stands as it is
    _attach(incident, locked, None, quiet=quiet)
    return incident


# -- People affected --------------------------------------------------------------------------


@transaction.atomic
def incident_affected_add(*, incident: Ticket, user: User, agency: Agency | None) -> None:
    """ "I am affected too": counted and told of every update, without a ticket of one's own."""
    incident = ticket_services.ticket_lock(incident)
    if not incident.is_major_incident or not incident.is_open:
        raise ValidationError(_("This incident is over. If the problem is still there, report it."))
    if (
        incident.requester_id == user.pk
        or incident.children.filter(requester=user).exists()
        or IncidentAffected.objects.filter(incident=incident, user=user).exists()
    ):
        raise ValidationError(
            _("You are already counted among the people affected by %(reference)s.")
            % {"reference": incident.reference}
        )
    IncidentAffected.objects.create(
        incident=incident, user=user, agency=agency, created_at=timezone.now()
    )
    incident.watchers.add(user)
    event_record(
        incident, Event.INCIDENT, user, public=False, action="affected",
        agency=agency.code if agency else None,
    )  # fmt: skip
    ticket_services.ticket_save(incident)
    audit_record(actor=user, action="incident.affected", target=incident, agency=agency)


# -- Resolving --------------------------------------------------------------------------------


@transaction.atomic
def incident_resolve(*, incident: Ticket, actor: User, note: str) -> int:
    """Resolves the incident and its open children with one resolution note; returns how many
    children it resolved.

    1. The note is posted on the incident as a public update: everyone who follows it (each
       child's requester, each person affected) hears it once.
    2. The incident and each open child then become resolved through the tickets' own
       services, each child with the note in its own history, without telling anyone again.
       Each child can be reopened on its own afterwards.
    """
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say what was wrong and what was done.")})
    incident = ticket_services.ticket_lock(incident)
    if not incident.is_major_incident:
        raise ValidationError(
            _("%(reference)s is not a major incident.") % {"reference": incident.reference}
        )
    if not incident.is_open:
        raise ValidationError(_("This major incident is already resolved."))
    _require_owner_staff(actor, incident.agency)
    ticket_services.ticket_reply(ticket=incident, author=actor, body=note, as_agent=True)
    resolved = 0
    # The note has reached everyone: the rest tells no person again (systems still hear).
    quiet = Quiet.PEOPLE
    # The children first: the incident itself resolves only once none is left open.
    for child in incident.children.exclude(status__in=Ticket.CLOSED_STATUSES).order_by("pk"):
        ticket_services.ticket_reply(
            ticket=child, author=actor, body=note, as_agent=True, quiet=quiet
        )
        ticket_services.ticket_update(
            ticket=child, actor=actor, status=Status.RESOLVED, quiet=quiet
        )
        resolved += 1
    ticket_services.ticket_update(ticket=incident, actor=actor, status=Status.RESOLVED, quiet=quiet)
    audit_record(
        actor=actor, action="incident.resolve", target=incident, agency=incident.agency,
        children=resolved,
    )  # fmt: skip
    return resolved


# -- Government services of the status page ---------------------------------------------------


@transaction.atomic
def incident_article_set(*, incident: Ticket, slug: str, actor: User) -> IncidentArticle | None:
    """Points the incident to a published public help article (an empty slug: to none)."""
    _require_owner_staff(actor, incident.agency)
    slug = slug.strip().lower()
    if not slug:
        IncidentArticle.objects.filter(incident=incident).delete()
        return None
    article = Article.objects.filter(
        slug=slug, status=Article.Status.PUBLISHED, audience=Audience.PUBLIC
    ).first()
    if article is None:
        raise ValidationError(
            {"article": _("No published public help article has the short name %(slug)s.")
             % {"slug": slug}}
        )  # fmt: skip
    link, _created = IncidentArticle.objects.update_or_create(
        incident=incident,
        defaults={"article": article, "attached_by": actor, "attached_at": timezone.now()},
    )
    audit_record(
        actor=actor, action="incident.article", target=incident.reference, agency=incident.agency,
        article=slug,
    )  # fmt: skip
    return link


@transaction.atomic
def gov_service_save(
    *,
    actor: User,
    name: str,
    description: str,
    categories: list[Category],
    is_listed: bool = True,
    service: GovService | None = None,
) -> GovService:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the service's name.")})
    duplicate = GovService.objects.filter(name__iexact=name)
    if service is not None:
        duplicate = duplicate.exclude(pk=service.pk)
    if duplicate.exists():
        raise ValidationError({"name": _("Another service already has this name.")})
    created = service is None
    service = service or GovService()
    service.name, service.description, service.is_listed = name, description.strip(), is_listed
    service.save()
    service.categories.set(categories)
    audit_record(
        actor=actor, action="govservice.create" if created else "govservice.change",
        target=service, categories=[c.slug for c in categories],
    )  # fmt: skip
    return service


@transaction.atomic
def gov_service_set_state(*, service: GovService, state: str, actor: User) -> GovService:
    if state not in GovService.State.values:
        raise ValidationError({"state": _("Choose a state from the list.")})
    service = GovService.objects.select_for_update().get(pk=service.pk)
    if service.state == state:
        return service
    old = service.state
    service.state = state
    service.state_changed_at = timezone.now()
    service.save(update_fields=["state", "state_changed_at"])
    audit_record(actor=actor, action="govservice.state", target=service, old=old, new=state)
    return service
