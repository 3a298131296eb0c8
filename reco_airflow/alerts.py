"""Failure alerts: an e-mail per failed task, naming the DAG, the task and the reason.

Used as the task-level `on_failure_callback` of every task (a DAG-level notifier crashes under
`airflow dags test`, apache/airflow#64649). The body carries the failure's own message, which
the tasks make readable on purpose: the data checks' summary, the gate's metrics table, what the
rollback did; a link to the gate's HTML report when the message names one. Recipients: Variable
/ environment `RECO_ALERT_EMAILS`; sent through the `smtp_default` connection by the SMTP
provider's SmtpNotifier. Without that connection the alert is only logged (a laptop without a
mail relay must still be able to run the DAGs).

The notifier keeps no state between calls: under `airflow dags test` every task shares the same
callback object, so the message is built per call instead of rendering templated attributes in
place as SmtpNotifier does.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import BaseNotifier

from reco_core.gate import REPORT_LINE

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[reco-materiaux]"
MAX_REASON = 160


def describe(error: BaseException | str | None) -> str:
    """The failure's message; the exception type is kept for anything not raised on purpose."""
    if error is None:
        return "no error recorded (the task was marked failed from outside)"
    if isinstance(error, str):
        return error
    from airflow.sdk.exceptions import AirflowFailException

    text = str(error).strip()
    return text if isinstance(error, AirflowFailException) and text else f"{type(error).__name__}: {text}"


def build_message(context: dict[str, Any]) -> tuple[str, str]:
    """(subject, HTML body) of the alert for a failed task."""
    ti = context["ti"]
    message = describe(context.get("exception"))
    reason = message.splitlines()[0] if message else "?"
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 1] + "…"
    subject = f"{SUBJECT_PREFIX} {ti.dag_id}.{ti.task_id} failed: {reason}"
    body = (
        f"<p>DAG <b>{html.escape(ti.dag_id)}</b>, task <b>{html.escape(ti.task_id)}</b> failed "
        f"(run <code>{html.escape(ti.run_id)}</code>, try {ti.try_number}).</p>\n"
        f"<pre>{html.escape(message)}</pre>\n"
        + report_links(message)
        + f'<p>Log: <a href="{html.escape(ti.log_url)}">{html.escape(ti.log_url)}</a></p>\n'
    )
    return subject, body


def report_links(message: str) -> str:
    """A link to each HTML report the message names (a `REPORT_LINE` line with an absolute path):
    the gate's charts are one click away from the alert, for whoever can reach the artifact store."""
    paths = [
        Path(line.removeprefix(REPORT_LINE).strip())
        for line in message.splitlines()
        if line.startswith(REPORT_LINE)
    ]
    return "".join(
        f'<p>Report: <a href="{html.escape(path.as_uri())}">{html.escape(str(path))}</a></p>\n'
        for path in paths
        if path.is_absolute()
    )


class FailureAlert(BaseNotifier):
    """on_failure_callback: e-mail the failure (see the module doc)."""

    def notify(self, context: dict[str, Any]) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        from reco_airflow import config

        subject, body = build_message(context)
        recipients = config.alert_recipients()
        if not config.smtp_configured():
            log.warning("alert not e-mailed (no %s connection): %s", config.SMTP_CONN_ID, subject)
            return
        SmtpNotifier(
            to=recipients, subject=subject, html_content=body, smtp_conn_id=config.SMTP_CONN_ID
        ).notify(context)
        log.info("alert e-mailed to %s: %s", ", ".join(recipients), subject)


def task_defaults() -> dict[str, Any]:
    """default_args of every reco DAG: an alert per failed task; no blind retries (a task that can
    hit a transient error, the extraction, asks for its own); a time limit so a hung task fails
    and alerts instead of blocking the next day's run (max_active_runs=1)."""
    return {"retries": 0, "execution_timeout": timedelta(hours=4), "on_failure_callback": FailureAlert()}
