"""The identity pages in a real browser (Debian's Chromium, headless) against a real server
process: a buyer signs up, confirms the mailed link and applies to sell through the wizard;
an operator signs in with the code step and approves; the seller sees it."""

from __future__ import annotations

import time

from django_tenants.utils import schema_context
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from core.accounts.models import User
from core.sellers.models import Seller
from tests.accounts_helpers import PASSWORD, current_code
from tests.browser.conftest import CHROMIUM_ARGS, link_in, wait_for_mail

BUYER = "maker@browser.example"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    header = page.locator(".site-header")
    header.locator("details.account-menu > summary").click()  # Sign out is in the account menu
    header.get_by_role("button", name="Sign out").click()
    expect(page.locator(".site-header")).to_contain_text("Sign in")


def test_sign_up_verify_onboard_and_approval_in_a_browser(
    chromium_executable,
    committed_marketplace,
    live_server_process,
    django_db_blocker,
    tmp_path,
):
    market, server = committed_marketplace, live_server_process
    url = lambda path: server.url(market.host, path)  # noqa: E731
    document = tmp_path / "passport.pdf"
    document.write_bytes(PDF)
    csp_violations: list[str] = []
    timings: dict[str, float] = {}
    started = time.perf_counter()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                csp_violations.append(message.text)

        page.on("console", watch)
        timings["browser launch"] = time.perf_counter() - started

        # A buyer signs up on the marketplace, which wears its own brand and theme.
        mark = time.perf_counter()
        page.goto(url("/accounts/signup/"))
        expect(page).to_have_title("Create an account · Browser Market")
        expect(page.locator("body")).to_have_class("theme-bazaar")
        brand = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--brand-primary')"
        )
        assert brand.strip() == "#1b6f5c"
        page.get_by_label("E-mail address").fill(BUYER)
        page.get_by_label("Your name").fill("Mia Maker")
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#id_password_error")).to_contain_text("too short")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page).to_have_url(url("/accounts/profile/"))
        expect(page.get_by_role("status")).to_contain_text(
            f"We sent a confirmation link to {BUYER}"
        )
        expect(page.locator(".facts")).to_contain_text("Not yet")

        # The link from the mail confirms the address.
        welcome = wait_for_mail(server.mail_dir, to=BUYER, subject="Confirm your e-mail address")
        link = link_in(welcome, "/accounts/verify/")
        assert link.startswith(url("/accounts/verify/"))
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your e-mail address is confirmed"
        )
        page.get_by_role("link", name="Go to your account").click()
        expect(page.locator(".facts")).not_to_contain_text("Not yet")
        timings["sign-up and verification"] = time.perf_counter() - mark

        # They apply to sell through the wizard, a real multipart upload included.
        mark = time.perf_counter()
        page.get_by_role("link", name="Sell here").click()
        page.get_by_label("Business name").fill("Maker Studio")
        page.get_by_label("Company").check()
        page.get_by_label("Country").fill("de")
        page.get_by_role("button", name="Start").click()
        expect(page.locator("#status .badge")).to_have_text("Onboarding")
        page.get_by_label("Document").select_option("identity")
        page.get_by_label("File").set_input_files(document)
        page.get_by_role("button", name="Upload").click()
        expect(page.locator(".documents")).to_contain_text(
            "Proof of identity (passport, ID card): passport.pdf"
        )
        page.get_by_label("Software licences").check()
        page.get_by_role("button", name="Save product types").click()
        page.get_by_role("button", name="Set up payouts").click()
        expect(page.locator("#payouts")).to_contain_text("Payouts go to account sandbox_acct_")
        page.get_by_role("button", name="Submit application").click()
        expect(page.locator("#status .badge")).to_have_text("Waiting for review")
        sign_out(page)
        timings["seller onboarding"] = time.perf_counter() - mark

        # The operator signs in with the code step and approves the application.
        mark = time.perf_counter()
        sign_in(page, url("/accounts/login/?next=/operator/"), market.operator.email)
        expect(page).to_have_url(url("/accounts/login/code/?next=%2Foperator%2F"))
        page.get_by_label("Code from your authenticator app").fill(
            current_code(market.operator_device)
        )
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page).to_have_url(url("/operator/"))  # the marketplace dashboard
        page.goto(url("/operator/sellers/"))
        row = page.get_by_role("row").filter(has_text="Maker Studio")
        expect(row).to_contain_text("Waiting for review")
        expect(row).to_contain_text(BUYER)
        row.get_by_role("link", name="Maker Studio").click()
        expect(page.get_by_label("Software licences")).to_be_checked()  # what they asked for
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page).to_have_url(url("/operator/sellers/"))
        expect(page.get_by_role("status")).to_contain_text(
            "Maker Studio is verified and may sell: Software licences."
        )
        sign_out(page)
        timings["operator review"] = time.perf_counter() - mark

        # The seller sees the decision, and the approval was mailed to them.
        mark = time.perf_counter()
        sign_in(page, url("/accounts/login/?next=/seller/onboarding/"), BUYER)
        expect(page.locator("#status .badge")).to_have_text("Verified")
        expect(page.locator("#status")).to_contain_text(
            "The marketplace approved your shop. You may sell: Software licences."
        )
        expect(page.get_by_role("link", name="Create your first product")).to_have_attribute(
            "href", "/studio/products/new/"
        )
        approval = wait_for_mail(server.mail_dir, to=BUYER, subject="You can start selling")
        assert "Maker Studio is verified. You may sell: Software licences." in approval
        assert "Create your first product in your studio: http://" in approval
        timings["seller sees the decision"] = time.perf_counter() - mark
        browser.close()

    assert csp_violations == []
    with django_db_blocker.unblock(), schema_context(market.tenant.schema_name):
        buyer = User.objects.get(email=BUYER)
        seller = Seller.objects.get(owner=buyer)
        assert buyer.is_email_verified and buyer.role == "seller"
        assert (seller.verification_status, seller.can_sell) == ("verified", {"software"})
        assert seller.reviewed_by_id == market.operator.pk
    timings["total"] = time.perf_counter() - started
    print("\n" + "\n".join(f"{phase:>26}: {seconds:6.2f} s" for phase, seconds in timings.items()))
