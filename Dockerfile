# syntax=docker/dockerfile:1
# Souk's production image: gunicorn with uvicorn workers serving core.asgi (HTTP and
# WebSockets), the same image runs the Celery worker,
# Celery beat and the migrations Job (see helm/souk). Build: `docker build -t souk:0.1.0 .`
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: a virtualenv with the runtime dependencies only ------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN python -m pip install --quiet uv \
 && python -m venv /opt/venv

WORKDIR /build
COPY pyproject.toml requirements.lock ./
# The runtime dependencies of pyproject.toml (not the dev extra), each at the version that
# requirements.lock pins, so the image runs what `make test` tested.
RUN uv pip install --python /opt/venv/bin/python -r pyproject.toml --constraint requirements.lock

# --- runtime: the virtualenv, the code and the collected static files ----------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=core.settings.prod \
    SOUK_VAR_DIR=/app/var

# A fixed numeric uid/gid, so Kubernetes can check runAsNonRoot without a passwd lookup.
RUN groupadd --system --gid 10001 souk \
 && useradd --system --uid 10001 --gid souk --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin souk

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Owned by root and read-only to the souk user: the running process cannot change its code.
COPY . .

# Modules can ship static files, so collect with the module list the cluster will run
# (`--build-arg SOUK_MODULES=modules.licensing,modules.digital`).
ARG SOUK_MODULES=""
# collectstatic imports the production settings, which refuse to start without these; the
# values are placeholders that exist only for this one command and are not kept in the image.
RUN SECRET_KEY="build-only-placeholder-secret-key-that-is-long-enough-for-prod-settings" \
    PLATFORM_DOMAIN=build.invalid \
    ALLOWED_HOSTS=build.invalid \
    SOUK_ENCRYPTION_KEY="build-only-placeholder-encryption-key-0123456789" \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    SOUK_MODULES="${SOUK_MODULES}" \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q -j 0 /app

USER 10001:10001
EXPOSE 8000

# The chart passes its own arguments (workers, timeouts); these are the defaults for
# `docker run`. The control socket is off because the root filesystem is read-only.
# core.gunicorn_conf sets the uvicorn worker class (ASGI: HTTP and WebSockets).
CMD ["gunicorn", "core.asgi:application", \
     "--config=python:core.gunicorn_conf", \
     "--bind=0.0.0.0:8000", \
     "--workers=2", \
     "--worker-tmp-dir=/dev/shm", \
     "--no-control-socket", \
     "--access-logfile=-"]
