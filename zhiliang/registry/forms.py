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
