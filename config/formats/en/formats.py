"""Dates as the site shows them everywhere (pages, emails, the ops admin): 2026-12-02 17:58,
in the platform's time zone. Only the output formats are set here; input formats and
number formatting stay Django's English ones."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "m-d"
YEAR_MONTH_FORMAT = "Y-m"
