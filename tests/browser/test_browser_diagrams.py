"""Every shipped diagram as the administrator's case page draws it (case_diagram.js, the bpmn-js viewer), measured
on the rendered SVG: each flow's name lies nearest its own edge, no two labels overlap, no label covers a shape it
does not belong to, no edge runs through a shape it does not connect, and the text is at least 10 px high at the
size the page opens at, at a desk and on a phone. Screenshots of each diagram go to tests/screenshots/."""

from pathlib import Path

import pytest
from lxml import etree

from tests.browser.conftest import SCREENSHOTS
from tests.scenarios import ADMIN, start_at_village

pytestmark = pytest.mark.browser

BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"
SHIPPED = sorted(str(path.relative_to(BPMN).with_suffix("")) for path in BPMN.glob("**/*.bpmn"))
DESK, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
MIN_TEXT_PX = 10
LABEL_GAP = 2  # labels closer than this read as one (the deadline timers' used to touch)

# In the page: the rendered boxes in screen pixels. Edges are sampled along their drawn paths; a label is the text
# bpmn-js draws outside its element (events, gateways, flows), an element's own text is measured for its size.
MEASURE = """(kinds) => {
  const box = (r) => ({x: r.x, y: r.y, w: r.width, h: r.height});
  const shapes = {}, edges = {}, labels = {};
  const texts = [];
  for (const g of document.querySelectorAll("#diagram .djs-element")) {
    const id = g.dataset.elementId;
    const visual = g.querySelector(":scope > .djs-visual");
    if (id.endsWith("_label")) {
      const text = visual.querySelector("text");
      if (text && text.textContent.trim()) labels[id.slice(0, -6)] = box(text.getBoundingClientRect());
    } else if (kinds[id] === "sequenceFlow") {
      const path = visual.querySelector(":scope > path");
      const ctm = path.getScreenCTM(), length = path.getTotalLength(), points = [];
      for (let at = 0; at <= length; at += Math.max(1, length / 400)) {
        const p = path.getPointAtLength(at).matrixTransform(ctm);
        points.push([p.x, p.y]);
      }
      edges[id] = points;
    } else if (kinds[id] && !["participant", "lane"].includes(kinds[id])) {
      shapes[id] = box(visual.firstElementChild.getBoundingClientRect());
    }
    for (const text of visual.querySelectorAll("text")) {
      if (!text.textContent.trim()) continue;
      const m = text.getScreenCTM(), size = parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
      texts.push({id, text: text.textContent, px: size});
    }
  }
  return {shapes, edges, labels, texts};
}"""


def kinds(xml: bytes) -> dict[str, str]:
    """Element id → BPMN kind (sequenceFlow, userTask, lane, …) of every element of the diagram."""
    return {
        e.get("id"): etree.QName(e).localname
        for e in etree.fromstring(xml).iter()
        if isinstance(e.tag, str) and e.get("id") and "MODEL" in e.tag
    }


def overlap(a: dict, b: dict, slack: float = 0) -> bool:
    return (
        a["x"] + slack < b["x"] + b["w"]
        and b["x"] + slack < a["x"] + a["w"]
        and a["y"] + slack < b["y"] + b["h"]
        and b["y"] + slack < a["y"] + a["h"]
    )


def inside(point, shape: dict, slack: float = 2) -> bool:
    x, y = point
    return (
        shape["x"] + slack < x < shape["x"] + shape["w"] - slack
        and shape["y"] + slack < y < shape["y"] + shape["h"] - slack
    )


def distance(point, points) -> float:
    return min(((point[0] - x) ** 2 + (point[1] - y) ** 2) ** 0.5 for x, y in points)


def faults(drawn: dict, xml: bytes) -> list[str]:
    """The layout faults a reader sees in the rendered diagram, in words naming the elements."""
    flows = {
        f.get("id"): {f.get("sourceRef"), f.get("targetRef")} for f in etree.fromstring(xml).iter("{*}sequenceFlow")
    }
    shapes, edges, labels = drawn["shapes"], drawn["edges"], drawn["labels"]
    found = []
    for ref, points in edges.items():
        for shape_id, shape in shapes.items():
            if shape_id not in flows[ref] and any(inside(p, shape) for p in points):
                found.append(f"edge {ref} runs through {shape_id}")
    named = sorted(labels)
    for i, a in enumerate(named):
        for b in named[i + 1 :]:
            if overlap(labels[a], labels[b], slack=-LABEL_GAP):
                found.append(f"labels of {a} and {b} overlap or touch")
        for shape_id, shape in shapes.items():
            if shape_id != a and overlap(labels[a], shape, slack=1):
                found.append(f"label of {a} covers {shape_id}")
    for ref in named:
        if ref not in edges:
            continue
        label = labels[ref]
        centre = (label["x"] + label["w"] / 2, label["y"] + label["h"] / 2)
        own = distance(centre, edges[ref])
        nearer = [other for other, points in edges.items() if other != ref and distance(centre, points) < own]
        if nearer:
            found.append(f"label of {ref} is nearer {nearer[0]} than its own edge")
    return found


@pytest.fixture
def case_page(fresh, as_user, chromium, live_server):
    """`case_page(diagram, viewport)`: the administrator's page of a case drawing `diagram` (its path under
    processes/bpmn/, no suffix) as the page's own viewer does; the page and the diagram's XML."""
    case = start_at_village(as_user)
    contexts = []

    def open_with(diagram: str, viewport: dict):
        xml = (BPMN / f"{diagram}.bpmn").read_bytes()
        context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", "yibao2026")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        marks = {"xml": xml.decode("utf-8"), "version": 1, "completed": [], "active": [], "taken": []}
        page.route("**/diagram.json", lambda route: route.fulfill(json=marks))
        page.goto(f"/admin/instances/{case['id']}")
        page.wait_for_selector("#diagram[data-ready=true]")
        return page, xml

    yield open_with
    for context in contexts:
        context.close()


@pytest.mark.parametrize("diagram", SHIPPED)
def test_the_diagram_reads_cleanly_at_the_size_the_case_page_opens_it(case_page, diagram):
    page, xml = case_page(diagram, DESK)
    drawn = page.evaluate(MEASURE, kinds(xml))
    assert drawn["edges"] and drawn["shapes"]
    assert faults(drawn, xml) == []
    smallest = min(drawn["texts"], key=lambda t: t["px"])
    assert smallest["px"] >= MIN_TEXT_PX, smallest

    frame = page.locator(".diagram-frame")
    frame.evaluate("f => { f.style.maxHeight = 'none'; f.style.overflow = 'visible'; }")
    page.locator("#diagram").screenshot(path=str(SCREENSHOTS / f"diagram_{diagram.replace('/', '_')}.png"))


@pytest.mark.parametrize("diagram", SHIPPED)
def test_on_a_phone_the_diagram_keeps_its_text_readable_and_scrolls_in_its_frame(case_page, diagram):
    page, xml = case_page(diagram, PHONE)
    drawn = page.evaluate(MEASURE, kinds(xml))
    assert min(t["px"] for t in drawn["texts"]) >= MIN_TEXT_PX
    frame = page.locator(".diagram-frame")
    box = frame.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        "the frame fits the phone; the diagram scrolls in it"
    )
    assert frame.evaluate("f => f.scrollWidth > f.clientWidth"), "wider than a phone, the diagram scrolls in its frame"
    frame.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"diagram_{diagram.replace('/', '_')}_phone.png"))


def test_a_case_with_every_material_is_drawn_past_the_notice_without_marking_it_done(login, as_user, screenshot):
    case = start_at_village(as_user)
    page = login(ADMIN)
    page.goto(f"/admin/instances/{case['id']}")
    page.wait_for_selector("#diagram[data-ready=true]")
    marked = "(els) => els.map(e => e.dataset.elementId)"
    done = set(page.locator("#diagram .djs-element.done").evaluate_all(marked))
    assert "apply" in done and "materials" not in done, "no 一次性告知 issued, no 补正 taken"
    assert page.locator("#diagram .djs-element.active").evaluate_all(marked) == ["township_review"]
    current = page.locator("#diagram .djs-element.active").bounding_box()
    frame = page.locator(".diagram-frame").bounding_box()
    assert frame["x"] <= current["x"] and current["x"] + current["width"] <= frame["x"] + frame["width"]
    screenshot(page, "diagram_case_all_materials")
