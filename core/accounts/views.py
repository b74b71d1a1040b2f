"""Account pages on tenant hosts (sign-up, sign-in with the code step, password reset, profile,
two-factor, access tokens) and the operator's user pages. Each view parses a form, calls a
service and renders; a ``DomainError`` is shown on the form, beside the field it names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.accounts import forms
from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import PersonalAccessToken, User
from core.accounts.principal import Principal, require_operator
from core.accounts.services import (
    password_reset,
    profile,
    sessions,
    sign_up,
    tokens,
    two_factor,
)
from core.accounts.services.login_handoff import sign_in_with_handoff
from core.errors import DomainError, ErrorKind
from core.marketplace import site_url
from core.ratelimit import RateLimited, client_ip

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

# Django's own wording: people (and old tests) recognise it.
LOGIN_FAILED = "Please enter a correct email and password."
USERS_PER_PAGE = 50


# --- shared by the page views of accounts and sellers -----------------------------------------


def base_url(request: HttpRequest) -> str:
    """Links in e-mails use the marketplace's primary domain, never the request's Host."""
    return site_url(request)


def signed_in_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # a view without login_required; a wiring error
        raise RuntimeError("signed_in_user() used on a page without login_required")
    return user


def is_two_factor_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (django-otp's middleware says)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def session_principal(request: HttpRequest) -> Principal:
    return Principal(
        user=signed_in_user(request),
        token=None,
        is_two_factor_verified=is_two_factor_verified(request),
    )


def render_with_error(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    form: forms.ServiceForm,
    error: DomainError,
) -> HttpResponse:
    """The page again with the error on the form: 429 (with Retry-After) when rate-limited,
    a 404 page for objects that are not there (or not the caller's), else 200."""
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    form.add_domain_error(error)
    status = 429 if isinstance(error, RateLimited) else 200
    response = render(request, template, context, status=status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def refusal(request: HttpRequest, error: AccountError) -> HttpResponse:
    """403 for a role or second-factor check that failed, saying what to do about it."""
    if error.code == AccountErrorCode.TWO_FACTOR_REQUIRED:
        user = signed_in_user(request)
        context = {"message": error.message, "has_two_factor": user.has_two_factor}
        return render(request, "accounts/two_factor_required.html", context, status=403)
    return render(request, "errors/403.html", {"message": error.message}, status=403)


def operator_page(view: View[P]) -> View[P]:
    """Operators only, from a session that passed the second factor."""

    @wraps(view)
    def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            require_operator(session_principal(request))
        except AccountError as error:
            return refusal(request, error)
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    is_safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and is_safe else ""


def _next_query(request: HttpRequest) -> str:
    """``?next=...`` to carry to the other form (sign-in <-> sign-up), or nothing."""
    next_url = _safe_next(request)
    return f"?{urlencode({'next': next_url})}" if next_url else ""


def _bound(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# --- sign-up and e-mail verification -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_up_page(request: HttpRequest) -> HttpResponse:
    form = forms.SignUpForm(_bound(request))
    context = {"form": form, "next_query": _next_query(request)}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = sign_up.sign_up(
                email=data["email"],
                password=data["password"],
                full_name=data["full_name"],
                base_url=base_url(request),
                ip=client_ip(request),
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/sign_up.html", context, form=form, error=error
            )
        sessions.begin_login(request=request, user=user)
        messages.success(request, f"Welcome! We sent a confirmation link to {user.email}.")
        # Back to where they were (the cart, a product) when they came from a page.
        return HttpResponseRedirect(_safe_next(request) or reverse("accounts:profile"))
    return render(request, "accounts/sign_up.html", context)


@require_safe
def verify_email_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = sign_up.verify_email(token=token)
    except AccountError as error:
        return render(request, "accounts/verify_invalid.html", {"error": error}, status=400)
    return render(request, "accounts/verified.html", {"verified_email": user.email})


@require_POST
@login_required
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    sign_up.resend_verification(user=user, base_url=base_url(request))
    messages.success(request, f"We sent a new confirmation link to {user.email}.")
    return redirect("accounts:profile")


# --- signing in and out ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form = forms.LoginForm(_bound(request))
    context = {"form": form, "next_query": _next_query(request)}
    if request.method != "POST" or not form.is_valid():
        return render(request, "accounts/login.html", context)
    email = form.cleaned_data["username"]
    try:
        outcome = sessions.sign_in_with_password(
            request=request, email=email, password=form.cleaned_data["password"]
        )
    except DomainError as error:
        if error.code == AccountErrorCode.INVALID_CREDENTIALS:
            form.add_error(None, LOGIN_FAILED)
            return render(request, "accounts/login.html", context)
        return render_with_error(request, "accounts/login.html", context, form=form, error=error)
    next_url = _safe_next(request)
    if outcome.status == "otp_required":
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return HttpResponseRedirect(reverse("accounts:login_code") + query)
    return HttpResponseRedirect(next_url or "/")


@require_http_methods(["GET", "POST"])
def login_code_page(request: HttpRequest) -> HttpResponse:
    try:
        user = sessions.pending_login_user(request)
    except AccountError as error:
        messages.error(request, error.message)
        return redirect("accounts:login")
    form = forms.CodeForm(_bound(request))
    context = {"form": form, "pending_email": user.email}
    if request.method == "POST" and form.is_valid():
        try:
            sessions.complete_login(request=request, code=form.cleaned_data["code"])
        except DomainError as error:
            return render_with_error(
                request, "accounts/login_code.html", context, form=form, error=error
            )
        return HttpResponseRedirect(_safe_next(request) or "/")
    return render(request, "accounts/login_code.html", context)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    sessions.log_out(request=request)
    return redirect("/")


@require_safe
def login_handoff(request: HttpRequest) -> HttpResponse:
    """Lands a user signed in from another host (a new operator after sign-up, platform staff
    entering as support)."""
    try:
        sign_in_with_handoff(request=request, token=request.GET.get("token", ""))
    except AccountError as error:
        return render(request, "accounts/handoff_invalid.html", {"error": error}, status=400)
    return HttpResponseRedirect("/")


# --- password reset ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset_page(request: HttpRequest) -> HttpResponse:
    form = forms.EmailForm(_bound(request))
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            password_reset.request_password_reset(
                email=email, base_url=base_url(request), ip=client_ip(request)
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/password_reset.html", context, form=form, error=error
            )
        # The same answer whether or not the address has an account.
        messages.success(request, f"If {email} has an account here, a reset link is on its way.")
        return redirect("accounts:password_reset")
    return render(request, "accounts/password_reset.html", context)


@require_http_methods(["GET", "POST"])
def password_reset_confirm_page(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    form = forms.NewPasswordForm(_bound(request))
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            password_reset.reset_password(
                uid=uid, token=token, new_password=form.cleaned_data["new_password"]
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/password_reset_confirm.html", context, form=form, error=error
            )
        messages.success(request, "Your password is changed. Sign in with it now.")
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", context)


# --- profile -------------------------------------------------------------------------------------


def _profile_context(
    request: HttpRequest,
    *,
    name_form: forms.ProfileForm | None = None,
    password_form: forms.PasswordChangeForm | None = None,
) -> dict[str, Any]:
    user = signed_in_user(request)
    return {
        "name_form": name_form or forms.ProfileForm(initial={"full_name": user.full_name}),
        "password_form": password_form or forms.PasswordChangeForm(),
    }


@require_http_methods(["GET", "POST"])
@login_required
def profile_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "accounts/profile.html", _profile_context(request))
    form = forms.ProfileForm(request.POST)
    context = _profile_context(request, name_form=form)
    if form.is_valid():
        try:
            profile.update_profile(
                user=signed_in_user(request), full_name=form.cleaned_data["full_name"]
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/profile.html", context, form=form, error=error
            )
        messages.success(request, "Your name is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", context)


@require_POST
@login_required
def change_password_page(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordChangeForm(request.POST)
    context = _profile_context(request, password_form=form)
    if form.is_valid():
        try:
            profile.change_password(
                request=request,
                user=signed_in_user(request),
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                keep_access_tokens=form.cleaned_data["keep_access_tokens"],
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/profile.html", context, form=form, error=error
            )
        kept = form.cleaned_data["keep_access_tokens"]
        messages.success(
            request,
            "Your password is changed; your other sessions are signed out"
            + ("." if kept else " and your access tokens are revoked."),
        )
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", context)


# --- two-factor ----------------------------------------------------------------------------------


def _two_factor_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = signed_in_user(request)
    return {
        "is_required": two_factor.is_two_factor_required(user),
        "start_form": forms.ActionForm(),
        "disable_form": forms.PasswordForm(),
        **extra,
    }


def _enrolment_context(enrolment: two_factor.TotpEnrolment) -> dict[str, Any]:
    # The SVG is made server-side by qrcode; its XML declaration does not belong in HTML.
    svg = enrolment.qr_svg[enrolment.qr_svg.find("<svg") :]
    secret = parse_qs(urlsplit(enrolment.otpauth_url).query).get("secret", [""])[0]
    return {"qr_svg": svg, "secret": secret, "is_enrolling": True}


@require_safe
@login_required
def two_factor_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/two_factor.html", _two_factor_context(request))


@require_POST
@login_required
def two_factor_start(request: HttpRequest) -> HttpResponse:
    form = forms.ActionForm(request.POST)
    form.is_valid()
    context = _two_factor_context(request, start_form=form)
    try:
        enrolment = two_factor.start_totp_enrolment(user=signed_in_user(request))
    except DomainError as error:
        return render_with_error(
            request, "accounts/two_factor.html", context, form=form, error=error
        )
    context.update(_enrolment_context(enrolment), code_form=forms.CodeForm())
    return render(request, "accounts/two_factor.html", context)


@require_POST
@login_required
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = forms.CodeForm(request.POST)
    # A wrong code keeps the enrolment open: the app already holds the secret, so only the
    # code form comes back (starting again would make a new secret).
    context = _two_factor_context(request, code_form=form, is_enrolling=True)
    if not form.is_valid():
        return render(request, "accounts/two_factor.html", context)
    try:
        codes = two_factor.confirm_totp_enrolment(user=user, code=form.cleaned_data["code"])
    except DomainError as error:
        return render_with_error(
            request, "accounts/two_factor.html", context, form=form, error=error
        )
    # This session just proved the second factor.
    otp_login(request, TOTPDevice.objects.get(user=user, confirmed=True))
    return render(
        request, "accounts/two_factor.html", _two_factor_context(request, backup_codes=codes)
    )


@require_POST
@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordForm(request.POST)
    context = _two_factor_context(request, disable_form=form)
    if form.is_valid():
        try:
            two_factor.disable_two_factor(
                user=signed_in_user(request), password=form.cleaned_data["password"]
            )
        except DomainError as error:
            return render_with_error(
                request, "accounts/two_factor.html", context, form=form, error=error
            )
        messages.success(request, "Two-factor authentication is off.")
        return redirect("accounts:two_factor")
    return render(request, "accounts/two_factor.html", context)


# --- personal access tokens ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = forms.AccessTokenForm(_bound(request))
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.create_token(
                user=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                is_two_factor_verified=is_two_factor_verified(request),
            )
        except DomainError as error:
            context["tokens"] = _live_tokens(user)
            return render_with_error(
                request, "accounts/tokens.html", context, form=form, error=error
            )
        # Shown on this response only: no redirect, so the secret is never stored for later.
        context.update(issued=issued, form=forms.AccessTokenForm())
    context["tokens"] = _live_tokens(user)
    return render(request, "accounts/tokens.html", context)


def _live_tokens(user: User) -> list[PersonalAccessToken]:
    return list(
        PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
            "-created_at"
        )
    )


@require_POST
@login_required
def revoke_token_page(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = tokens.revoke_token(user=signed_in_user(request), token_id=token_id)
    except AccountError as error:
        raise Http404(error.message) from None
    messages.success(request, f"The token '{token.name}' is revoked.")
    return redirect("accounts:tokens")
