from django.http import HttpRequest

from .selectors import MEMBERSHIPS_VERSION, user_primary_membership


def current_membership(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_membership": None}
    # On every page of a member (the header): kept until a membership or an organisation changes.
    membership = MEMBERSHIPS_VERSION.kept(f"primary:{user.pk}", lambda: user_primary_membership(user=user))
    return {"current_membership": membership}
