# Indgang: slim image, non-root, migrations on start, health check.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY channels ./channels
COPY content ./content
COPY locales ./locales
RUN pip install . && useradd --system --uid 10001 --home /app indgang && chown -R indgang /app
USER indgang
ENV INDGANG_HOME=/app INDGANG_ENV=production INDGANG_LOG_JSON=true INDGANG_DEMO_DATA=false
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# `serve` applies pending migrations before it accepts requests.
CMD ["sh", "-c", "indgang db upgrade && exec indgang serve --host 0.0.0.0 --port 8000"]
