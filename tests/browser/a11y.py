"""What the width and keyboard tests share: pages whose context lets axe-core in, the axe check and the
sideways-scroll measure.

axe-core comes from web/node_modules (npm, like bpmn-js) and is injected by the test; the pages' CSP allows no
inline script, so these contexts bypass it (test_browser_csp checks the policy itself).
"""

from pathlib import Path

from tests.browser.signin import sign_in

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SEVERE = ("serious", "critical")


def open_as(chromium, live_server, username: str, viewport: dict):
    """A page logged in as `username` at `viewport`, in a context of its own (the caller closes page.context)."""
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport, bypass_csp=True)
    context.set_default_timeout(15_000)
    return sign_in(context.new_page(), username)


def severe_violations(page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it stands, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ") + " " + n.failureSummary)}))"""
    )
    return [f"{v['id']} ({v['impact']}): {node}" for v in found if v["impact"] in SEVERE for node in v["nodes"]]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def widest_elements(page, limit: int) -> list[str]:
    """The elements reaching past `limit` px, to name in a failure."""
    return page.evaluate(
        """limit => [...document.querySelectorAll("body *")]
             .filter(e => e.getBoundingClientRect().right > limit + 1)
             .slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))""",
        limit,
    )
