"""The platform's one public origin, settings.SITE_URL: every link in an email names it, and
the sandbox custodian calls back to it, so a person never gets mail pointing at another host
name (localhost in one mail, 127.0.0.1 in the next) than the one the site announces."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def site_origin() -> tuple[str, str]:
    """(scheme, host[:port]) of SITE_URL."""
    parts = urlsplit(settings.SITE_URL)
    return parts.scheme or "http", parts.netloc


def site_url(path: str = "/") -> str:
    """An absolute URL on the site for a path ("/wallet/" -> "http://127.0.0.1:8000/wallet/")."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def on_site(url: str) -> str:
    """`url` with its scheme and host replaced by SITE_URL's (a bare path is made absolute);
    the path, query and fragment are kept."""
    scheme, netloc = site_origin()
    parts = urlsplit(url)
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


class SiteOrigin:
    """Stands in for allauth's `current_site` in mail: the name and domain SITE_URL gives."""

    def __init__(self):
        self.name = settings.PLATFORM_NAME
        self.domain = site_origin()[1]

    def __str__(self) -> str:
        return self.domain
