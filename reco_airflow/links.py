"""The gate's HTML report as an extra link of the task that judged the candidate.

Airflow 3 shows a task's extra links as buttons in the task instance's details. The link is
fixed once the task ends: the Task SDK calls `get_link` in the task's process and stores the URL
in XCom under the link's `xcom_key`; the api-server serializes only the link's name and that key
and reads the URL back from XCom, so no plugin has to be installed beside the api-server. The
task pushes the report's URI under REPORT_XCOM_KEY before deciding, so a candidate the gate
rejects gets its link too (the links are stored whatever the task's outcome).

A DAG run note would be another place, but a task cannot write one in Airflow 3.3: the execution
API that tasks talk to only reads notes, and the public REST API needs a user's token.

The URI is a file:// one, like the alert's: the report lives in the artifact store, which the
api-server does not serve. Browsers do not open file:// links from a web page; the button shows
the path to copy (or to open where the store is mounted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

REPORT_XCOM_KEY = "html_report"


class HtmlReportLink(BaseOperatorLink):
    """The URI the task pushed under REPORT_XCOM_KEY (empty, so no button, when it pushed none)."""

    name = "HTML report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        # The XCom backend the deployment configured, which the task pushed through.
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_value(ti_key=ti_key, key=REPORT_XCOM_KEY) or ""


def report_uri(report: Path) -> str:
    """The report's file:// URI (the path is absolute: the artifact root is resolved)."""
    return Path(report).absolute().as_uri()
