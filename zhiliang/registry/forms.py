from django import forms
from django.utils.translation import gettext_lazy as _


class TableUploadForm(forms.Form):
    file = forms.FileField(label=_("表格文件（.xlsx 或 UTF-8 .csv）"))
