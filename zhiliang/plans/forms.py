from django import forms
from django.utils.translation import gettext_lazy as _

from zhiliang.registry.forms import upload_size_ok
from zhiliang.registry.models import Organisation


class PlanUploadForm(forms.Form):
    file = forms.FileField(label=_("方案文件（UTF-8 文本）"), validators=[upload_size_ok])


class MapUnitForm(forms.Form):
    name_as_written = forms.CharField(widget=forms.HiddenInput)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("kind", "name"), label=_("对应单位")
    )
    reason = forms.CharField(label=_("说明"), required=False, max_length=500)
