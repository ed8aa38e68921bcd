from rest_framework import serializers


class ConsentSerializer(serializers.Serializer):
    """The user's marketing consent: `granted` true or false (no answer yet reads false)."""

    granted = serializers.BooleanField()
    changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
