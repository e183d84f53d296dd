from django.urls import path, re_path

from . import views

app_name = "marketplace"

KIND = r"(?P<kind>achievements|needs)"

urlpatterns = [
    path("my/", views.my_organization, name="my-organization"),
    path("my/import/", views.import_upload, name="import"),
    path("my/import/<int:pk>/", views.import_job_detail, name="import-job"),
    path("my/import/<int:pk>/import/", views.import_job_commit, name="import-job-commit"),
    re_path(rf"^my/import/template/{KIND}\.(?P<fmt>csv|xlsx|jsonl)$", views.import_template, name="import-template"),
    re_path(rf"^my/export/{KIND}\.(?P<fmt>csv|xlsx|jsonl)$", views.export_own, name="export"),
    re_path(rf"^my/{KIND}/submit-drafts/$", views.submit_drafts, name="submit-drafts"),
    re_path(rf"^{KIND}/$", views.posting_list, name="list"),
    re_path(rf"^{KIND}/new/$", views.posting_create, name="create"),
    re_path(rf"^{KIND}/(?P<pk>\d+)/$", views.posting_detail, name="detail"),
    re_path(rf"^{KIND}/(?P<pk>\d+)/edit/$", views.posting_edit, name="edit"),
    re_path(rf"^{KIND}/(?P<pk>\d+)/(?P<action>submit|close|reopen)/$", views.posting_action, name="action"),
    path("needs/<int:pk>/extend/", views.need_extend, name="need-extend"),
]
