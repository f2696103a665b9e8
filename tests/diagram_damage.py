"""Randomly damaged copies of diagrams, for tests that validation answers every damage with problems in words."""

from lxml import etree

BPMN_PROCESS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}process"


def damaged(root, rng, texts, executable=False):
    """A copy of `root` with one to four elements dropped, attributes removed or texts replaced by one of `texts`;
    `executable` marks every process executable afterwards."""
    copy = etree.fromstring(etree.tostring(root))
    elements = [element for element in copy.iter() if isinstance(element.tag, str)]
    for _ in range(rng.randint(1, 4)):
        element = rng.choice(elements)
        roll = rng.random()
        if roll < 0.3 and element.getparent() is not None:
            element.getparent().remove(element)
        elif roll < 0.6 and element.attrib:
            del element.attrib[rng.choice(sorted(element.attrib))]
        else:
            element.text = rng.choice(texts)
    if executable:
        for process in copy.iter(BPMN_PROCESS):
            process.set("isExecutable", "true")
    return etree.tostring(copy)
