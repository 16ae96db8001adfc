"""Thin API views: the same selectors, services and role sets as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, permission_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhiliang.accounts.access import (
    ALL_ROLES,
    CITYWIDE_READERS,
    ENTERPRISE_WRITERS,
    GOVERNMENT,
    OFFICE,
    RolesPermission,
    memberships_of,
)
from zhiliang.accounts.models import AuditEntry
from zhiliang.api import serializers as s
from zhiliang.api.errors import error_response
from zhiliang.credit.exchange import record_row, shared_records
from zhiliang.credit.listings import credit_check
from zhiliang.credit.services import record_create
from zhiliang.lib.tables import TableError, read_table
from zhiliang.lib.uscc import validate_uscc
from zhiliang.plans.models import Plan
from zhiliang.plans.selectors import plan_items, targets_all
from zhiliang.registry.models import Enterprise
from zhiliang.registry.selectors import enterprises_visible_to, organisations_with_aliases
from zhiliang.registry.services import ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED, enterprise_import


class ObtainToken(APIView):
    """Exchange a username and password for an API token (members only)."""

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: {"type": "object", "properties": {"token": {"type": "string"}}},
            403: s.ErrorEnvelope,
        },
    )
    def post(self, request: Request) -> Response:
        return self._issue(request)

    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    def _issue(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if not memberships_of(user):
            return error_response(
                _("该账户没有任何单位角色，不能使用接口。"), status.HTTP_403_FORBIDDEN
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class PlanList(generics.ListAPIView):
    required_roles = GOVERNMENT
    permission_classes = [RolesPermission]
    serializer_class = s.PlanSerializer
    queryset = Plan.objects.all()


class PlanDetail(generics.RetrieveAPIView):
    required_roles = GOVERNMENT
    permission_classes = [RolesPermission]
    serializer_class = s.PlanDetailSerializer

    def get_queryset(self) -> Any:
        # plan_items() is the same read the plan page uses.
        return Plan.objects.all()

    def get_object(self) -> Plan:
        plan = super().get_object()
        plan._prefetched_objects_cache = {"items": plan_items(plan)}  # type: ignore[attr-defined]
        return plan


class TargetList(generics.ListAPIView):
    required_roles = GOVERNMENT
    permission_classes = [RolesPermission]
    serializer_class = s.TargetSerializer
    queryset = targets_all()


class OrganisationList(generics.ListAPIView):
    required_roles = GOVERNMENT
    permission_classes = [RolesPermission]
    serializer_class = s.OrganisationSerializer
    queryset = organisations_with_aliases().order_by("kind", "key")


class EnterpriseList(generics.ListAPIView):
    required_roles = CITYWIDE_READERS | {"district_officer"}
    permission_classes = [RolesPermission]
    serializer_class = s.EnterpriseSerializer

    def get_queryset(self) -> Any:
        return enterprises_visible_to(self.request.user).order_by("uscc")


class EnterpriseImport(APIView):
    """Upload a CSV/XLSX table of enterprises; any row error means nothing is written."""

    required_roles = ENTERPRISE_WRITERS
    permission_classes = [RolesPermission]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: s.EnterpriseImportOutput, 400: s.ErrorEnvelope},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            return error_response(_("请上传文件（字段名 file）。"), status.HTTP_400_BAD_REQUEST)
        try:
            table = read_table(upload.read(), upload.name, ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)
        except TableError as exc:
            return error_response(str(exc), status.HTTP_400_BAD_REQUEST)
        report = enterprise_import(table=table, actor=request.user, source_name=upload.name)
        if not report.ok:
            return error_response(
                _("导入被拒绝，未写入任何数据。"),
                status.HTTP_400_BAD_REQUEST,
                rows=[{"row": row, "message": msg} for row, msg in report.errors],
            )
        return Response(
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
        )


class AuditList(generics.ListAPIView):
    required_roles = OFFICE
    permission_classes = [RolesPermission]
    serializer_class = s.AuditEntrySerializer
    queryset = AuditEntry.objects.all()


class UsccCheck(APIView):
    required_roles = ALL_ROLES
    permission_classes = [RolesPermission]
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.UsccCheckInput, responses={200: s.UsccCheckOutput, 400: s.ErrorEnvelope}
    )
    def post(self, request: Request) -> Response:
        data = s.UsccCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = [validate_uscc(code) for code in data.validated_data["codes"]]
        return Response(
            {"results": [{"code": r.code, "valid": r.valid, "reason": r.reason} for r in results]}
        )


class CreditCheck(APIView):
    """Joint-punishment check (联合惩戒): is the enterprise on the 严重违法失信名单 today,
    and which measures apply. For approvals and awards; government roles only."""

    required_roles = GOVERNMENT

    permission_classes = [RolesPermission]

    @extend_schema(
        parameters=[OpenApiParameter("uscc", str, required=True)],
        responses={200: s.CreditCheckOutput, 400: s.ErrorEnvelope, 404: s.ErrorEnvelope},
    )
    def get(self, request: Request) -> Response:
        code = request.query_params.get("uscc", "").strip()
        checked = validate_uscc(code)
        if not checked.valid:
            return error_response(
                _("统一社会信用代码无效：%(reason)s") % {"reason": checked.reason},
                status.HTTP_400_BAD_REQUEST,
            )
        result = credit_check(checked.code)
        if result is None:
            return error_response(
                _("没有统一社会信用代码为 %(uscc)s 的企业。") % {"uscc": checked.code},
                status.HTTP_404_NOT_FOUND,
            )
        return Response(result)


class CreditRecordFeed(APIView):
    """The exchange feed: the credit records the caller's department is entitled to,
    entered or decided since ``since`` (a date), at most ``limit`` (≤ 10,000) after
    record id ``after`` — page by passing the last id received."""

    required_roles = GOVERNMENT
    permission_classes = [RolesPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, required=False),
            OpenApiParameter("after", int, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: s.CreditRecordFeedOutput, 400: s.ErrorEnvelope},
    )
    def get(self, request: Request) -> Response:
        try:
            since_text = request.query_params.get("since", "")
            since = dt.date.fromisoformat(since_text) if since_text else None
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "1000")), 10_000)
        except ValueError:
            return error_response(
                _("参数有误：since 应为 YYYY-MM-DD，after 和 limit 应为整数。"),
                status.HTTP_400_BAD_REQUEST,
            )
        records = shared_records(request.user, since=since).filter(id__gt=after)[:limit]
        rows = [record_row(r) for r in records]
        return Response({"records": rows, "count": len(rows)})

    @extend_schema(
        request=s.CreditRecordInput,
        responses={201: s.CreditRecordRow, 400: s.ErrorEnvelope, 403: s.ErrorEnvelope},
    )
    def post(self, request: Request) -> Response:
        """Submit one record (the same checks as the form; the enterprise must be
        registered)."""
        data = s.CreditRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = Enterprise.objects.filter(uscc=values.pop("uscc").strip().upper()).first()
        if enterprise is None:
            return error_response(
                _("登记的企业中没有这个统一社会信用代码。"), status.HTTP_400_BAD_REQUEST
            )
        try:
            record = record_create(actor=request.user, enterprise=enterprise, **values)
        except DjangoValidationError as exc:
            return error_response(
                _("信用记录有误。"), status.HTTP_400_BAD_REQUEST, fields=exc.message_dict
            )
        return Response(record_row(record), status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request: Request) -> Response:
    return error_response(_("接口地址不存在。"), status.HTTP_404_NOT_FOUND, path=request.path)
