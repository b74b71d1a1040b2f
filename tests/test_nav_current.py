"""One link of a workspace nav is current: the longest that leads to the page, so a module's
nested pages (Gigs at /studio/gigs/setup/ under Gig orders at /studio/gigs/, Gig QC at
/operator/gigs/qc/) light up alone; the workspace's home only on itself."""

from core.registry.nav import current_href

STUDIO = ["/studio/", "/studio/products/", "/studio/gigs/", "/studio/gigs/setup/"]
OPERATOR = ["/operator/", "/operator/gigs/", "/operator/gigs/qc/"]


def test_the_longest_matching_link_is_the_current_one():
    assert current_href("/studio/gigs/setup/4/", STUDIO, home="/studio") == "/studio/gigs/setup/"
    assert current_href("/studio/gigs/orders/9/", STUDIO, home="/studio") == "/studio/gigs/"
    assert current_href("/operator/gigs/qc/", OPERATOR, home="/operator") == "/operator/gigs/qc/"
    assert current_href("/operator/gigs/", OPERATOR, home="/operator") == "/operator/gigs/"


def test_the_home_link_is_current_only_on_the_home_page():
    assert current_href("/studio/", STUDIO, home="/studio") == "/studio/"
    assert current_href("/studio/messages/", STUDIO, home="/studio") is None
    assert current_href("/operator/users/", OPERATOR, home="/operator") is None
