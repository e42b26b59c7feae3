"""The likeliest culprit in the service graph: who calls it (blast radius), what it calls.

Callers are walked outwards as a tree, each service placed once at its shortest
distance, so the shape of the blast radius reads top-down: the users of the culprit,
then their users. Services that are alerting in this incident are marked, with their
catalog tier, because that is what decides who else to wake.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from oncall.model import Catalog, Incident
from oncall.topology import Topology
from oncall.tui.text import safe

DEPENDS_ON_HOPS = 2


class TopologyPane(Vertical):
    def __init__(self, incident: Incident, topology: Topology, catalog: Catalog | None) -> None:
        super().__init__(id="topology-pane")
        self.incident = incident
        self.topology = topology
        self.catalog = catalog

    @property
    def culprit(self) -> str:
        if self.incident.hypotheses:
            return self.incident.hypotheses[0].service
        return self.incident.services[0] if self.incident.services else "?"

    def compose(self) -> ComposeResult:
        yield Static(id="blast", classes="hint")
        tree: Tree[str] = Tree("", id="topology-tree")
        yield tree

    def on_mount(self) -> None:
        self.show(self.incident, self.topology, self.catalog)

    def show(self, incident: Incident, topology: Topology, catalog: Catalog | None) -> None:
        """Rebuilds the tree in place from the incident's likeliest culprit."""
        self.incident, self.topology, self.catalog = incident, topology, catalog
        radius = incident.impact.blast_radius if incident.impact else []
        head = Text(f"blast radius: {len(radius)} service(s)", style="bold")
        if radius:
            head.append(": ")
            head.append(safe(", ".join(radius), limit=300))
        self.query_one("#blast", Static).update(head)
        tree = self.query_one("#topology-tree", Tree)
        tree.clear()
        tree.root.set_label(self._label(self.culprit, "likeliest cause"))
        if self.culprit not in self.topology:
            tree.root.add_leaf(Text("not in the dependency graph (no catalog edge or trace)",
                                    style="italic"))
            tree.root.expand()
            return
        callers = tree.root.add(Text("called by (blast radius)", style="bold"), expand=True)
        self._grow(callers, self.culprit, self.topology.callers, 99)
        callees = tree.root.add(Text("depends on", style="bold"), expand=True)
        self._grow(callees, self.culprit, self.topology.callees, DEPENDS_ON_HOPS)
        tree.root.expand()

    def _grow(self, parent: TreeNode[str], start: str, graph: dict[str, set[str]],
              max_hops: int) -> None:
        """Breadth first from `start`: each service once, under its nearest neighbour."""
        placed = {start}
        queue: deque[tuple[str, TreeNode[str], int]] = deque([(start, parent, 0)])
        while queue:
            service, node, hops = queue.popleft()
            if hops >= max_hops:
                continue
            for nxt in sorted(graph.get(service, ())):
                if nxt in placed:
                    continue
                placed.add(nxt)
                child = node.add(self._label(nxt), data=nxt, expand=True)
                queue.append((nxt, child, hops + 1))
            if not node.children and node is not parent:
                node.allow_expand = False
        if not parent.children:
            parent.add_leaf(Text("none", style="dim"))

    def _label(self, service: str, note: str = "") -> Text:
        alerting = service in self.incident.services
        text = safe(service, style="bold red" if note else ("yellow" if alerting else ""),
                    limit=60)
        entity = self.catalog.get(service) if self.catalog else None
        if entity is not None and entity.tier is not None:
            text.append(f" tier {entity.tier}", style="dim")
        if alerting:
            text.append(" ! alerting", style="yellow")
        if note:
            text.append(f" ({note})", style="italic")
        return text
