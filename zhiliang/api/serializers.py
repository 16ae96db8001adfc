from __future__ import annotations

from rest_framework import serializers

from zhiliang.accounts.models import AuditEntry
from zhiliang.lib.creditrules import Kind, Sector
from zhiliang.plans.models import Plan, PlanItem, Responsibility, Target
from zhiliang.registry.models import Enterprise, Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["key", "name", "kind", "aliases", "division", "joint_meeting_member"]

    def get_aliases(self, org: Organisation) -> list[str]:
        return [a.alias for a in org.aliases.all()]


class EnterpriseSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "district", "district_name", "industry", "status"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "text", "value", "unit", "comparator"]


class ResponsibilitySerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Responsibility
        fields = ["name_as_written", "organisation", "is_lead"]


class PlanItemSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)
    responsibilities = ResponsibilitySerializer(many=True, read_only=True)
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = PlanItem
        fields = [
            "id",
            "parent",
            "depth",
            "label",
            "number",
            "title",
            "text",
            "is_leaf",
            "open_ended",
            "responsibilities",
            "targets",
        ]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "notice_title",
            "doc_number",
            "issuer",
            "issued_on",
            "warnings",
            "imported_at",
        ]


class PlanDetailSerializer(PlanSerializer):
    items = PlanItemSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "items"]


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "reason",
        ]


class UsccCheckInput(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=1000
    )


class UsccResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class UsccCheckOutput(serializers.Serializer):
    results = UsccResultSerializer(many=True)


class EnterpriseImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class CreditListingSerializer(serializers.Serializer):
    listed_on = serializers.DateField()
    last_day = serializers.DateField()
    reasons = serializers.CharField()
    basis = serializers.CharField()
    decided_by = serializers.CharField()


class CreditMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class CreditCheckOutput(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    listed = serializers.BooleanField()
    listings = CreditListingSerializer(many=True)
    measures = CreditMeasureSerializer(many=True)
    checked_on = serializers.DateField()


class CreditRecordInput(serializers.Serializer):
    uscc = serializers.CharField(max_length=18)
    kind = serializers.ChoiceField(choices=[k.value for k in Kind])
    document_no = serializers.CharField(max_length=100)
    decided_on = serializers.DateField()
    source_name = serializers.CharField(max_length=200)
    heavier = serializers.BooleanField(default=False)
    light = serializers.BooleanField(default=False)
    summary = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)
    sector = serializers.ChoiceField(choices=[x.value for x in Sector], default=Sector.GENERAL)
    published_on = serializers.DateField(required=False, allow_null=True, default=None)


class CreditRecordRow(serializers.Serializer):
    id = serializers.IntegerField()
    uscc = serializers.CharField()
    enterprise_name = serializers.CharField()
    kind = serializers.CharField()
    heavier = serializers.BooleanField()
    document_no = serializers.CharField()
    decided_on = serializers.DateField()
    source = serializers.CharField()
    summary = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    public_until = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class CreditRecordFeedOutput(serializers.Serializer):
    records = CreditRecordRow(many=True)
    count = serializers.IntegerField()


class ErrorEnvelope(serializers.Serializer):
    message = serializers.CharField()
    extra = serializers.DictField()
