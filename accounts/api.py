from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import services
from .serializers import MeSerializer, TokenObtainSerializer, TokenSerializer


class TokenObtainApi(APIView):
    """Exchange an e-mail and password for the user's API token (sent as ``Authorization: Token <key>``)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"  # a few password guesses a minute per address

    @extend_schema(request=TokenObtainSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        record, key = services.api_token_issue(user=serializer.validated_data["user"])
        return Response({"token": key, "expiry": record.expiry})


class MeApi(APIView):
    """The authenticated user with their organisations and roles."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
