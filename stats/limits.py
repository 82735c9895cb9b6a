"""Rate limits that a `304 Not Modified` does not count against, and the pages' own (PAGES_THROTTLE_ANON).

A client asking whether its copy is still current (If-None-Match) is answered 304 without a body: a chart tool or a
feed reader polling a few shared addresses is then never refused for asking. DRF counts a request before its view
runs; the throttles here count it as DRF does, and take the hit back once the answer turns out to be a 304 for the
very ETag the client was given (`LimitsMiddleware`), whether the 304 came from an API view or from
ConditionalGetMiddleware on a page; a 304 to `If-None-Match: *`, or one whose view drew a chart, counts.

The pages and their chart files (everything stats/pages serves) have their own rate, counted like the API's, per
client address (stats.proxies) in the cache, so that with REDIS_URL every process and host shares the count.
"""

import math

from django.conf import settings
from django.shortcuts import render

from stats import proxies
from stats.pages import drawings

HITS = "counted_hits"  # the request's attribute listing the throttles that counted it


class TakenBackWhenUnchanged:
    """A DRF throttle whose hit is taken back when the answer is 304 (by LimitsMiddleware)."""

    def allow_request(self, request, view):
        self.counted_request = getattr(request, "_request", request)  # the HttpRequest under DRF's Request
        return super().allow_request(request, view)

    def throttle_success(self):
        allowed = super().throttle_success()
        self.counted_request.__dict__.setdefault(HITS, []).append(self)
        return allowed

    def take_back(self) -> None:
        """Remove this request's hit from the client's history (read again: other requests may have added theirs)."""
        history = self.cache.get(self.key, [])
        if self.now in history:
            history.remove(self.now)
            self.cache.set(self.key, history, self.duration)


class AnonRateThrottle(TakenBackWhenUnchanged, proxies.AnonRateThrottle):
    pass


class UserRateThrottle(TakenBackWhenUnchanged, proxies.UserRateThrottle):
    pass


class ExportRateThrottle(TakenBackWhenUnchanged, proxies.ExportRateThrottle):
    pass


class PagesRateThrottle(TakenBackWhenUnchanged, proxies.AnonRateThrottle):
    """The pages' limit for anonymous clients (PAGES_THROTTLE_ANON), by the address stats.proxies finds."""

    scope = "pages"

    def get_rate(self):
        return settings.PAGES_THROTTLE_ANON


def unchanged_cheaply(request, response) -> bool:
    """Return whether `response` is a 304 that is free to give: it names the very copy the client holds (an ETag it
    was given, never `*`, which matches whatever the view made) and drew no chart on the way.

    A page's 304 is decided on its way out (ConditionalGetMiddleware), after its view ran: with `*`, or with a chart
    too large to keep, a client could otherwise have new work done for it without ever being counted."""
    if response.status_code != 304 or drawings.drawings_begun():
        return False
    asked = request.headers.get("If-None-Match", "")
    return bool(asked) and "*" not in {tag.strip() for tag in asked.split(",")}


def page_views() -> set:
    """Return the views stats/pages serves (its pages, embed and chart files)."""
    from stats.pages import urls

    return {pattern.callback for pattern in urls.urlpatterns}


class LimitsMiddleware:
    """Apply the pages' rate limit before their views run (a 429 page with Retry-After), take back every rate's hit
    when the answer is a 304, and answer 503 with Retry-After when too many charts are being drawn at once.

    It must come before ConditionalGetMiddleware, which makes the pages' 304s on their way out."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.pages = None

    def __call__(self, request):
        drawings.forget_drawings()
        response = self.get_response(request)
        hits = request.__dict__.pop(HITS, [])
        if unchanged_cheaply(request, response):
            for throttle in hits:
                throttle.take_back()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PAGES_THROTTLE_ANON:
            return None
        if self.pages is None:
            self.pages = page_views()
        if view_func not in self.pages:
            return None
        throttle = PagesRateThrottle()
        if throttle.allow_request(request, None):
            return None
        return refused(request, "pages/429.html", 429, max(1, math.ceil(throttle.wait() or 1)))

    def process_exception(self, request, exception):
        if isinstance(exception, drawings.TooManyDrawings):
            return refused(request, "pages/503-drawing.html", 503, exception.retry_after)
        return None


def refused(request, template: str, status: int, retry_after: int):
    """Return a page saying the request was refused for now, and when to try again (Retry-After, in seconds)."""
    from csp.decorators import csp_replace

    from stats.pages.views import EMBED_POLICY, PAGE_POLICY

    response = render(request, template, {"seconds": retry_after}, status=status)
    response["Retry-After"] = str(retry_after)
    framed = request.resolver_match is not None and request.resolver_match.url_name == "embed"
    if framed:  # shown inside another site's page, as the embed itself is
        response.xframe_options_exempt = True
    return csp_replace(EMBED_POLICY if framed else PAGE_POLICY)(lambda: response)()
