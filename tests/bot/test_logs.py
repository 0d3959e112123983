"""Secrets never appear in log output."""

from __future__ import annotations

import io
import logging

from bot.logs import RedactSecrets, secret_values


def test_secret_values_are_redacted_from_messages_and_tracebacks() -> None:
    env = {
        "TELEGRAM_TOKEN": "123456:ABCDEF-secret",
        "OPENAI_API_KEY": "sk-abcdef123456",
        "HOME": "/root",
    }
    secrets = secret_values(env)
    assert set(secrets) == {"123456:ABCDEF-secret", "sk-abcdef123456"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling with key %s", "sk-abcdef123456")
        try:
            raise RuntimeError("bad token 123456:ABCDEF-secret")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "sk-abcdef123456" not in out and "123456:ABCDEF-secret" not in out
    assert out.count("***") == 3  # the message, the traceback source line, the exception
    assert "calling with key ***" in out
