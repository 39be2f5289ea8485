#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings, where bad values are caught
    except ImproperlyConfigured as error:
        # A bad environment variable: say which, without a stack trace.
        sys.exit(f"GovDesk cannot start: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
