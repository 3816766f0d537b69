from django.conf import settings
from django.http import HttpResponse, JsonResponse


class SecurityHeadersMiddleware:
    """A Content-Security-Policy for every response (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith("/api/v1/") and response.get("Content-Type", "").startswith("text/html") \
                and not request.path.startswith("/api/v1/docs/"):
            # DRF's browsable API (a developer's tool) sets inline event handlers from its scripts.
            policy = policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class RequestSizeLimitMiddleware:
    """Refuse an oversized body up front with a clear 413, before anything reads it.

    CSV uploads in the admin may be as large as CSV_IMPORT_MAX_BYTES; every other body as large as
    DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    UPLOAD_PATHS = ("/admin/forecasts/prediction/import/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = (
            settings.CSV_IMPORT_MAX_BYTES + 64 * 1024
            if request.path.startswith(self.UPLOAD_PATHS)
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if length > limit:
            message = f"The request body is {length:,} bytes; the limit here is {limit:,} bytes."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UnreadableQueryMiddleware:
    """A query string with a NUL character is refused with 400: no database can even compare such a string, so
    every filter and look-up would otherwise be a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = "The query string contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
