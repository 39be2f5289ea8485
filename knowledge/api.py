"""The knowledge part of the REST API v1: `/api/v1/articles/`.

Thin like the web views: every article comes through `selectors.articles_readable_by` (404
outside it), search through `selectors.articles_search` over what the caller may read, and
every change through the same services as the web pages.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.api_base import GovDeskViewSet
from core.api_errors import validation_detail
from core.api_input import StrictInputSerializer
from knowledge import selectors, services
from knowledge.models import Article, Audience
from tickets.category_selectors import categories_to_report_under


class ArticleSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    language = serializers.CharField(source="version.language")
    other_language = serializers.BooleanField(
        help_text="True when the article has no text in the language asked for."
    )
    title = serializers.CharField(source="version.title")
    summary = serializers.CharField(source="version.summary")
    audience = serializers.ChoiceField(source="article.audience", choices=Audience.choices)
    status = serializers.ChoiceField(source="article.status", choices=Article.Status.choices)
    owner_agency = serializers.CharField(source="article.owner_agency.code")
    updated_at = serializers.DateTimeField(source="article.updated_at")
    url = serializers.SerializerMethodField()

    def get_url(self, found) -> str:
        return self.context["request"].build_absolute_uri(f"/help/{found.slug}/")


# One object holding the list, not a bare list, although the action is a list.
@extend_schema_serializer(many=False)
class ArticleListSerializer(serializers.Serializer):
    results = ArticleSerializer(many=True)


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.CharField(source="version.body", help_text="Markdown.")
    languages = serializers.ListField(child=serializers.CharField())


class ArticleSearchSerializer(StrictInputSerializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lang = serializers.ChoiceField(choices=["en", "fr"], required=False)


class ArticleLanguageSerializer(StrictInputSerializer):
    lang = serializers.ChoiceField(choices=["en", "fr"], required=False)


class ArticleWriteSerializer(StrictInputSerializer):
    language = serializers.ChoiceField(choices=["en", "fr"])
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField(max_length=50000, help_text="Markdown.")
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    category = serializers.SlugField(max_length=80, required=False, help_text="A service's slug.")


class ArticleCreateSerializer(ArticleWriteSerializer):
    slug = serializers.SlugField(max_length=80, required=False)


class ArticleUpdateSerializer(ArticleWriteSerializer):
    language = serializers.ChoiceField(choices=["en", "fr"])
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=50000, required=False, help_text="Markdown.")
    status = serializers.ChoiceField(choices=Article.Status.choices, required=False)


class _Shown:
    """An article as the API shows it, in one language."""

    def __init__(self, article, version, other_language):
        self.article, self.version, self.other_language = article, version, other_language
        self.slug = article.slug
        self.languages = sorted(v.language for v in article.versions.all())


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _service_error(error: ValidationError):
    if isinstance(error, services.ArticleRefused):
        return exceptions.PermissionDenied(" ".join(error.messages))
    return serializers.ValidationError(validation_detail(error))


A_SLUG = OpenApiParameter(
    "article", OpenApiTypes.STR, OpenApiParameter.PATH, description="An article's short name."
)


class ArticleViewSet(GovDeskViewSet):
    """Help articles the caller may read; editors of the owner agency write them."""

    serializer_class = ArticleSerializer
    queryset = Article.objects.none()
    lookup_field = "slug"
    lookup_url_kwarg = "article"
    # Any text reaches the selector, which answers 404 in the API's own shape.
    lookup_value_converter = "str"
    pagination_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.article = None
        if "article" in kwargs:
            self.article = selectors.article_get_for_user(
                request.user, request.membership, kwargs["article"]
            )

    def _language(self, data) -> str:
        return selectors.reader_language(
            data.get("lang") or getattr(self.request, "LANGUAGE_CODE", "en")
        )

    def _shown(self, article, language: str) -> _Shown:
        version, other = selectors.version_for(article, language)
        if version is None:
            raise Http404
        return _Shown(article, version, other)

    def _category(self, slug: str | None):
        if not slug:
            return None
        category = next(
            (c for c in categories_to_report_under(self.request.membership) if c.slug == slug),
            None,
        )
        if category is None:
            raise serializers.ValidationError(
                {"category": [_("No service you may use has this slug.")]}
            )
        return category

    @extend_schema(
        parameters=[ArticleSearchSerializer],
        responses={200: ArticleListSerializer},
        summary="Search the articles the caller may read",
        description="Full text in each language and a trigram match of titles, best first; "
        "at most 20. Without `q`, the latest articles.",
    )
    def list(self, request):
        query = _valid(ArticleSearchSerializer, request.query_params)
        language = self._language(query)
        readable = selectors.articles_published_for(request.user, request.membership)
        if (query.get("q") or "").strip():
            found = selectors.articles_search(readable, query["q"], language=language)
        else:
            found = selectors.articles_latest(readable, language=language)
        data = ArticleSerializer(found, many=True, context={"request": request}).data
        return Response({"results": data})

    @extend_schema(
        parameters=[A_SLUG, ArticleLanguageSerializer],
        responses={200: ArticleDetailSerializer},
        summary="One article, in the language asked for or the other",
    )
    def retrieve(self, request, article: str):
        query = _valid(ArticleLanguageSerializer, request.query_params)
        shown = self._shown(self.article, self._language(query))
        return Response(ArticleDetailSerializer(shown, context={"request": request}).data)

    @extend_schema(
        request=ArticleCreateSerializer,
        responses={201: ArticleDetailSerializer},
        summary="Write a draft article for the caller's agency",
    )
    def create(self, request):
        data = _valid(ArticleCreateSerializer, request.data)
        membership = request.membership
        if membership is None or membership.agency_id is None:
            raise exceptions.PermissionDenied(_("Only an agency's staff write its articles."))
        try:
            article = services.article_create(
                actor=request.user, membership=membership, owner_agency=membership.agency,
                language=data["language"], title=data["title"], body=data["body"],
                summary=data.get("summary", ""),
                audience=data.get("audience", Audience.PUBLIC),
                category=self._category(data.get("category")), slug=data.get("slug", ""),
            )  # fmt: skip
        except ValidationError as error:
            raise _service_error(error) from None
        shown = self._shown(article, data["language"])
        return Response(
            ArticleDetailSerializer(shown, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[A_SLUG],
        request=ArticleUpdateSerializer,
        responses={200: ArticleDetailSerializer},
        summary="Change an article's text in one language, its audience or its status",
    )
    def partial_update(self, request, article: str):
        data = _valid(ArticleUpdateSerializer, request.data)
        article, membership = self.article, request.membership
        if not selectors.user_may_edit(membership, article):
            raise exceptions.PermissionDenied(
                _("Only the owner agency's staff change its articles.")
            )
        language = data["language"]
        try:
            if {"title", "body", "summary", "audience", "category"} & set(data):
                current, _other = selectors.version_for(article, language)
                services.article_edit(
                    article=article, actor=request.user, membership=membership,
                    language=language,
                    title=data.get("title", current.title if current and not _other else ""),
                    body=data.get("body", current.body if current and not _other else ""),
                    summary=data.get("summary", current.summary if current and not _other else ""),
                    audience=data.get("audience"),
                    category=self._category(data["category"]) if "category" in data else False,
                )  # fmt: skip
            if "status" in data:
                services.article_set_status(
                    article=article, actor=request.user, membership=membership,
                    status=data["status"],
                )  # fmt: skip
        except ValidationError as error:
            raise _service_error(error) from None
        article = selectors.article_get_for_user(request.user, membership, article.slug)
        shown = self._shown(article, language)
        return Response(ArticleDetailSerializer(shown, context={"request": request}).data)
