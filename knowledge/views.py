"""The help pages: search and read articles, find an answer while reporting, keep articles."""

import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Right, membership_has_right
from core.forms import form_add_service_error
from knowledge import selectors, services
from knowledge.forms import ArticleCreateForm, ArticleForm, FeedbackForm, SearchForm, StatusForm
from knowledge.models import Article, ArticleRevision
from tickets.category_selectors import categories_to_report_under
from tickets.models import Category
from tickets.selectors import ticket_get_for_user, user_works_ticket

HISTORY_SHOWN = 30


class _SignInFirst(Exception):
    pass


def _language(request) -> str:
    return selectors.reader_language(request.GET.get("lang") or get_language())


def _article_for_reader(request, slug: str) -> Article:
    """The article if this person may read it. Signed out, an article they may not read sends
    them to sign in, as a missing one does: the answer tells nothing of what exists."""
    try:
        return selectors.article_get_for_user(request.user, request.membership, slug)
    except Http404:
        if not request.user.is_authenticated:
            raise _SignInFirst from None
        raise


def _reader_view(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _SignInFirst:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__, wrapped.__doc__, wrapped.__module__ = (
        view.__name__,
        view.__doc__,
        view.__module__,
    )
    return wrapped


def _published(request):
    return selectors.articles_published_for(request.user, request.membership)


# -- Readers ------------------------------------------------------------------------------------


def help_index(request):
    """/help/: search in the reader's language; before a search, the latest articles."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    language = _language(request)
    if query:
        found = selectors.articles_search(_published(request), query, language=language)
    else:
        found = selectors.articles_latest(_published(request), language=language, limit=10)
    may_edit = membership_has_right(request.membership, Right.EDIT_ARTICLES)
    context = {"form": form, "query": query, "found": found, "may_edit": may_edit}
    template = "knowledge/_results.html" if request.htmx else "knowledge/help_index.html"
    response = render(request, template, context)
    # The same address answers a region or the whole page: a cache keeps them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@_reader_view
def article_detail(request, article: str):
    article = _article_for_reader(request, article)
    language = _language(request)
    versions = list(article.versions.all())
    version = next((v for v in versions if v.language == language), None)
    other_language = version is None
    version = version or (versions[0] if versions else None)
    if version is None:
        raise Http404
    may_edit = selectors.user_may_edit(request.membership, article)
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "version": version,
            "body": services.article_html(version),
            "other_language": other_language,
            "languages": [v.language for v in versions],
            "may_edit": may_edit,
            "feedback_form": FeedbackForm(),
            "query": request.GET.get("q", "")[:200],
        },
    )


@_reader_view
def article_feedback(request, article: str):
    # The article first: signed out, one that is not public asks to sign in, whatever the method.
    article = _article_for_reader(request, article)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = FeedbackForm(request.POST)
    if form.is_valid():
        services.feedback_record(
            article=article, user=request.user, helpful=form.cleaned_data["helpful"]
        )
        messages.success(request, _("Thank you: your answer helps us keep the article useful."))
    else:
        messages.error(request, _("Choose yes or no."))
    return redirect("knowledge:article", article=article.slug)


@login_required
@require_POST
def article_solved(request, article: str):
    """ "This solved my problem": a deflection recorded, and nothing reported."""
    article = selectors.article_get_for_user(request.user, request.membership, article)
    membership = request.membership
    services.deflection_record(
        article=article,
        user=request.user,
        agency=membership.agency if membership is not None else None,
        query=request.POST.get("subject", ""),
    )
    messages.success(request, _("Glad it helped. Nothing was reported, and nobody was bothered."))
    return redirect("knowledge:article", article=article.slug)


def intake_suggestions(request):
    """Up to five articles for the subject being typed on "Report a problem" (the page's
    script asks as the person types; a partial, or the whole list page without script)."""
    subject = request.GET.get("subject", "")[:200]
    found = selectors.articles_search(
        _published(request), subject, language=_language(request),
        limit=selectors.SUGGESTIONS_LIMIT,
    )  # fmt: skip
    return render(
        request, "knowledge/_suggestions.html", {"found": found, "subject": subject.strip()}
    )


@login_required
def intake_check(request):
    """The "check help first" step without JavaScript: matching articles for the subject, and
    the way on to the report form with what was typed carried over."""
    subject = request.GET.get("subject", "").strip()[:200]
    found = selectors.articles_search(
        _published(request), subject, language=_language(request),
        limit=selectors.SUGGESTIONS_LIMIT,
    )  # fmt: skip
    carried = {
        key: request.GET.get(key, "")[:limit]
        for key, limit in (("subject", 200), ("category", 20), ("description", 4000))
        if request.GET.get(key)
    }
    carried["checked"] = "1"
    return render(
        request,
        "knowledge/intake_check.html",
        {
            "found": found,
            "subject": subject,
            "continue_url": reverse("ticket_new") + "?" + urlencode(carried),
        },
    )


# -- Editors ------------------------------------------------------------------------------------


def _require_editor(request):
    if not membership_has_right(request.membership, Right.EDIT_ARTICLES):
        raise Http404


def _categories(request):
    return Category.objects.filter(
        pk__in=[c.pk for c in categories_to_report_under(request.membership)]
    )


@login_required
def article_manage(request):
    """The acting agency's articles, every status, with their figures: for their owners."""
    _require_editor(request)
    agency_id = request.membership.agency_id
    articles = (
        selectors.articles_of_agency(agency_id).annotate(
            deflection_count=Count("deflections", distinct=True),
            helpful_count=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
            unhelpful_count=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
            use_count=Count("uses", distinct=True),
        )
        if agency_id
        else Article.objects.none()
    )
    articles = list(articles)
    language = _language(request)
    rows = [(a, selectors.version_for(a, language)[0]) for a in articles]
    deflect_most = sorted(
        (r for r in rows if r[0].deflection_count), key=lambda r: -r[0].deflection_count
    )[:5]
    fail_most = sorted(
        (r for r in rows if r[0].unhelpful_count), key=lambda r: -r[0].unhelpful_count
    )[:5]
    return render(
        request,
        "knowledge/manage.html",
        {"rows": rows, "deflect_most": deflect_most, "fail_most": fail_most},
    )


@login_required
def article_new(request):
    _require_editor(request)
    membership = request.membership
    posted = request.method == "POST"
    form = ArticleCreateForm(
        request.POST if posted else None,
        categories=_categories(request),
        initial={"language": _language(request)},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_create(
                actor=request.user, membership=membership, owner_agency=membership.agency,
                language=data["language"], title=data["title"], body=data["body"],
                summary=data["summary"], audience=data["audience"], category=data["category"],
                slug=data["slug"],
            )  # fmt: skip
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            for warning in services.article_body_warnings(data["body"]):
                messages.warning(request, warning)
            messages.success(request, _("The draft is saved."))
            return redirect("knowledge:article_edit", article=article.slug)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


@login_required
def article_edit(request, article: str):
    article = selectors.article_get_for_editor(request.user, request.membership, article)
    language = _language(request)
    version = article.versions.filter(language=language).first()
    posted = request.method == "POST"
    initial = {"language": language, "audience": article.audience, "category": article.category_id}
    if version is not None:
        initial.update(title=version.title, summary=version.summary, body=version.body)
    form = ArticleForm(
        request.POST if posted else None, categories=_categories(request), initial=initial
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.article_edit(
                article=article, actor=request.user, membership=request.membership,
                language=data["language"], title=data["title"], body=data["body"],
                summary=data["summary"], audience=data["audience"], category=data["category"],
            )  # fmt: skip
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            for warning in services.article_body_warnings(data["body"]):
                messages.warning(request, warning)
            messages.success(request, _("Your changes are saved."))
            url = reverse("knowledge:article_edit", args=[article.slug])
            return redirect(url + "?" + urlencode({"lang": data["language"]}))
    return render(
        request,
        "knowledge/article_form.html",
        {
            "form": form,
            "article": article,
            "language": language,
            "status_form": StatusForm(initial={"status": article.status}),
            "may_publish": selectors.user_may_publish(request.membership, article),
        },
    )


@login_required
@require_POST
def article_status(request, article: str):
    article = selectors.article_get_for_editor(request.user, request.membership, article)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status from the list."))
    else:
        try:
            article = services.article_set_status(
                article=article, actor=request.user, membership=request.membership,
                status=form.cleaned_data["status"],
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The article is now: %(status)s.") % {"status": article.get_status_display()},
            )
    return redirect("knowledge:article_edit", article=article.slug)


@login_required
@require_POST
def article_reviewed(request, article: str):
    article = selectors.article_get_for_editor(request.user, request.membership, article)
    services.article_mark_reviewed(
        article=article, actor=request.user, membership=request.membership
    )
    messages.success(request, _("Marked as reviewed today."))
    return redirect("knowledge:article_edit", article=article.slug)


@login_required
def article_history(request, article: str):
    """Who changed what and when, each text against the one before it in the same language."""
    article = selectors.article_get_for_editor(request.user, request.membership, article)
    revisions = list(
        ArticleRevision.objects.filter(article=article).select_related("actor")[:HISTORY_SHOWN]
    )
    entries = []
    for index, revision in enumerate(revisions):
        diff = []
        if revision.language:
            earlier = next(
                (r for r in revisions[index + 1 :] if r.language == revision.language), None
            )
            before = f"{earlier.title}\n\n{earlier.body}" if earlier else ""
            after = f"{revision.title}\n\n{revision.body}"
            diff = list(
                difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
            )[2:]
        entries.append({"revision": revision, "diff": diff})
    return render(
        request, "knowledge/article_history.html", {"article": article, "entries": entries}
    )


@login_required
@require_POST
def article_from_ticket(request, reference: str):
    """A resolved ticket's answer as a draft article of the handling agency, in one step."""
    ticket = ticket_get_for_user(request.user, request.membership, reference)
    if not user_works_ticket(request.membership, ticket):
        raise Http404
    try:
        article = services.article_draft_from_ticket(
            ticket=ticket, actor=request.user, membership=request.membership,
            language=_language(request),
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ticket_detail", reference=ticket.reference)
    messages.success(
        request,
        _("A draft article is made from %(reference)s: check it before sending it for review.")
        % {"reference": ticket.reference},
    )
    return redirect("knowledge:article_edit", article=article.slug)
