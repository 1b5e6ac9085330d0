"""Response headers and limits that every page needs: CSP and a per-client rate limit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from search.web import throttle

# htmx runs from our own static files with eval and inline styles turned off, so the policy
# needs no 'unsafe-inline' or 'unsafe-eval'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Public, read-only pages that a scraper or a runaway script could hammer.
RATE_LIMITED_PREFIXES = ("/api/", "/feeds/", "/export/", "/precedents/", "/letters/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RateLimitMiddleware:
    """At most IMR_RATE_LIMIT requests a minute per client on the public search pages and API."""

    window = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.IMR_RATE_LIMIT
        if limit and self.is_limited_path(request.path):
            used = throttle.hit("requests", throttle.client_address(request), self.window)
            if used > limit:
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
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(self.window)
        return response
