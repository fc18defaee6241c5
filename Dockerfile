# Sprintbot: `docker build -t sprintbot .` then
# `docker run -e SPRINTBOT_TOKEN=... -v sprintbot-data:/data sprintbot`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SPRINTBOT_DATA_DIR=/data

RUN useradd --create-home --uid 10001 sprintbot \
    && mkdir -p /data && chown sprintbot:sprintbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY db ./db
COPY migrations ./migrations
RUN pip install --no-cache-dir .

USER sprintbot
VOLUME ["/data"]
# Migrations run at start-up (`run` applies pending ones unless --no-migrate).
CMD ["sprintbot", "run"]
