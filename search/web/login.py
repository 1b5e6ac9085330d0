"""Admin and staff login with failed attempts limited per client and per account."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from search.web import throttle

WINDOW_SECONDS = 15 * 60


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """At most IMR_LOGIN_ATTEMPTS password checks per address and per account that fail in a
    window of WINDOW_SECONDS.

    Each attempt is counted before its password is checked and gives its place back if it
    succeeds, so attempts checked at once in several workers cannot all pass the limit (counting
    after the check let 8 through where the limit was 5).
    """

    def clean(self):
        hits = [throttle.hit("login", identity, WINDOW_SECONDS) for identity in self._identities()]
        if any(hit.count > settings.IMR_LOGIN_ATTEMPTS for hit in hits):
            self._give_back(hits)
            raise ValidationError(
                "Too many failed sign-in attempts. Please wait 15 minutes and try again.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            raise  # a failed attempt stays counted
        except BaseException:
            self._give_back(hits)
            raise
        self._give_back(hits)
        return cleaned

    @staticmethod
    def _give_back(hits) -> None:
        for hit in hits:
            hit.give_back()

    def _identities(self) -> list[str]:
        address = throttle.client_address(self.request) if self.request else "unknown"
        username = (self.data.get("username") or "").strip().lower()
        # Per address (one client guessing many accounts) and per account (many clients, one).
        return [f"address:{address}", f"account:{username}"]
