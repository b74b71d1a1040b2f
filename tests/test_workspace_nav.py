"""Every section the studio and the back-office navigation list has a page: no link in either
menu leads nowhere (the templatetags skip a section whose URL does not resolve, so this test
is what keeps a missing page from hiding silently)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.studio.nav import SECTIONS as STUDIO_SECTIONS
from tenants.backoffice.nav import SECTIONS as OPERATOR_SECTIONS


@pytest.mark.parametrize("section", STUDIO_SECTIONS, ids=lambda section: section.url)
def test_every_studio_section_has_a_page(section):
    assert reverse(section.url).startswith("/studio/")


@pytest.mark.parametrize("url", [url for _, url in OPERATOR_SECTIONS])
def test_every_back_office_section_has_a_page(url):
    assert reverse(url).startswith("/operator/")
