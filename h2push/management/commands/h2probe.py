"""``manage.py h2probe URL``: the ``h2probe`` program (:mod:`h2push.probe.cli`) as a
management command, for projects that reach their tools through ``manage.py``."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from h2push.probe.cli import HELP, ProbeFailed, add_arguments, probe


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Keep the help text's paragraphs instead of rewrapping them into one.
        return super().create_parser(
            prog_name, subcommand, formatter_class=RawDescriptionHelpFormatter, **kwargs
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            probe(options, self.stdout.write)
        except ProbeFailed as exc:
            raise CommandError(str(exc)) from None
