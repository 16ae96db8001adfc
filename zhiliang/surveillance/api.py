"""``/api/surveillance/cases``: read the cases a caller may see, and post one case (the
same checks and audit as the entry form, through ``services.case_create``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhiliang.accounts.access import RolesPermission
from zhiliang.api.errors import error_response
from zhiliang.api.serializers import ErrorEnvelope
from zhiliang.inspections.models import ProductCategory
from zhiliang.surveillance import codes
from zhiliang.surveillance.access import CASE_READERS, CASE_WRITERS, reporters_for
from zhiliang.surveillance.models import PRODUCT_SLOTS, InjuryCase
from zhiliang.surveillance.selectors import CaseFilter, cases_filtered
from zhiliang.surveillance.services import case_create


def _coded(choices: type[Any]) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices.choices, required=False, allow_null=True, default=None
    )


class CaseInput(serializers.Serializer):
    #: the reporting unit's key; may be left out by a user who reports for one unit only
    reporter = serializers.CharField(max_length=64, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=codes.Source.values, default=codes.Source.HOSPITAL)
    case_number = serializers.CharField(max_length=32)
    visit_date = serializers.DateField()
    visit_hour = serializers.IntegerField(required=False, allow_null=True, default=None)
    sex = _coded(codes.Sex)
    age_years = serializers.IntegerField(required=False, allow_null=True, default=None)
    age_months = serializers.IntegerField(required=False, allow_null=True, default=None)
    residence = _coded(codes.Residence)
    education = _coded(codes.Education)
    occupation = _coded(codes.Occupation)
    injury_date = serializers.DateField(required=False, allow_null=True, default=None)
    injury_hour = serializers.IntegerField(required=False, allow_null=True, default=None)
    cause = _coded(codes.Cause)
    place = _coded(codes.Place)
    activity = _coded(codes.Activity)
    intent = _coded(codes.Intent)
    nature = _coded(codes.Nature)
    body_part = _coded(codes.BodyPart)
    severity = _coded(codes.Severity)
    outcome = _coded(codes.Outcome)
    #: up to three products: {"category": "IND23-06", "code": "…"}
    products = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        max_length=PRODUCT_SLOTS,
        required=False,
        default=list,
    )
    narrative = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    weight = serializers.FloatField(required=False, default=1.0)
    stratum = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
    psu = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class CaseRow(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()
    reporter = serializers.CharField(allow_null=True)
    case_number = serializers.CharField()
    visit_date = serializers.DateField()
    sex = serializers.IntegerField(allow_null=True)
    age_years = serializers.IntegerField(allow_null=True)
    age_months = serializers.IntegerField(allow_null=True)
    cause = serializers.IntegerField(allow_null=True)
    place = serializers.IntegerField(allow_null=True)
    intent = serializers.IntegerField(allow_null=True)
    nature = serializers.IntegerField(allow_null=True)
    body_part = serializers.IntegerField(allow_null=True)
    severity = serializers.IntegerField(allow_null=True)
    outcome = serializers.IntegerField(allow_null=True)
    products = serializers.ListField(child=serializers.DictField())
    weight = serializers.FloatField()


def case_row(case: InjuryCase) -> dict[str, Any]:
    return {
        "id": case.pk,
        "source": case.source,
        "reporter": case.reporter.key if case.reporter_id else None,
        "case_number": case.case_number,
        "visit_date": case.visit_date,
        **{
            name: getattr(case, name)
            for name in (
                "sex",
                "age_years",
                "age_months",
                "cause",
                "place",
                "intent",
                "nature",
                "body_part",
                "severity",
                "outcome",
            )
        },
        "products": [
            {"category": category.code if category else None, "code": code}
            for code, category in case.products()
        ],
        "weight": case.weight,
    }


class CaseList(APIView):
    """GET: the caller's visible cases, newest first (``limit``/``offset``; filters
    ``source``, ``year``). POST: one case."""

    permission_classes = [RolesPermission]
    parser_classes = [JSONParser]

    @property
    def required_roles(self) -> frozenset[str]:
        return CASE_WRITERS if self.request.method == "POST" else CASE_READERS

    @extend_schema(
        parameters=[
            OpenApiParameter("source", str, required=False),
            OpenApiParameter("year", int, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("offset", int, required=False),
        ],
        responses={200: CaseRow(many=True), 403: ErrorEnvelope},
    )
    def get(self, request: Request) -> Response:
        source = request.query_params.get("source", "")
        year = request.query_params.get("year", "")
        filters = CaseFilter(
            source=source if source in codes.Source.values else "",
            year=int(year) if year.isdigit() else None,
        )
        cases = cases_filtered(request.user, filters).select_related(
            "product_2_category", "product_3_category"
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(cases, request, view=self) or []
        return paginator.get_paginated_response([case_row(c) for c in page])

    @extend_schema(
        request=CaseInput, responses={201: CaseRow, 400: ErrorEnvelope, 403: ErrorEnvelope}
    )
    def post(self, request: Request) -> Response:
        data = CaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        units = {unit.key: unit for unit in reporters_for(request.user)}
        key = values.pop("reporter", "")
        if not key and len(units) == 1:
            key = next(iter(units))
        reporter = units.get(key)
        if reporter is None:
            return error_response(
                _("无权为该单位报告病例，或未指明报告单位（reporter）。"),
                status.HTTP_403_FORBIDDEN,
                reporters=sorted(units),
            )
        products = values.pop("products")
        known = {c.code: c for c in ProductCategory.objects.all()}
        for n, product in enumerate(products, start=1):
            category = product.get("category") or ""
            if category and category not in known:
                return error_response(
                    _("产品类别代码“%(code)s”不存在。") % {"code": category},
                    status.HTTP_400_BAD_REQUEST,
                )
            values[f"product_{n}_category"] = known.get(category)
            values[f"product_{n}_code"] = (product.get("code") or "")[:16]
        try:
            case = case_create(actor=request.user, reporter=reporter, **values)
        except DjangoValidationError as exc:
            return error_response(
                _("病例有误。"), status.HTTP_400_BAD_REQUEST, fields=exc.message_dict
            )
        return Response(case_row(case), status=status.HTTP_201_CREATED)
