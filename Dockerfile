# syntax=docker/dockerfile:1

# ---- ui: build the web app (web/ui, SvelteKit static) with Node 20 ----
FROM node:20-slim AS ui
WORKDIR /ui
COPY web/ui/package.json web/ui/package-lock.json web/ui/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ui ./
RUN npm run build

# ---- builder: resolve and install dependencies + the package into /opt/venv ----
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# A compiler only for the rare dependency without a wheel for this platform;
# it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so source edits keep this layer cached.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# The package itself, installed editable from /app: the runtime stage has the
# source at the same path, so the code and migrations/ are read from /app.
COPY engine ./engine
COPY eventstore ./eventstore
COPY web ./web
COPY --from=ui /ui/build ./web/ui/build
COPY migrations ./migrations
RUN pip install --no-deps -e . \
 && python -c "import engine, eventstore, web.cli" \
 && find /app -name '__pycache__' -prune -exec rm -rf {} +

# ---- runtime ----
FROM python:3.11-slim AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

RUN groupadd --system --gid 10001 pulsar \
 && useradd --system --uid 10001 --gid pulsar --home-dir /var/lib/pulsar --create-home \
        --shell /usr/sbin/nologin pulsar

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# Code is root-owned and read-only to the service; state (e.g. the embedded
# PostgreSQL when DATABASE_URL is unset) lives in the writable home directory.
WORKDIR /var/lib/pulsar
USER pulsar

EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

CMD ["pulsar", "serve", "--host", "0.0.0.0", "--port", "8080"]
