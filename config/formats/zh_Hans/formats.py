"""Dates and numbers in Simplified Chinese: 2026年12月6日 and 2026年12月6日 17:58, in the
platform's time zone. Money groups thousands with commas, as Chinese banks and statements
print it (1,234,567.89), not Django's default for zh_Hans (grouping by ten thousand with no
separator). Input formats are Django's zh_Hans ones (Y-m-d is accepted)."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y年n月j日"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
