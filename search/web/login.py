"""Admin and staff login with failed attempts limited per client and per account."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from search.web import throttle

WINDOW_SECONDS = 15 * 60


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        identities = self._identities()
        limit = settings.IMR_LOGIN_ATTEMPTS
        if any(
            throttle.count("login", identity, WINDOW_SECONDS) >= limit for identity in identities
        ):
            raise ValidationError(
                "Too many failed sign-in attempts. Please wait 15 minutes and try again.",
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            for identity in identities:
                throttle.hit("login", identity, WINDOW_SECONDS)
            raise

    def _identities(self) -> list[str]:
        address = throttle.client_address(self.request) if self.request else "unknown"
        username = (self.data.get("username") or "").strip().lower()
        # Per address (one client guessing many accounts) and per account (many clients, one).
        return [f"address:{address}", f"account:{username}"]
