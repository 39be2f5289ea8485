"""Sending a stored file after the view's own permission check.

By default Django streams the file. Behind nginx, with `ATTACHMENT_ACCEL_REDIRECT` set to the
prefix of an `internal` location that aliases MEDIA_ROOT (deploy/nginx.conf), the view only
answers with `X-Accel-Redirect` and nginx sends the bytes: a web worker is not held for the
length of a download on a slow link. Only GovDesk's answer can reach that location.
"""

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


def stored_file_response(field_file, *, filename: str, content_type: str) -> HttpResponse:
    prefix = settings.ATTACHMENT_ACCEL_REDIRECT
    if not prefix:
        return FileResponse(
            field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
        )
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(field_file.name)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
