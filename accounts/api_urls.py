from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="token-obtain"),
    path("me/", api.MeApi.as_view(), name="me"),
]
