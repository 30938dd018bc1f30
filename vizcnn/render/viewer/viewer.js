/* The interactive layer-graph viewer of vizcnn: one viewer for the Streamlit app, the offline
 * HTML file and Jupyter. It takes the view model and the layer details computed in Python
 * (vizcnn/render/interactive.py), writes DOT with the JavaScript emitter (emit.js) for the
 * current set of open blocks, lays it out in the browser with Graphviz compiled to WASM
 * (vendor/viz-global.js) and pans and zooms it with svg-pan-zoom (vendor/svg-pan-zoom.min.js).
 *
 * vizcnnViewer.mount(element, data, {height, onState}) builds it inside `element`; `onState`
 * hears {open, fold} after every click that changes them (the app keeps its block picker and
 * URL in step with it). The root element carries data-state="ready" and the timings of its
 * last layout once a state is drawn (the browser tests read them). */
(function (root) {
  "use strict";

  let vizPromise = null;
  function viz() {
    if (vizPromise === null) vizPromise = root.Viz.instance();
    return vizPromise;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mdToHtml(text) {
    const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const inline = (s) => esc(s).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
      .replace(/`(.+?)`/g, "<code>$1</code>");
    const out = [];
    let list = false;
    for (const line of text.split("\n")) {
      const item = /^\s*- (.*)$/.exec(line);
      if (item) {
        if (!list) out.push("<ul>");
        list = true;
        out.push(`<li>${inline(item[1])}</li>`);
        continue;
      }
      if (list) out.push("</ul>");
      list = false;
      if (line.trim()) out.push(`<p>${inline(line)}</p>`);
    }
    if (list) out.push("</ul>");
    return out.join("");
  }

  class Viewer {
    constructor(element, data, options) {
      this.data = data;
      this.options = options || {};
      this.words = data.words;
      this.nodeIndex = new Map(data.vm.nodes.map((n, i) => [n.id, i]));
      this.children = new Map();
      for (const [path, m] of Object.entries(data.vm.modules)) {
        if (!this.children.has(m.parent)) this.children.set(m.parent, []);
        this.children.get(m.parent).push(path);
      }
      this.open = new Set(data.open);
      this.fold = data.fold;
      this.highlighted = new Set();
      this.pz = null;
      this.renders = 0;
      this.build(element);
      this.draw(null);
    }

    w(key) {
      return this.words[key] || key;
    }

    build(element) {
      const rootEl = el("div", { class: "vzv", "data-state": "loading" });
      rootEl.vizcnnViewer = this;   // for scripts and tests: the viewer behind the element
      this.root = rootEl;
      const bar = el("div", { class: "vzv-bar" });
      const button = (key, act, label) => {
        const b = el("button", { type: "button", "data-act": act, title: this.w(key) },
                     label || this.w(key));
        b.addEventListener("click", () => this.action(act));
        bar.appendChild(b);
        return b;
      };
      button("viewer.zoom_out", "zoom-out", "−");
      button("viewer.zoom_in", "zoom-in", "+");
      button("viewer.fit_width", "fit-width");
      button("viewer.fit_height", "fit-height");
      button("viewer.fit_all", "fit-all");
      bar.appendChild(el("span", { class: "vzv-sep" }));
      button("viewer.open_all", "open-all");
      button("viewer.close_all", "close-all");
      button("viewer.reset", "reset");
      const foldLabel = el("label", { class: "vzv-fold" });
      this.foldBox = el("input", { type: "checkbox", "data-act": "fold" });
      this.foldBox.checked = this.fold;
      this.foldBox.addEventListener("change", () => {
        this.fold = this.foldBox.checked;
        this.draw("fold");
      });
      foldLabel.append(this.foldBox, document.createTextNode(" " + this.w("viewer.fold")));
      bar.appendChild(foldLabel);
      const listId = "vzv-list-" + Math.random().toString(36).slice(2);
      this.search = el("input", { type: "search", class: "vzv-search", list: listId,
                                  placeholder: this.w("viewer.search") });
      const list = el("datalist", { id: listId });
      for (const s of this.data.suggestions) list.appendChild(el("option", { value: s }));
      this.search.addEventListener("keydown", (e) => {
        if (e.key === "Enter") this.find(this.search.value);
      });
      this.search.addEventListener("change", () => this.find(this.search.value));
      bar.append(this.search, list);
      if (this.data.groups.length) {
        this.groupSelect = el("select", { class: "vzv-groups" });
        this.groupSelect.appendChild(el("option", { value: "" }, this.w("viewer.highlight")));
        this.data.groups.forEach((g, i) => {
          this.groupSelect.appendChild(el("option", { value: String(i) }, g.label));
        });
        this.groupSelect.addEventListener("change", () => this.highlightGroup());
        bar.appendChild(this.groupSelect);
      }
      const main = el("div", { class: "vzv-main" });
      this.stage = el("div", { class: "vzv-stage" });
      if (this.options.height) this.stage.style.height = this.options.height;
      this.mini = el("div", { class: "vzv-mini", hidden: "" });
      this.busy = el("div", { class: "vzv-busy" }, this.w("viewer.loading"));
      this.stage.append(this.mini, this.busy);
      this.details = el("aside", { class: "vzv-details", hidden: "" });
      main.append(this.stage, this.details);
      this.status = el("div", { class: "vzv-status" }, this.w("viewer.hint"));
      rootEl.append(bar, main, this.status);
      element.appendChild(rootEl);
    }

    // --- the open set -----------------------------------------------------------------
    ancestors(path) {
      const chain = [];
      let at = this.data.vm.modules[path] ? this.data.vm.modules[path].parent : null;
      while (at !== null && at !== undefined) {
        chain.push(at);
        at = this.data.vm.modules[at].parent;
      }
      return chain;
    }

    openBlock(path) {
      for (const p of this.ancestors(path)) this.open.add(p);
      this.open.add(path);
    }

    closeBlock(path) {
      const stack = [path];
      while (stack.length) {
        const p = stack.pop();
        this.open.delete(p);
        stack.push(...(this.children.get(p) || []));
      }
    }

    reveal(nodeId) {
      for (const p of this.data.vm.nodes[this.nodeIndex.get(nodeId)].scope) this.open.add(p);
    }

    action(act) {
      if (act === "zoom-in" && this.pz) this.pz.zoomIn();
      else if (act === "zoom-out" && this.pz) this.pz.zoomOut();
      else if (act === "fit-width") this.fitWidth();
      else if (act === "fit-height") this.fitHeight();
      else if (act === "fit-all") this.fitAll();
      else if (act === "open-all") {
        this.open = new Set(Object.keys(this.data.vm.modules));
        this.draw("open-all");
      } else if (act === "close-all") {
        this.open = new Set();
        this.draw("close-all");
      } else if (act === "reset") {
        this.open = new Set(this.data.open);
        this.fold = this.data.fold;
        this.foldBox.checked = this.fold;
        this.draw("reset");
      }
    }

    // --- drawing ----------------------------------------------------------------------
    draw(cause, after) {
      const started = performance.now();
      this.root.setAttribute("data-state", "loading");
      this.busy.hidden = false;
      const opened = Array.from(this.open);
      const dot = root.vizcnnEmit.emit(this.data.vm, opened, this.fold);
      const emitted = performance.now();
      this.visible = root.vizcnnEmit.visibleBoxes(this.data.vm, opened, this.fold);
      const ticket = ++this.renders;
      viz().then((instance) => {
        if (ticket !== this.renders) return;   // a newer state was asked for meanwhile
        const ready = performance.now();
        const svg = instance.renderSVGElement(dot);
        const laid = performance.now();
        this.show(svg);
        const shown = performance.now();
        this.timings = { emit_ms: emitted - started, wasm_ms: ready - emitted,
                         layout_ms: laid - ready, show_ms: shown - laid,
                         total_ms: shown - started, boxes: this.visible.boxes.length,
                         cause: cause || "mount" };
        this.root.setAttribute("data-timings", JSON.stringify(this.timings));
        this.root.setAttribute("data-open", JSON.stringify(Array.from(this.open).sort()));
        // counted over the page, so a viewer mounted again (a rerun of the app) counts on
        root.vizcnnDraws = (root.vizcnnDraws || 0) + 1;
        this.root.setAttribute("data-renders", String(root.vizcnnDraws));
        this.busy.hidden = true;
        this.root.setAttribute("data-state", "ready");
        if (after) after();
        if (cause && this.options.onState) {
          this.options.onState({ open: this.openList(), fold: this.fold });
        }
      }).catch((error) => {
        this.busy.hidden = false;
        this.busy.textContent = String(error && error.message ? error.message : error);
        this.root.setAttribute("data-state", "error");
      });
    }

    openList() {
      const order = Object.keys(this.data.vm.modules);
      return order.filter((p) => this.open.has(p));
    }

    show(svg) {
      const previous = this.svg;
      const keep = previous && this.pz ? { real: this.sizes().realZoom, pan: this.pz.getPan() }
        : null;
      if (this.pz) {
        this.pz.destroy();
        this.pz = null;
      }
      if (previous) previous.remove();
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      svg.classList.add("vzv-svg");
      this.stage.insertBefore(svg, this.mini);
      this.svg = svg;
      const vb = svg.viewBox.baseVal;   // live: svg-pan-zoom removes the attribute
      this.viewBox = { x: vb.x, y: vb.y, width: vb.width, height: vb.height };
      this.tag(svg);
      this.pz = root.svgPanZoom(svg, {
        zoomEnabled: true, panEnabled: true, controlIconsEnabled: false, dblClickZoomEnabled: false,
        mouseWheelZoomEnabled: true, preventMouseEventsDefault: true, zoomScaleSensitivity: 0.25,
        minZoom: 0.01, maxZoom: 40, fit: true, center: true,
        onZoom: () => this.updateMini(), onPan: () => this.updateMini(),
      });
      // svg-pan-zoom's limits are relative to the fitted view: allow 8× real size at most
      const fitted = this.pz.getSizes().realZoom;
      this.pz.setMaxZoom(Math.max(2, 8 / fitted));
      this.pz.setMinZoom(Math.min(0.5, 0.02 / fitted));
      this.buildMini(svg);
      if (keep && this.keepView) {   // a click: the same scale and place as before it
        this.zoomTo(keep.real);
        this.pz.pan(keep.pan);
        this.updateMini();
      } else {
        this.firstView();
      }
      this.keepView = false;
      this.applyHighlight();
    }

    /* What each SVG group stands for: a leaf layer, a closed block, a fold or an open frame. */
    tag(svg) {
      const modules = this.data.vm.modules;
      for (const g of svg.querySelectorAll("g.node, g.cluster")) {
        const title = g.querySelector("title");
        if (!title) continue;
        const name = title.textContent;
        if (g.classList.contains("cluster")) {
          const path = name.replace(/^cluster_/, "");
          if (modules[path]) {
            g.setAttribute("data-frame", path);
          }
          continue;
        }
        if (this.nodeIndex.has(name)) g.setAttribute("data-layer", name);
        else if (modules[name]) g.setAttribute("data-block", name);
        else if (name.includes("..") && modules[name.split("..")[0]]) {
          g.setAttribute("data-fold", name);
        }
      }
      let down = null;
      svg.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
      svg.addEventListener("click", (e) => {
        if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 5) return;
        const g = e.target.closest("[data-layer], [data-block], [data-fold], [data-frame]");
        if (!g) return;
        e.preventDefault();
        this.clicked(g);
      });
      svg.addEventListener("mouseover", (e) => {
        const g = e.target.closest("[data-layer], [data-block], [data-fold], [data-frame]");
        if (g) this.hover(g);
      });
    }

    clicked(g) {
      if (g.hasAttribute("data-layer")) {
        this.showDetails(g.getAttribute("data-layer"));
        this.mark(new Set([g.getAttribute("data-layer")]));
        return;
      }
      this.keepView = true;
      if (g.hasAttribute("data-block")) {
        this.openBlock(g.getAttribute("data-block"));
        this.draw("open");
      } else if (g.hasAttribute("data-fold")) {
        this.openBlock(g.getAttribute("data-fold").split("..")[0]);
        this.draw("open");
      } else {
        this.closeBlock(g.getAttribute("data-frame"));
        this.draw("close");
      }
    }

    hover(g) {
      const key = g.getAttribute("data-layer") || g.getAttribute("data-block")
        || g.getAttribute("data-frame");
      let text = "";
      if (g.hasAttribute("data-layer")) text = this.data.details[key].summary;
      else if (key) text = this.data.blocks[key] || key;
      else text = g.getAttribute("data-fold");
      this.status.textContent = text;
    }

    // --- views ------------------------------------------------------------------------
    sizes() {
      return this.pz.getSizes();
    }

    zoomTo(real) {
      const s = this.sizes();
      this.pz.zoom(this.pz.getZoom() * real / s.realZoom);
    }

    // Scale the drawing so one side fills the view (8 px margins), centred across, top at the top.
    fitSide(side) {
      if (!this.pz) return;
      const s = this.sizes();
      const real = (s[side] - 16) / this.viewBox[side];
      this.zoomTo(real);
      this.pz.pan({ x: (s.width - this.viewBox.width * real) / 2, y: 8 });
    }

    fitWidth() { this.fitSide("width"); }

    fitHeight() { this.fitSide("height"); }

    fitAll() {
      if (!this.pz) return;
      this.pz.resize();
      this.pz.fit();
      this.pz.center();
    }

    /* The whole graph when it stays readable; otherwise its top at a readable scale. */
    firstView() {
      const s = this.sizes();
      const whole = Math.min((s.width - 16) / this.viewBox.width,
                             (s.height - 16) / this.viewBox.height);
      if (whole >= 0.55) {
        this.zoomTo(Math.min(whole, 1.25));
        const real = this.sizes().realZoom;
        this.pz.pan({ x: (s.width - this.viewBox.width * real) / 2,
                      y: Math.max(8, (s.height - this.viewBox.height * real) / 2) });
      } else {
        const real = Math.min(1, Math.max(0.55, (s.width - 16) / this.viewBox.width));
        this.zoomTo(real);
        this.pz.pan({ x: Math.max(8, (s.width - this.viewBox.width * real) / 2), y: 8 });
      }
      this.updateMini();
    }

    /* Centre the box (or frame) of a leaf node, block or fold id in the stage. */
    centre(name) {
      const g = Array.from(this.svg.querySelectorAll("g.node, g.cluster"))
        .find((n) => [name, "cluster_" + name].includes(n.querySelector("title").textContent));
      if (g) this.centreOn(g);
      return Boolean(g);
    }

    centreOn(g) {
      const box = g.getBBox();
      const s = this.sizes();
      const real = Math.max(s.realZoom, 0.8);
      this.zoomTo(real);
      // the node's box is in the graph's coordinates: screen = graph * zoom + pan
      const inner = this.svg.querySelector("g.graph");
      const t = inner.transform.baseVal.consolidate();
      const ox = t ? t.matrix.e : 0, oy = t ? t.matrix.f : 0;
      const cx = (box.x + box.width / 2 + ox) * real, cy = (box.y + box.height / 2 + oy) * real;
      this.pz.pan({ x: s.width / 2 - cx, y: s.height / 2 - cy });
    }

    // --- minimap ----------------------------------------------------------------------
    buildMini(svg) {
      this.mini.innerHTML = "";
      const vb = this.viewBox;
      const copy = el("div", { class: "vzv-mini-graph" });
      const ns = "http://www.w3.org/2000/svg";
      const small = document.createElementNS(ns, "svg");
      small.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.width} ${vb.height}`);
      small.setAttribute("preserveAspectRatio", "xMidYMid meet");
      const graph = svg.querySelector("g.graph");
      if (graph) {
        const clone = graph.cloneNode(true);
        for (const t of clone.querySelectorAll("text")) t.remove();
        for (const g of clone.querySelectorAll("[data-layer], [data-block], [data-fold], [data-frame]")) {
          for (const a of ["data-layer", "data-block", "data-fold", "data-frame"]) g.removeAttribute(a);
        }
        small.appendChild(clone);
      }
      this.miniRect = document.createElementNS(ns, "rect");
      this.miniRect.setAttribute("class", "vzv-mini-view");
      small.appendChild(this.miniRect);
      copy.appendChild(small);
      this.mini.appendChild(copy);
      this.miniSvg = small;
      const jump = (e) => {
        const r = small.getBoundingClientRect();
        const scale = Math.min(r.width / vb.width, r.height / vb.height);
        const offX = (r.width - vb.width * scale) / 2, offY = (r.height - vb.height * scale) / 2;
        const gx = (e.clientX - r.left - offX) / scale + vb.x;
        const gy = (e.clientY - r.top - offY) / scale + vb.y;
        const s = this.sizes();
        this.pz.pan({ x: s.width / 2 - gx * s.realZoom, y: s.height / 2 - gy * s.realZoom });
      };
      let dragging = false;
      small.addEventListener("pointerdown", (e) => { dragging = true; jump(e); });
      small.addEventListener("pointermove", (e) => { if (dragging) jump(e); });
      window.addEventListener("pointerup", () => { dragging = false; });
    }

    updateMini() {
      if (!this.pz || !this.miniRect) return;
      const s = this.sizes();
      const pan = this.pz.getPan();
      const x = -pan.x / s.realZoom, y = -pan.y / s.realZoom;
      const w = s.width / s.realZoom, h = s.height / s.realZoom;
      const vb = this.viewBox;
      const bigger = w < vb.width * 0.98 || h < vb.height * 0.98;
      this.mini.hidden = !bigger;
      this.miniRect.setAttribute("x", x);
      this.miniRect.setAttribute("y", y);
      this.miniRect.setAttribute("width", w);
      this.miniRect.setAttribute("height", h);
    }

    // --- search, details, highlight -----------------------------------------------------
    groupOf(nodeIds) {
      const boxes = new Set();
      for (const id of nodeIds) boxes.add(this.visible.boxOf[this.nodeIndex.get(id)]);
      return boxes;
    }

    mark(boxIds) {
      this.highlighted = boxIds;
      this.applyHighlight();
    }

    applyHighlight() {
      if (!this.svg) return;
      for (const g of this.svg.querySelectorAll(".vzv-hl")) g.classList.remove("vzv-hl");
      if (!this.highlighted.size) return;
      for (const g of this.svg.querySelectorAll("g.node")) {
        const name = g.querySelector("title").textContent;
        if (this.highlighted.has(name)) g.classList.add("vzv-hl");
      }
      for (const g of this.svg.querySelectorAll("g.edge")) {
        const [a, b] = g.querySelector("title").textContent.split("->");
        if (this.highlighted.has(a) && this.highlighted.has(b)) g.classList.add("vzv-hl");
      }
    }

    matches(query) {
      const q = query.trim().toLowerCase();
      if (!q) return [];
      const exact = this.data.vm.nodes.filter((n) => n.id.toLowerCase() === q);
      if (exact.length) return exact.map((n) => n.id);
      const byName = [];
      for (const [id, d] of Object.entries(this.data.details)) {
        if (d.class.toLowerCase() === q || d.op.toLowerCase() === q
            || id.toLowerCase().includes(q)) byName.push(id);
      }
      return byName;
    }

    find(query) {
      const q = query.trim();
      if (!q) return;
      const modules = this.data.vm.modules;
      const path = q.split(" · ")[0];
      if (modules[path] && !this.nodeIndex.has(path)) {   // a block: show it as one box
        for (const p of this.ancestors(path)) this.open.add(p);
        this.closeBlock(path);
        this.draw("search", () => this.focus(new Set([path]), path));
        return;
      }
      const found = this.matches(path);
      if (!found.length) {
        this.status.textContent = this.w("viewer.not_found").replace("{query}", q);
        return;
      }
      if (found.length === 1) {
        this.reveal(found[0]);
        this.draw("search", () => {
          this.focus(this.groupOf(found), this.visible.boxOf[this.nodeIndex.get(found[0])]);
          this.showDetails(found[0]);
        });
        return;
      }
      const boxes = this.groupOf(found);
      this.focus(boxes, this.visible.boxOf[this.nodeIndex.get(found[0])]);
      this.status.textContent = this.w("viewer.found").replace("{n}", String(found.length));
    }

    focus(boxIds, centre) {
      this.mark(boxIds);
      const g = Array.from(this.svg.querySelectorAll("g.node"))
        .find((n) => n.querySelector("title").textContent === centre);
      if (g) this.centreOn(g);
    }

    highlightGroup() {
      const value = this.groupSelect.value;
      if (value === "") {
        this.mark(new Set());
        return;
      }
      const group = this.data.groups[Number(value)];
      for (const p of group.open) this.openBlock(p);
      this.draw("highlight", () => {
        const boxes = this.groupOf(group.nodes);
        this.focus(boxes, this.visible.boxOf[this.nodeIndex.get(group.nodes[0])]);
      });
    }

    showDetails(nodeId) {
      const d = this.data.details[nodeId];
      if (!d) return;
      const rows = [[this.w("viewer.path"), d.path], [this.w("viewer.class"), d.class],
                    [this.w("viewer.input"), d.inputs], [this.w("viewer.output"), d.outputs]];
      for (const key of ["kernel", "stride", "padding", "dilation", "groups"]) {
        if (d[key] !== undefined) rows.push([this.w("viewer." + key), d[key]]);
      }
      rows.push([this.w("label_params"), d.params_text], [this.w("label_macs"), d.macs_text],
                [this.w("label_flops"), d.flops_text],
                [this.w("label_activation_bytes"), d.activation_text],
                [this.w("viewer.receptive_field"), d.receptive_field]);
      this.details.innerHTML = "";
      const head = el("div", { class: "vzv-details-head" });
      head.append(el("b", {}, d.id));
      const close = el("button", { type: "button", class: "vzv-close", title: this.w("viewer.close") }, "×");
      close.addEventListener("click", () => { this.details.hidden = true; });
      head.appendChild(close);
      const table = el("table");
      for (const [k, v] of rows) {
        const tr = el("tr", { "data-field": k });
        tr.append(el("th", {}, k), el("td", {}, v === null || v === undefined ? "–" : String(v)));
        table.appendChild(tr);
      }
      table.querySelectorAll("tr")[rows.findIndex((r) => r[0] === this.w("label_macs"))]
        .setAttribute("data-macs", String(d.macs));
      this.details.append(head, table);
      if (d.formula) {
        this.details.appendChild(el("h4", {}, this.w("viewer.formula")));
        const f = el("div", { class: "vzv-formula" });
        f.innerHTML = mdToHtml(d.formula);
        this.details.appendChild(f);
      }
      this.details.hidden = false;
      this.details.setAttribute("data-node", nodeId);
    }
  }

  function mount(element, data, options) {
    return new Viewer(element, data, options);
  }

  root.vizcnnViewer = { mount };
})(typeof globalThis !== "undefined" ? globalThis : this);
