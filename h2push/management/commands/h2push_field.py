"""``manage.py h2push_field``: what the browsers that load each page reported
(``H2PUSH_FIELD``), per route and viewport group."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from h2push.django_layer.field.report import (
    as_json,
    as_text,
    field_quorum,
    read_reports,
    store_label,
)
from h2push.django_layer.field.samples import field_store


class Command(BaseCommand):
    help = (
        "Per route and viewport group: the field samples and their distinct clients, "
        "the LCP element, each hint used or unused, and the median LCP and FCP of "
        "visits served as usual against the holdout visits, with a bootstrap interval."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--route", metavar="TEXT", help="Only the routes whose key contains TEXT."
        )
        parser.add_argument(
            "--quorum",
            type=int,
            metavar="N",
            help="Distinct clients a conclusion needs (default: H2PUSH_FIELD_QUORUM).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quorum = options["quorum"] if options["quorum"] is not None else field_quorum()
        if quorum < 1:
            raise CommandError("--quorum must be at least 1.")
        store = field_store()
        try:
            reports = read_reports(store, quorum, options["route"])
        except Exception as error:
            # A command may wait for the cache and say why it failed; pages may not.
            raise CommandError(
                f"The field samples' store ({store_label(store)}) failed: "
                f"{type(error).__name__}: {error}"
            ) from error
        if options["json"]:
            self.stdout.write(json.dumps(as_json(store, quorum, reports), indent=2))
        else:
            self.stdout.write(as_text(store, quorum, reports))
