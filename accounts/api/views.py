"""API views of accounts: GET /me and the onboarding POSTs. Each calls one service."""

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.permissions import IsCustomer
from accounts.api.serializers import (
    BorrowerProfileInputSerializer,
    EnterpriseInputSerializer,
    IdentityInputSerializer,
    InvestorProfileInputSerializer,
    MeSerializer,
    RolesInputSerializer,
    me_payload,
)
from accounts.roles import Role
from core.audit import AuditContext, client_ip

_ERRORS = {
    400: OpenApiResponse(description="Invalid fields: `{code, message, fields}`."),
    401: OpenApiResponse(description="Not signed in."),
}


def _me_response(request, status_code=status.HTTP_200_OK) -> Response:
    onboarding = selectors.onboarding_get(request.user)
    return Response(MeSerializer(me_payload(onboarding)).data, status=status_code)


class MeApi(APIView):
    @extend_schema(
        summary="The signed-in user: roles, identity status (masked), profiles, limits",
        responses={200: MeSerializer, 401: _ERRORS[401]},
    )
    def get(self, request):
        return _me_response(request)


@method_decorator(
    sensitive_post_parameters("legal_name", "national_id", "phone", "bank_card"), name="dispatch"
)
class MeIdentityApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Submit a real-name identity check",
        description=(
            "Checks the legal name, resident ID (checksum, age 18+), China mobile number and "
            "bank card through the identity provider. Refusals: 422 with the provider's reason "
            "as `code` (`invalid_national_id`, `underage`, `invalid_phone`, "
            "`invalid_bank_card`, `invalid_legal_name`, `identity_blocklisted`); 409 "
            "`duplicate_identity`, `duplicate_phone`, `duplicate_bank_card` or "
            "`identity_already_verified`; 429 `identity_attempts_exceeded` (this account), "
            "`national_id_attempts_exceeded` (this ID, any account) or "
            "`client_attempts_exceeded` (this network) after too many failures in 24 "
            "hours. Nothing is stored in clear."
        ),
        request=IdentityInputSerializer,
        responses={
            201: MeSerializer,
            **_ERRORS,
            409: OpenApiResponse(
                description="Already verified or details held by another account."
            ),
            422: OpenApiResponse(description="The identity check did not pass."),
            429: OpenApiResponse(description="Too many failed checks in 24 hours."),
        },
        examples=[
            OpenApiExample(
                "Identity",
                value={
                    "legal_name": "王小明",
                    "national_id": "110105199001010010",
                    "phone": "13800000001",
                    "bank_card": "6222020000000000013",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = IdentityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.identity_submit(
            user=request.user,
            client_ip=client_ip(request),
            context=AuditContext.of(request),
            **serializer.validated_data,
        )
        return _me_response(request, status.HTTP_201_CREATED)


class MeRolesApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Take the investor and/or borrower role (after the identity check)",
        request=RolesInputSerializer,
        responses={
            200: MeSerializer,
            **_ERRORS,
            403: OpenApiResponse(description="`identity_not_verified` or `staff_not_allowed`."),
        },
    )
    def post(self, request):
        serializer = RolesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.role_grant(
            user=request.user,
            roles=serializer.validated_data["roles"],
            context=AuditContext.of(request),
        )
        return _me_response(request)


class MeInvestorProfileApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Answer the suitability questionnaire: risk level and investment limits",
        request=InvestorProfileInputSerializer,
        responses={
            200: MeSerializer,
            **_ERRORS,
            403: OpenApiResponse(description="`investor_role_required`."),
            422: OpenApiResponse(
                description="`risks_not_acknowledged` or `sophisticated_not_qualified`."
            ),
        },
    )
    def post(self, request):
        # Kept although the service checks again under the row lock: without the role the
        # answer is 403 before any validation, so a caller learns nothing about the shape
        # (tests/accounts/permission_matrix.py expects 403 for an empty body).
        services.ensure_role(request.user, Role.INVESTOR)
        serializer = InvestorProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.investor_profile_submit(
            user=request.user,
            answers=services.SuitabilityInput(
                risk_tolerance=data["risk_tolerance"],
                investment_experience=data["investment_experience"],
                risks_acknowledged=frozenset(data["risks_acknowledged"]),
                annual_income_amount=data["annual_income_amount"],
                net_investible_assets_amount=data["net_investible_assets_amount"],
                investor_type=data["investor_type"],
            ),
            context=AuditContext.of(request),
        )
        return _me_response(request)


class MeBorrowerProfileApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Declare employment, income and obligations as a borrower",
        request=BorrowerProfileInputSerializer,
        responses={
            200: MeSerializer,
            **_ERRORS,
            403: OpenApiResponse(description="`borrower_role_required`."),
        },
    )
    def post(self, request):
        # Kept although the service checks again under the row lock: without the role the
        # answer is 403 before any validation, so a caller learns nothing about the shape
        # (tests/accounts/permission_matrix.py expects 403 for an empty body).
        services.ensure_role(request.user, Role.BORROWER)
        serializer = BorrowerProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.borrower_profile_submit(
            user=request.user, context=AuditContext.of(request), **serializer.validated_data
        )
        return _me_response(request)


@method_decorator(
    sensitive_post_parameters(
        "company_name",
        "credit_code",
        "legal_representative_name",
        "legal_representative_id",
        "registered_address",
    ),
    name="dispatch",
)
class MeEnterpriseApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Register the enterprise you borrow for (enterprise borrowing caps apply)",
        description=(
            "For a borrower with a verified identity who is the company's legal "
            "representative. The credit code's GB 32100-2015 check character and the "
            "representative's resident ID are checked first; then the enterprise registry. "
            "Refusals: 422 with the reason as `code` (`invalid_credit_code`, "
            "`invalid_credit_code_checksum`, `credit_code_not_enterprise`, "
            "`invalid_legal_representative_id`, `legal_representative_mismatch`, "
            "`invalid_registered_address`, `invalid_company_name`, `enterprise_deregistered`, "
            "`enterprise_revoked`, `enterprise_abnormal_operations`); 409 "
            "`duplicate_credit_code` or `enterprise_already_registered`; 429 "
            "`enterprise_attempts_exceeded`. Nothing is stored in clear."
        ),
        request=EnterpriseInputSerializer,
        responses={
            201: MeSerializer,
            **_ERRORS,
            403: OpenApiResponse(
                description="`borrower_role_required` or `identity_not_verified`."
            ),
            409: OpenApiResponse(
                description="Already registered, or the code is held by another account."
            ),
            422: OpenApiResponse(description="The enterprise could not be verified."),
            429: OpenApiResponse(description="Too many refusals in 24 hours."),
        },
        examples=[
            OpenApiExample(
                "Enterprise",
                value={
                    "company_name": "深圳湾科技有限公司",
                    "credit_code": "91440300MA0000001L",
                    "legal_representative_name": "李华",
                    "legal_representative_id": "440305199207020027",
                    "registered_address": "广东省深圳市南山区科苑路15号",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        # As for the borrower profile: without the role the answer is 403 before any
        # validation (tests/accounts/permission_matrix.py expects it for an empty body).
        services.ensure_role(request.user, Role.BORROWER)
        serializer = EnterpriseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.enterprise_submit(
            user=request.user, context=AuditContext.of(request), **serializer.validated_data
        )
        return _me_response(request, status.HTTP_201_CREATED)
