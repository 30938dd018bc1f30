"""The viewer's nested layout (vizcnn/render/viewer/nest.js), run in node with the vendored
Graphviz (WASM) the browser runs: every level is laid out, each open block's box at the level
above gets exactly the size of its own drawing, every edge that crosses a frame meets it at a
port right over the anchor the inner edge starts from, and the put-together picture draws
each visible box once, with no anchor or placeholder left in it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import torch
from torch import nn

import vizcnn
from densenet_like import densenet121_like
from vizcnn.render.dot import GraphOptions, LAYOUT_FONT, view_model
from vizcnn.views.collapse import open_modules

VIEWER = Path(vizcnn.__file__).parent / "render" / "viewer"
NODE = shutil.which("node")

# For each case: lay every level out, innermost first; at each level, for each open child's
# placeholder, the drawn size against the child's, and the ends of the edges at its ports
# against the ports' places; then the titles of the boxes in the composed picture.
SCRIPT = r"""
const [nestPath, vizPath, dataPath] = process.argv.slice(1);
const N = require(nestPath), Viz = require(vizPath), fs = require("fs");
const d = JSON.parse(fs.readFileSync(dataPath, "utf8"));
const unescape = (t) => t.replace(/&#45;/g, "-").replace(/&gt;/g, ">").replace(/&lt;/g, "<")
  .replace(/&quot;/g, '"').replace(/&amp;/g, "&");
Viz.instance().then((viz) => {
  const out = d.cases.map(([m, open, fold]) => {
    const plan = N.plan(d.models[m], open, fold);
    const parts = new Map();
    const report = { acyclic: plan.acyclic, levels: 0, size_error: 0, port_error: 0, rank_error: 0, ports: 0,
                     boxes: plan.boxes.map((b) => b.id), drawn: [] };
    for (const path of plan.order()) {
      const level = plan.levels.get(path);
      const sizes = new Map(level.subs.map((s) => [s, parts.get(s).geo]));
      const svg = viz.renderString(plan.dot(path, sizes), { format: "svg" });
      parts.set(path, { svg, geo: N.geometry(svg, path !== null) });
      report.levels++;
      const places = new Map(N.own(plan, path, svg).places.map(([sub, left, top]) => [
        level.subIndex.get(sub), [sub, left, top]]));
      for (const e of svg.matchAll(/<g id="[^"]*" class="edge">\n<title>([^<]*)<\/title>\n<path[^>]* d="M([-\d.]+),([-\d.]+)[^"]*?([-\d.]+),([-\d.]+)"/g)) {
        const [tail, head] = unescape(e[1]).split("->");
        const check = (end, x, y, into) => {
          const m2 = /^::open:(\d+):([ns])$/.exec(end);
          if (!m2) return;
          const [sub, left, top] = places.get(Number(m2[1]));
          const geo = parts.get(sub).geo;
          const xs = (into ? geo.ins : geo.outs).map((p) => left + p);
          const ey = into ? top : top + geo.height;
          const dx = Math.min(...xs.map((p) => Math.abs(p - x)));
          report.port_error = Math.max(report.port_error, dx);
          if (Math.abs(ey - y) > report.rank_error) { report.rank_error = Math.abs(ey - y); report.worst = [into, y - ey, head, tail]; }
          report.ports++;
        };
        check(head, Number(e[4]), Number(e[5]), true);
        check(tail, Number(e[2]), Number(e[3]), false);
      }
      for (const p of svg.matchAll(/<title>::open:(\d+)<\/title>\n<polygon[^>]*points="([^"]*)"/g)) {
        const [sub] = places.get(Number(p[1]));
        const geo = parts.get(sub).geo;
        const xy = p[2].trim().split(/\s+/).map((q) => q.split(",").map(Number));
        const w = Math.max(...xy.map((q) => q[0])) - Math.min(...xy.map((q) => q[0]));
        const h = Math.max(...xy.map((q) => q[1])) - Math.min(...xy.map((q) => q[1]));
        report.size_error = Math.max(report.size_error, Math.abs(w - geo.width),
                                     Math.abs(h - (geo.height - 2)));
      }
    }
    const picture = N.compose(plan, parts);
    report.drawn = Array.from(picture.matchAll(/<g id="[^"]*" class="node">\n<title>([^<]*)<\/title>/g),
                              (t) => unescape(t[1]));
    report.frames = Array.from(picture.matchAll(/<title>cluster_([^<]*)<\/title>/g), (t) => t[1]);
    report.clusters = Array.from(plan.e.clusters.keys());
    return report;
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _cases() -> tuple[list[dict], list[tuple[int, list[str], bool]], list[str]]:
    models: list[dict] = []
    cases: list[tuple[int, list[str], bool]] = []
    names: list[str] = []
    traces = {name: vizcnn.trace(name, (1, 3, 224, 224)) for name in ("googlenet", "resnet50")}
    traces["densenet_like"] = vizcnn.trace(densenet121_like(), (1, 3, 224, 224))
    for name, trace in traces.items():
        models.append(view_model(trace, GraphOptions(), font=LAYOUT_FONT))
        views = [open_modules(trace, 2), open_modules(trace, None)]
        if name == "googlenet":
            views.append(open_modules(trace, 1, ["inception3a"]))
        for opened in views:
            for fold in (True, False):
                cases.append((len(models) - 1, opened, fold))
                names.append(f"{name} open={len(opened)} fold={fold}")
    return models, cases, names


def test_nested_layout_joins_every_edge_at_its_frame(tmp_path: Path) -> None:
    assert NODE is not None, "node is needed (Debian's nodejs; `make test` installs it)"
    models, cases, names = _cases()
    data = tmp_path / "cases.json"
    data.write_text(json.dumps({"models": models, "cases": cases}), encoding="utf-8")
    done = subprocess.run([NODE, "-e", SCRIPT, str(VIEWER / "nest.js"),
                           str(VIEWER / "vendor" / "viz-global.js"), str(data)],
                          capture_output=True, timeout=600, check=True, cwd=VIEWER)
    reports = json.loads(done.stdout)
    assert len(reports) == len(cases)
    ports = 0
    for name, report in zip(names, reports):
        assert report["acyclic"], name
        assert report["levels"] == len(report["clusters"]) + 1, name
        # a block's box at the level above is its drawing's size (the table is kept exactly)
        assert report["size_error"] <= 0.6, name
        # an edge into (out of) a block ends (starts) on its frame, over an anchor: within the
        # 1.5 pt the join from the frame to the anchor reaches past the frame
        assert report["port_error"] <= 1.0, name
        assert report["rank_error"] <= 1.5, (name, report["worst"])
        ports += report["ports"]
        # every visible box drawn once; no anchor, placeholder or frame title node left
        drawn = [t for t in report["drawn"] if "::bus" not in t and t != "vizcnn:legend"]
        assert sorted(drawn) == sorted(report["boxes"]), name
        frames = [f for f in report["frames"] if f != "vizcnn:legend"]
        assert sorted(frames) == sorted(report["clusters"]), name
    assert ports > 500   # the cases cross many frames


class _SharedBlock(nn.Module):
    """One block called twice with a layer between: the open block feeds ``mid`` and is fed
    by it, so no box at the top level can keep ports above (in) and below (out) it."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.mid = nn.Conv2d(8, 8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.mid(self.block(self.stem(x))))


def test_a_block_fed_from_below_is_laid_out_flat() -> None:
    trace = vizcnn.trace(_SharedBlock(), (1, 3, 32, 32))
    vm = view_model(trace, GraphOptions(), font=LAYOUT_FONT)
    script = ("const N = require(process.argv[1]); const d = JSON.parse(process.argv[2]);"
              "process.stdout.write(JSON.stringify(d.opens.map((o) => N.plan(d.vm, o).acyclic)));")
    done = subprocess.run([NODE, "-e", script, str(VIEWER / "nest.js"),
                           json.dumps({"vm": vm, "opens": [["block"], []]})],
                          capture_output=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [False, True]   # open: flat; closed: nested
