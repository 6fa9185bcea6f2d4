"""Issue 16, A: each page's DEBUG line names the process that answered it, since
each worker of a multi-process server learns, times and discovers on its own."""

from __future__ import annotations

import logging
import os

import pytest
from django.test import Client

from h2push.core.story import Story


def test_the_line_names_the_process_that_tells_it(monkeypatch: pytest.MonkeyPatch) -> None:
    story = Story("GET", "/page/")
    # A preforking server forks its workers after importing h2push: the pid is the
    # one of the process telling the story, read then.
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    assert story.summary() == "GET /page/ (pid 4242): no links"


def test_a_page_through_the_stack_names_this_process(caplog: pytest.LogCaptureFixture) -> None:
    client = Client()
    caplog.set_level(logging.DEBUG, logger="h2push")
    assert client.get("/discovery/?ms=0").status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("GET ")]
    # Without h2push's adapter the middleware makes the story: its view starts at 0.
    assert line.startswith(f"GET /discovery/ (pid {os.getpid()}): view 0.0-")
