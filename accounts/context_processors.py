from django.http import HttpRequest

from .selectors import user_primary_membership


def current_membership(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_membership": None}
    return {"current_membership": user_primary_membership(user=user)}
