from rest_framework.permissions import SAFE_METHODS, BasePermission


class RolePermission(BasePermission):
    """Reads need the model's view permission (api-readers, analysts); each write names the permission it needs.

    A viewset lists its writes in `write_permissions` ({action: "forecasts.add_question", …}); a write it does
    not list is refused.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # no such operation (a viewset binds only its mapped methods): let the view answer 405
        if request.method in SAFE_METHODS:
            # A view without a read permission (the API root: a list of links) is open to every signed-in user.
            permission = getattr(view, "read_permission", None)
            return permission is None or user.has_perm(permission)
        required = getattr(view, "write_permissions", {}).get(getattr(view, "action", None))
        return bool(required) and user.has_perm(required)
