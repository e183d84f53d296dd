from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("calls/", views.call_list, name="list"),
    path("calls/new/", views.call_create, name="create"),
    path("calls/proposals/", views.proposal_list, name="proposals"),
    path("calls/proposals/<int:pk>/decide/", views.proposal_decide, name="decide"),
    path("calls/proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="withdraw"),
    path("calls/<int:pk>/", views.call_detail, name="detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="edit"),
    path("calls/<int:pk>/status/", views.call_status, name="status"),
    path("calls/<int:pk>/enter/", views.call_enter, name="enter"),
    path("calls/<int:pk>/needs/<int:need_id>/", views.call_need_detail, name="need"),
    path("calls/<int:pk>/needs/<int:need_id>/propose/", views.proposal_submit, name="propose"),
    path("calls/<int:pk>/needs/<int:need_id>/invite/", views.invite, name="invite"),
    path("calls/<int:pk>/needs/<int:need_id>/remove/", views.call_need_remove, name="remove-need"),
]
