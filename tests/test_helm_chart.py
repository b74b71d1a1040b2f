"""The Helm chart (helm/souk): it lints clean, every manifest it renders is valid Kubernetes,
it wires what production settings need, and values.schema.json turns bad values away with an
error that names the field.

No cluster and no network: helm-python-sdk renders and lints in process (Helm's Go SDK behind
a C ABI), and kubernetes-validate ships the Kubernetes API schemas. "Defaults" are the chart's
values.yaml plus the few values a user must set (helm/souk/ci/minimal-values.yaml); the
production-like install is helm/souk/values-production.yaml."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "souk"
VALUES_FILES = {
    "defaults": CHART / "ci" / "minimal-values.yaml",
    "production": CHART / "values-production.yaml",
}
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest one
# kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
RELEASE = "souk"
LINT_WARNING = 2

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART) as loaded:
        yield loaded


def values_of(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES_FILES[name].read_text())
    return loaded


def render(chart: helm.Chart, values: dict[str, Any]) -> list[Manifest]:
    rendered = chart.render(values=values, name=RELEASE, namespace="souk", is_install=True)
    return [
        document
        for path, text in sorted(rendered.items())
        if not path.endswith("NOTES.txt")
        for document in yaml.safe_load_all(text)
        if document
    ]


def find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def first_container(manifests: list[Manifest], kind: str, name: str) -> dict[str, Any]:
    container: dict[str, Any] = find(manifests, kind, name)["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def secret_refs(container: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}


def pod_specs(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    return {
        f"{m['kind']}/{m['metadata']['name']}": m["spec"]["template"]["spec"]
        for m in manifests
        if m["kind"] in {"Deployment", "Job"}
    }


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `base` with dotted keys set (None removes the key)."""
    values = yaml.safe_load(yaml.safe_dump(base))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = values
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return values


# --- Lint and Kubernetes validity ----------------------------------------------------------


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_chart_lints_without_warnings_in_strict_mode(values_name):
    report = helm.lint(
        CHART, values_of(values_name), strict=True, kube_version=f"v{KUBERNETES_VERSIONS[-1]}"
    )

    problems = [m for m in report["messages"] if m["severity"] >= LINT_WARNING]
    assert report["errors"] == []
    assert problems == []


@pytest.mark.parametrize("kubernetes_version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_every_rendered_manifest_is_valid_kubernetes(chart, values_name, kubernetes_version):
    manifests = render(chart, values_of(values_name))

    invalid = []
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            field = "/".join(str(part) for part in error.path)
            name = f"{manifest['kind']}/{manifest['metadata']['name']}"
            invalid.append(f"{name} {field}: {error.message}")
    assert invalid == []
    assert len(manifests) >= 12


def test_validator_rejects_a_broken_manifest():
    """The check above is not vacuous: a misspelt field and a wrong type are caught."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "broken"},
        "spec": {
            "replicas": "three",
            "selector": {"matchLabels": {"app": "broken"}},
            "template": {
                "metadata": {"labels": {"app": "broken"}},
                "spec": {"containers": [{"name": "web", "image": "x", "resourcez": {}}]},
            },
        },
    }

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_chart_renders_every_component(chart, values_name):
    manifests = render(chart, values_of(values_name))

    names = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert {
        ("Deployment", "souk-web"),
        ("Deployment", "souk-worker"),
        ("Deployment", "souk-beat"),
        ("Job", "souk-migrate"),
        ("Service", "souk"),
        ("Ingress", "souk"),
        ("Ingress", "souk-tenants"),
        ("PodDisruptionBudget", "souk-web"),
        ("PodDisruptionBudget", "souk-worker"),
        ("ConfigMap", "souk-config"),
    } <= names


# --- Behaviour a user relies on ------------------------------------------------------------


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_beat_runs_exactly_one_replica_and_is_recreated_not_rolled(chart, values_name):
    manifests = render(chart, values_of(values_name))

    beat = find(manifests, "Deployment", "souk-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert first_container(manifests, "Deployment", "souk-beat")["args"][:3] == [
        "-A",
        "core",
        "beat",
    ]
    autoscalers = [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"]
    assert "souk-beat" not in {m["spec"]["scaleTargetRef"]["name"] for m in autoscalers}


def test_worker_runs_celery_worker(chart):
    manifests = render(chart, values_of("defaults"))

    worker = first_container(manifests, "Deployment", "souk-worker")
    assert worker["command"] == ["celery"]
    assert worker["args"][:3] == ["-A", "core", "worker"]


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_migrations_job_is_a_pre_install_and_pre_upgrade_hook(chart, values_name):
    manifests = render(chart, values_of(values_name))

    job = find(manifests, "Job", "souk-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "manage.py", "migrate_tenants"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_migrations_job_reads_hook_copies_made_before_it(chart):
    """A pre-install hook runs before the release's ConfigMap and Secret exist, so the Job reads
    copies that are hooks themselves, weighted to be created first, with the same data."""
    manifests = render(chart, values_of("defaults"))

    job = find(manifests, "Job", "souk-migrate")
    hook_config = find(manifests, "ConfigMap", "souk-migrate")
    hook_secret = find(manifests, "Secret", "souk-migrate")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "souk-migrate"}}]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]} == {"souk-migrate"}
    for hook in (hook_config, hook_secret):
        assert hook["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(hook["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
            job["metadata"]["annotations"]["helm.sh/hook-weight"]
        )
    assert hook_config["data"] == find(manifests, "ConfigMap", "souk-config")["data"]
    assert hook_secret["data"] == find(manifests, "Secret", "souk-secrets")["data"]


def test_ingress_serves_platform_wildcard_and_each_custom_domain_with_tls(chart):
    values = values_of("production")
    manifests = render(chart, values)

    ingresses = [m for m in manifests if m["kind"] == "Ingress"]
    rule_hosts = [rule["host"] for i in ingresses for rule in i["spec"]["rules"]]
    tls_hosts = [host for i in ingresses for tls in i["spec"]["tls"] for host in tls["hosts"]]
    expected = [
        "market.example.com",
        "shop.acme-books.example",
        "store.globex.example",
        "*.market.example.com",
    ]
    assert sorted(rule_hosts) == sorted(expected)
    assert sorted(tls_hosts) == sorted(expected)
    secret_names = [tls["secretName"] for i in ingresses for tls in i["spec"]["tls"]]
    assert len(set(secret_names)) == len(expected), "one certificate per host"
    for rule in (rule for i in ingresses for rule in i["spec"]["rules"]):
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "souk", "port": {"name": "http"}}


def test_wildcard_certificate_comes_from_the_dns01_issuer(chart):
    manifests = render(chart, values_of("production"))

    platform = find(manifests, "Ingress", "souk")
    tenants = find(manifests, "Ingress", "souk-tenants")
    issuer = "cert-manager.io/cluster-issuer"
    assert platform["metadata"]["annotations"][issuer] == "letsencrypt-prod"
    assert tenants["metadata"]["annotations"][issuer] == "letsencrypt-dns01"
    assert tenants["spec"]["rules"][0]["host"] == "*.market.example.com"


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_every_container_has_resources_and_runs_as_non_root(chart, values_name):
    manifests = render(chart, values_of(values_name))

    specs = pod_specs(manifests)
    assert set(specs) == {
        "Deployment/souk-web",
        "Deployment/souk-worker",
        "Deployment/souk-beat",
        "Job/souk-migrate",
    }
    for owner, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        assert spec["automountServiceAccountToken"] is False, owner
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            where = f"{owner} {container['name']}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["runAsUser"] > 0, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1 and tmp[0]["name"] in tmp_volumes, where


def test_web_probes_use_healthz_and_readyz(chart):
    manifests = render(chart, values_of("defaults"))

    web = first_container(manifests, "Deployment", "souk-web")
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert web["command"] == ["gunicorn"]
    assert web["args"][0] == "core.asgi:application"


def test_web_serves_asgi_with_uvicorn_workers_and_the_ingress_keeps_sockets_open(chart):
    """WebSockets (/ws/) need the ASGI app under uvicorn workers (named by core.gunicorn_conf,
    which the web container loads) and proxy timeouts longer than ingress-nginx's 60 s."""
    from core import gunicorn_conf

    manifests = render(chart, values_of("production"))

    web = first_container(manifests, "Deployment", "souk-web")
    assert web["args"][:2] == ["core.asgi:application", "--config=python:core.gunicorn_conf"]
    assert not any(arg.startswith("--threads") for arg in web["args"])
    assert gunicorn_conf.worker_class == "uvicorn.workers.UvicornWorker"
    for name in ("souk", "souk-tenants"):
        annotations = find(manifests, "Ingress", name)["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
        assert annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] == "3600"

    own = with_changes(
        values_of("production"),
        ingress__annotations={"nginx.ingress.kubernetes.io/proxy-read-timeout": "600"},
    )
    annotations = find(render(chart, own), "Ingress", "souk")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "600"


def test_web_environment_comes_from_the_configmap_and_the_chart_secret(chart):
    values = values_of("defaults")
    manifests = render(chart, values)

    web = first_container(manifests, "Deployment", "souk-web")
    assert web["envFrom"] == [{"configMapRef": {"name": "souk-config"}}]
    assert secret_refs(web) == {
        name: {"name": "souk-secrets", "key": name}
        for name in (
            "SECRET_KEY",
            "SOUK_ENCRYPTION_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
        )
    }
    secret = find(manifests, "Secret", "souk-secrets")
    decoded = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert decoded == {
        "SECRET_KEY": values["secretKey"]["value"],
        "SOUK_ENCRYPTION_KEY": values["encryptionKey"]["value"],
        "DATABASE_URL": values["database"]["url"],
        "REDIS_URL": values["redis"]["url"],
        "STRIPE_SECRET_KEY": values["payments"]["stripe"]["secretKey"],
        "STRIPE_WEBHOOK_SECRET": values["payments"]["stripe"]["webhookSecret"],
    }
    config = find(manifests, "ConfigMap", "souk-config")["data"]
    assert config["DJANGO_SETTINGS_MODULE"] == "core.settings.prod"
    assert config["PLATFORM_DOMAIN"] == "souk.example.com"
    assert config["ALLOWED_HOSTS"] == ".souk.example.com"
    assert config["DEBUG"] == "false"
    assert not set(config) & {
        "SECRET_KEY",
        "SOUK_ENCRYPTION_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "STRIPE_SECRET_KEY",
    }


def test_existing_secrets_replace_the_chart_secret(chart):
    manifests = render(chart, values_of("production"))

    assert [m for m in manifests if m["kind"] == "Secret"] == []
    web = first_container(manifests, "Deployment", "souk-web")
    refs = secret_refs(web)
    assert refs["SECRET_KEY"] == {"name": "souk-django", "key": "SECRET_KEY"}
    assert refs["SOUK_ENCRYPTION_KEY"] == {"name": "souk-django", "key": "SOUK_ENCRYPTION_KEY"}
    assert refs["DATABASE_URL"] == {"name": "souk-postgres", "key": "DATABASE_URL"}
    assert refs["REDIS_URL"] == {"name": "souk-redis", "key": "REDIS_URL"}
    assert refs["OPENSEARCH_URL"] == {"name": "souk-opensearch", "key": "OPENSEARCH_URL"}
    assert refs["STRIPE_SECRET_KEY"] == {"name": "souk-stripe", "key": "STRIPE_SECRET_KEY"}
    assert refs["STRIPE_WEBHOOK_SECRET"] == {"name": "souk-stripe", "key": "STRIPE_WEBHOOK_SECRET"}
    config = find(manifests, "ConfigMap", "souk-config")["data"]
    assert config["SOUK_SEARCH_BACKEND"] == "opensearch"
    assert config["SOUK_PAYMENT_PROVIDER"] == "stripe"
    assert config["AWS_STORAGE_BUCKET_NAME"] == "market-example-media"
    hosts = [".market.example.com", "shop.acme-books.example", "store.globex.example"]
    assert config["ALLOWED_HOSTS"] == ",".join(hosts)


def test_rendered_environment_starts_production_settings(chart):
    """The ConfigMap and Secret the chart renders are enough for core.settings.prod, which
    refuses to start on any unsafe or missing setting."""
    manifests = render(chart, values_of("defaults"))
    config = find(manifests, "ConfigMap", "souk-config")["data"]
    secret = find(manifests, "Secret", "souk-secrets")["data"]
    environment = {
        "PATH": "/usr/bin:/bin",
        **config,
        **{key: base64.b64decode(value).decode() for key, value in secret.items()},
    }

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_autoscaled_deployments_leave_replicas_to_the_hpa(chart):
    manifests = render(chart, values_of("production"))

    for component, minimum, maximum in (("web", 3, 12), ("worker", 2, 8)):
        deployment = find(manifests, "Deployment", f"souk-{component}")
        hpa = find(manifests, "HorizontalPodAutoscaler", f"souk-{component}")
        assert "replicas" not in deployment["spec"]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": f"souk-{component}",
        }
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (minimum, maximum)


def test_fixed_replicas_without_autoscaling(chart):
    manifests = render(chart, with_changes(values_of("defaults"), web__replicaCount=3))

    assert find(manifests, "Deployment", "souk-web")["spec"]["replicas"] == 3
    assert [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"] == []


@pytest.mark.parametrize("component", ["web", "worker"])
def test_disruption_budgets_select_their_component_pods(chart, component):
    manifests = render(chart, values_of("production"))

    budget = find(manifests, "PodDisruptionBudget", f"souk-{component}")
    deployment = find(manifests, "Deployment", f"souk-{component}")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == component


# --- values.schema.json --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"platformDomain": None}, r"at '/platformDomain': .*minLength: got 0, want 1"),
        ({"platformDomain": "localhost"}, r"at '/platformDomain': 'localhost' does not match"),
        ({"customDomains": ["Shop.Example.com"]}, r"at '/customDomains/0'"),
        ({"beat__replicas": 2}, r"at '/beat': additional properties 'replicas' not allowed"),
        ({"web__replicaCount": -1}, r"at '/web/replicaCount': minimum: got -1, want 0"),
        ({"worker__replicaCount": -2}, r"at '/worker/replicaCount': minimum: got -2, want 0"),
        ({"web__autoscaling__minReplicas": 0}, r"at '/web/autoscaling/minReplicas': minimum"),
        ({"database__url": None}, r"at '/database/url': minLength: got 0, want 1"),
        ({"database__url": "mysql://db/souk"}, r"at '/database/url': 'mysql://db/souk' does not"),
        ({"redis__url": ""}, r"at '/redis/url': minLength: got 0, want 1"),
        ({"secretKey__value": "too-short"}, r"at '/secretKey/value'.*minLength: got 9, want 50"),
        ({"encryptionKey__value": ""}, r"at '/encryptionKey/value'.*minLength: got 0, want 1"),
        (
            {"encryptionKey__value": "short"},
            r"at '/encryptionKey/value'.*minLength: got 5, want 32",
        ),
        ({"image__repository": None}, r"at '/image/repository': minLength: got 0, want 1"),
        ({"web__replicas": 3}, r"at '/web': additional properties 'replicas' not allowed"),
        ({"opensearch__enabled": True}, r"at '/opensearch/url': minLength: got 0, want 1"),
        ({"securityContext__runAsNonRoot": False}, r"at '/securityContext/runAsNonRoot'"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_invalid_values_are_rejected_naming_the_field(chart, changes, message):
    values = with_changes(values_of("defaults"), **changes)

    with pytest.raises(helm.HelmValuesError, match=message):
        chart.render(values=values, name=RELEASE)


def test_chart_defaults_alone_name_every_value_a_user_must_set(chart):
    with pytest.raises(helm.HelmValuesError) as raised:
        chart.render(values={}, name=RELEASE)

    required = [
        "/image/repository",
        "/platformDomain",
        "/secretKey/value",
        "/encryptionKey/value",
        "/database/url",
    ]
    for field in [*required, "/redis/url"]:
        assert f"at '{field}'" in str(raised.value)


def test_an_existing_secret_stands_in_for_an_inline_value(chart):
    values = with_changes(
        values_of("defaults"),
        database__url="",
        database__existingSecret="souk-db",
        database__existingSecretKey="uri",
    )

    manifests = render(chart, values)

    web = first_container(manifests, "Deployment", "souk-web")
    assert secret_refs(web)["DATABASE_URL"] == {"name": "souk-db", "key": "uri"}
    assert "DATABASE_URL" not in find(manifests, "Secret", "souk-secrets")["data"]


def test_autoscaling_bounds_out_of_order_fail_with_a_clear_message(chart):
    values = with_changes(
        values_of("defaults"),
        worker__autoscaling__enabled=True,
        worker__autoscaling__minReplicas=5,
        worker__autoscaling__maxReplicas=2,
    )

    bounds = r"worker.autoscaling.minReplicas \(5\) must not exceed"
    with pytest.raises(helm.HelmRenderError, match=bounds):
        chart.render(values=values, name=RELEASE)
