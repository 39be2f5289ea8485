from accounts.permissions import ROLE_RIGHTS


def membership(request) -> dict:
    current = getattr(request, "membership", None)
    rights = ROLE_RIGHTS[current.role] if current else frozenset()
    return {
        "current_membership": current,
        "switchable_memberships": getattr(request, "memberships", []),
        "current_rights": {r.value for r in rights},
    }
