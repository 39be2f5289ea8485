"""A picture's small preview on the ticket page, through the same door as its download."""

from csp.constants import NONE
from csp.decorators import csp
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control

from tickets import selectors
from tickets.models import Attachment


# The preview is drawn by GovDesk from the picture, but served like the file itself: no
# policy of the site's own, nothing run, and only to those who may read the message.
@csp({"default-src": [NONE], "sandbox": True})
@cache_control(private=True, max_age=3600)
@login_required
def attachment_preview(request, reference: str, token: str):
    ticket = selectors.ticket_get_for_user(request.user, request.membership, reference)
    attachment = (
        Attachment.objects.select_related("event").filter(ticket=ticket, token=token).first()
    )
    if attachment is None or not attachment.preview:
        raise Http404
    if not attachment.event.is_public and not selectors.user_sees_internal(
        request.membership, ticket
    ):
        raise Http404
    response = FileResponse(attachment.preview.open("rb"), content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    return response
