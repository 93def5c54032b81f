"""URL prefixes that belong to the platform rather than to a site's page tree.

Shared by the application (`sites.middleware`) and the front server (`publishing.front`, which does
not load Django): a closed site hands these to its successor as they are, instead of looking for
them in its archive.
"""

PLATFORM_PREFIXES = ("/search/", "/api/", "/leaving/", "/sitemap", "/error-report/", "/hudong/", "/archive/")
