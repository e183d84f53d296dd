from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("searches/new/", views.search_save, name="search-save"),
    path("searches/<int:pk>/", views.search_update, name="search-update"),
    path("searches/<int:pk>/delete/", views.search_delete, name="search-delete"),
    path("follows/new/", views.follow_create, name="follow-create"),
    path("follows/<int:pk>/", views.follow_update, name="follow-update"),
    path("follows/<int:pk>/delete/", views.follow_delete, name="follow-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
