"""Every write of the knowledge base: articles, their language versions and status, what
readers did with them, and the reminders owed to their owners."""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Right, admins_of_agency_q, membership_has_right
from agencies.models import Agency
from core.audit import audit_record
from knowledge.models import (
    SEARCH_CONFIGS,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleUse,
    ArticleVersion,
    Audience,
    Deflection,
)
from mail.models import Outbox
from mail.services import outbox_queue_delivery
from tickets.markdown import render_article_markdown
from tickets.models import Ticket, TicketEvent

Status = Article.Status
# Who may move an article from one status to another: editors write and ask for review;
# publishing, archiving and taking back to draft from published are for the publishers.
EDITOR_MOVES = {
    (Status.DRAFT, Status.IN_REVIEW),
    (Status.IN_REVIEW, Status.DRAFT),
    (Status.ARCHIVED, Status.DRAFT),
}
PUBLISHER_MOVES = {
    (Status.DRAFT, Status.PUBLISHED),
    (Status.IN_REVIEW, Status.PUBLISHED),
    (Status.PUBLISHED, Status.ARCHIVED),
    (Status.PUBLISHED, Status.DRAFT),
    (Status.DRAFT, Status.ARCHIVED),
    (Status.IN_REVIEW, Status.ARCHIVED),
}
_SCRIPT_HINT = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style)\b|\bon\w+\s*=", re.I)


class ArticleRefused(ValidationError):
    """A change to an article that its author may not make."""


def _now():
    return timezone.now()


def _clean_text(*, title: str, body: str, summary: str = "") -> tuple[str, str, str]:
    title, summary, body = title.strip(), summary.strip(), body.strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the article a title.")
    if not body:
        errors["body"] = _("Write the article's text.")
    if len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if len(body) > 50000:
        errors["body"] = _("Keep the text under 50,000 characters.")
    if "\x00" in title + body + summary:
        errors["body"] = _("The text holds a character that cannot be stored.")
    if errors:
        raise ValidationError(errors)
    return title, summary, body


def article_body_warnings(body: str) -> list[str]:
    """What the renderer will neutralise, said plainly so an editor is not surprised."""
    warnings = []
    if _SCRIPT_HINT.search(body):
        warnings.append(_("Script and HTML in the text are shown as text, never run."))
    if re.search(r"!\[[^\]]*\]\(\s*(https?:)?//", body):
        warnings.append(_("Images from other sites are left out: add them to GovDesk first."))
    return warnings


def _version_save(
    *, article: Article, language: str, title: str, summary: str, body: str, actor: User | None
) -> ArticleVersion:
    if language not in SEARCH_CONFIGS:
        raise ValidationError({"language": _("Choose English or French.")})
    now = _now()
    version, _created = ArticleVersion.objects.update_or_create(
        article=article,
        language=language,
        defaults={
            "title": title,
            "summary": summary,
            "body": body,
            "updated_at": now,
            "updated_by": actor,
        },
    )
    config = SEARCH_CONFIGS[language]
    ArticleVersion.objects.filter(pk=version.pk).update(
        search=SearchVector(Value(title), weight="A", config=config)
        + SearchVector(Value(summary), weight="B", config=config)
        + SearchVector(Value(body), weight="C", config=config)
    )
    ArticleRevision.objects.create(
        article=article, language=language, title=title, body=body, status=article.status,
        actor=actor, created_at=now,
    )  # fmt: skip
    return version


def _free_slug(wanted: str) -> str:
    base = slugify(wanted)[:70] or "article"
    slug, number = base, 2
    while Article.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def article_create(
    *,
    actor: User,
    membership,
    owner_agency: Agency,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    audience: str = Audience.PUBLIC,
    category=None,
    slug: str = "",
    source_ticket: Ticket | None = None,
) -> Article:
    """A new draft article, with its first language version and history."""
    if not membership_has_right(membership, Right.EDIT_ARTICLES, owner_agency):
        raise ArticleRefused(_("Only the owner agency's staff write its articles."))
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose who may read the article from the list.")})
    title, summary, body = _clean_text(title=title, body=body, summary=summary)
    slug = slugify(slug)[:80] if slug else _free_slug(title)
    if not slug:
        raise ValidationError({"slug": _("Use letters, digits and hyphens for the short name.")})
    now = _now()
    try:
        with transaction.atomic():
            article = Article.objects.create(
                slug=slug, owner_agency=owner_agency, category=category, audience=audience,
                status=Status.DRAFT, status_changed_at=now, status_changed_by=actor,
                last_reviewed_at=now, created_by=actor, source_ticket=source_ticket,
                created_at=now, updated_at=now,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            {"slug": _("Another article already uses this short name.")}
        ) from None
    _version_save(
        article=article, language=language, title=title, summary=summary, body=body, actor=actor
    )
    audit_record(actor=actor, action="article.created", target=slug, agency=owner_agency)
    return article


@transaction.atomic
def article_edit(
    *,
    article: Article,
    actor: User,
    membership,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    audience: str | None = None,
    category=False,
) -> ArticleVersion:
    """Changes (or adds) one language version, and the article's audience and service. A
    published article stays published: its history keeps every earlier text."""
    if not membership_has_right(membership, Right.EDIT_ARTICLES, article.owner_agency_id):
        raise ArticleRefused(_("Only the owner agency's staff change its articles."))
    title, summary, body = _clean_text(title=title, body=body, summary=summary)
    article = Article.objects.select_for_update().get(pk=article.pk)
    fields = ["updated_at"]
    if audience is not None and audience != article.audience:
        if audience not in Audience.values:
            raise ValidationError({"audience": _("Choose who may read the article from the list.")})
        article.audience = audience
        fields.append("audience")
    if category is not False:
        article.category = category
        fields.append("category")
    article.updated_at = _now()
    article.save(update_fields=fields)
    return _version_save(
        article=article, language=language, title=title, summary=summary, body=body, actor=actor
    )


@transaction.atomic
def article_set_status(*, article: Article, actor: User, membership, status: str) -> Article:
    """Moves the article through draft, review, published and archived; publishing counts
    as a review."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    old = article.status
    if status not in Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if status == old:
        return article
    agency = article.owner_agency_id
    if (old, status) in PUBLISHER_MOVES:
        allowed = membership_has_right(membership, Right.PUBLISH_ARTICLES, agency)
        refusal = _("Only an admin of the owner agency publishes or archives its articles.")
    elif (old, status) in EDITOR_MOVES:
        allowed = membership_has_right(membership, Right.EDIT_ARTICLES, agency)
        refusal = _("Only the owner agency's staff change its articles.")
    else:
        raise ValidationError({"status": _("An article cannot move straight to that status.")})
    if not allowed:
        raise ArticleRefused(refusal)
    if status == Status.PUBLISHED and not article.versions.exists():
        raise ValidationError(_("Write the article in at least one language before publishing."))
    now = _now()
    article.status, article.status_changed_at, article.status_changed_by = status, now, actor
    article.updated_at = now
    fields = ["status", "status_changed_at", "status_changed_by", "updated_at"]
    if status == Status.PUBLISHED:
        article.last_reviewed_at, article.review_reminded_at = now, None
        fields += ["last_reviewed_at", "review_reminded_at"]
    article.save(update_fields=fields)
    ArticleRevision.objects.create(
        article=article, status=status, note=f"{old} → {status}", actor=actor, created_at=now
    )
    audit_record(
        actor=actor, action="article.status", target=article.slug, agency=article.owner_agency,
        old=old, new=status,
    )  # fmt: skip
    return article


@transaction.atomic
def article_mark_reviewed(*, article: Article, actor: User, membership) -> Article:
    if not membership_has_right(membership, Right.EDIT_ARTICLES, article.owner_agency_id):
        raise ArticleRefused(_("Only the owner agency's staff review its articles."))
    now = _now()
    Article.objects.filter(pk=article.pk).update(last_reviewed_at=now, review_reminded_at=None)
    ArticleRevision.objects.create(
        article=article, status=article.status, note="reviewed", actor=actor, created_at=now
    )
    article.refresh_from_db()
    return article


# -- What readers and agents did ---------------------------------------------------------------


def deflection_record(
    *, article: Article, user: User | None, agency, query: str = ""
) -> Deflection:
    """The reader found their answer while reporting, and reports nothing."""
    return Deflection.objects.create(
        article=article,
        user=user if user is not None and user.is_authenticated else None,
        agency=agency,
        query=" ".join(query.replace("\x00", "").split())[:200],
        created_at=_now(),
    )


@transaction.atomic
def feedback_record(*, article: Article, user: User | None, helpful: bool) -> ArticleFeedback:
    """A reader's verdict on an article; a signed-in reader's second one replaces the first."""
    now = _now()
    if user is not None and user.is_authenticated:
        feedback, _created = ArticleFeedback.objects.update_or_create(
            article=article, user=user, defaults={"helpful": helpful, "created_at": now}
        )
        return feedback
    return ArticleFeedback.objects.create(article=article, helpful=helpful, created_at=now)


def article_link_pattern() -> re.Pattern:
    """An article's address in a reply: /help/<slug>/, on this site or written as a path."""
    return re.compile(r"/help/([a-z0-9][a-z0-9_-]*)/")


def article_uses_record(events) -> int:
    """Counts an article for each ticket a staff member answered with a link to it: the
    knowledge subscriber's work on public replies. Idempotent by the unique constraint."""
    pattern = article_link_pattern()
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.kind != TicketEvent.Kind.REPLY or not event.is_public:
            continue
        if not event.data.get("by_agent"):
            continue
        for slug in pattern.findall(event.body):
            wanted.setdefault(slug, set()).add(event.ticket_id)
    if not wanted:
        return 0
    articles = dict(Article.objects.filter(slug__in=wanted).values_list("slug", "pk"))
    now = _now()
    uses = [
        ArticleUse(article_id=articles[slug], ticket_id=ticket_id, created_at=now)
        for slug, tickets in wanted.items()
        if slug in articles
        for ticket_id in tickets
    ]
    return len(ArticleUse.objects.bulk_create(uses, ignore_conflicts=True))


def _without_personal_data(text: str, ticket: Ticket) -> str:
    """The answer with the requester's name, address and numbers left out."""
    requester = ticket.requester
    for word in filter(None, [requester.email, requester.full_name, *requester.full_name.split()]):
        if len(word) > 2:
            text = re.sub(re.escape(word), "[…]", text, flags=re.IGNORECASE)
    text = re.sub(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "[…]", text)
    return re.sub(r"\+?\d[\d ()-]{6,}\d", "[…]", text)


@transaction.atomic
def article_draft_from_ticket(*, ticket: Ticket, actor: User, membership, language: str) -> Article:
    """A draft article from a resolved ticket: its subject as the title, the staff's public
    answers as the text. The requester's words and personal data stay out."""
    if ticket.status not in Ticket.CLOSED_STATUSES:
        raise ValidationError(_("Only a resolved ticket's answer can become an article."))
    answers = list(
        ticket.events.filter(kind=TicketEvent.Kind.REPLY, is_public=True, data__by_agent=True)
        .order_by("created_at", "pk")
        .values_list("body", flat=True)
    )
    if not answers:
        raise ValidationError(_("This ticket has no answer from its staff to start from."))
    body = _without_personal_data("\n\n".join(answers), ticket)
    title = _without_personal_data(ticket.subject, ticket)
    return article_create(
        actor=actor, membership=membership, owner_agency=ticket.agency, language=language,
        title=title, body=body, audience=Audience.AGENCY, category=ticket.category,
        source_ticket=ticket,
    )  # fmt: skip


# -- Review reminders ----------------------------------------------------------------------------


def articles_review_remind(*, now=None) -> int:
    """Tells each owner agency's admins of its articles whose review is due, once per due
    date (compare-and-set on `review_reminded_at`); returns how many reminders were written."""
    now = now or _now()
    due = (
        Article.objects.filter(status=Status.PUBLISHED, review_reminded_at__isnull=True)
        .select_related("owner_agency")
        .order_by("pk")
    )
    written = 0
    for article in due.iterator():
        if article.review_due_at > now:
            continue
        with transaction.atomic():
            claimed = Article.objects.filter(pk=article.pk, review_reminded_at__isnull=True).update(
                review_reminded_at=now
            )
            if not claimed:
                continue
            written += _review_reminder_write(article, now)
    return written


def _review_reminder_write(article: Article, now) -> int:
    owners = User.objects.filter(
        admins_of_agency_q(article.owner_agency_id, prefix="memberships__"), is_active=True
    ).distinct()
    url = settings.GOVDESK_SITE_URL + reverse("knowledge:article_edit", args=[article.slug])
    count = 0
    for owner in owners:
        with translation.override(owner.language):
            title = article.versions.values_list("title", flat=True).first() or article.slug
            subject = _("Time to review the article “%(title)s”") % {"title": title}
            body = render_to_string(
                "knowledge/email/review_due.txt", {"article": article, "title": title, "url": url}
            )
        outbox = Outbox.objects.create(
            to_address=owner.email, recipient=owner, subject=subject[:300], body_text=body,
            headers={"Auto-Submitted": "auto-generated", "Content-Language": owner.language},
            dedupe_key=f"article-review:{article.pk}:{now:%Y%m%d}:{owner.pk}",
            created_at=now, next_attempt_at=now,
        )  # fmt: skip
        transaction.on_commit(lambda pk=outbox.pk: outbox_queue_delivery(pk))
        count += 1
    return count


def article_html(version: ArticleVersion):
    return render_article_markdown(version.body)
