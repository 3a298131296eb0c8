"""Airflow in tests: the environment of scripts/airflow-env.sh, and an SMTP inbox for the alerts.

The script is the one place the Airflow settings live (the Makefile sources it too); a test only
overrides what must differ. Every path points under the test's own directory, and the
developer's own AIRFLOW_* and RECO_* variables are dropped, so a test never reads or writes the
checkout's var/ or artifacts/, nor a developer's Airflow.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_env(base: Path, **overrides: str) -> dict[str, str]:
    """The variables of scripts/airflow-env.sh with everything under `base`, then `overrides`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECO_"))}
    environ |= {
        "PATH": f"{BIN}{os.pathsep}{environ.get('PATH', '')}",
        "RECO_VAR": str(base / "var"),
        "AIRFLOW_HOME": str(base / "airflow"),
        "AIRFLOW_BIN": str(BIN / "airflow"),
        "RECO_ARTIFACT_ROOT": str(base / "artifacts"),
        "RECO_DATA_DIR": str(base / "data"),
        **overrides,
    }
    out = subprocess.run(
        ["bash", "-c", ". scripts/airflow-env.sh && env -0"],
        env=environ,
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


class Inbox:
    """aiosmtpd handler keeping every message received (envelope recipients in X-Envelope-To)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(("html",)).get_content()


@contextlib.contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[tuple[Inbox, str]]:
    """A local SMTP server and the `smtp_default` connection (JSON) that delivers to it.

    With `credentials` (login, password) the server refuses mail until the client authenticates
    with them (AUTH over plain text: loopback only), and the connection carries them.
    """
    inbox, port = Inbox(), free_port()
    auth: dict = {}
    if credentials:
        expected = LoginPassword(*(part.encode() for part in credentials))
        auth = {
            "authenticator": lambda server, session, envelope, mechanism, data: AuthResult(
                success=data == expected
            ),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **auth)
    controller.start()
    extra = {"disable_tls": True, "disable_ssl": True, "from_email": "airflow@example.com", "retry_limit": 0}
    login = dict(zip(("login", "password"), credentials, strict=True)) if credentials else {}
    conn = json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": port, **login, "extra": extra | {"timeout": 5}}
    )
    try:
        yield inbox, conn
    finally:
        controller.stop()
