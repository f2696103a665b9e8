"""Valid test data built by the rules themselves (GB 11643 check digits), not copied numbers."""

from itertools import count

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def id_number(first17: str = "36098119800101123") -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + CHECK[total % 11]


def applicant(name="张三", first17="36098119800101123"):
    return {"name": name, "id_number": id_number(first17), "mobile": "13907951234"}


_invoice_numbers = count(36_000_000, 2)


def invoice_numbers() -> tuple[str, str]:
    """Two invoice numbers no earlier claim used: an invoice is reimbursed once (engine.cases.money)."""
    first = next(_invoice_numbers)
    return str(first), str(first + 1)


def reimbursement_details(visited_on="2026-10-08", numbers=None):
    """A claim of two invoices (120.50 + 80.00 = 200.50 元), with fresh invoice numbers unless given."""
    first, second = numbers or invoice_numbers()
    return {
        "medical_institution": "丰城市人民医院",
        "visit_date": visited_on,
        "invoices": [
            {"number": first, "amount": "120.50", "date": visited_on},
            {"number": second, "amount": "80.00", "date": visited_on},
        ],
        "total_amount": "200.50",
        "payee": {"bank_name": "中国农业银行丰城支行", "account_name": "张三", "account_no": "6228480012345678901"},
    }


def mandate(name="刘协理", first17="36098119850505234", relation="村（社区）医保协理员"):
    """The 委托 of a 帮办代办 application: the agent acting for the applicant and their relation."""
    return {"agent_name": name, "agent_id_number": id_number(first17), "relation": relation}
