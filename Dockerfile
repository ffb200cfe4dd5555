# Production image: the API on uvicorn. DATABASE_URL chooses the engine (SQLite file by default,
# postgresql+psycopg://… in production); the container migrates and seeds before serving
# (both are idempotent). Scale with WORKERS and more containers behind a proxy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000 DATABASE_URL=sqlite:////data/busan.db

WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
RUN pip install . && useradd --system --home /srv busan && mkdir /data && chown busan /data
USER busan
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz')"
CMD ["sh", "-c", "python -m app migrate && python -m app seed && exec python -m app serve"]
