"""Complaints API: a user's own complaints; validate the shape, call one service, render."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsCustomer
from compliance import selectors
from compliance.api import serializers as s
from compliance.services.complaints import (
    complaint_close,
    complaint_file,
    complaint_reopen,
    complaint_reply,
)
from compliance.services.data_requests import personal_data_take
from core.audit import AuditContext
from core.pagination import Pagination

DETAIL = s.ComplaintDetailSerializer


def _detail(request, complaint_id: int, code: int = status.HTTP_200_OK) -> Response:
    complaint = selectors.complaint_for_user(request.user, complaint_id)
    return Response(DETAIL(complaint).data, status=code)


class ComplaintListApi(ListAPIView):
    """The user's complaints, newest first (GET); file one (POST)."""

    permission_classes = [IsCustomer]
    serializer_class = s.ComplaintSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.complaint_list_for_user(self.request.user)

    @extend_schema(request=s.ComplaintInSerializer, responses={201: s.ComplaintDetailSerializer})
    def post(self, request):
        data = s.ComplaintInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = complaint_file(
            user=request.user, **data.validated_data, context=AuditContext.of(request)
        )
        detail = selectors.complaint_for_user(request.user, complaint.pk)
        return Response(s.ComplaintDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class ComplaintDetailApi(RetrieveAPIView):
    """One of the user's complaints with its whole thread."""

    permission_classes = [IsCustomer]
    serializer_class = s.ComplaintDetailSerializer

    def get_queryset(self):
        return selectors.complaint_list_for_user(self.request.user).prefetch_related(
            "messages__attachments"
        )


class ComplaintMessageCreateApi(APIView):
    """Write to the compliance team on an open complaint."""

    permission_classes = [IsCustomer]

    @extend_schema(
        request=s.ComplaintTextInSerializer, responses={201: s.ComplaintDetailSerializer}
    )
    def post(self, request, pk: int):
        data = s.ComplaintTextInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(selectors.complaint_list_for_user(request.user), pk=pk)
        complaint_reply(
            complaint_id=pk,
            author=request.user,
            text=data.validated_data["text"],
            context=AuditContext.of(request),
        )
        return _detail(request, pk, status.HTTP_201_CREATED)


class ComplaintCloseApi(APIView):
    """The user is satisfied: close the complaint."""

    permission_classes = [IsCustomer]

    @extend_schema(request=None, responses={200: s.ComplaintDetailSerializer})
    def post(self, request, pk: int):
        get_object_or_404(selectors.complaint_list_for_user(request.user), pk=pk)
        complaint_close(complaint_id=pk, actor=request.user, context=AuditContext.of(request))
        return Response(
            s.ComplaintDetailSerializer(selectors.complaint_for_user(request.user, pk)).data
        )


class ComplaintReopenApi(APIView):
    """Reopen a closed complaint with a message saying why."""

    permission_classes = [IsCustomer]

    @extend_schema(
        request=s.ComplaintTextInSerializer, responses={200: s.ComplaintDetailSerializer}
    )
    def post(self, request, pk: int):
        data = s.ComplaintTextInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(selectors.complaint_list_for_user(request.user), pk=pk)
        complaint_reopen(
            complaint_id=pk,
            user=request.user,
            text=data.validated_data["text"],
            context=AuditContext.of(request),
        )
        return Response(
            s.ComplaintDetailSerializer(selectors.complaint_for_user(request.user, pk)).data
        )


class PersonalDataApi(APIView):
    """Everything the platform holds about the signed-in user (a copy, audited)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(personal_data_take(user=request.user, context=AuditContext.of(request)))
