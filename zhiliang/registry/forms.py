from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

ERR_UPLOAD_TOO_LARGE = _("文件大小为 %(size)s，超过上限 %(limit)s。")


def upload_size_ok(upload: object) -> None:
    """Refuse an upload over ``UPLOAD_MAX_BYTES`` before anything reads it."""
    size = getattr(upload, "size", 0)
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            ERR_UPLOAD_TOO_LARGE,
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            },
        )


class TableUploadForm(forms.Form):
    file = forms.FileField(label=_("表格文件（.xlsx 或 UTF-8 .csv）"), validators=[upload_size_ok])


class HolidayArrangementForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    document = forms.CharField(label=_("通知文号"), max_length=100)
    holidays = forms.CharField(
        label=_("放假日期"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "逐日或按区间填写，如 2027-01-01 2027-02-10~2027-02-17；以空格、逗号或换行分隔。"
        ),
    )
    workdays = forms.CharField(
        label=_("调休上班日期（周六、周日）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
