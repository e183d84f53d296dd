"""Settings for the test suite: the real settings, with a fast password hasher and in-memory e-mail.

The database and broker still come from the environment, so CI runs the suite on PostgreSQL and Redis.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "true")  # the development settings (the suite itself runs with DEBUG off)

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LANGUAGE_CODE = "en"
# Unit tests publish many postings; matching on publish is switched on by the tests that are about it.
MATCHING_ON_PUBLISH = False
CELERY_TASK_ALWAYS_EAGER = True
# Eager tasks run where they are queued (not in the background thread of ``make run``): deterministic tests.
CELERY_EAGER_IN_BACKGROUND = False
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
# Fitted matching states of this test session, apart from the project's (each saved state's name is unique).
MATCHING_STATE_DIR = Path(tempfile.mkdtemp(prefix="techmatch-state-"))
# Tests make many API requests in a row; the throttling tests set their own low rates.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute",  # noqa: F405
                                                              "auth": "100000/minute"}}  # fmt: skip
# The sign-in lockout needs the request at every authenticate() (client.login has none): its tests switch it on.
AXES_ENABLED = False
