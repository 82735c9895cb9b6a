"""Settings for the test suite: the project's own, with a test secret and a fast password hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-never-used-elsewhere")

from conflictdata.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test client's host and schemathesis's WSGI client's host.
ALLOWED_HOSTS = ["testserver", "localhost"]


# The test client speaks plain HTTP: production's redirect to HTTPS is tested on its own (tests/test_deploy.py).
SECURE_SSL_REDIRECT = False
# Static files are found where they lie: the suite does not run collectstatic.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = True
