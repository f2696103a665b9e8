"""Reference worker for the 医保信息平台 settlement split (topic `yibao-settlement`), on the unchanged
camunda-external-task-client-python3.

It fetches the settlement task of a case (approved amount and the claim's invoices), extends its lock while it
works, and completes it with 统筹 / 大病 / 救助 / 自付 (`hifp_pay`, `hifmi_pay`, `maf_pay`, `psn_cash_pay`, as
text with two places) computed by `split` from the parameters in settlement_rules.toml (see that file: the figures
are parameters of this worker, not policy). A claim it cannot split (no approved amount) is reported as a failure
with retries; the product shows an incident to administrators when none are left.

    YIBAO_URL=http://127.0.0.1:5000/engine-rest YIBAO_WORKER=settlement-fc YIBAO_SECRET=ybw.… \
        python workers/settlement.py
"""

import json
import os
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import requests
from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker

TOPIC = "yibao-settlement"
RULES = Path(__file__).with_name("settlement_rules.toml")
CENT = Decimal("0.01")
# Only what the split needs: the worker is not sent the applicant's ID number or anything else of the case.
VARIABLES = ["approved_amount", "details", "case_no", "assistance_recipient"]


def load_rules(path: Path = RULES) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def split(approved: Decimal, rules: dict[str, Any], assistance_recipient: bool = False) -> dict[str, str]:
    """The four parts of `approved`, each rounded to the cent, adding up to it exactly (自付 takes the rest)."""
    fund, critical, assistance = rules["fund"], rules["critical_illness"], rules["medical_assistance"]
    approved = _money(approved)
    above = max(approved - _money(fund["deductible"]), Decimal(0))
    hifp = min(_money(above * Decimal(fund["ratio"])), _money(fund["cap"]))
    remaining = approved - hifp
    hifmi = _money(max(remaining - _money(critical["threshold"]), Decimal(0)) * Decimal(critical["ratio"]))
    remaining -= hifmi
    maf = _money(remaining * Decimal(assistance["ratio"])) if assistance_recipient else Decimal("0.00")
    psn = approved - hifp - hifmi - maf
    return {
        "hifp_pay": f"{hifp:.2f}",
        "hifmi_pay": f"{hifmi:.2f}",
        "maf_pay": f"{maf:.2f}",
        "psn_cash_pay": f"{psn:.2f}",
    }


def _details(task: ExternalTask) -> dict[str, Any]:
    details = task.get_variable("details") or {}
    return json.loads(details) if isinstance(details, str) else details


def extend_lock(worker: ExternalTaskWorker, task: ExternalTask, milliseconds: int) -> None:
    """POST …/extendLock with the client's own headers (the client library has no call for it)."""
    client = worker.client
    response = requests.post(
        f"{client.external_task_base_url}/{task.get_task_id()}/extendLock",
        headers=client._get_headers(),
        json={"workerId": worker.worker_id, "newDuration": milliseconds},
        timeout=client.http_timeout_seconds,
    )
    response.raise_for_status()


def handler(worker: ExternalTaskWorker, rules: dict[str, Any]):
    def handle(task: ExternalTask) -> TaskResult:
        extend_lock(worker, task, 120_000)  # the split may wait on the platform: keep the task ours meanwhile
        approved = task.get_variable("approved_amount") or _details(task).get("total_amount")
        if not approved:
            return task.failure(
                "无核定金额，无法结算", f"case {task.get_business_key()}", max_retries=3, retry_timeout=60_000
            )
        parts = split(Decimal(str(approved)), rules, bool(task.get_variable("assistance_recipient")))
        return task.complete({name: {"value": value, "type": "String"} for name, value in parts.items()})

    return handle


def make_worker(base_url: str, name: str, secret: str, worker_id: str = "settlement-1", **config: Any):
    config = {
        "auth_basic": {"username": name, "password": secret},
        "maxTasks": 1,
        "lockDuration": 60_000,
        "asyncResponseTimeout": 20_000,
        "retries": 3,
        "retryTimeout": 60_000,
        "sleepSeconds": 1,
        **config,
    }
    return ExternalTaskWorker(worker_id=worker_id, base_url=base_url, config=config)


def main() -> None:
    worker = make_worker(os.environ["YIBAO_URL"], os.environ["YIBAO_WORKER"], os.environ["YIBAO_SECRET"])
    worker.subscribe(TOPIC, handler(worker, load_rules()), variables=VARIABLES)


if __name__ == "__main__":
    main()
