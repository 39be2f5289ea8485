"""SMS and USSD gateways behind one interface.

A gateway is one module in this package named as it appears in the callback URLs
(`/channels/<name>/<SMS_CALLBACK_TOKEN>/sms/`) that defines:

- `parse_sms(request) -> InboundSmsMessage`: a provider's SMS callback as GovDesk's message;
- `parse_ussd(request) -> UssdRequest`: a USSD callback as the path of choices so far;
- `ussd_response(screen: UssdScreen) -> HttpResponse`: a screen in the provider's format;
- `send_sms(*, to: str, text: str, key: str) -> str`: sends one text through the provider's
  API and returns its message id; raises on any refusal. `key` names the message uniquely.

Both parsers raise `BadCallback` for a callback they cannot read. Adding a provider is one new
module here; `SMS_GATEWAY` names the one that sends.
"""

import importlib
import re
from dataclasses import dataclass
from types import ModuleType

from django.conf import settings

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class BadCallback(ValueError):
    """The callback lacks a field GovDesk needs, or has one it cannot read."""


class GatewayError(Exception):
    """The provider refused to send, or could not be reached."""


@dataclass(frozen=True)
class InboundSmsMessage:
    message_id: str
    sender: str
    to: str
    text: str


@dataclass(frozen=True)
class UssdRequest:
    session_id: str
    phone: str
    service_code: str
    # The person's answers so far, in order: "1*2*printer broken" is ["1", "2", "printer broken"].
    answers: list[str]


@dataclass(frozen=True)
class UssdScreen:
    text: str
    # False: the session ends with this screen (END); True: the person may answer (CON).
    more: bool


def gateway_module(name: str) -> ModuleType | None:
    """The gateway module called `name`, or None when there is none."""
    if not _NAME.match(name):
        return None
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        return None


def sending_gateway() -> ModuleType:
    module = gateway_module(settings.SMS_GATEWAY)
    if module is None:
        raise GatewayError(f"SMS_GATEWAY names no gateway: {settings.SMS_GATEWAY!r}")
    return module
