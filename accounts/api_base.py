"""What every API view shares: the acting membership, set once authentication is done."""

from rest_framework import viewsets

from accounts.api_auth import acting_membership


class GovDeskViewSetMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        membership = acting_membership(request)
        # The web's selectors and views read request.membership: set it on both requests.
        request.membership = request._request.membership = membership


class GovDeskViewSet(GovDeskViewSetMixin, viewsets.GenericViewSet):
    pass
