"""The analyst at an address's slug, for the pages and the API alike: a merged analyst's old slug redirects (301)
to the same address under the slug of the analyst it went into."""

from django.http import Http404, HttpResponsePermanentRedirect

from forecasts import selectors
from forecasts.models import Analyst


def analyst_at(request, slug: str) -> Analyst | HttpResponsePermanentRedirect:
    """The analyst at this slug; a redirect when it was merged into another; 404 otherwise."""
    analyst, moved = selectors.analyst_for_slug(slug=slug)
    if analyst is None:
        raise Http404("No such analyst.")
    return _moved(request, slug, analyst) if moved else analyst


def _moved(request, slug: str, analyst: Analyst) -> HttpResponsePermanentRedirect:
    """The same address with the slug of the analyst a merged one went into."""
    path = request.path.replace(f"/{slug}/", f"/{analyst.slug}/", 1)
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)
