"""Limits that every request needs: a per-client rate limit, and refusing request bodies that
nobody may send before anything reads them. (The Content-Security-Policy header comes from
django-csp, configured in settings.)"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from search.web import throttle

# Public, read-only pages that a scraper or a runaway script could hammer.
RATE_LIMITED_PREFIXES = ("/api/", "/feeds/", "/export/", "/precedents/", "/letters/")


def plain_response(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RateLimitMiddleware:
    """At most IMR_RATE_LIMIT requests a minute per client on the public search pages and API.

    Kept over django-ratelimit (see DEPLOYMENT.md): the limit covers paths, not decorated views,
    and the counts live in the "throttle" cache, whose backend does the atomic part.
    """

    window = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.IMR_RATE_LIMIT
        if limit and self.is_limited_path(request.path):
            used = throttle.hit("requests", throttle.client_address(request), self.window)
            if used.count > limit:
                return self.too_many(request)
        return self.get_response(request)

    @staticmethod
    def is_limited_path(path: str) -> bool:
        return path == "/" or path.startswith(RATE_LIMITED_PREFIXES)

    def too_many(self, request) -> HttpResponse:
        message = "Too many requests from your address: please wait a minute and try again."
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": message}, status=429)
        else:
            response = plain_response(message, 429)
        response["Retry-After"] = str(self.window)
        return response


class UploadGuardMiddleware:
    """Refuses a multipart body from its headers alone, before any of it is read: at the staff
    upload page unless a signed-in staff member sends it within IMR_MAX_UPLOAD_BYTES, elsewhere
    (a sign-in form sent as multipart) when over DATA_UPLOAD_MAX_MEMORY_SIZE.

    CsrfViewMiddleware reads request.POST to find its token, which parses a multipart body and
    stores its files, before any view checks who is asking. This runs first: it must come
    after AuthenticationMiddleware, which it asks about the user, and every middleware's
    request phase runs before CsrfViewMiddleware's check in process_view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    @staticmethod
    def refusal(request) -> HttpResponse | None:
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        if request.method != "POST" or not content_type.startswith("multipart/"):
            return None  # other bodies: Django refuses one over DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.path == reverse("staff-upload"):
            user = request.user
            if not (user.is_active and user.is_staff):
                return plain_response("Sign in as staff to upload letters.", 403)
            limit = settings.IMR_MAX_UPLOAD_BYTES
            too_large = (
                f"The upload is too large: at most {limit:,} bytes at a time. "
                "Send fewer files, or split the zip archive."
            )
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            too_large = "The form is too large: files are uploaded at /staff/upload/ only."
        try:
            length = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            return plain_response("A form with files needs a Content-Length header.", 411)
        if not 0 <= length <= limit:
            return plain_response(too_large, 413)
        return None
