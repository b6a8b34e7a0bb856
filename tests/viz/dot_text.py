"""Read back what tl.viz writes: DOT text -> nodes and edges, for the viz tests."""
import re

NODE_LINE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
EDGE_LINE = re.compile(r"^\s*(n\d+) -> (n\d+)(.*)$")


def parse(source):
    """DOT text -> ({node_id: (label_lines, attribute_text)}, [(source, target, attrs)])."""
    nodes, edges = {}, []
    for line in source.splitlines():
        match = NODE_LINE.match(line)
        if match:
            nodes[match.group(1)] = (match.group(2).split("\\n"), match.group(3))
            continue
        match = EDGE_LINE.match(line)
        if match:
            edges.append(match.groups())
    return nodes, edges


def by_title(nodes, title):
    """Node ids whose first label line is ``title``."""
    return [node_id for node_id, (lines, _) in nodes.items() if lines[0] == title]


def titled_edges(nodes, edges):
    """Edges as sorted ``(source title, target title)`` pairs: easy to compare whole graphs."""
    return sorted((nodes[source][0][0], nodes[target][0][0]) for source, target, _ in edges)


def attribute(attrs, name):
    """The value of ``name=`` in a node's attribute text (quotes removed), or None."""
    match = re.search(rf'\b{name}=("(?:[^"\\]|\\.)*"|\S+)', attrs)
    return None if match is None else match.group(1).strip('"')
