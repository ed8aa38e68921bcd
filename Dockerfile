# Production image: one image for web (gunicorn), worker, beat and the one-shot migrate.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/var/lib/p2p

RUN groupadd --system app && useradd --system --gid app --home-dir /app app \
    && mkdir -p /app /var/lib/p2p && chown app:app /var/lib/p2p

# WeasyPrint (the loan agreements' PDF) needs Pango and HarfBuzz, and fonts with CJK glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
# Install the pinned dependencies first so code changes do not rebuild this layer.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY --chown=app:app . .
# collectstatic needs settings to import; these build-time values never reach runtime.
RUN DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    CELERY_BROKER_URL=redis://build CACHE_URL=locmemcache:// PII_ENCRYPTION_KEYS=build \
    CUSTODIAN_WEBHOOK_SECRET=build python manage.py collectstatic --noinput \
    && chown -R app:app /var/lib/p2p

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
