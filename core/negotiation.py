"""The API answers JSON whatever the client's Accept header says."""

from rest_framework.negotiation import DefaultContentNegotiation


class AlwaysJson(DefaultContentNegotiation):
    """A view with one renderer (every API view: JSON) uses it for every request, so a
    browser's `Accept: text/html` gets JSON rather than a 406. Views that offer several
    formats (the OpenAPI schema) negotiate as usual."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
