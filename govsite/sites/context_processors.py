from django.http import HttpRequest
from wagtail.models import Site

from govsite.sites.models import GovSite


def gov_site(request: HttpRequest) -> dict:
    """The GovSite answering this request, for the header and footer of every public page."""
    if request.path.startswith("/admin/"):
        return {}
    found = getattr(request, "gov_site", None)
    if found is None:
        site = Site.find_for_request(request)
        found = (
            GovSite.objects.filter(site=site).select_related("site", "parent__site", "logo").first()
            if site
            else None
        )
    return {"gov_site": found}
