"""Africa's Talking: SMS and USSD callbacks in, SMS out through its messaging API.

SMS callback form fields: `from`, `to`, `text`, `date`, `id`, `linkId`. USSD callback form
fields: `sessionId`, `serviceCode`, `phoneNumber`, `networkCode`, `text` (the answers so far
joined by `*`), answered with plain text beginning `CON ` (more to come) or `END `. Outbound
SMS: POST `<AFRICASTALKING_BASE_URL>/version1/messaging` with the account's user name and API
key; a recipient's status code 100, 101 or 102 means accepted.
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.http import HttpResponse

from channels.gateways import BadCallback, GatewayError, InboundSmsMessage, UssdRequest, UssdScreen

ACCEPTED_STATUS_CODES = {100, 101, 102}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RESPONSE_READ_LIMIT = 64 * 1024


def _clean(value: str) -> str:
    """The value without NUL and the other control characters, which no phone sends and
    PostgreSQL would refuse (NUL); line breaks and tabs stay."""
    return _CONTROL.sub("", value)


def _field(request, name: str, *, required: bool = True, limit: int = 200) -> str:
    value = _clean(request.POST.get(name, ""))
    if required and not value.strip():
        raise BadCallback(f"missing {name}")
    if len(value) > limit:
        raise BadCallback(f"{name} too long")
    return value


def parse_sms(request) -> InboundSmsMessage:
    return InboundSmsMessage(
        message_id=_field(request, "id").strip(),
        sender=_field(request, "from", limit=32).strip(),
        to=_field(request, "to", required=False, limit=32).strip(),
        # Length is judged by the intake, which answers a long text with a clear refusal.
        text=_clean(request.POST.get("text", "")),
    )


def parse_ussd(request) -> UssdRequest:
    text = _clean(request.POST.get("text", ""))
    if len(text) > 2000:
        raise BadCallback("text too long")
    return UssdRequest(
        session_id=_field(request, "sessionId").strip(),
        phone=_field(request, "phoneNumber", limit=32).strip(),
        service_code=_field(request, "serviceCode", required=False, limit=40).strip(),
        answers=text.split("*") if text else [],
    )


def ussd_response(screen: UssdScreen) -> HttpResponse:
    prefix = "CON " if screen.more else "END "
    return HttpResponse(prefix + screen.text, content_type="text/plain; charset=utf-8")


def send_sms(*, to: str, text: str, key: str) -> str:
    """Sends one text; returns the provider's message id. GatewayError on any refusal."""
    if not settings.AFRICASTALKING_USERNAME or not settings.AFRICASTALKING_API_KEY:
        raise GatewayError("AFRICASTALKING_USERNAME and AFRICASTALKING_API_KEY are not set")
    form = {"username": settings.AFRICASTALKING_USERNAME, "to": to, "message": text}
    if settings.AFRICASTALKING_SENDER:
        form["from"] = settings.AFRICASTALKING_SENDER
    # The base URL's scheme is checked at start-up (helpdesk/settings.py): http(s) only.
    request = urllib.request.Request(  # noqa: S310
        settings.AFRICASTALKING_BASE_URL.rstrip("/") + "/version1/messaging",
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
        headers={
            "apiKey": settings.AFRICASTALKING_API_KEY,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            # Not read by the provider today; it lets a log or a proxy tell retries apart.
            "X-GovDesk-Message": key,
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.SMS_GATEWAY_TIMEOUT
        ) as response:
            body = response.read(RESPONSE_READ_LIMIT)
    except urllib.error.HTTPError as error:
        raise GatewayError(f"HTTP {error.code}: {error.read(300)!r}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GatewayError(f"not reached: {error}") from None
    try:
        recipients = json.loads(body)["SMSMessageData"]["Recipients"]
        recipient = recipients[0]
        status_code = int(recipient["statusCode"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise GatewayError(f"unreadable answer: {body[:300]!r}") from None
    if status_code not in ACCEPTED_STATUS_CODES:
        raise GatewayError(f"refused: {recipient.get('status', status_code)}")
    return str(recipient.get("messageId", ""))
