"""Errors of the platform statistics (core.errors renders them with their code)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class StatisticsError(DomainError):
    code = "statistics_error"


class InvalidPeriod(StatisticsError):
    code = "invalid_period"
    message = _("A period is a month as YYYY-MM or a day as YYYY-MM-DD.")


class StatisticsNotFound(StatisticsError):
    code = "statistics_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("No published statistics for that period.")


class UnknownFigure(StatisticsError):
    code = "unknown_figure"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("No such figure in the platform statistics.")


class RestatementNoteRequired(StatisticsError):
    code = "restatement_note_required"
    message = _("Say why the figures are restated: the note is published with them.")


class StatisticsRoleRequired(StatisticsError):
    code = "role_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Only compliance or operations may restate the platform statistics.")
