"""Production settings refuse to start with unsafe defaults and name the variable to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAFE = {
    "DJANGO_SETTINGS_MODULE": "core.settings.prod",
    "DATABASE_URL": "postgres://souk@db.internal:5432/souk",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEY": "k" * 64,
    "PLATFORM_DOMAIN": "souk.example.com",
    "ALLOWED_HOSTS": ".souk.example.com,shop.acme.example",
    "SOUK_ENCRYPTION_KEY": "e" * 44 + ",older-" + "o" * 40,
    "SOUK_PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_" + "x" * 24,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "y" * 24,
}


def load_prod_settings(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in SAFE and key != "DEBUG"}
    env.update(SAFE)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_safe_production_settings_start():
    result = load_prod_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DEBUG": "true"}, "DEBUG"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "souk-insecure-development-key-do-not-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"PLATFORM_DOMAIN": None}, "PLATFORM_DOMAIN"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ".souk.example.com,*"}, "ALLOWED_HOSTS"),
        ({"SOUK_ENCRYPTION_KEY": None}, "SOUK_ENCRYPTION_KEY"),
        ({"SOUK_ENCRYPTION_KEY": "too-short"}, "SOUK_ENCRYPTION_KEY"),
        ({"SOUK_ENCRYPTION_KEY": "k" * 64}, "SOUK_ENCRYPTION_KEY"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"SOUK_PAYMENT_PROVIDER": "sandbox"}, "SOUK_PAYMENT_PROVIDER"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
        ({"SOUK_WEBHOOKS_ALLOW_LOOPBACK": "true"}, "SOUK_WEBHOOKS_ALLOW_LOOPBACK"),
    ],
)
def test_unsafe_production_settings_are_refused_naming_the_variable(overrides, named):
    result = load_prod_settings(**overrides)
    assert result.returncode != 0
    message = result.stderr.split("ImproperlyConfigured: ", 1)[1]
    assert named in message


def test_a_demo_deployment_may_run_the_sandbox_when_it_says_so():
    result = load_prod_settings(SOUK_PAYMENT_PROVIDER="sandbox", SOUK_ALLOW_SANDBOX_PAYMENTS="true")
    assert result.returncode == 0, result.stderr
