"""The job backends (in-process runner, arq worker) come from the job tests."""

from tests.jobs.conftest import _fresh_login_limit, backend, sent_file  # noqa: F401
