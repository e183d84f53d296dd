from django.urls import path, re_path

from . import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:pk>/", views.thread_detail, name="thread"),
    path("messages/<int:pk>/propose/", views.proposal_create, name="propose"),
    re_path(
        r"^messages/(?P<pk>\d+)/proposals/(?P<message_pk>\d+)/(?P<answer>accept|decline|withdraw)/$",
        views.proposal_answer,
        name="answer",
    ),
    path("messages/match/<int:match_pk>/", views.match_thread, name="match"),
    re_path(r"^messages/enquire/(?P<kind>achievements|needs)/(?P<pk>\d+)/$", views.enquire, name="enquire"),
]
