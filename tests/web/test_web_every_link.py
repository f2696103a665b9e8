"""Every link on every page, for each demo role (issue 15): crawled from the role's start page over same-origin GET
links (bounded in count, a few query variants per address), with cases in every state about — running, missing
materials, rejected, suspended, terminated, concluded — so that their case, task and print pages are among those
followed. No link may answer JSON, a 404 or a 500, or any other refusal: a link a page offers must open.
"""

import re
from collections import deque
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests.scenarios import ADMIN, ALL_MATERIALS, concluded_case, only_task, start_at_village, work
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

ROLES = [
    "qujiangcun.village_agent",
    "qujiang.township_clerk",
    "qujiang.supervisor",
    "fc-centre.centre_reviewer",
    "fc-centre.centre_payer",
    "fc-centre.archivist",
    "fengcheng.admin",
    "fengcheng.designer",
    "platform.admin",
]
MAX_PAGES = 160
VARIANTS_PER_PATH = 3  # the same address with other query strings (pages, filters): a few are enough
LINK = re.compile(r'<a\s[^>]*?href="([^"#]+)', re.IGNORECASE)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
STATES = ("running", "missing", "rejected", "suspended", "terminated", "concluded")


@pytest.fixture
def world(as_user):
    """A case of 门诊费用报销 in each state, by state; one 乡镇初审 claimed, so that 我的待办 lists it."""
    cases = {"concluded": concluded_case(as_user)}
    cases["rejected"] = start_at_village(as_user)
    work(as_user("qujiang.township_clerk"), "乡镇初审", {"decision": "reject", "reason": "发票与清单不符"})
    cases["missing"] = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    cases["suspended"] = start_at_village(as_user)
    admin = as_user(ADMIN)
    assert admin.post(f"/api/admin/instances/{cases['suspended']['id']}/suspend", json={}).status_code == 200
    cases["terminated"] = start_at_village(as_user)
    terminated = admin.post(
        f"/api/admin/instances/{cases['terminated']['id']}/terminate", json={"reason": "申请人撤回"}
    )
    assert terminated.status_code == 200
    cases["running"] = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    review = only_task(township, "乡镇初审")
    assert township.post(f"/api/tasks/{review['id']}/claim").status_code == 200
    return cases


def same_origin(href: str) -> str | None:
    """The path and query of a link to this site; None for another host, a mail link or a script."""
    href = unescape(href.strip())
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(app, username: str) -> dict[str, int]:
    """Every address reached from the role's start page: address → status of its answer."""
    client, _ = page_login(app, username)
    seen: dict[str, int] = {}
    variants: dict[str, int] = {}
    queue = deque([("/", "登录后")])
    found_on: dict[str, str] = {}
    problems = []
    while queue and len(seen) < MAX_PAGES:
        url, parent = queue.popleft()
        if url in seen:
            continue
        answer = client.get(url, headers=BROWSER)
        seen[url] = answer.status_code
        found_on.setdefault(url, parent)
        if answer.status_code in (301, 302, 303):
            target = same_origin(answer.headers["Location"].replace("http://localhost", ""))
            if target:
                queue.appendleft((target, parent))
            continue
        text = answer.mimetype.startswith("text/") or answer.is_json
        body = answer.get_data(as_text=True) if text else ""
        if answer.is_json or body.lstrip().startswith(("{", "[")) or answer.status_code != 200:
            problems.append(f"{url} (linked on {found_on[url]}) → {answer.status_code} {answer.mimetype}: {body[:160]}")
            continue
        if answer.mimetype != "text/html":
            continue  # a scan, a spreadsheet or a diagram file
        for href in LINK.findall(body):
            link = same_origin(href)
            if link is None or link in seen:
                continue
            path = urlsplit(link).path
            if "?" in link:
                if variants.get(path, 0) >= VARIANTS_PER_PATH:
                    continue
                variants[path] = variants.get(path, 0) + 1
            queue.append((link, url))
    assert not problems, f"{username}: links that do not open:\n" + "\n".join(problems)
    return seen


def opened(seen: dict[str, int], pattern: str) -> set[str]:
    return {url for url, status in seen.items() if status == 200 and re.fullmatch(pattern, url)}


def test_every_link_of_every_role_opens_a_page(app, world):
    reached = {username: crawl(app, username) for username in ROLES}

    agent = reached["qujiangcun.village_agent"]
    for state in STATES:
        case_id = world[state]["id"]
        assert f"/cases/{case_id}" in agent, f"the agent never reached the {state} case"
        assert opened(agent, rf"/api/instances/{case_id}/documents/[a-z_]+"), f"no notice of the {state} case"
    notices = {url.rsplit("/", 1)[1] for url in opened(agent, r"/api/instances/\d+/documents/[a-z_]+")}
    assert {"receipt", "missing_materials", "rejection", "conclusion"} <= notices
    assert opened(agent, r"/tasks/[^/]+"), "the agent reached no task page (一次性告知, 出件)"
    assert opened(reached["qujiang.township_clerk"], r"/tasks/[^/]+")

    admin = reached["fengcheng.admin"]
    for state in STATES:
        assert f"/admin/instances/{world[state]['id']}" in admin, f"the administrator never reached the {state} case"
    assert len(reached["platform.admin"]) > 10 and len(reached["fengcheng.designer"]) > 3
