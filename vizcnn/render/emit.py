"""The DOT emitter: a view model (see :func:`vizcnn.render.dot.view_model`) and a set of open
blocks in, Graphviz DOT text out.

It knows nothing of vizcnn's words, colours or structure, only how to show a set of open
modules: each leaf node goes to its visible box (itself, or the outermost closed module
around it), runs of identical chained closed siblings fold into one ×N box, tensor edges
between the same two boxes merge into one arrow, a tensor read at many ranks runs down a bus,
and the layout attributes follow the predicted layout work. The same emitter is written in
JavaScript (``vizcnn/render/viewer/emit.js``), line for line, so the offline viewer can open
and close blocks without Python; ``tests/test_viewer_emit.py`` proves both write the same
text.
"""

from __future__ import annotations

from typing import Any, Iterable

from vizcnn.views.collapse import fold_name

Model = dict[str, Any]
Box = dict[str, Any]


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _inner(text: str) -> str:
    """Text put inside an already quoted DOT string."""
    return quote(text)[1:-1]


def _html(text: str) -> str:
    """Text put inside an HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _thousands(value: int) -> str:
    return f"{value:,}"


def _boxes(vm: Model, opened: set[str]) -> tuple[list[Box], dict[str, Any], list[str]]:
    """Boxes in order of their first node, the open clusters, and each node's box id."""
    boxes: dict[str, Box] = {}
    clusters: dict[str, Any] = {}
    box_of: list[str] = []
    for i, node in enumerate(vm["nodes"]):
        closed = None
        cluster = None
        for path in node["scope"]:
            if path not in opened:
                closed = path
                break
            if path not in clusters:
                clusters[path] = {"parent": cluster, "first": i}
            cluster = path
        key = node["id"] if closed is None else closed
        box = boxes.get(key)
        if box is None:
            if closed is None:
                box = {"id": key, "kind": "node", "cluster": cluster, "first": i, "node": i,
                       "modules": [], "members": [], "shortcut": node["shortcut"], "repeat": 1}
            else:
                box = {"id": key, "kind": "block", "cluster": cluster, "first": i, "node": -1,
                       "modules": [closed], "members": [],
                       "shortcut": vm["modules"][closed]["shortcut"], "repeat": 1}
            boxes[key] = box
        box["members"].append(i)
        box_of.append(key)
    return list(boxes.values()), clusters, box_of


def _fold(vm: Model, boxes: list[Box], clusters: dict[str, Any], box_of: list[str]
          ) -> list[Box]:
    """Replace runs of identical, chained, consecutive sibling blocks by one ×N box."""
    modules = vm["modules"]
    feeds = {(box_of[src], box_of[dst]) for src, dst, _ in vm["edges"]}
    items: dict[str | None, list[tuple[int, Box | None]]] = {}
    for box in boxes:
        items.setdefault(box["cluster"], []).append((box["first"], box))
    for cluster in clusters.values():
        items.setdefault(cluster["parent"], []).append((cluster["first"], None))
    replaced: dict[str, Box] = {}
    dropped: set[str] = set()
    for siblings in items.values():
        siblings.sort(key=lambda item: item[0])
        run: list[Box] = []
        for _, box in [*siblings, (0, None)]:
            if (box is not None and box["kind"] == "block" and run
                    and modules[box["id"]]["sig"] == modules[run[-1]["id"]]["sig"]
                    and (run[-1]["id"], box["id"]) in feeds):
                run.append(box)
                continue
            if len(run) > 1:
                first, last = run[0], run[-1]
                fold = {"id": f"{first['id']}..{last['id']}", "kind": "fold",
                        "cluster": first["cluster"], "first": first["first"], "node": -1,
                        "modules": [m for b in run for m in b["modules"]],
                        "members": [m for b in run for m in b["members"]],
                        "shortcut": all(b["shortcut"] for b in run), "repeat": len(run)}
                replaced[first["id"]] = fold
                dropped.update(b["id"] for b in run[1:])
                for member in fold["members"]:
                    box_of[member] = fold["id"]
            run = [box] if box is not None and box["kind"] == "block" else []
    return [replaced.get(b["id"], b) for b in boxes if b["id"] not in dropped]


def _arrows(vm: Model, box_of: list[str]) -> list[dict[str, Any]]:
    """One arrow per pair of different boxes, with the distinct shapes it carries."""
    arrows: dict[tuple[str, str], dict[str, Any]] = {}
    for src, dst, shape in vm["edges"]:
        a, b = box_of[src], box_of[dst]
        if a == b:
            continue
        arrow = arrows.get((a, b))
        if arrow is None:
            arrows[(a, b)] = {"src": a, "dst": b, "shapes": [shape]}
        elif shape not in arrow["shapes"]:
            arrow["shapes"].append(shape)
    return list(arrows.values())


def _ranks(boxes: list[Box], arrows: list[dict[str, Any]]) -> dict[str, int]:
    """Longest-path layering of the boxes over the arrows: what ``dot``'s ranking
    approximates, used to predict the layout work and to find the fan-outs worth a bus."""
    order = {b["id"]: i for i, b in enumerate(boxes)}
    incoming: dict[str, list[str]] = {}
    for arrow in arrows:
        if order[arrow["src"]] < order[arrow["dst"]]:   # a rare back arrow
            incoming.setdefault(arrow["dst"], []).append(arrow["src"])
    ranks: dict[str, int] = {}
    for box in boxes:
        ranks[box["id"]] = max((ranks[s] + 1 for s in incoming.get(box["id"], [])), default=0)
    return ranks


class _Emitter:
    """Writes the DOT text of one view model with one set of open modules."""

    def __init__(self, vm: Model, opened: Iterable[str], fold: bool) -> None:
        self.vm = vm
        boxes, self.clusters, self.box_of = _boxes(vm, set(opened))
        if fold:
            boxes = _fold(vm, boxes, self.clusters, self.box_of)
        self.boxes = {b["id"]: b for b in boxes}
        self.order = boxes
        self.arrows = _arrows(vm, self.box_of)
        self.ranks = _ranks(boxes, self.arrows)
        self.junctions: dict[str | None, list[str]] = {}
        self.lines: list[str] = []

    def _chain(self, cluster: str | None) -> list[str]:
        chain: list[str] = []
        while cluster is not None:
            chain.append(cluster)
            cluster = self.clusters[cluster]["parent"]
        return chain

    def _common_cluster(self, a: str | None, b: str | None) -> str | None:
        outer = set(self._chain(b))
        for path in self._chain(a):
            if path in outer:
                return path
        return None

    def _role(self, arrow: dict[str, Any]) -> str:
        """'identity' (a residual identity shortcut into its add), 'shortcut' (into, along or
        out of a projection or pooled shortcut) or '' (the main path)."""
        src, dst = self.boxes[arrow["src"]], self.boxes[arrow["dst"]]
        if src["shortcut"] or dst["shortcut"]:
            return "shortcut"
        if dst["kind"] == "node":
            source = self.vm["nodes"][dst["node"]]["identity"]
            if source >= 0 and self.box_of[source] == src["id"]:
                return "identity"
        return ""

    def _shape_label(self, arrow: dict[str, Any]) -> str:
        """The shapes an arrow carries. Big graphs label only where the shape changes (a
        norm or activation passes its input's shape on), which halves the clutter."""
        if not self.vm["show_shapes"]:
            return ""
        src = self.boxes[arrow["src"]]
        if (len(self.boxes) > self.vm["limits"]["shape_changes_only"] and src["kind"] == "node"
                and self.vm["nodes"][src["node"]]["passes"]):
            return ""
        return ", ".join(self.vm["shapes"][s] for s in arrow["shapes"])

    def _edges(self) -> list[dict[str, Any]]:
        """The DOT edges: one per arrow, except that a tensor read at many different ranks
        (DenseNet's concatenations) runs down one bus that taps into each reader. That is
        how the dense connectivity reads best, and it turns the O(n²) long edges ``dot``
        must place into O(n)."""
        vm = self.vm
        lines: list[dict[str, Any]] = []
        fan: dict[str, list[dict[str, Any]]] = {}
        for arrow in self.arrows:
            role = self._role(arrow)
            if role:
                text = self._shape_label(arrow)
                if role == "identity":
                    text = f"{vm['identity_word']} {text}".strip()
                attrs = [list(pair) for pair in vm["shortcut_attrs"]]
                if role == "identity":
                    attrs += [list(pair) for pair in vm["identity_ports"]]
                lines.append({"src": arrow["src"], "dst": arrow["dst"], "attrs": attrs,
                              "label": text, "dashed": True})
                continue
            fan.setdefault(arrow["src"], []).append(arrow)
        for src, arrows in fan.items():
            by_rank: dict[int, list[dict[str, Any]]] = {}
            for arrow in arrows:
                by_rank.setdefault(self.ranks[arrow["dst"]], []).append(arrow)
            if len(by_rank) < vm["limits"]["bus_ranks"]:
                lines += [{"src": a["src"], "dst": a["dst"], "attrs": [],
                           "label": self._shape_label(a), "dashed": False} for a in arrows]
                continue
            previous, text = src, self._shape_label(arrows[0])
            src_cluster = self.boxes[src]["cluster"]
            for k, rank in enumerate(sorted(by_rank)):
                taps = by_rank[rank]
                junction = f"{src}::bus{k}"
                cluster = src_cluster
                for arrow in taps:
                    cluster = self._common_cluster(cluster, self.boxes[arrow["dst"]]["cluster"])
                self.junctions.setdefault(cluster, []).append(junction)
                lines.append({"src": previous, "dst": junction, "attrs": [["dir", "none"]],
                              "label": text if k == 0 else "", "dashed": False})
                lines += [{"src": junction, "dst": a["dst"], "attrs": [], "label": "",
                           "dashed": False} for a in taps]
                previous = junction
        return lines

    def _virtual_nodes(self, lines: list[dict[str, Any]]) -> int:
        """Predicted virtual nodes ``dot`` creates for these edges (a junction sits one rank
        above its first reader)."""
        ranks = dict(self.ranks)
        for line in lines:
            if line["src"] not in self.boxes and line["dst"] in self.boxes:
                below = ranks[line["dst"]]
                ranks[line["src"]] = min(ranks.get(line["src"], below), below - 1)
        total = 0
        for line in lines:
            if line["src"] in ranks and line["dst"] in ranks:
                total += max(0, abs(ranks[line["dst"]] - ranks[line["src"]]) - 1)
        return total

    def _layout(self, virtual: int) -> list[list[str]]:
        for most, attrs in self.vm["tiers"]:
            if virtual <= most:
                return attrs
        return self.vm["tiers"][-1][1]

    def _body(self, box: Box) -> str:
        modules = self.vm["modules"]
        if box["kind"] == "node":
            return self.vm["nodes"][box["node"]]["body"]
        if box["kind"] == "block":
            return modules[box["id"]]["body"]
        names = box["modules"]
        text = modules[names[0]]["fold"]
        total = {key: sum(modules[m][key] for m in names) for key in ("params", "macs", "flops")}
        return (text.replace("⟦name⟧", _html(fold_name(names[0], names[-1])))
                .replace("⟦repeat⟧", str(box["repeat"]))
                .replace("⟦head⟧", _inner(", ".join(names)))
                .replace("⟦params⟧", _thousands(total["params"]))
                .replace("⟦macs⟧", _thousands(total["macs"]))
                .replace("⟦flops⟧", _thousands(total["flops"])))

    def _children(self) -> dict[str | None, list[tuple[int, Any]]]:
        """What each cluster holds (boxes and sub-clusters), in execution order, so that
        ``dot``'s initial order, and so the left-to-right order of branches, follows the
        model's code."""
        children: dict[str | None, list[tuple[int, Any]]] = {}
        first: dict[str, int] = {}
        for box in self.order:
            at = box["first"]
            children.setdefault(box["cluster"], []).append((at, box))
            for path in self._chain(box["cluster"]):
                first[path] = min(first.get(path, at), at)
        for path, cluster in self.clusters.items():
            if path in first:
                children.setdefault(cluster["parent"], []).append((first[path], path))
        for items in children.values():
            items.sort(key=lambda item: item[0])
        return children

    def _emit_cluster(self, path: str | None, children: dict[str | None, list[tuple[int, Any]]],
                      indent: str) -> None:
        for junction in self.junctions.get(path, []):
            self.lines.append(f"{indent}{quote(junction)} {self.vm['junction']}")
        for _, item in children.get(path, []):
            if isinstance(item, dict):
                self.lines.append(f"{indent}{quote(item['id'])} [{self._body(item)}];")
                continue
            self.lines.append(f"{indent}subgraph {quote('cluster_' + item)} {{")
            self.lines.append(f"{indent}  {self.vm['modules'][item]['frame']}")
            self._emit_cluster(item, children, indent + "  ")
            self.lines.append(f"{indent}}}")

    def _legend(self, shortcuts: bool) -> None:
        vm, legend = self.vm, self.vm["legend"]
        kinds = {vm["nodes"][b["node"]]["kind"] if b["kind"] == "node" else "block"
                 for b in self.order}
        rows = "".join(row for members, row in legend["rows"]
                       if any(kind in kinds for kind in members))
        if shortcuts:
            rows += legend["shortcut_row"]
        marked = any(vm["nodes"][b["node"]]["marked"] if b["kind"] == "node"
                     else vm["modules"][b["modules"][0]]["marked"] for b in self.order)
        if marked or any(vm["modules"][path]["marked"] for path in self.clusters):
            rows += legend["key_row"]
        self.lines += [*legend["head"], legend["open"] + rows + legend["close"], "  }"]

    def write(self) -> str:
        vm = self.vm
        edges = self._edges()
        virtual = self._virtual_nodes(edges)
        labelled = any(e["label"] for e in edges)
        if labelled and virtual * 2 <= vm["limits"]["label"]:
            label_key = "label"      # labels double the ranks, so only when cheap
            virtual *= 2
        else:
            label_key = "xlabel"     # placed after layout: free for the layout
        attrs = [*vm["graph_attrs"], *self._layout(virtual)]
        self.lines = [vm["header"],
                      "  graph [" + ", ".join(f"{k}={v}" for k, v in attrs) + "];",
                      *vm["defaults"]]
        self._emit_cluster(None, self._children(), "  ")
        for edge in edges:
            pairs = list(edge["attrs"])
            if edge["label"]:
                pairs.append([label_key, quote(edge["label"])])
            body = ", ".join(f"{k}={v}" for k, v in pairs)
            self.lines.append(f"  {quote(edge['src'])} -> {quote(edge['dst'])}"
                              + (f" [{body}];" if body else ";"))
        if vm["legend"] is not None:
            self._legend(any(e["dashed"] for e in edges))
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def drawn(vm: Model, opened: Iterable[str], fold: bool = True
          ) -> tuple[list[Box], dict[str, Any], list[str], list[dict[str, Any]]]:
    """What :func:`emit` draws, before any text: the boxes in order, the open clusters, each
    node's box id (by node index) and the arrows (tests/test_viewer_emit.py checks that
    :func:`vizcnn.views.collapse.collapse` groups a trace the same way)."""
    e = _Emitter(vm, opened, fold)
    return e.order, e.clusters, e.box_of, e.arrows


def emit(vm: Model, opened: Iterable[str], fold: bool = True) -> str:
    """DOT text of the view model ``vm`` with the modules in ``opened`` drawn open (every
    other module is one box) and, with ``fold``, runs of identical closed blocks folded."""
    return _Emitter(vm, opened, fold).write()


__all__ = ["drawn", "emit", "quote"]
