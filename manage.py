#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdata.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reads the environment; a bad value stops here, in one line
    except ImproperlyConfigured as error:
        sys.exit(f"conflictdata cannot start: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
