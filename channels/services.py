"""Every write of mobile numbers: adding one, confirming it with a code sent by SMS, the SMS
preference, removing it, and setting confirmed numbers for staff (CSV import, phone_set)."""

import csv
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import members_of_agency
from agencies.models import Agency
from channels.limits import rate_allow
from channels.models import PhoneNumber
from channels.outbound import sms_queue
from channels.selectors import phone_normalise
from core.audit import audit_record

CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(seconds=60)
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 1024 * 1024


def _code_digest(phone: PhoneNumber, code: str) -> str:
    message = f"{phone.user_id}:{phone.number}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _refuse_taken(number: str, user: User) -> None:
    taken = PhoneNumber.objects.filter(number=number, confirmed_at__isnull=False).exclude(user=user)
    if taken.exists():
        raise ValidationError({"number": _("Another person has already confirmed this number.")})


def _send_code(phone: PhoneNumber, now) -> None:
    if not rate_allow("code", str(phone.user_id), settings.SMS_CODE_RATE):
        raise ValidationError(_("Too many codes sent. Try again later."))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    phone.code_digest = _code_digest(phone, code)
    phone.code_sent_at = now
    phone.code_attempts = 0
    phone.save(update_fields=["code_digest", "code_sent_at", "code_attempts"])
    with translation.override(phone.user.language):
        text = _("Your GovDesk code is %(code)s. It expires in 15 minutes.") % {"code": code}
    sms_queue(
        to=phone.number,
        text=text,
        recipient=phone.user,
        dedupe_key=f"phone-code:{phone.pk}:{now.timestamp()}",
    )


@transaction.atomic
def phone_add(*, user: User, number: str) -> PhoneNumber:
    """Sets the person's mobile number, unconfirmed, and sends it a confirmation code."""
    number = phone_normalise(number)
    _refuse_taken(number, user)
    now = timezone.now()
    phone = PhoneNumber.objects.select_for_update().filter(user=user).first()
    if phone is not None and phone.number == number and phone.is_confirmed:
        return phone
    if phone is None:
        phone = PhoneNumber.objects.create(user=user, number=number)
    else:
        phone.number, phone.confirmed_at = number, None
        phone.save(update_fields=["number", "confirmed_at"])
    _send_code(phone, now)
    audit_record(actor=user, action="phone.added", target=user)
    return phone


@transaction.atomic
def phone_resend_code(*, phone: PhoneNumber) -> None:
    phone = PhoneNumber.objects.select_for_update().select_related("user").get(pk=phone.pk)
    if phone.is_confirmed:
        return
    now = timezone.now()
    if phone.code_sent_at and now - phone.code_sent_at < CODE_RESEND_AFTER:
        raise ValidationError(_("A code was sent less than a minute ago. Wait for it."))
    _send_code(phone, now)


def phone_confirm(*, phone: PhoneNumber, code: str) -> PhoneNumber:
    """Confirms the number when `code` is the last one sent, unexpired, within the tries.

    A wrong code is counted (committed) before it is refused: refusing must not undo the
    count, or the tries would never run out.
    """
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().select_related("user").get(pk=phone.pk)
        if phone.is_confirmed:
            return phone
        now = timezone.now()
        if not phone.code_digest or phone.code_sent_at is None:
            raise ValidationError({"code": _("Ask for a code first.")})
        if phone.code_attempts >= CODE_MAX_ATTEMPTS:
            raise ValidationError({"code": _("Too many wrong codes. Ask for a new one.")})
        if now - phone.code_sent_at > CODE_VALID_FOR:
            raise ValidationError({"code": _("This code has expired. Ask for a new one.")})
        code = "".join((code or "").split())
        right = hmac.compare_digest(_code_digest(phone, code), phone.code_digest)
        if right:
            _refuse_taken(phone.number, phone.user)
            phone.confirmed_at, phone.code_digest = now, ""
            try:
                with transaction.atomic():
                    phone.save(update_fields=["confirmed_at", "code_digest"])
            except IntegrityError:  # another person confirmed it at this very moment
                raise ValidationError(
                    {"number": _("Another person has already confirmed this number.")}
                ) from None
            audit_record(actor=phone.user, action="phone.confirmed", target=phone.user)
            return phone
        phone.code_attempts += 1
        phone.save(update_fields=["code_attempts"])
    raise ValidationError({"code": _("This code is not right. Check the SMS and try again.")})


@transaction.atomic
def phone_set_updates(*, phone: PhoneNumber, sms_updates: bool) -> PhoneNumber:
    phone.sms_updates = sms_updates
    phone.save(update_fields=["sms_updates"])
    return phone


@transaction.atomic
def phone_remove(*, user: User) -> None:
    deleted, _detail = PhoneNumber.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="phone.removed", target=user)


@transaction.atomic
def phone_set_confirmed(*, user: User, number: str, actor: User | None) -> PhoneNumber:
    """Sets a person's number as confirmed, without a code: an agency admin's import for
    their staff, or an operator's `phone_set`."""
    number = phone_normalise(number)
    _refuse_taken(number, user)
    now = timezone.now()
    try:
        with transaction.atomic():
            phone, _created = PhoneNumber.objects.update_or_create(
                user=user, defaults={"number": number, "confirmed_at": now, "code_digest": ""}
            )
    except IntegrityError:  # another person confirmed it at this very moment
        raise ValidationError(
            {"number": _("Another person has already confirmed this number.")}
        ) from None
    audit_record(actor=actor, action="phone.set_confirmed", target=user, by_operator=not actor)
    return phone


def phones_import_csv(*, agency: Agency, data: bytes, actor: User) -> int:
    """Sets the confirmed numbers of the agency's own people from a CSV of `email,number`
    lines (a header line is allowed). All or nothing: any bad line refuses the whole file,
    with every bad line named. Returns how many numbers were set."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 1 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("Save the file as CSV in UTF-8.")}) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and rows[0] and rows[0][0].strip().lower() in {"email", "e-mail"}:
        rows = rows[1:]
    if not rows:
        raise ValidationError({"file": _("The file has no lines of e-mail address and number.")})
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError({"file": _("At most 5,000 lines in one file.")})
    people = {
        m.user.email.lower(): m.user
        for m in members_of_agency(agency).select_related("user")
        if m.user.is_active
    }
    errors, wanted, seen_numbers = [], [], {}
    for line, row in enumerate(rows, start=1):
        if len(row) < 2:
            errors.append(_("Line %(line)d: give an e-mail address and a number.") % {"line": line})
            continue
        email, raw_number = row[0].strip().lower(), row[1]
        user = people.get(email)
        if user is None:
            errors.append(
                _("Line %(line)d: %(email)s is not a member of your agency.")
                % {"line": line, "email": email[:80]}
            )
            continue
        try:
            number = phone_normalise(raw_number)
        except ValidationError:
            errors.append(_("Line %(line)d: not a mobile number.") % {"line": line})
            continue
        if number in seen_numbers and seen_numbers[number] != user.pk:
            errors.append(_("Line %(line)d: this number is on another line.") % {"line": line})
            continue
        seen_numbers[number] = user.pk
        wanted.append((line, user, number))
    if not errors:
        taken = dict(
            PhoneNumber.objects.filter(
                number__in=seen_numbers, confirmed_at__isnull=False
            ).values_list("number", "user_id")
        )
        for line, user, number in wanted:
            if taken.get(number, user.pk) != user.pk:
                errors.append(
                    _("Line %(line)d: another person has already confirmed this number.")
                    % {"line": line}
                )
    if errors:
        raise ValidationError({"file": errors[:50]})
    try:
        with transaction.atomic():
            _phones_set_confirmed(wanted)
            audit_record(
                actor=actor,
                action="phone.imported",
                target=agency,
                agency=agency,
                count=len(wanted),
            )
    except IntegrityError:
        raise ValidationError(
            {"file": _("Someone confirmed one of these numbers meanwhile. Try again.")}
        ) from None
    return len(wanted)


def _phones_set_confirmed(wanted: list[tuple[int, User, str]]) -> None:
    """Sets every (line, person, number) confirmed in three statements, however many."""
    now = timezone.now()
    numbers = {user.pk: number for _line, user, number in wanted}
    existing = list(PhoneNumber.objects.select_for_update().filter(user__in=list(numbers)))
    for phone in existing:
        phone.number, phone.confirmed_at, phone.code_digest = numbers.pop(phone.user_id), now, ""
    PhoneNumber.objects.bulk_update(existing, ["number", "confirmed_at", "code_digest"])
    PhoneNumber.objects.bulk_create(
        [
            PhoneNumber(user_id=user_id, number=number, confirmed_at=now)
            for user_id, number in numbers.items()
        ]
    )
