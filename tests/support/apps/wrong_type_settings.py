"""Settings with one h2push setting of the wrong type (a string for a count), for the
test that a server which skips system checks still refuses to start on it."""

from testproject.settings import *  # noqa: F403

H2PUSH_MAX_PRELOADS = "16"
