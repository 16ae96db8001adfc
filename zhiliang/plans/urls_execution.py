from django.urls import path

from zhiliang.plans import execution_views as v

urlpatterns = [
    path("measures/<int:pk>/", v.measure_detail, name="measure_detail"),
    path("measures/<int:pk>/schedule/", v.measure_schedule, name="measure_schedule"),
    path("measures/<int:pk>/milestones/", v.measure_milestone, name="measure_milestone"),
    path("measures/<int:pk>/tasks/", v.measure_task, name="measure_task"),
    path("measures/<int:pk>/report/", v.report_new, name="report_new"),
    path("reports/", v.report_list, name="report_list"),
    path("reports/review/", v.review_queue, name="review_queue"),
    path("reports/<int:pk>/", v.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", v.report_edit, name="report_edit"),
    path("reports/<int:pk>/attach/", v.report_attach, name="report_attach"),
    path("reports/<int:pk>/<str:action>/", v.report_action, name="report_action"),
    path("attachments/<int:pk>/", v.attachment_download, name="attachment_download"),
    path("<int:pk>/district-plans/", v.district_plan_list, name="district_plan_list"),
    path("<int:pk>/district-plans/new/", v.district_plan_new, name="district_plan_new"),
    path("district-plans/<int:pk>/", v.district_plan_detail, name="district_plan_detail"),
    path("<int:pk>/publication/", v.publication, name="publication"),
    path("reminders/<int:pk>/read/", v.reminder_read, name="reminder_read"),
]
