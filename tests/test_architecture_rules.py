"""Rules of the code's shape, read from its syntax tree.

1. Permission decisions belong to `accounts`: no other app compares a role or queries by one;
   it asks `accounts.permissions` (a named right or predicate, or a filter such as
   `staff_of_agency_q`). Seeding modules only create data with roles, and stay free to.
2. An app's underscore names are its own: no other app imports them, or reaches them on a
   module it imported.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import Role

ROOT = Path(__file__).resolve().parent.parent
# Packages that are no app: the tests reach into what they test.
NOT_APPS = {"tests"}
# Where roles are named by right: the owner of the vocabulary, and data being created.
ROLES_ALLOWED_IN = {
    "demo/management/commands/seed_demo.py",
    "bench/seeding.py",
}
ROLES_ALLOWED_UNDER = {"accounts"}
ROLE_GROUPS = {"AGENCY_STAFF_ROLES", "MFA_REQUIRED_ROLES"}
ROLE_VALUES = {role.value for role in Role}
ROLE_KEYWORD = re.compile(r"^(?:\w+__)?role(?:__in|__exact|__iexact)?$")


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def apps(root: Path = ROOT) -> set[str]:
    return {
        child.name
        for child in root.iterdir()
        if (child / "__init__.py").is_file() and child.name not in NOT_APPS
    }


def _app_of(dotted: str) -> str:
    return dotted.split(".")[0]


def _is_module(dotted: str, root: Path) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# -- Rule 1: roles ------------------------------------------------------------------------------


def _names_a_role(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            owner = sub.value
            if (isinstance(owner, ast.Name) and owner.id == "Role") or (
                isinstance(owner, ast.Attribute) and owner.attr == "Role"
            ):
                return True
            if sub.attr in ROLE_GROUPS:
                return True
        if isinstance(sub, ast.Name) and sub.id in ROLE_GROUPS:
            return True
    return False


def _is_role_value(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ROLE_VALUES


def _reads_a_role(node: ast.AST) -> bool:
    """`membership.role`: a comparison of it decides by role, whatever it compares with."""
    return isinstance(node, ast.Attribute) and node.attr == "role"


def role_offences(tree: ast.AST, path: str) -> list[Offence]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            # A string is a role only beside `.role`, which is caught for itself:
            # `"requester" in data` compares no role.
            operands = [node.left, *node.comparators]
            if any(_names_a_role(o) or _reads_a_role(o) for o in operands):
                message = "compares a role: ask accounts.permissions"
                found.append(Offence(path, node.lineno, message))
        elif (
            isinstance(node, ast.keyword)
            and node.arg
            and ROLE_KEYWORD.match(node.arg)
            and (_names_a_role(node.value) or any(map(_is_role_value, ast.walk(node.value))))
        ):
            message = f"queries by role ({node.arg}=): use a filter of accounts.permissions"
            found.append(Offence(path, node.value.lineno, message))
    return found


def _roles_allowed(path: str) -> bool:
    parts = Path(path).parts
    return path in ROLES_ALLOWED_IN or parts[0] in ROLES_ALLOWED_UNDER or "migrations" in parts


# -- Rule 2: another app's underscore names -----------------------------------------------------


def _dotted(node: ast.AST) -> str | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    return ".".join(reversed(names))


def private_offences(tree: ast.AST, path: str, root: Path = ROOT) -> list[Offence]:
    known_apps = apps(root)
    own_app = Path(path).parts[0]

    def foreign(module: str) -> bool:
        app = _app_of(module)
        return app in known_apps and app != own_app

    found = []
    # Names bound to modules of other apps: `from tickets import services as s` binds "s" to
    # "tickets.services"; `import tickets.services` binds "tickets".
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if not foreign(node.module):
                    continue
                if _is_private(alias.name):
                    found.append(
                        Offence(
                            path,
                            node.lineno,
                            f"imports {node.module}.{alias.name}, a private name of another app",
                        )
                    )
                elif _is_module(f"{node.module}.{alias.name}", root):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not foreign(alias.name):
                    continue
                if any(_is_private(part) for part in alias.name.split(".")):
                    found.append(
                        Offence(path, node.lineno, f"imports {alias.name}, private to its app")
                    )
                if alias.asname:
                    modules[alias.asname] = alias.name
                else:
                    modules[alias.name.split(".")[0]] = alias.name.split(".")[0]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
            continue
        dotted = _dotted(node.value)
        if dotted is None:
            continue
        base, _dot, rest = dotted.partition(".")
        if base not in modules:
            continue
        module = ".".join(filter(None, [modules[base], rest]))
        if _is_module(module, root):
            found.append(
                Offence(
                    path,
                    node.lineno,
                    f"uses {module}.{node.attr}, a private name of another app",
                )
            )
    return found


# -- Walking the code ---------------------------------------------------------------------------


def source_files(root: Path = ROOT):
    for app in sorted(apps(root)):
        for file in sorted((root / app).rglob("*.py")):
            yield file.relative_to(root).as_posix(), file


def check_source(source: str, path: str, root: Path = ROOT) -> list[Offence]:
    tree = ast.parse(source, filename=path)
    found = [] if _roles_allowed(path) else role_offences(tree, path)
    return found + private_offences(tree, path, root)


def all_offences(root: Path = ROOT) -> list[Offence]:
    found = []
    for path, file in source_files(root):
        found += check_source(file.read_text(encoding="utf-8"), path, root)
    return sorted(found, key=lambda o: (o.path, o.line))


def test_it_finds_no_role_decided_outside_accounts_and_no_private_name_borrowed():
    offences = all_offences()

    assert not offences, "\n" + "\n".join(str(o) for o in offences)


# -- The rules catch what they should (and only that) -----------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "if membership.role == Role.PLATFORM_ADMIN:\n    pass\n",
        "allowed = membership.role in AGENCY_STAFF_ROLES\n",
        "allowed = m.role not in (Role.AGENT, Role.AGENCY_ADMIN)\n",
        "allowed = m.role == 'platform_admin'\n",
        "allowed = Role.AGENT != role\n",
        "Membership.objects.filter(role__in=AGENCY_STAFF_ROLES)\n",
        "Membership.objects.filter(Q(role=Role.PLATFORM_ADMIN) | Q(agency=a))\n",
        "User.objects.filter(memberships__role=Role.AGENT)\n",
        "User.objects.filter(memberships__role__in=[models.Role.AGENT])\n",
        "User.objects.filter(memberships__role='council')\n",
    ],
)
def test_it_catches_a_role_decided_outside_accounts(source):
    offences = check_source(source, "incidents/views.py")

    assert [(o.path, o.line) for o in offences] == [("incidents/views.py", 1)]


@pytest.mark.parametrize(
    "path",
    [
        "accounts/permissions.py",
        "tickets/migrations/0001_initial.py",
        "bench/seeding.py",
        "demo/management/commands/seed_demo.py",
    ],
)
def test_it_lets_accounts_migrations_and_seeding_name_roles(path):
    assert check_source("Membership.objects.filter(role=Role.AGENT)\n", path) == []


@pytest.mark.parametrize(
    "source",
    [
        "membership_add(membership=m, role=form.cleaned_data['role'])\n",
        "people = [(email, Role.AGENT) for email in emails]\n",
        "if status == Ticket.Status.OPEN:\n    pass\n",
        "svg = render(role='img')\n",
    ],
)
def test_it_lets_a_role_be_passed_along_without_a_decision(source):
    assert check_source(source, "agencies/views.py") == []


@pytest.mark.parametrize(
    "source",
    [
        "from tickets.services import _lock\n",
        "from tickets.services import search_rank, _lock as lock\n",
        "from tickets import services as ticket_services\nticket_services._lock(t)\n",
        "from tickets import services\nservices._lock(t)\n",
        "import tickets.services\ntickets.services._lock(t)\n",
        "import tickets.services as ts\nts._lock(t)\n",
        "def f():\n    from tickets.views import portal\n    return portal._may_reply\n",
    ],
)
def test_it_catches_another_apps_private_name(source):
    offences = check_source(source, "incidents/services.py")

    assert offences
    assert all(o.path == "incidents/services.py" for o in offences)
    assert {o.line for o in offences} <= {1, 2, 3}


@pytest.mark.parametrize(
    "source",
    [
        "from tickets.services import _lock\n",  # the app's own
        "from tickets.views import portal\nportal._may_reply(r)\n",  # the app's own
        "from django.utils.translation import gettext as _\n",
        "from tickets.models import Ticket\nTicket._meta.get_field('subject')\n",
        "from incidents.models import GovService\nGovService._meta\n",
        "from accounts.permissions import Right\n",
    ],
)
def test_it_lets_an_app_use_its_own_private_names_and_others_public_ones(source):
    assert check_source(source, "tickets/api.py") == []


def test_it_prints_where_each_offence_is(tmp_path):
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "__init__.py").write_text("")
    (tmp_path / "tickets" / "services.py").write_text("def _lock():\n    pass\n")
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "__init__.py").write_text("")
    (tmp_path / "incidents" / "views.py").write_text(
        "from tickets import services\n\nservices._lock()\nok = m.role == Role.AGENT\n"
    )

    assert [str(o).split(": ")[0] for o in all_offences(tmp_path)] == [
        "incidents/views.py:3",
        "incidents/views.py:4",
    ]
