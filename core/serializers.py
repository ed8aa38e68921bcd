"""Serializer bases the apps' APIs share."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail


class KnownFieldsSerializer(serializers.Serializer):
    """A request body that may hold only the fields it declares: any other is 400
    `unknown_field` (under `fields`, by name), so a misspelt or extra field is refused,
    not ignored. For the bodies of money POSTs, which say exactly what is to move."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and (unknown := sorted(set(data) - set(self.fields))):
            raise serializers.ValidationError(
                {name: [ErrorDetail(_("Unknown field."), code="unknown_field")] for name in unknown}
            )
        return super().to_internal_value(data)


class KnownFieldsSerializerSchema(OpenApiSerializerExtension):
    """A KnownFieldsSerializer's schema says what the server does: no other properties."""

    target_class = KnownFieldsSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
