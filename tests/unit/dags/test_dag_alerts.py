"""Failure alerts: subject naming DAG, task and reason; the failure's summary in the body; sent by SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from helpers.airflow_support import Inbox, smtp_server


def context(error: BaseException | None) -> dict:
    ti = SimpleNamespace(
        dag_id="reco_training",
        task_id="gate",
        run_id="manual__2026-01-01T00:00:00+00:00",
        try_number=1,
        log_url="http://127.0.0.1:8090/dags/reco_training/runs/x/tasks/gate",
    )
    return {"ti": ti, "exception": error}


@pytest.fixture
def inbox(airflow_home, monkeypatch) -> Iterator[Inbox]:
    with smtp_server() as (handler, conn):
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", conn)
        monkeypatch.setenv("RECO_ALERT_EMAILS", "ops@example.com,data@example.com")
        yield handler


def test_message_of_a_deliberate_failure(airflow_home):
    from airflow.sdk.exceptions import AirflowFailException

    from reco_airflow.alerts import build_message

    error = AirflowFailException("candidate run_x rejected by the gate\n\nhit@10  0.09  0.84  <FAIL>")
    subject, body = build_message(context(error))
    assert subject == "[reco-materiaux] reco_training.gate failed: candidate run_x rejected by the gate"
    assert "<pre>candidate run_x rejected by the gate\n\nhit@10  0.09  0.84  &lt;FAIL&gt;</pre>" in body
    assert "manual__2026-01-01T00:00:00+00:00" in body and "tasks/gate" in body


def test_the_gate_report_named_in_the_message_is_linked(airflow_home):
    from airflow.sdk.exceptions import AirflowFailException

    from reco_airflow.alerts import build_message
    from reco_core.gate import REPORT_LINE

    message = f"candidate run_x rejected\n{REPORT_LINE}/srv/artifacts/evaluations/run x.html\n\ntable"
    _, body = build_message(context(AirflowFailException(message)))
    link = (
        '<a href="file:///srv/artifacts/evaluations/run%20x.html">/srv/artifacts/evaluations/run x.html</a>'
    )
    assert f"<p>Report: {link}</p>" in body
    _, body = build_message(context(AirflowFailException(f"no report\n{REPORT_LINE}relative.html")))
    assert "Report:" not in body  # a relative path would not lead anywhere from a mail client


def test_message_of_an_unexpected_error_names_its_type(airflow_home):
    from reco_airflow.alerts import build_message

    subject, _ = build_message(context(KeyError("run")))
    assert subject.endswith("failed: KeyError: 'run'")
    long_subject, _ = build_message(context(ValueError("x" * 500)))
    assert len(long_subject) < 250 and long_subject.endswith("…")


def test_without_smtp_the_alert_is_only_logged(airflow_home, monkeypatch, caplog):
    from reco_airflow.alerts import FailureAlert

    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    FailureAlert().notify(context(RuntimeError("boom")))
    assert "alert not e-mailed (no smtp_default connection)" in caplog.text


def test_alert_is_e_mailed(inbox):
    from airflow.sdk.exceptions import AirflowFailException

    from reco_airflow.alerts import FailureAlert

    alert = FailureAlert()
    alert.notify(context(AirflowFailException("data checks FAILED: 1 of 40\n  ventes  row count")))
    alert.notify(context(RuntimeError("second failure, same notifier")))  # no state kept between calls
    first, second = inbox.messages
    assert first["Subject"] == "[reco-materiaux] reco_training.gate failed: data checks FAILED: 1 of 40"
    assert first["X-Envelope-To"] == "ops@example.com, data@example.com"
    assert "ventes  row count" in Inbox.body(first)
    assert second["Subject"].endswith("RuntimeError: second failure, same notifier")


SMTP_PASSWORD = "Smtp-s3cret-pa55"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback relay
def test_an_authenticated_alert_never_shows_the_smtp_password(airflow_home, monkeypatch, caplog):
    """The connection's password opens the relay, and appears in no log line nor in the mail."""
    import logging

    from reco_airflow.alerts import FailureAlert

    caplog.set_level(logging.DEBUG)
    with smtp_server(credentials=("airflow", SMTP_PASSWORD)) as (inbox, conn):
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", conn)
        monkeypatch.setenv("RECO_ALERT_EMAILS", "ops@example.com")
        FailureAlert().notify(context(RuntimeError("boom")))
        [message] = inbox.messages
    assert message["Subject"].endswith("RuntimeError: boom")
    assert "alert e-mailed to ops@example.com" in caplog.text
    assert SMTP_PASSWORD not in caplog.text and SMTP_PASSWORD not in message.as_string()
