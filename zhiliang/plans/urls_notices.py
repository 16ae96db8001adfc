from django.urls import path

from zhiliang.plans import notice_views

urlpatterns = [
    path("notices/", notice_views.notice_list, name="notice_list"),
    path("notices/new/", notice_views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", notice_views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/reply/", notice_views.notice_reply_view, name="notice_reply"),
    path("notices/<int:pk>/pdf/", notice_views.notice_pdf, name="notice_pdf"),
]
