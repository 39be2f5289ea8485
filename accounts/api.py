"""GET /api/v1/me/: who the caller is and which roles they hold."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_base import GovDeskViewSetMixin
from accounts.selectors import memberships_usable_by


class MembershipSerializer(serializers.Serializer):
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    memberships = MembershipSerializer(many=True)
    acting_as = MembershipSerializer(allow_null=True)


class MeView(GovDeskViewSetMixin, APIView):
    @extend_schema(responses=MeSerializer, summary="The caller and their roles")
    def get(self, request):
        memberships = list(memberships_usable_by(request.user))
        data = {
            "email": request.user.email,
            "full_name": request.user.full_name,
            "memberships": memberships,
            "acting_as": request.membership,
        }
        return Response(MeSerializer(data).data)
