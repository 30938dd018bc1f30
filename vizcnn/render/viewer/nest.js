/* Nested layout of the viewer: each open block is laid out by Graphviz as a graph of its own
 * (its child boxes, and one anchor point for each tensor that enters or leaves it), and the
 * level above it sees it as one fixed-size box whose edges meet it at ports placed exactly over
 * those anchors. The drawings are then put together into one SVG: each block's drawing in the
 * box it was given, every edge crossing a frame joined at the frame's anchor.
 *
 * Why: one Graphviz layout of a whole big graph spends most of its time on the virtual nodes
 * long edges make (a fully opened DenseNet-169: ~20,000, ~1 s in WASM); laid out level by
 * level, a skip edge spans the few ranks of its own level, each level is small, and a click
 * lays out again only the opened block's inside and the levels above it (the other blocks'
 * layouts are kept by their DOT text). The boxes, frames, folds, buses and words are the flat
 * emitter's (emit.js): the static exports (PNG, PDF, SVG) stay one flat layout.
 *
 * A plan (vizcnnNest.plan) knows the levels of a view; plan.dot(level, sizes) writes a level's
 * DOT once the sizes of its open children are known, geometry() reads a laid-out level's size
 * and anchors, compose() puts the levels' SVG texts together. */
(function (root) {
  "use strict";

  const E = root.vizcnnEmit || (typeof require !== "undefined" ? require("./emit.js") : null);
  const quote = E.quote;
  const ANCHOR = 'shape=point, width=0.01, height=0.01, style=filled, color="#555555", '
    + 'fillcolor="#555555", label=""';
  const PLACE_FILL = "#fffffe";   // the one colour that marks where an open child goes

  function push(map, key, value) {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(value);
  }

  const entryName = (i) => `::in:${i}`;
  const exitName = (i) => `::out:${i}`;
  const placeName = (i) => `::open:${i}`;
  const TITLE = "::title";
  // Edge labels as ``label`` make room for themselves but double a layout's ranks (and its
  // virtual nodes); past this much work they are ``xlabel``s, placed after the layout (a dense
  // block of 32 layers: 0.17 s against 0.77 s in WASM).
  const LABEL_WORK = 1000;
  const MARGIN = 8;
  const JOIN = 1.5;   // pt a join runs past the frame and the anchor it links   // pt between a frame and what it holds, as Graphviz leaves in a cluster

  /* A frame's DOT attributes (``label=<…>; style=…; color=…; …``) as a map. */
  function frameOf(text) {
    const out = {};
    let rest = text;
    if (rest.startsWith("label=<")) {
      let depth = 0, i = 6;
      for (; i < rest.length; i++) {
        if (rest[i] === "<") depth++;
        else if (rest[i] === ">" && --depth === 0) break;
      }
      out.label = rest.slice(6, i + 1);
      rest = rest.slice(i + 1);
    }
    for (const part of rest.split(";")) {
      const at = part.indexOf("=");
      if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim().replace(/^"|"$/g, "");
    }
    return out;
  }

  class Plan {
    constructor(vm, opened, folding) {
      const e = new E.Emitter(vm, opened, folding);
      this.e = e;
      this.vm = vm;
      this.opened = Array.from(opened);
      this.folding = folding;
      this.boxOf = e.boxOf;
      this.boxes = e.order;
      const kids = e.children();
      this.levels = new Map();
      const make = (path) => {
        const items = kids.get(path) || [];
        const subs = items.filter(([, item]) => typeof item !== "object").map(([, p]) => p);
        this.levels.set(path, { path, items, subs, subIndex: new Map(subs.map((p, i) => [p, i])),
                                entries: [], entryIndex: new Map(), exits: [],
                                exitIndex: new Map(), segs: [], segKeys: new Map() });
      };
      make(null);
      for (const path of e.clusters.keys()) make(path);
      this.addSegments();
      this.acyclic = Array.from(this.levels.values()).every((level) => this.ranksOf(level));
    }

    /* What stands for box ``id`` at ``level``: the box itself, or the open child holding it. */
    itemAt(id, level) {
      const box = this.e.boxes.get(id);
      if (box.cluster === level) return { node: id, sub: null };
      const chain = this.e.chain(box.cluster);
      const k = level === null ? chain.length : chain.indexOf(level);
      return { node: null, sub: chain[k - 1] };
    }

    segment(level, seg) {
      const key = [seg.tail.node, seg.tail.sub, seg.head.node, seg.head.sub, seg.key].join("\u0000");
      const known = level.segKeys.get(key);
      if (known !== undefined) {
        for (const s of seg.shapes) if (!known.shapes.includes(s)) known.shapes.push(s);
        return;
      }
      level.segKeys.set(key, seg);
      level.segs.push(seg);
    }

    /* Every arrow of the flat view becomes a segment in the level holding both its ends, an
     * exit in each level it leaves and an entry in each level it enters. */
    addSegments() {
      const e = this.e;
      for (const arrow of e.arrows) {
        const a = arrow.src, b = arrow.dst;
        const role = e.role(arrow);
        let text = e.shapeLabel(arrow);
        if (role === "identity") text = `${this.vm.identity_word} ${text}`.trim();
        const from = e.boxes.get(a).cluster, to = e.boxes.get(b).cluster;
        const common = e.commonCluster(from, to);
        for (let k = from; k !== common; k = e.clusters.get(k).parent) {
          const level = this.levels.get(k);
          if (!level.exitIndex.has(a)) {
            level.exitIndex.set(a, level.exits.length);
            level.exits.push(a);
          }
          this.segment(level, { tail: { ...this.itemAt(a, k), key: a }, head: { exit: a },
                                key: a, role, shapes: [], main: false });
        }
        for (let k = to; k !== common; k = e.clusters.get(k).parent) {
          const level = this.levels.get(k);
          if (!level.entryIndex.has(a)) {
            level.entryIndex.set(a, level.entries.length);
            level.entries.push(a);
          }
          this.segment(level, { tail: { entry: a }, head: { ...this.itemAt(b, k), key: a },
                                key: a, role, shapes: [], main: false });
        }
        this.segment(this.levels.get(common), {
          tail: { ...this.itemAt(a, common), key: a }, head: { ...this.itemAt(b, common), key: a },
          key: a, role, shapes: text ? [text] : [], main: true,
          identity: role === "identity" });
      }
    }

    /* The rank of every item of a level (entries above all, at -1), longest path first;
     * false when the level's items feed each other round in a cycle (then the view is laid
     * out flat). */
    ranksOf(level) {
      const order = new Map(level.items.map(([, item], i) => [this.itemName(level, item), i]));
      const incoming = new Map();
      const at = (end) => (end.entry !== undefined ? -1 : end.exit !== undefined ? Infinity
        : order.get(this.endName(level, end)));
      for (const seg of level.segs) {
        const t = at(seg.tail), h = at(seg.head);
        if (h === Infinity) continue;
        if (t === h) continue;
        // an open child fed from below it: its ports (top in, bottom out) cannot be kept
        if (t > h && (seg.tail.sub || seg.head.sub)) return false;
        if (t < h) push(incoming, h, t);
      }
      const ranks = new Map([[-1, -1]]);
      level.items.forEach((_, i) => {
        let rank = 0;
        for (const s of incoming.get(i) || []) rank = Math.max(rank, ranks.get(s) + 1);
        ranks.set(i, rank);
      });
      level.rankOf = (end) => ranks.get(at(end));
      return true;
    }

    itemName(level, item) {
      return typeof item === "object" ? item.id : placeName(level.subIndex.get(item));
    }

    endName(level, end) {
      if (end.entry !== undefined) return entryName(level.entryIndex.get(end.entry));
      if (end.exit !== undefined) return exitName(level.exitIndex.get(end.exit));
      if (end.node !== null) return end.node;
      return placeName(level.subIndex.get(end.sub));
    }

    /* ``name:port:compass`` of a segment's end: an open child's port over its anchor. */
    endRef(level, end, tail) {
      const name = quote(this.endName(level, end));
      if (end.sub === null || end.sub === undefined) return name;
      const child = this.levels.get(end.sub);
      return tail ? `${name}:o${child.exitIndex.get(end.key)}:s`
        : `${name}:i${child.entryIndex.get(end.key)}:n`;
    }

    /* The levels, innermost first: a level comes after all its open children. */
    order() {
      const out = [];
      const visit = (path) => {
        for (const sub of this.levels.get(path).subs) visit(sub);
        out.push(path);
      };
      visit(null);
      return out;
    }

    /* The DOT text of a level; ``sizes`` maps each open child to its laid-out geometry. */
    dot(path, sizes) {
      const vm = this.vm, e = this.e;
      const level = this.levels.get(path);
      const lines = [];
      const junctions = [];
      const fan = new Map();
      const attrsOf = (seg) => {
        let attrs = seg.role ? vm.shortcut_attrs.map((p) => p.slice()) : [];
        if (seg.identity && seg.tail.sub === null && seg.head.sub === null) {
          attrs = attrs.concat(vm.identity_ports.map((p) => p.slice()));
        }
        if (seg.head.exit !== undefined || (seg.head.sub !== null && seg.head.sub !== undefined)) {
          attrs.push(["arrowhead", "none"]);
        }
        return attrs;
      };
      for (const seg of level.segs) {
        if (seg.role) {
          lines.push({ tail: this.endRef(level, seg.tail, true),
                       head: this.endRef(level, seg.head, false), attrs: attrsOf(seg),
                       label: seg.shapes.join(", ") });
          continue;
        }
        push(fan, this.endRef(level, seg.tail, true), seg);
      }
      let virtual = 0;
      for (const [tail, segs] of fan) {
        const byRank = new Map();
        for (const seg of segs) push(byRank, level.rankOf(seg.head), seg);
        const from = level.rankOf(segs[0].tail);
        if (byRank.size < vm.limits.bus_ranks) {
          for (const seg of segs) {
            const to = level.rankOf(seg.head);
            if (to !== undefined) virtual += Math.max(0, 2 * (to - from) - 1);
            lines.push({ tail, head: this.endRef(level, seg.head, false), attrs: attrsOf(seg),
                         label: seg.shapes.join(", ") });
          }
          continue;
        }
        let previous = tail, above = 2 * from;   // dot ranks: a bus's points between levels
        const text = segs.map((s) => s.shapes.join(", ")).find((t) => t) || "";
        const ranks = Array.from(byRank.keys()).sort((x, y) => x - y);
        ranks.forEach((rank, k) => {
          const junction = quote(`${tail}::bus${k}`);
          junctions.push(`${junction} ${vm.junction}`);
          lines.push({ tail: previous, head: junction, attrs: [["dir", "none"]],
                       label: k === 0 ? text : "" });
          virtual += Math.max(0, 2 * rank - 1 - above - 1);   // its point sits just above
          above = 2 * rank - 1;
          for (const seg of byRank.get(rank)) {
            lines.push({ tail: junction, head: this.endRef(level, seg.head, false),
                         attrs: attrsOf(seg), label: "" });
          }
          previous = junction;
        });
      }
      // the layout's work: its virtual nodes, the buses' points and the edges
      const work = virtual + junctions.length + lines.length;
      let labelKey = "xlabel";
      if (lines.some((l) => l.label) && work <= LABEL_WORK) labelKey = "label";
      const keep = path === null ? vm.graph_attrs
        : vm.graph_attrs.filter(([k]) => k !== "label" && k !== "labelloc");
      const attrs = [...keep, ...e.layout(work)];
      if (path !== null) attrs.push(["pad", "0"]);
      const out = [vm.header, "  graph [" + attrs.map(([k, v]) => `${k}=${v}`).join(", ") + "];",
                   ...vm.defaults];
      if (path !== null) {   // the frame's title on the top row, left of the entries
        const frame = frameOf(vm.modules[path].frame);
        const top = [`${quote(TITLE)} [shape=plaintext, style=solid, margin=0, height=0, `
                     + `fontsize=${frame.fontsize || 11}, label=${frame.label}];`];
        level.entries.forEach((_, i) => top.push(`${quote(entryName(i))} [${ANCHOR}];`));
        out.push("  { rank=min; " + top.join(" ") + " }");
        level.entries.forEach((_, i) => {
          out.push(`  ${quote(TITLE)} -> ${quote(entryName(i))} [style=invis];`);
        });
        if (level.exits.length) {
          out.push("  { rank=max; " + level.exits.map((_, i) => `${quote(exitName(i))} [${ANCHOR}];`)
            .join(" ") + " }");
        }
      }
      for (const j of junctions) out.push("  " + j);
      for (const [, item] of level.items) {
        if (typeof item === "object") {
          out.push(`  ${quote(item.id)} [${e.body(item)}];`);
        } else {
          out.push(`  ${quote(placeName(level.subIndex.get(item)))} [shape=plain, style=solid, `
                   + `label=<${placeholder(sizes.get(item))}>];`);
        }
      }
      for (const line of lines) {
        const pairs = line.attrs.slice();
        if (line.label) pairs.push([labelKey, quote(line.label)]);
        const body = pairs.map(([k, v]) => `${k}=${v}`).join(", ");
        out.push(`  ${line.tail} -> ${line.head}` + (body ? ` [${body}];` : ";"));
      }
      if (path === null && vm.legend !== null) {
        e.lines = [];
        e.legend(e.arrows.some((a) => e.role(a) !== ""));
        out.push(...e.lines);
      }
      out.push("}");
      return out.join("\n") + "\n";
    }
  }

  /* An open child at the level above: an invisible table of its size, with one 1-pt port cell
   * over each of its entry anchors (top row) and exit anchors (bottom row). */
  function placeholder(size) {
    const W = size.width, H = Math.max(3, size.height);
    const cell = (w, port) => `<TD${port ? ` PORT="${port}"` : ""} FIXEDSIZE="TRUE" WIDTH="${w}"`
      + ' HEIGHT="1"></TD>';
    const row = (xs, prefix) => {
      const cells = [];
      let at = 0;
      const sorted = xs.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
      for (const [x, i] of sorted) {
        const x0 = Math.min(W - 1, Math.max(at, Math.round(x - 0.5)));
        if (x0 > at) cells.push(cell(x0 - at));
        cells.push(cell(1, prefix + i));
        at = x0 + 1;
      }
      if (W > at) cells.push(cell(W - at));
      return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
        + cells.join("") + "</TR></TABLE>";
    };
    return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
      + `<TR><TD>${row(size.ins, "i")}</TD></TR>`
      + `<TR><TD BGCOLOR="${PLACE_FILL}" FIXEDSIZE="TRUE" WIDTH="${W}" HEIGHT="${H - 2}"></TD></TR>`
      + `<TR><TD>${row(size.outs, "o")}</TD></TR></TABLE>`;
  }

  const NUM = "(-?[\\d.]+)";
  const VIEWBOX = new RegExp(`viewBox="${NUM} ${NUM} ${NUM} ${NUM}"`);
  const ORIGIN = new RegExp(`class="graph" transform="[^"]*translate\\(${NUM} ${NUM}\\)"`);
  const ANCHORS = new RegExp(`<g id="[^"]*" class="node">\\n<title>::(in|out):(\\d+)</title>\\n`
    + `<ellipse[^>]*cx="${NUM}" cy="${NUM}"[^>]*/>\\n</g>\\n`, "g");
  const PLACES = new RegExp(`<g id="[^"]*" class="node">\\n<title>::open:(\\d+)</title>\\n`
    + `<polygon fill="${PLACE_FILL}" stroke="[^"]*" points="([^"]*)"/>\\n</g>\\n`, "g");
  const TITLE_NODE = /<g id="[^"]*" class="node">\n<title>::title<\/title>\n((?:<text[^>]*>[^<]*<\/text>\n)*)<\/g>\n/;
  const COMMENT = /<!-- [^>]*-->\n/g;

  /* A laid-out level: its size as the level above places it (whole points, the frame's
   * margins included), the x of each port from its left edge, and where its anchors are. */
  function geometry(svg, framed = true) {
    const vb = VIEWBOX.exec(svg), origin = ORIGIN.exec(svg);
    const m = framed ? MARGIN : 0;
    const geo = { inner: [Number(vb[3]), Number(vb[4])], origin: [Number(origin[1]), Number(origin[2])],
                  width: Math.ceil(Number(vb[3])) + 2 * m, height: Math.ceil(Number(vb[4])) + 2 * m,
                  ins: [], outs: [], anchors: [] };
    for (const a of svg.matchAll(ANCHORS)) {
      const x = Number(a[3]) + geo.origin[0], y = Number(a[4]) + geo.origin[1];
      (a[1] === "in" ? geo.ins : geo.outs)[Number(a[2])] = x + m;
      geo.anchors.push([a[1], Number(a[2]), x + m, y + m]);
    }
    return geo;
  }

  function roundedBox(w, h, r) {
    return `M${r},0 L${w - r},0 Q${w},0 ${w},${r} L${w},${h - r} Q${w},${h} ${w - r},${h} `
      + `L${r},${h} Q0,${h} 0,${h - r} L0,${r} Q0,0 ${r},0 Z`;
  }

  function escapeXml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /* What a laid-out level draws itself (inside its graph group), without its anchors, its
   * title (drawn with its frame) and its open children's placeholders; and where each open
   * child goes: [child, left, top] in the level's graph coordinates. */
  function own(plan, path, svg) {
    const start = svg.indexOf(">", svg.search(ORIGIN)) + 1;
    let text = svg.slice(start, svg.lastIndexOf("</g>")).replace(COMMENT, "");
    if (path !== null) {   // the graph's title and background belong to the whole picture only
      text = text.replace(/^\s*<title>[^<]*<\/title>\s*<polygon[^>]*\/>\n?/, "")
        .replace(TITLE_NODE, "");
    }
    const level = plan.levels.get(path);
    const places = [];
    text = text.replace(ANCHORS, "").replace(PLACES, (_, index, points) => {
      const xy = points.trim().split(/\s+/).map((p) => p.split(",").map(Number));
      places.push([level.subs[Number(index)], Math.min(...xy.map((p) => p[0])),
                   Math.min(...xy.map((p) => p[1])) - 1]);
      return "";
    });
    return { text, places };
  }

  /* An open child's frame, its title and the short joins from the frame to its anchors, in
   * the child's box coordinates (0,0 the frame's top-left corner); its drawing goes at
   * (dx, dy) in them. */
  function frame(plan, path, geo, svg) {
    const vm = plan.vm, level = plan.levels.get(path);
    const attrs = frameOf(vm.modules[path].frame);
    const m = MARGIN, dx = m + geo.origin[0], dy = m + geo.origin[1];
    // the title at the frame's left edge, as Graphviz puts a cluster's (its row holds only
    // the entry anchors, right of it: moving it left cannot cover anything)
    const found = TITLE_NODE.exec(svg);
    const xs = found ? Array.from(found[1].matchAll(/ x="(-?[\d.]+)"/g), (x) => Number(x[1])) : [];
    const shift = xs.length ? m - (Math.min(...xs) + dx) : 0;
    const title = found ? found[1].replace(/ x="(-?[\d.]+)" y="(-?[\d.]+)"/g, (_, x, y) => ` x="${
      (Number(x) + dx + Math.min(0, shift)).toFixed(2)}" y="${(Number(y) + dy).toFixed(2)}"`) : "";
    const style = attrs.style || "";
    const out = [`<g class="cluster">\n<title>${escapeXml("cluster_" + path)}</title>\n`
      + `<path fill="none" stroke="${attrs.color || "black"}" stroke-width="${attrs.penwidth || 1}"`
      + `${style.includes("dashed") ? ' stroke-dasharray="5,2"' : ""} d="`
      + `${roundedBox(geo.width, geo.height, style.includes("rounded") ? 6 : 0)}"/>\n${title}</g>\n`];
    const shortcut = (kind, key) => level.segs.some((seg) => seg.role
      && (kind === "in" ? seg.tail.entry === key : seg.head.exit === key));
    const blue = (vm.shortcut_attrs.find(([k]) => k === "color") || [0, "#1f5fa8"])[1];
    for (const [kind, i, x, y] of geo.anchors) {   // frame to anchor, in the edge's colour
      const key = kind === "in" ? level.entries[i] : level.exits[i];
      const look = shortcut(kind, key)
        ? ` stroke="${blue.replace(/"/g, "")}" stroke-dasharray="5,2" stroke-width="1.6"`
        : ' stroke="#555555"';
      // from just outside the frame (the outer edge ends on it, give or take a point) to just
      // past the anchor, where the inner edge starts
      const y0 = kind === "in" ? -JOIN : geo.height + JOIN;
      const y1 = kind === "in" ? y + JOIN : y - JOIN;
      out.push(`<g class="vzv-join">\n<path fill="none"${look} d="M${x},${y0} L${x},${y1}"/>`
               + "\n</g>\n");
    }
    return { text: out.join(""), dx, dy };
  }

  /* The whole picture as one SVG text: the outermost level's SVG with every open child's
   * drawing in its place; ``parts`` maps each level to {svg, geo}. (The viewer builds the
   * same tree in the page, keeping the drawings of levels that did not change.) */
  function compose(plan, parts) {
    const body = (path) => {
      const { svg } = parts.get(path);
      const mine = own(plan, path, svg);
      return mine.text + mine.places.map(([sub, left, top]) => {
        const f = frame(plan, sub, parts.get(sub).geo, parts.get(sub).svg);
        return `<g class="vzv-part" transform="translate(${left} ${top})">\n${f.text}`
          + `<g transform="translate(${f.dx} ${f.dy})">\n${body(sub)}</g>\n</g>\n`;
      }).join("");
    };
    const { svg } = parts.get(null);
    const start = svg.indexOf(">", svg.search(ORIGIN)) + 1;
    return svg.slice(0, start) + body(null) + svg.slice(svg.lastIndexOf("</g>"));
  }

  function plan(vm, opened, folding = true) {
    return new Plan(vm, opened, folding);
  }

  const api = { plan, geometry, compose, own, frame, placeholder, frameOf, ORIGIN };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.vizcnnNest = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
