# personabot: docker build -t personabot . && docker run -it -v "$PWD/config.yaml:/app/config.yaml:ro" -v personabot-data:/data personabot
FROM python:3.11-slim

# llama.cpp (embedded model) needs OpenMP's runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv

WORKDIR /app
# Dependencies first, from the lock alone: a code change doesn't reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-cache --no-install-project
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY personas ./personas
RUN uv sync --locked --no-dev --no-cache
COPY config.yaml ./config.yaml

ENV PATH=/app/.venv/bin:$PATH \
    PERSONABOT_CONFIG=/app/config.yaml \
    PERSONABOT__DATA_DIR=/data \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
# The data folder belongs to the bot's own user before it becomes a volume (a volume declared
# first would stay root-owned, and the bot could not create its database).
RUN useradd --create-home personabot && mkdir -p /data && chown personabot /data
VOLUME ["/data"]
USER personabot

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s CMD ["personabot", "health"]
CMD ["personabot"]
