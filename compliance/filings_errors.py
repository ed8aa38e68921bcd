"""Errors of regulatory filings, each with a stable code (core.errors renders them)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError, NotFound


class FilingError(DomainError):
    code = "filing_error"


class FilingKindUnknown(FilingError):
    code = "filing_kind_unknown"
    message = _("There is no filing of that kind.")


class FilingPeriodInvalid(FilingError):
    code = "filing_period_invalid"
    message = _("The period is not one this kind of filing is made for.")


class FilingFormatUnknown(FilingError):
    code = "filing_format_unknown"
    message = _("Filings are made as csv, xlsx or json.")


class FilingLinkExpired(FilingError):
    """A download link past its few minutes: ask for a new one from the list."""

    code = "filing_link_expired"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("This download link has expired. Open the filing again for a new link.")


class FilingLinkInvalid(NotFound):
    """A link that is forged, damaged or someone else's: as if there were nothing there."""

    code = "not_found"
