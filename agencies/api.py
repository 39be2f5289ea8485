"""GET /api/v1/agencies/: the agencies of government, for codes to use elsewhere."""

from rest_framework import mixins, serializers

from accounts.api_base import GovDeskViewSet
from agencies.models import Agency


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Agency
        fields = ["code", "name", "kind", "parent", "is_active"]


class AgencyViewSet(mixins.ListModelMixin, GovDeskViewSet):
    """Every agency: their codes and names are no secret, and transfers need them."""

    serializer_class = AgencySerializer
    queryset = Agency.objects.none()
    ordering = ("code",)

    def get_queryset(self):
        return Agency.objects.select_related("parent")
