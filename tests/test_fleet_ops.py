"""Fleet operations on real services: backup and restore of one tenant (pg_dump/pg_restore on
this machine's PostgreSQL, files on moto's S3 server), the GDPR export, and the purge after a
deletion's grace period (schema, files, Redis cache entries, search index hook).

pg_dump runs in another process and cannot see a test's transaction, so the backup tests
commit their tenants (as tests/test_migrate_tenants.py does) and purge them afterwards."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_tenants.utils import schema_context, schema_exists

from core.accounts.models import PersonalAccessToken, User
from core.accounts.services.tokens import create_token
from core.schema import current_schema_name
from core.sellers.models import Seller, VerificationDocument
from core.sellers.services.api_keys import create_api_key
from core.sellers.services.onboarding import add_verification_document, start_onboarding
from core.storage import tenant_file_names
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Branding, Domain, Tenant, TenantModule, TenantStatus
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import (
    delete_tenant,
    fill_schema_pool,
    fleet_ops,
    provision_tenant,
    suspend_tenant,
)
from tenants.services.fleet_ops import (
    FleetOperationError,
    backup_tenant,
    delete_tenant_now,
    pg_tool,
    purge_due_tenants,
    purge_tenant,
    restore_tenant,
)
from tenants.services.lifecycle import cancel_tenant_deletion
from tenants.services.migrate_fleet import applied_migrations
from tenants.tasks import purge_deleted_tenants
from tests.accounts_helpers import PASSWORD, enrol_two_factor, make_user, sign_in
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.test_sellers import PDF

# The moto S3 server and the storage override, looked up by name in `bucket` below.
from tests.test_storage_s3 import S3Server, s3_server, s3_storage  # noqa: F401

SOURCE, COPY = "fleet-source", "fleet-copy"


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> S3Server:
    """Default storage on moto's S3 server, emptied after the test."""
    server: S3Server = request.getfixturevalue("s3_storage")
    return server


def _remove_committed(slugs: tuple[str, ...]) -> None:
    use_public_schema()
    for slug in slugs:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            delete_tenant_now(tenant=tenant, confirm_slug=slug)
        drop_schema("t_" + slug.replace("-", "_"))  # left by an interrupted restore
    use_public_schema()


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Tenants made in the test are committed (pg_dump must see them) and purged after."""
    with django_db_blocker.unblock():
        _remove_committed((SOURCE, COPY))
        try:
            yield
        finally:
            _remove_committed((SOURCE, COPY))
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _source_marketplace() -> tuple[Tenant, VerificationDocument]:
    """A marketplace with a buyer who has a password and a seller with an uploaded document."""
    tenant = provision_tenant(
        slug=SOURCE,
        name="Fleet Source",
        owner_email="owner@fleet.example",
        owner_password=None,
        modules=["alpha", "beta"],
        custom_domains=["shop.fleet-source.example"],
        branding={"theme": "bazaar", "primary_colour": "#123456"},
    ).tenant
    use_public_schema()
    make_user(tenant, "buyer@fleet.example")
    seller_owner = make_user(tenant, "maker@fleet.example")
    with schema_context(tenant.schema_name):
        seller = start_onboarding(user=seller_owner, business_name="Maker", legal_form="company")
        document = add_verification_document(
            seller=seller,
            upload=SimpleUploadedFile("passport.pdf", PDF, content_type="application/pdf"),
            kind="identity",
        )
    return tenant, document


def test_a_backup_restores_into_a_new_marketplace_whose_users_can_sign_in(
    bucket: S3Server, committed: None, tmp_path: Path
) -> None:
    source, document = _source_marketplace()
    source_key = str(document.file.name)

    backup = backup_tenant(tenant=source, output=tmp_path / "fleet.tar")

    manifest = backup.manifest
    assert (manifest["format"], manifest["slug"], manifest["schema_name"]) == (
        "souk-tenant-backup",
        SOURCE,
        "t_fleet_source",
    )
    assert manifest["souk_version"] == "0.1.0" and manifest["created_at"]
    assert manifest["migrations"] == [
        list(m) for m in sorted(applied_migrations(["t_fleet_source"])["t_fleet_source"])
    ]
    assert manifest["tables"]["accounts_user"] == 3  # owner, buyer, maker
    assert manifest["tables"]["sellers_verificationdocument"] == 1
    assert [(f["name"], f["size"]) for f in manifest["files"]] == [
        (source_key.removeprefix("t_fleet_source/"), len(PDF))
    ]
    with tarfile.open(backup.path) as archive:
        assert sorted(archive.getnames()) == sorted(
            ["manifest.json", "public.json", "schema.dump", "files/" + manifest["files"][0]["name"]]
        )
        public = json.load(archive.extractfile("public.json"))  # type: ignore[arg-type]
    assert public["tenant"]["slug"] == SOURCE
    assert [d["domain"] for d in public["domains"]] == [
        "fleet-source.souk.test",
        "shop.fleet-source.example",
    ]
    assert public["branding"]["primary_colour"] == "#123456"
    assert sorted(m["key"] for m in public["modules"]) == ["alpha", "beta"]

    out = io.StringIO()
    call_command("restore_tenant", str(backup.path), slug=COPY, stdout=out)

    assert "restored t_fleet_source as fleet-copy (t_fleet_copy) with 1 files" in out.getvalue()
    assert "custom domain not attached: shop.fleet-source.example" in out.getvalue()
    copy = Tenant.objects.get(slug=COPY)
    assert (copy.schema_name, copy.name, copy.status) == ("t_fleet_copy", "Fleet Source", "active")
    assert list(Domain.objects.filter(tenant=copy).values_list("domain", flat=True)) == [
        "fleet-copy.souk.test"
    ]
    assert Branding.objects.get(tenant=copy).primary_colour == "#123456"
    assert sorted(TenantModule.objects.filter(tenant=copy).values_list("key", flat=True)) == [
        "alpha",
        "beta",
    ]
    # Its users sign in on the new host; its sequences go on where they stopped.
    client = Client(HTTP_HOST="fleet-copy.souk.test")
    assert sign_in(client, "buyer@fleet.example", PASSWORD).json()["status"] == "signed_in"
    assert client.get("/api/v1/marketplace").json()["slug"] == COPY
    make_user(copy, "newcomer@fleet.example")
    # Its files are under its own prefix; the source keeps its own.
    with schema_context(copy.schema_name):
        restored = VerificationDocument.objects.get()
        copied_key = source_key.replace("t_fleet_source/", "t_fleet_copy/", 1)
        assert restored.file.name == copied_key
        assert restored.file.read() == PDF
    assert bucket.keys() == sorted([source_key, copied_key])
    with schema_context(source.schema_name):
        assert VerificationDocument.objects.get().file.name == source_key
        assert User.objects.count() == 3

    with pytest.raises(TenantError) as taken:
        restore_tenant(archive_path=backup.path, slug=COPY)
    assert taken.value.code == TenantErrorCode.SLUG_TAKEN


def _rewrite_archive(source: Path, target: Path, replace: dict[str, bytes]) -> None:
    with tarfile.open(source) as original, tarfile.open(target, "w") as rewritten:
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            data = replace.get(member.name, data)
            member.size = len(data)
            rewritten.addfile(member, io.BytesIO(data))


def test_a_damaged_newer_or_failing_restore_leaves_nothing_behind(
    bucket: S3Server, committed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, _ = _source_marketplace()
    backup = backup_tenant(tenant=source, output=tmp_path / "fleet.tar")
    manifest = dict(backup.manifest)
    newer = tmp_path / "newer.tar"
    future = [*manifest["migrations"], ["alpha", "9999_future"]]
    _rewrite_archive(
        backup.path,
        newer,
        {"manifest.json": json.dumps({**manifest, "migrations": future}).encode()},
    )
    damaged = tmp_path / "damaged.tar"
    _rewrite_archive(backup.path, damaged, {"schema.dump": b"PGDMP not really"})
    keys_before = bucket.keys()

    with pytest.raises(FleetOperationError, match="newer code"):
        restore_tenant(archive_path=newer, slug=COPY)
    with pytest.raises(FleetOperationError, match="damaged"):
        restore_tenant(archive_path=damaged, slug=COPY)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # A failure after the schema and files were restored takes them away again.
    monkeypatch.setattr(fleet_ops.restore, "_recreate_public_rows", fail)
    with pytest.raises(RuntimeError, match="the disk is full"):
        restore_tenant(archive_path=backup.path, slug=COPY)

    assert not Tenant.objects.filter(slug=COPY).exists()
    assert not schema_exists("t_fleet_copy")
    assert bucket.keys() == keys_before
    with connection.cursor() as cursor:  # no scratch database is left behind
        cursor.execute("SELECT datname FROM pg_database WHERE starts_with(datname, 'souk_restore')")
        assert cursor.fetchall() == []


def test_postgres_tools_are_found_or_named_in_the_error(db: None) -> None:
    assert Path(pg_tool("pg_dump")).name == "pg_dump"
    with pytest.raises(FleetOperationError) as missing:
        pg_tool("pg_nosuchtool")
    assert "shutil.which" in str(missing.value) and "postgresql-client-" in str(missing.value)


def test_the_gdpr_export_holds_the_data_as_json_and_csv_and_no_secrets(
    client_for: Any, tenant_a: Tenant, tmp_path: Path
) -> None:
    buyer = make_user(tenant_a, "buyer@example.com", full_name="Bea Buyer")
    device, recovery_codes = enrol_two_factor(tenant_a, buyer)
    maker = make_user(tenant_a, "maker@example.com")
    with schema_context(tenant_a.schema_name):
        token = create_token(
            user=maker, name="ci", scopes=["read"], expires_at=None, is_two_factor_verified=False
        )
        seller = start_onboarding(user=maker, business_name="Maker", legal_form="company")
        api_key = create_api_key(seller=seller, name="erp", created_by=maker)
        add_verification_document(
            seller=seller,
            upload=SimpleUploadedFile("id.pdf", PDF, content_type="application/pdf"),
            kind="identity",
        )
    assert sign_in(client_for(tenant_a), "maker@example.com").json()["status"] == "signed_in"
    with schema_context(tenant_a.schema_name):
        secrets = [
            *User.objects.values_list("password", flat=True),
            device.key,
            *recovery_codes,
            *StaticToken.objects.values_list("token", flat=True),
            PersonalAccessToken.objects.get().token_hash,
            token.raw,
            api_key.raw,
            api_key.key.key_hash,
        ]
        secrets += [s.session_key for s in Session.objects.all()]
        secrets += [s.session_data for s in Session.objects.all()]
    assert len(secrets) >= 12 and all(secrets)

    out = io.StringIO()
    call_command("export_tenant", tenant_a.slug, output=tmp_path / "export.zip", stdout=out)

    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    everything = b"\n".join(contents.values())
    assert [secret for secret in secrets if secret.encode() in everything] == []
    users = json.loads(contents["data/accounts.User.json"])
    assert sorted(u["email"] for u in users) == [
        "buyer@example.com",
        "maker@example.com",
        "owner@alpha-market.example",
    ]
    assert all("password" not in user for user in users)
    csv_lines = contents["csv/accounts.User.csv"].decode().splitlines()
    assert "password" not in csv_lines[0] and csv_lines[0].startswith("id,last_login,")
    assert any("buyer@example.com" in line and "Bea Buyer" in line for line in csv_lines[1:])
    assert "csv/sellers.Seller.csv" in contents and "csv/catalog.Product.csv" in contents
    assert json.loads(contents["data/sellers.Seller.json"])[0]["business_name"] == "Maker"
    assert "data/sessions.Session.json" not in contents
    files = [name for name in contents if name.startswith("files/")]
    assert len(files) == 1 and files[0].startswith(f"files/seller-verification/{seller.pk}/")
    assert contents[files[0]] == PDF
    manifest = json.loads(contents["manifest.json"])
    assert manifest["format"] == "souk-tenant-export" and manifest["files"] == 1
    assert manifest["tables"]["accounts.User"] == 3
    assert manifest["omitted"]["fields"]["accounts.User"] == ["password"]
    assert manifest["omitted"]["fields"]["otp_totp.TOTPDevice"] == ["key"]
    assert manifest["omitted"]["fields"]["sellers.SellerApiKey"] == ["key_hash"]
    assert json.loads(contents["marketplace.json"])["tenant"]["slug"] == "alpha-market"
    assert out.getvalue().startswith("exported alpha-market: ") and "1 files" in out.getvalue()


def test_deletion_is_purged_only_after_the_grace_period_and_never_once_cancelled(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            default_storage.save(f"{tenant.schema_name}/notes/n.txt", ContentFile(b"n"))
    requested = delete_tenant(tenant=tenant_a, confirm_slug="alpha-market")
    delete_tenant(tenant=tenant_b, confirm_slug="beta-bazaar")
    cancel_tenant_deletion(tenant=tenant_b)
    grace = timedelta(days=settings.SOUK_TENANT_DELETION_GRACE_DAYS)
    assert requested.purge_after == requested.deletion_requested_at + grace  # type: ignore[operator]
    assert requested.status == TenantStatus.SUSPENDED

    assert purge_due_tenants() == []
    with pytest.raises(TenantError):
        purge_tenant(tenant=tenant_a)  # still in its grace period
    assert schema_exists(tenant_a.schema_name)

    later = timezone.now() + grace + timedelta(minutes=1)
    files_of_a = tenant_file_names(tenant_a.schema_name)  # the suite's other uploads too
    purged = purge_due_tenants(now=later)

    assert f"{tenant_a.schema_name}/notes/n.txt" in files_of_a
    assert [(p.slug, p.files) for p in purged] == [("alpha-market", len(files_of_a))]
    assert tenant_file_names(tenant_a.schema_name) == []
    assert not schema_exists(tenant_a.schema_name)
    assert not Tenant.objects.filter(slug="alpha-market").exists()
    assert not Domain.objects.filter(domain="alpha-market.souk.test").exists()
    assert not Branding.objects.filter(tenant_id=tenant_a.pk).exists()
    assert not TenantModule.objects.filter(tenant_id=tenant_a.pk).exists()
    assert not Path(settings.MEDIA_ROOT, tenant_a.schema_name).exists()
    # The cancelled one is untouched, files and all.
    tenant_b.refresh_from_db()
    assert (tenant_b.status, tenant_b.purge_after) == (TenantStatus.ACTIVE, None)
    assert schema_exists(tenant_b.schema_name)
    with schema_context(tenant_b.schema_name):
        assert default_storage.exists(f"{tenant_b.schema_name}/notes/n.txt")
        assert Seller.objects.count() == 0  # the schema answers queries
    # Idempotent, and a tenant whose deletion was cancelled is refused.
    assert purge_due_tenants(now=later) == []
    assert purge_tenant(tenant=tenant_a, ignore_grace_period=True) is None
    with pytest.raises(TenantError) as refused:
        purge_tenant(tenant=tenant_b, now=later)
    assert refused.value.code == TenantErrorCode.NOT_SCHEDULED_FOR_DELETION


class RecordingSearchBackend:
    """Stands in for a search backend with an index outside the schema (OpenSearch)."""

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def drop_tenant_index(self) -> None:
        self.dropped.append(current_schema_name())


def test_the_purge_removes_files_cache_entries_and_search_index_of_that_tenant_only(
    bucket: S3Server,
    redis_url: str,
    settings: Any,
    tenant_a: Tenant,
    tenant_b: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
    search = RecordingSearchBackend()
    monkeypatch.setattr(fleet_ops.purge, "get_search_backend", lambda: search)
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            default_storage.save(f"{tenant.schema_name}/a/one.txt", ContentFile(b"1"))
            default_storage.save(f"{tenant.schema_name}/a/b/two.txt", ContentFile(b"2"))
            cache.set("fleet-test", tenant.slug, 600)
    delete_tenant(tenant=tenant_a, confirm_slug="alpha-market", grace_days=0)

    assert purge_deleted_tenants.delay().get(disable_sync_subtasks=False) == 1

    assert search.dropped == [tenant_a.schema_name]
    assert bucket.keys() == ["t_beta_bazaar/a/b/two.txt", "t_beta_bazaar/a/one.txt"]
    with schema_context(tenant_a.schema_name):
        assert cache.get("fleet-test") is None
    with schema_context(tenant_b.schema_name):
        assert cache.get("fleet-test") == "beta-bazaar"
        cache.delete("fleet-test")
    assert not schema_exists(tenant_a.schema_name) and schema_exists(tenant_b.schema_name)
    assert purge_deleted_tenants.delay().get(disable_sync_subtasks=False) == 0


def test_cancelling_keeps_a_suspension_that_was_there_before_the_deletion(tenant_a: Tenant) -> None:
    suspend_tenant(tenant=tenant_a, reason="Unpaid invoices")
    delete_tenant(tenant=tenant_a, confirm_slug="alpha-market")

    cancelled = cancel_tenant_deletion(tenant=tenant_a)

    assert (cancelled.status, cancelled.suspended_reason) == ("suspended", "Unpaid invoices")
    assert (cancelled.deletion_requested_at, cancelled.purge_after) == (None, None)


def test_delete_now_purges_at_once_for_scripts_and_clean_up(tenant_a: Tenant) -> None:
    purged = delete_tenant_now(tenant=tenant_a, confirm_slug="alpha-market")

    assert purged is not None and purged.schema_name == tenant_a.schema_name
    assert not schema_exists(tenant_a.schema_name)
    assert not Tenant.objects.filter(slug="alpha-market").exists()
    assert delete_tenant_now(tenant=tenant_a, confirm_slug="alpha-market") is None
