"""Every write to accounts and memberships. Each function is one use case in one transaction."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from agencies.models import Agency, AgencyDomain, Team
from core.audit import audit_record


def agency_for_email(email: str) -> Agency | None:
    """The active agency whose e-mail domain (or a parent domain of it) the address is on."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    labels = domain.split(".")
    # someone@finance.mof.gov.lr belongs to the agency owning mof.gov.lr unless a
    # more specific domain is registered: the longest match wins.
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    matches = {
        d.domain: d.agency
        for d in AgencyDomain.objects.filter(domain__in=candidates, agency__is_active=True)
        .select_related("agency")
        .only("domain", "agency")
    }
    for candidate in candidates:
        if candidate in matches:
            return matches[candidate]
    return None


def email_may_sign_up(email: str) -> bool:
    return settings.GOVDESK_ALLOW_PUBLIC_SIGNUP or agency_for_email(email) is not None


@transaction.atomic
def user_join_by_email_domain(*, user: User) -> Membership | None:
    """Gives a newly signed-up person their requester membership.

    An address on an agency's domain makes them a requester of that agency; any other address
    makes them a requester with no agency (a member of the public), when that is allowed.
    """
    agency = agency_for_email(user.email)
    if agency is None and not settings.GOVDESK_ALLOW_PUBLIC_SIGNUP:
        return None
    membership, created = Membership.objects.get_or_create(
        user=user, agency=agency, defaults={"role": Role.REQUESTER}
    )
    if created:
        audit_record(
            actor=user,
            action="membership.joined_by_domain",
            target=membership,
            agency=agency,
            role=membership.role,
        )
    return membership


def _require_active(agency: Agency) -> None:
    if not agency.is_active:
        raise ValidationError(
            _("%(agency)s is inactive: reactivate it before giving anyone a role in it."),
            params={"agency": agency.name},
        )


@transaction.atomic
def member_add(*, agency: Agency, email: str, role: str, full_name: str = "", actor: User):
    """Gives a person a role in an agency, creating their account if they have none yet.

    Returns (membership, user_created). A new account has no password: the person sets one
    through "Forgot your password?" or signs in through single sign-on.
    """
    _require_active(agency)
    if role not in (Role.REQUESTER, Role.AGENT, Role.AGENCY_ADMIN):
        raise ValidationError({"role": _("Choose requester, agent or agency admin.")})
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    user_created = user is None
    if user_created:
        user = User.objects.create_user(email=email, full_name=full_name.strip())
    elif Membership.objects.filter(user=user, agency=agency).exists():
        raise ValidationError(
            {"email": _("%(email)s already has a role in this agency.") % {"email": email}}
        )
    membership = Membership.objects.create(user=user, agency=agency, role=role)
    audit_record(
        actor=actor, action="membership.added", target=membership, agency=agency, role=role
    )
    return membership, user_created


@transaction.atomic
def member_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    if role not in (Role.REQUESTER, Role.AGENT, Role.AGENCY_ADMIN):
        raise ValidationError({"role": _("Choose requester, agent or agency admin.")})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _require_active(membership.agency)
    if membership.role == role:
        return membership
    if membership.role == Role.AGENCY_ADMIN:
        _refuse_removing_last_admin(membership)
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        target=membership,
        agency=membership.agency,
        old_role=old_role,
        role=role,
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.AGENCY_ADMIN:
        _refuse_removing_last_admin(membership)
    audit_record(
        actor=actor,
        action="membership.removed",
        target=membership,
        agency=membership.agency,
        role=membership.role,
    )
    membership.user.teams.remove(*membership.user.teams.filter(agency=membership.agency))
    Team.objects.filter(agency=membership.agency, lead=membership.user).update(lead=None)
    membership.delete()


def _refuse_removing_last_admin(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(agency=membership.agency, role=Role.AGENCY_ADMIN)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ValidationError(
            _("%(agency)s needs at least one agency admin: name another before this change.")
            % {"agency": membership.agency.name}
        )


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    full_name: str,
    preferred_language: str,
    single_key_shortcuts: bool | None = None,
) -> User:
    """Saves the profile; an empty language means "follow my browser". Shortcuts are left as
    they are when not given."""
    if preferred_language and preferred_language not in dict(settings.LANGUAGES):
        raise ValidationError(_("GovDesk is not offered in that language."))
    user.full_name = full_name.strip()
    user.preferred_language = preferred_language
    fields = ["full_name", "preferred_language"]
    if single_key_shortcuts is not None:
        user.single_key_shortcuts = single_key_shortcuts
        fields.append("single_key_shortcuts")
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_choose_language(*, user: User, language: str) -> User:
    """Records a language the person chose (the switcher, or on the sign-in page)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("GovDesk is not offered in that language."))
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return user


def user_language_at_sign_in(*, user: User, chosen_on_browser: str, browser: str) -> str:
    """The language of the person's first page after signing in; saves what it learns.

    1. A language chosen on this browser (the switcher's cookie, set on the sign-in page or
       before) is the latest choice made here: the profile takes it, so the page keeps it.
    2. Otherwise a language chosen on the profile, anywhere, wins.
    3. Otherwise the browser's language, remembered so that e-mail is written in it too.
    """
    offered = dict(settings.LANGUAGES)
    if chosen_on_browser in offered:
        user_choose_language(user=user, language=chosen_on_browser)
        return chosen_on_browser
    if user.preferred_language in offered:
        return user.preferred_language
    language = browser if browser in offered else settings.LANGUAGE_CODE
    if user.browser_language != language:
        user.browser_language = language
        user.save(update_fields=["browser_language"])
    return language
