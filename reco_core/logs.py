"""Structured, quiet-by-default logging.

Lines are `ts level logger event key=value ...` on stderr so that both a person and a log
shipper can read them. Library code logs at INFO for progress; only the CLI (and Airflow,
which captures task logs) turn INFO on.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

_CONFIGURED = False


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {}) or {}
        kv = " ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
        ts = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        line = f"{ts} {record.levelname.lower()} {record.name} {record.getMessage()}"
        if kv:
            line = f"{line} {kv}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def configure(level: str | int | None = None) -> None:
    """Install the key=value handler on the `reco` logger tree (idempotent).

    `level` None: RECO_LOG_LEVEL (reco_core.settings, one default for the API and the tasks)."""
    global _CONFIGURED
    if level is None:
        from reco_core.settings import RecoSettings

        level = RecoSettings().log_level
    root = logging.getLogger("reco")
    if not _CONFIGURED:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(KeyValueFormatter())
        root.addHandler(handler)
        root.propagate = False
        _CONFIGURED = True
    root.setLevel(level if isinstance(level, int) else level.upper())


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"reco.{name}")


def event(logger: logging.Logger, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `message` with structured fields (rendered as key=value)."""
    logger.log(level, message, extra={"fields": fields})
