"""The fault tests reuse the job tests' fixtures: the capture channel's file and fresh
sign-in limits."""

from tests.jobs.conftest import _fresh_login_limit, sent_file  # noqa: F401
