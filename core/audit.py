from core.models import AuditEntry


def audit_record(*, actor, action: str, target, agency=None, **data) -> AuditEntry:
    """Writes one audit entry; call it inside the service's transaction."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        agency=agency,
        action=action,
        target=str(target)[:300],
        data={key: value for key, value in data.items() if value is not None},
    )
