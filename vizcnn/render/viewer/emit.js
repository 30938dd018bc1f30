/* The DOT emitter of vizcnn, in JavaScript: a view model and a set of open blocks in,
 * Graphviz DOT text out. A line-for-line port of vizcnn/render/emit.py (read its docstrings);
 * tests/test_viewer_emit.py runs both on every zoo model and compares their text. */
(function (root) {
  "use strict";

  function quote(text) {
    return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") + '"';
  }

  function inner(text) {
    return quote(text).slice(1, -1);
  }

  function html(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function thousands(value) {
    return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function rpartition(text) {
    const at = text.lastIndexOf(".");
    return at < 0 ? ["", text] : [text.slice(0, at), text.slice(at + 1)];
  }

  function foldName(first, last) {
    const [head, a] = rpartition(first);
    const [headB, b] = rpartition(last);
    const digits = /^[0-9]+$/;
    if (head === headB && digits.test(a) && digits.test(b)) {
      return `${first}–${b}`;
    }
    return `${first} … ${last}`;
  }

  function pairKey(a, b) {
    return a + "\u0000" + b;
  }

  function push(map, key, value) {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(value);
  }

  function boxesOf(vm, opened) {
    const boxes = new Map();
    const clusters = new Map();
    const boxOf = [];
    vm.nodes.forEach((node, i) => {
      let closed = null;
      let cluster = null;
      for (const path of node.scope) {
        if (!opened.has(path)) {
          closed = path;
          break;
        }
        if (!clusters.has(path)) clusters.set(path, { parent: cluster, first: i });
        cluster = path;
      }
      const key = closed === null ? node.id : closed;
      let box = boxes.get(key);
      if (box === undefined) {
        if (closed === null) {
          box = { id: key, kind: "node", cluster, first: i, node: i, modules: [], members: [],
                  shortcut: node.shortcut, repeat: 1 };
        } else {
          box = { id: key, kind: "block", cluster, first: i, node: -1, modules: [closed],
                  members: [], shortcut: vm.modules[closed].shortcut, repeat: 1 };
        }
        boxes.set(key, box);
      }
      box.members.push(i);
      boxOf.push(key);
    });
    return [Array.from(boxes.values()), clusters, boxOf];
  }

  function fold(vm, boxes, clusters, boxOf) {
    const modules = vm.modules;
    const feeds = new Set(vm.edges.map(([src, dst]) => pairKey(boxOf[src], boxOf[dst])));
    const items = new Map();
    for (const box of boxes) push(items, box.cluster, [box.first, box]);
    for (const cluster of clusters.values()) push(items, cluster.parent, [cluster.first, null]);
    const replaced = new Map();
    const dropped = new Set();
    for (const siblings of items.values()) {
      siblings.sort((x, y) => x[0] - y[0]);
      let run = [];
      for (const [, box] of [...siblings, [0, null]]) {
        if (box !== null && box.kind === "block" && run.length
            && modules[box.id].sig === modules[run[run.length - 1].id].sig
            && feeds.has(pairKey(run[run.length - 1].id, box.id))) {
          run.push(box);
          continue;
        }
        if (run.length > 1) {
          const first = run[0], last = run[run.length - 1];
          const folded = { id: `${first.id}..${last.id}`, kind: "fold", cluster: first.cluster,
                           first: first.first, node: -1,
                           modules: run.flatMap((b) => b.modules),
                           members: run.flatMap((b) => b.members),
                           shortcut: run.every((b) => b.shortcut), repeat: run.length };
          replaced.set(first.id, folded);
          for (const b of run.slice(1)) dropped.add(b.id);
          for (const member of folded.members) boxOf[member] = folded.id;
        }
        run = box !== null && box.kind === "block" ? [box] : [];
      }
    }
    return boxes.filter((b) => !dropped.has(b.id)).map((b) => replaced.get(b.id) || b);
  }

  function arrowsOf(vm, boxOf) {
    const arrows = new Map();
    for (const [src, dst, shape] of vm.edges) {
      const a = boxOf[src], b = boxOf[dst];
      if (a === b) continue;
      const key = pairKey(a, b);
      const arrow = arrows.get(key);
      if (arrow === undefined) {
        arrows.set(key, { src: a, dst: b, shapes: [shape] });
      } else if (!arrow.shapes.includes(shape)) {
        arrow.shapes.push(shape);
      }
    }
    return Array.from(arrows.values());
  }

  function ranksOf(boxes, arrows) {
    const order = new Map(boxes.map((b, i) => [b.id, i]));
    const incoming = new Map();
    for (const arrow of arrows) {
      if (order.get(arrow.src) < order.get(arrow.dst)) push(incoming, arrow.dst, arrow.src);
    }
    const ranks = new Map();
    for (const box of boxes) {
      let rank = 0;
      for (const s of incoming.get(box.id) || []) rank = Math.max(rank, ranks.get(s) + 1);
      ranks.set(box.id, rank);
    }
    return ranks;
  }

  class Emitter {
    constructor(vm, opened, folding) {
      this.vm = vm;
      let [boxes, clusters, boxOf] = boxesOf(vm, new Set(opened));
      this.clusters = clusters;
      this.boxOf = boxOf;
      if (folding) boxes = fold(vm, boxes, clusters, boxOf);
      this.boxes = new Map(boxes.map((b) => [b.id, b]));
      this.order = boxes;
      this.arrows = arrowsOf(vm, boxOf);
      this.ranks = ranksOf(boxes, this.arrows);
      this.junctions = new Map();
      this.lines = [];
    }

    chain(cluster) {
      const chain = [];
      while (cluster !== null) {
        chain.push(cluster);
        cluster = this.clusters.get(cluster).parent;
      }
      return chain;
    }

    commonCluster(a, b) {
      const outer = new Set(this.chain(b));
      for (const path of this.chain(a)) {
        if (outer.has(path)) return path;
      }
      return null;
    }

    role(arrow) {
      const src = this.boxes.get(arrow.src), dst = this.boxes.get(arrow.dst);
      if (src.shortcut || dst.shortcut) return "shortcut";
      if (dst.kind === "node") {
        const source = this.vm.nodes[dst.node].identity;
        if (source >= 0 && this.boxOf[source] === src.id) return "identity";
      }
      return "";
    }

    shapeLabel(arrow) {
      if (!this.vm.show_shapes) return "";
      const src = this.boxes.get(arrow.src);
      if (this.boxes.size > this.vm.limits.shape_changes_only && src.kind === "node"
          && this.vm.nodes[src.node].passes) return "";
      return arrow.shapes.map((s) => this.vm.shapes[s]).join(", ");
    }

    edges() {
      const vm = this.vm;
      const lines = [];
      const fan = new Map();
      for (const arrow of this.arrows) {
        const role = this.role(arrow);
        if (role) {
          let text = this.shapeLabel(arrow);
          if (role === "identity") text = `${vm.identity_word} ${text}`.trim();
          let attrs = vm.shortcut_attrs.map((pair) => pair.slice());
          if (role === "identity") attrs = attrs.concat(vm.identity_ports.map((p) => p.slice()));
          lines.push({ src: arrow.src, dst: arrow.dst, attrs, label: text, dashed: true });
          continue;
        }
        push(fan, arrow.src, arrow);
      }
      for (const [src, arrows] of fan) {
        const byRank = new Map();
        for (const arrow of arrows) push(byRank, this.ranks.get(arrow.dst), arrow);
        if (byRank.size < vm.limits.bus_ranks) {
          for (const a of arrows) {
            lines.push({ src: a.src, dst: a.dst, attrs: [], label: this.shapeLabel(a),
                         dashed: false });
          }
          continue;
        }
        let previous = src;
        const text = this.shapeLabel(arrows[0]);
        const srcCluster = this.boxes.get(src).cluster;
        const ranks = Array.from(byRank.keys()).sort((x, y) => x - y);
        ranks.forEach((rank, k) => {
          const taps = byRank.get(rank);
          const junction = `${src}::bus${k}`;
          let cluster = srcCluster;
          for (const arrow of taps) {
            cluster = this.commonCluster(cluster, this.boxes.get(arrow.dst).cluster);
          }
          push(this.junctions, cluster, junction);
          lines.push({ src: previous, dst: junction, attrs: [["dir", "none"]],
                       label: k === 0 ? text : "", dashed: false });
          for (const a of taps) {
            lines.push({ src: junction, dst: a.dst, attrs: [], label: "", dashed: false });
          }
          previous = junction;
        });
      }
      return lines;
    }

    virtualNodes(lines) {
      const ranks = new Map(this.ranks);
      for (const line of lines) {
        if (!this.boxes.has(line.src) && this.boxes.has(line.dst)) {
          const below = ranks.get(line.dst);
          const known = ranks.has(line.src) ? ranks.get(line.src) : below;
          ranks.set(line.src, Math.min(known, below - 1));
        }
      }
      let total = 0;
      for (const line of lines) {
        if (ranks.has(line.src) && ranks.has(line.dst)) {
          total += Math.max(0, Math.abs(ranks.get(line.dst) - ranks.get(line.src)) - 1);
        }
      }
      return total;
    }

    layout(virtual) {
      for (const [most, attrs] of this.vm.tiers) {
        if (virtual <= most) return attrs;
      }
      return this.vm.tiers[this.vm.tiers.length - 1][1];
    }

    body(box) {
      const modules = this.vm.modules;
      if (box.kind === "node") return this.vm.nodes[box.node].body;
      if (box.kind === "block") return modules[box.id].body;
      const names = box.modules;
      const text = modules[names[0]].fold;
      const total = {};
      for (const key of ["params", "macs", "flops"]) {
        total[key] = names.reduce((sum, m) => sum + modules[m][key], 0);
      }
      return text.split("⟦name⟧").join(html(foldName(names[0], names[names.length - 1])))
        .split("⟦repeat⟧").join(String(box.repeat))
        .split("⟦head⟧").join(inner(names.join(", ")))
        .split("⟦params⟧").join(thousands(total.params))
        .split("⟦macs⟧").join(thousands(total.macs))
        .split("⟦flops⟧").join(thousands(total.flops));
    }

    children() {
      const children = new Map();
      const first = new Map();
      for (const box of this.order) {
        const at = box.first;
        push(children, box.cluster, [at, box]);
        for (const path of this.chain(box.cluster)) {
          first.set(path, Math.min(first.has(path) ? first.get(path) : at, at));
        }
      }
      for (const [path, cluster] of this.clusters) {
        if (first.has(path)) push(children, cluster.parent, [first.get(path), path]);
      }
      for (const items of children.values()) items.sort((x, y) => x[0] - y[0]);
      return children;
    }

    emitCluster(path, children, indent) {
      for (const junction of this.junctions.get(path) || []) {
        this.lines.push(`${indent}${quote(junction)} ${this.vm.junction}`);
      }
      for (const [, item] of children.get(path) || []) {
        if (typeof item === "object") {
          this.lines.push(`${indent}${quote(item.id)} [${this.body(item)}];`);
          continue;
        }
        this.lines.push(`${indent}subgraph ${quote("cluster_" + item)} {`);
        this.lines.push(`${indent}  ${this.vm.modules[item].frame}`);
        this.emitCluster(item, children, indent + "  ");
        this.lines.push(`${indent}}`);
      }
    }

    legend(shortcuts) {
      const vm = this.vm, legend = this.vm.legend;
      const kinds = new Set(this.order.map(
        (b) => (b.kind === "node" ? vm.nodes[b.node].kind : "block")));
      let rows = legend.rows.filter(([members]) => members.some((k) => kinds.has(k)))
        .map(([, row]) => row).join("");
      if (shortcuts) rows += legend.shortcut_row;
      const marked = this.order.some((b) => (b.kind === "node" ? vm.nodes[b.node].marked
        : vm.modules[b.modules[0]].marked));
      if (marked || Array.from(this.clusters.keys()).some((p) => vm.modules[p].marked)) {
        rows += legend.key_row;
      }
      this.lines.push(...legend.head, legend.open + rows + legend.close, "  }");
    }

    write() {
      const vm = this.vm;
      const edges = this.edges();
      let virtual = this.virtualNodes(edges);
      const labelled = edges.some((e) => e.label);
      let labelKey;
      if (labelled && virtual * 2 <= vm.limits.label) {
        labelKey = "label";
        virtual *= 2;
      } else {
        labelKey = "xlabel";
      }
      const attrs = [...vm.graph_attrs, ...this.layout(virtual)];
      this.lines = [vm.header, "  graph [" + attrs.map(([k, v]) => `${k}=${v}`).join(", ") + "];",
                    ...vm.defaults];
      this.emitCluster(null, this.children(), "  ");
      for (const edge of edges) {
        const pairs = edge.attrs.slice();
        if (edge.label) pairs.push([labelKey, quote(edge.label)]);
        const body = pairs.map(([k, v]) => `${k}=${v}`).join(", ");
        this.lines.push(`  ${quote(edge.src)} -> ${quote(edge.dst)}`
                        + (body ? ` [${body}];` : ";"));
      }
      if (vm.legend !== null) this.legend(edges.some((e) => e.dashed));
      this.lines.push("}");
      return this.lines.join("\n") + "\n";
    }
  }

  function emit(vm, opened, folding = true) {
    return new Emitter(vm, opened, folding).write();
  }

  const api = { emit, foldName, quote, Emitter };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.vizcnnEmit = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
