/* The interactive layer-graph viewer of vizcnn: one viewer for the Streamlit app, the offline
 * HTML file and Jupyter. It takes the view model and the layer details computed in Python
 * (vizcnn/render/interactive.py), groups it into boxes with the JavaScript emitter (emit.js)
 * for the current set of open blocks, lays each open block out on its own and puts the
 * drawings together (nest.js) with Graphviz compiled to WASM (vendor/viz-global.js; in Web
 * Workers where the page allows them, with the likely next views laid out ahead) and pans and
 * zooms it with svg-pan-zoom (vendor/svg-pan-zoom.min.js), a gesture moving the picture on
 * screen with a CSS transform until it ends.
 *
 * vizcnnViewer.mount(element, data, {height, onState}) builds it inside `element`; `onState`
 * hears {open, fold} after every click that changes them (the app keeps its block picker and
 * URL in step with it). The root element carries data-state="ready" and the timings of its
 * last layout once a state is drawn (the browser tests read them). */
(function (root) {
  "use strict";

  /* What a layout worker runs after Viz.js: lay out each DOT text it is sent, answer SVG. */
  function workerMain() {
    self.Viz.instance().then((viz) => {
      self.onmessage = (e) => {
        let answer;
        try {
          answer = { id: e.data.id, svg: viz.renderString(e.data.dot, { format: "svg" }) };
        } catch (error) {
          answer = { id: e.data.id, error: String(error && error.message ? error.message : error) };
        }
        self.postMessage(answer);
      };
      self.postMessage({ ready: true });
    });
  }

  /* Graphviz (WASM) in a Web Worker where the page allows one, so a big layout does not
   * freeze the page and views can be laid out ahead; else on the page's own thread. Each
   * engine compiles the WASM once per page. */
  class Engine {
    constructor(mayUseWorker) {
      this.jobs = new Map();
      this.count = 0;
      this.worker = null;
      this.viz = null;
      this.ready = mayUseWorker ? this.startWorker() : this.startLocal();
    }

    startLocal() {
      return root.Viz.instance().then((viz) => { this.viz = viz; });
    }

    startWorker() {
      const factory = root.vizcnnVizFactory;
      if (typeof Worker === "undefined" || typeof Blob === "undefined" || !factory) {
        return this.startLocal();
      }
      let worker;
      try {
        const code = `(${factory.toString()}).call(self);\n(${workerMain.toString()})();\n`;
        worker = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
      } catch (error) {
        return this.startLocal();   // blob workers refused (a strict notebook page)
      }
      return new Promise((resolve) => {
        worker.onmessage = (e) => {
          if (!e.data.ready) return;
          this.worker = worker;
          worker.onmessage = (m) => this.answer(m.data);
          resolve();
        };
        worker.onerror = () => {
          worker.terminate();
          resolve(this.startLocal());
        };
      });
    }

    get threaded() {
      return this.worker !== null;
    }

    /* The SVG text of one DOT text (a promise). */
    layout(dot) {
      return this.ready.then(() => {
        if (!this.worker) return this.viz.renderString(dot, { format: "svg" });
        return new Promise((resolve, reject) => {
          const id = ++this.count;
          this.jobs.set(id, { resolve, reject });
          this.worker.postMessage({ id, dot });
        });
      });
    }

    answer(message) {
      const job = this.jobs.get(message.id);
      this.jobs.delete(message.id);
      if (message.error !== undefined) job.reject(new Error(message.error));
      else job.resolve(message.svg);
    }
  }

  /* Layouts of the page, shared by every viewer on it (an app rerun mounts a new one): the
   * SVG text of recent DOT texts, the layouts under way, and the engines. The page's first
   * layout runs on the page's own thread at once (starting a worker first would delay it);
   * then one worker takes what is to be drawn now and a second, started when first needed,
   * what is laid out ahead of a click. */
  const CACHED_LAYOUTS = 600;   // level layouts (a fully opened DenseNet-169 has 91)
  const layouts = {
    done: new Map(), running: new Map(), first: null, now: null, ahead: null, queue: [],
    busy: false,

    engine(urgent) {
      if (!urgent && this.ahead !== null) return this.ahead;
      if (this.now !== null) return this.now;
      if (this.first === null) this.first = new Engine(false);
      return this.first;
    },

    /* The whole picture of a view (a promise of {svg, cached, worker, levels, dots}): each
     * level laid out by its own DOT text (nest.js), innermost first, or, where a level's
     * blocks feed each other round (then no block can keep its ports), one flat layout. */
    view(plan, urgent, flat = false) {
      if (flat || !plan.acyclic) {
        const dot = root.vizcnnEmit.emit(plan.vm, plan.opened, plan.folding);
        const job = this.get(dot, urgent);
        return job.svg.then((svg) => ({ svg, cached: job.cached, levels: 1, dots: [dot],
                                        worker: Boolean(job.engine && job.engine.threaded) }));
      }
      const parts = new Map();
      const dots = [];
      let cached = true, worker = false;
      const run = (path) => {
        const level = plan.levels.get(path);
        return Promise.all(level.subs.map(run)).then(() => {
          const sizes = new Map(level.subs.map((sub) => [sub, parts.get(sub).geo]));
          const dot = plan.dot(path, sizes);
          dots.push(dot);
          const job = this.get(dot, urgent);
          cached = cached && job.cached;
          worker = worker || Boolean(job.engine && job.engine.threaded);
          return job.svg.then((svg) => {
            parts.set(path, { svg, dot, geo: this.geometry(dot, svg, path !== null) });
          });
        });
      };
      return run(null).then(() => ({ plan, parts, cached, worker, levels: dots.length, dots }));
    },

    /* Whether every level of the view is laid out already (what a click would find). */
    has(plan) {
      if (!plan.acyclic) {
        return this.done.has(root.vizcnnEmit.emit(plan.vm, plan.opened, plan.folding));
      }
      const geos = new Map();
      const known = (path) => {
        const level = plan.levels.get(path);
        if (!level.subs.every(known)) return false;
        const dot = plan.dot(path, geos);
        if (!this.done.has(dot)) return false;
        geos.set(path, this.geometry(dot, this.done.get(dot), path !== null));
        return true;
      };
      return known(null);
    },

    geos: new Map(),

    geometry(dot, svg, framed) {
      let geo = this.geos.get(dot);
      if (geo === undefined) {
        geo = root.vizcnnNest.geometry(svg, framed);
        this.geos.set(dot, geo);
        while (this.geos.size > CACHED_LAYOUTS) this.geos.delete(this.geos.keys().next().value);
      }
      return geo;
    },

    /* Forget every layout but these DOT texts (the browser tests' cold click). */
    keepOnly(dots) {
      const keep = new Set(dots);
      for (const dot of Array.from(this.done.keys())) if (!keep.has(dot)) this.done.delete(dot);
      for (const dot of Array.from(this.geos.keys())) if (!keep.has(dot)) this.geos.delete(dot);
    },

    /* {svg: a promise of the SVG text, cached: whether it was laid out before, engine}. */
    get(dot, urgent) {
      if (this.done.has(dot)) {
        const svg = this.done.get(dot);
        this.done.delete(dot);   // the most recent last
        this.done.set(dot, svg);
        return { svg: Promise.resolve(svg), cached: true, engine: null };
      }
      if (this.running.has(dot)) return { ...this.running.get(dot), cached: false };
      const engine = this.engine(urgent);
      const svg = engine.layout(dot).then((text) => {
        this.done.set(dot, text);
        while (this.done.size > CACHED_LAYOUTS) this.done.delete(this.done.keys().next().value);
        return text;
      }).finally(() => {
        this.running.delete(dot);
        if (this.now === null) this.now = new Engine(true);
      });
      this.running.set(dot, { svg, engine });
      return { svg, cached: false, engine };
    },

    /* Lay these views (plans) out ahead, one at a time, in order, replacing the last wish
     * list; ``idle`` hears when none is left. Only in a worker: ahead on the page's own thread
     * would freeze it. */
    prefetch(plans, idle) {
      this.queue = plans.filter((p) => !this.has(p));
      this.onIdle = idle;
      if (this.ahead === null && this.queue.length) this.ahead = new Engine(true);
      this.pump();
    },

    pump() {
      if (this.busy) return;
      if (!this.queue.length) {
        if (this.onIdle) this.onIdle();
        return;
      }
      this.busy = true;
      this.ahead.ready.then(() => {
        if (!this.ahead.threaded) this.queue = [];   // workers refused here
        const plan = this.queue.shift();
        return plan === undefined ? null : this.view(plan, false).catch(() => null);
      }).then(() => {
        this.busy = false;
        this.pump();
      });
    },
  };
  const PAINT_WAIT_MS = 1000;   // the longest a draw waits for a frame to call itself painted
  const FILL_MIN = 360;   // px: the least height of a stage that fills the window
  const AHEAD_BLOCKS = 4;   // closed blocks in view laid out opened ahead of a click ...
  const AHEAD_BOXES = 150;   // ... when the view on screen has more boxes than this
  const DRAG_UNCOVER = 90;   // px a drag may uncover before the drawing is moved for real
  const WHEEL_UNCOVER = 0.85;   // the scale of a zoom out at which it is zoomed for real

  /* The virtual nodes one flat layout of the view would make (emit.js's estimate). */
  function flatWork(plan) {
    const e = new root.vizcnnEmit.Emitter(plan.vm, plan.opened, plan.folding);
    return e.virtualNodes(e.edges());
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
      this.lookAhead = true;   // lay out likely next views while idle (tests may turn it off)
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
      if (this.options.height && this.options.height !== "fill") {
        this.stage.style.height = this.options.height;
      }
      this.mini = el("div", { class: "vzv-mini", hidden: "" });
      this.buildMiniFrame();
      this.busy = el("div", { class: "vzv-busy" }, this.w("viewer.loading"));
      this.stage.append(this.mini, this.busy);
      this.stage.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
      this.stage.addEventListener("pointerdown", (e) => this.dragStart(e));
      this.onWindow("pointermove", (e) => this.dragMove(e));
      this.onWindow("pointerup", () => this.dragEnd());
      this.onWindow("pointercancel", () => this.dragEnd());
      this.details = el("aside", { class: "vzv-details", hidden: "" });
      main.append(this.stage, this.details);
      this.status = el("div", { class: "vzv-status" }, this.w("viewer.hint"));
      rootEl.append(bar, main, this.status);
      element.appendChild(rootEl);
      if (this.options.height === "fill") {
        this.fillWindow();
        let timer = 0;
        const refill = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            if (this.root.isConnected && this.fillWindow()) this.stageResized();
          }, 100);
        };
        this.onWindow("resize", refill);
        // what is above it may still grow (a page filled in after the viewer mounts)
        if (typeof ResizeObserver !== "undefined") {
          const watch = new ResizeObserver(() => {
            if (this.root.isConnected) refill();
            else watch.disconnect();
          });
          watch.observe(this.scroller().firstElementChild || document.body);
        }
      }
    }

    /* A window listener that goes away with the viewer (an app rerun mounts a new one and
     * removes this one's element). */
    onWindow(type, handler) {
      const listener = (e) => {
        if (this.root.isConnected) handler(e);
        else window.removeEventListener(type, listener);
      };
      window.addEventListener(type, listener);
    }

    /* The element the page scrolls in (Streamlit's main area), or the document's. */
    scroller() {
      let at = this.root.parentElement;
      while (at && at !== document.body) {
        const overflow = getComputedStyle(at).overflowY;
        if (overflow === "auto" || overflow === "scroll") return at;
        at = at.parentElement;
      }
      return document.documentElement;
    }

    /* Height "fill": the stage reaches the window's bottom edge while the page is scrolled to
     * its top (FILL_MIN px at least), so the first screen shows all of it. True when the
     * height changed. */
    fillWindow() {
      const scroller = this.scroller();
      const first = this.stage.getBoundingClientRect().top + scroller.scrollTop;   // unscrolled
      const below = this.status.getBoundingClientRect().height + 12;
      const height = Math.max(FILL_MIN, Math.floor(window.innerHeight - first - below));
      if (Math.abs(height - this.stage.offsetHeight) < 2) return false;
      this.stage.style.height = `${height}px`;
      this.details.style.maxHeight = `${height}px`;
      return true;
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
      const plan = this.plan(this.open);
      this.visible = { boxOf: plan.boxOf, boxes: plan.boxes };
      // the page's first layout, on a WASM engine not warm yet: a view that one flat layout
      // with Graphviz's default limits draws is drawn flat (a dozen small layouts cost more
      // there); its levels are laid out ahead for the first click
      const flat = layouts.now === null && layouts.running.size === 0 && plan.acyclic
        && flatWork(plan) <= this.data.vm.tiers[0][0];
      this.drawnFlat = flat;
      const emittedAt = performance.now();
      const ticket = ++this.renders;
      layouts.view(plan, true, flat).then((job) => {
        if (ticket !== this.renders) return;   // a newer state was asked for meanwhile
        const laid = performance.now();
        this.levelDots = job.dots;
        this.show(job);
        if (after) after();
        const shown = performance.now();
        // ready once the browser has painted it (a frame, then the task after the frame), or
        // after PAINT_WAIT_MS where frames are held back (a hidden or starved page)
        let settled = false;
        const whenPainted = () => {
          if (settled || ticket !== this.renders) return;
          settled = true;
          const painted = performance.now();
          this.timings = { emit_ms: emittedAt - started, layout_ms: laid - emittedAt,
                           show_ms: shown - laid, paint_ms: painted - shown,
                           total_ms: painted - started, boxes: this.visible.boxes.length,
                           cached: job.cached, worker: job.worker, levels: job.levels,
                           cause: cause || "mount", started_at_ms: started };
          this.root.setAttribute("data-timings", JSON.stringify(this.timings));
          this.root.setAttribute("data-open", JSON.stringify(Array.from(this.open).sort()));
          // counted over the page, so a viewer mounted again (a rerun of the app) counts on
          root.vizcnnDraws = (root.vizcnnDraws || 0) + 1;
          this.root.setAttribute("data-renders", String(root.vizcnnDraws));
          this.busy.hidden = true;
          this.root.setAttribute("data-state", "ready");
          if (cause && this.options.onState) {
            this.options.onState({ open: this.openList(), fold: this.fold });
          }
          this.drawMini();
          this.layAhead();
        };
        requestAnimationFrame(() => setTimeout(whenPainted, 0));
        setTimeout(whenPainted, PAINT_WAIT_MS);
      }).catch((error) => {
        if (ticket !== this.renders) return;
        this.busy.hidden = false;
        this.busy.textContent = String(error && error.message ? error.message : error);
        this.root.setAttribute("data-state", "error");
      });
    }

    /* The layout plan (nest.js) of a set of open blocks, with the viewer's folding. */
    plan(open) {
      const plan = root.vizcnnNest.plan(this.data.vm, Array.from(open), this.fold);
      return plan;
    }

    /* The plan of the view with ``path`` opened (one level) or, with ``close``, closed. */
    planWith(path, close) {
      const saved = this.open;
      this.open = new Set(saved);
      if (close) this.closeBlock(path);
      else this.openBlock(path);
      const plan = this.plan(this.open);
      this.open = saved;
      return plan;
    }

    /* Whether the view with ``path`` opened is laid out already (the browser tests ask). */
    laidOutWith(path) {
      return layouts.has(this.planWith(path, false));
    }

    /* While the person looks, lay out the views a click would ask for next: the hovered box
     * first, then (in a big view, slow to lay out) the closed blocks nearest the middle of
     * the stage. data-ahead says when nothing more is being laid out. */
    layAhead(first) {
      if (!this.svg || !this.lookAhead) return;
      this.root.setAttribute("data-ahead", "busy");
      const plans = first ? [first] : [];
      if (this.drawnFlat) plans.push(this.plan(this.open));   // its levels, for the next click
      // small views lay out faster than a person clicks: the blocks in view only in big ones
      if (this.visible.boxes.length > AHEAD_BOXES) {
        const stage = this.stage.getBoundingClientRect();
        const cx = stage.left + stage.width / 2, cy = stage.top + stage.height / 2;
        const near = [];
        for (const g of this.svg.querySelectorAll("[data-block], [data-fold]")) {
          const r = g.getBoundingClientRect();
          if (r.bottom < stage.top || r.top > stage.bottom || r.right < stage.left
              || r.left > stage.right) continue;
          const path = g.getAttribute("data-block") || g.getAttribute("data-fold").split("..")[0];
          near.push([Math.hypot(r.left + r.width / 2 - cx, r.top + r.height / 2 - cy), path]);
        }
        near.sort((a, b) => a[0] - b[0]);
        for (const [, path] of near.slice(0, AHEAD_BLOCKS)) plans.push(this.planWith(path, false));
      }
      const renders = this.renders;
      layouts.prefetch(plans, () => {
        if (renders === this.renders) this.root.setAttribute("data-ahead", "idle");
      });
    }

    openList() {
      const order = Object.keys(this.data.vm.modules);
      return order.filter((p) => this.open.has(p));
    }

    /* The picture of a laid-out view as an <svg> element, and the groups in it that are new
     * (to be tagged and fitted). A flat layout is parsed whole; a nested one is put together
     * as nest.js's compose() would write it, but each level's drawing that is on screen
     * already (laid out from the same DOT text) is that element, moved: a click parses, tags
     * and fits only the levels it laid out again, and the frames. */
    picture(job) {
      const holder = document.createElement("div");
      if (job.parts === undefined) {
        holder.innerHTML = job.svg;
        const svg = holder.querySelector("svg");
        this.levelGroups = new Map();
        this.wrappers = null;
        return { svg, fresh: [svg] };
      }
      const Nest = root.vizcnnNest, plan = job.plan, parts = job.parts;
      const old = this.levelGroups || new Map();
      const groups = new Map();
      const texts = [];
      const order = [];
      const walk = (path) => {
        const part = parts.get(path);
        if (!part.geo.own) part.geo.own = Nest.own(plan, path, part.svg);   // kept per layout
        part.own = part.geo.own;
        order.push(path);
        if (!old.has(part.dot)) texts.push(`<g class="vzv-level">${part.own.text}</g>`);
        for (const [sub, left, top] of part.own.places) {
          const child = parts.get(sub);
          const f = Nest.frame(plan, sub, child.geo, child.svg);
          texts.push(`<g class="vzv-part" transform="translate(${left} ${top})">${f.text}`
                     + `<g class="vzv-inner" transform="translate(${f.dx} ${f.dy})"></g></g>`);
          walk(sub);
        }
      };
      walk(null);
      const head = parts.get(null).svg;
      const start = head.indexOf(">", head.search(Nest.ORIGIN)) + 1;
      holder.innerHTML = head.slice(0, start) + texts.join("") + "</g></svg>";
      const svg = holder.querySelector("svg");
      const graph = svg.querySelector("g.graph");
      const made = Array.from(graph.children);
      for (const g of made) g.remove();
      const fresh = [];
      let at = 0;
      const place = (path, into) => {
        const part = parts.get(path);
        let group = old.get(part.dot);
        if (group === undefined) {
          group = made[at++];
          fresh.push(group);
        }
        groups.set(part.dot, group);
        into.appendChild(group);
        for (const [sub] of part.own.places) {
          const wrapper = made[at++];
          fresh.push(wrapper.firstElementChild);   // the child's frame
          wrapper.frameDot = parts.get(sub).dot;
          wrappers.set(sub, wrapper);
          into.appendChild(wrapper);
          place(sub, wrapper.lastElementChild);
        }
      };
      const wrappers = new Map();
      place(null, graph);   // in walk()'s order: a level's drawing (if new), then its frames
      this.levelGroups = groups;
      this.wrappers = wrappers;
      return { svg, fresh };
    }

    /* A nested view drawn over the nested one on screen: the same <svg> and svg-pan-zoom;
     * each level's drawing stays where it is if its layout did not change (only the frames
     * around it move), the changed levels and frames are parsed in. The page then lays out
     * again only what changed, not the whole drawing. */
    refresh(job) {
      const Nest = root.vizcnnNest, plan = job.plan, parts = job.parts;
      const groups = this.levelGroups, wrappers = this.wrappers;
      this.endWheel();
      this.drag = null;
      const texts = [], wanted = [];
      const dots = new Set(), paths = new Set();
      const walk = (path) => {
        const part = parts.get(path);
        if (!part.geo.own) part.geo.own = Nest.own(plan, path, part.svg);
        part.own = part.geo.own;
        dots.add(part.dot);
        if (!groups.has(part.dot)) {
          wanted.push([path, null]);
          texts.push(`<g class="vzv-level">${part.own.text}</g>`);
        }
        for (const [sub] of part.own.places) {
          paths.add(sub);
          const child = parts.get(sub), w = wrappers.get(sub);
          if (!w || w.frameDot !== child.dot) {
            const f = Nest.frame(plan, sub, child.geo, child.svg);
            wanted.push([sub, f]);
            texts.push(`<g>${f.text}</g>`);
          }
          walk(sub);
        }
      };
      walk(null);
      const holder = document.createElement("div");
      holder.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${texts.join("")}</svg>`;
      const made = Array.from(holder.firstElementChild.children);
      const fresh = [];
      wanted.forEach(([path, f], i) => {
        const g = made[i];
        if (f === null) {   // a level's drawing
          groups.set(parts.get(path).dot, g);
          fresh.push(g);
          return;
        }
        let w = wrappers.get(path);
        if (!w) {
          w = document.createElementNS("http://www.w3.org/2000/svg", "g");
          w.setAttribute("class", "vzv-part");
          const inner = document.createElementNS("http://www.w3.org/2000/svg", "g");
          inner.setAttribute("class", "vzv-inner");
          w.appendChild(inner);
          wrappers.set(path, w);
        }
        const inner = w.lastElementChild;
        while (w.firstElementChild !== inner) w.firstElementChild.remove();
        for (const child of Array.from(g.children)) w.insertBefore(child, inner);
        inner.setAttribute("transform", `translate(${f.dx} ${f.dy})`);
        w.frameDot = parts.get(path).dot;
        fresh.push(w.firstElementChild);   // its frame
      });
      const graph = this.svg.querySelector("g.graph");
      const place = (path, into) => {
        const part = parts.get(path);
        const group = groups.get(part.dot);
        if (group.parentNode !== into) into.insertBefore(group, into.firstChild);
        for (const [sub, left, top] of part.own.places) {
          const w = wrappers.get(sub);
          w.setAttribute("transform", `translate(${left} ${top})`);
          if (w.parentNode !== into) into.appendChild(w);
          place(sub, w.lastElementChild);
        }
      };
      place(null, graph);
      for (const [dot, g] of Array.from(groups)) {
        if (!dots.has(dot)) {
          g.remove();
          groups.delete(dot);
        }
      }
      for (const [path, w] of Array.from(wrappers)) {
        if (!paths.has(path)) {
          w.remove();
          wrappers.delete(path);
        }
      }
      // the outermost level's size and origin
      const head = parts.get(null).svg;
      const vb = /viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"/.exec(head).slice(1).map(Number);
      const origin = Nest.ORIGIN.exec(head);
      graph.setAttribute("transform", `scale(1 1) rotate(0) translate(${origin[1]} ${origin[2]})`);
      this.viewBox = { x: vb[0], y: vb[1], width: vb[2], height: vb[3] };
      for (const scope of fresh) {
        this.tag(scope);
        this.fitTexts(scope);
      }
      this.pz.updateBBox();
      this.miniBox = null;
      this.miniDrawn = null;
      if (this.keepView) this.updateMini();
      else this.firstView();
      this.keepView = false;
      this.applyHighlight();
    }

    show(job) {
      if (job.parts !== undefined && this.svg && this.pz && this.wrappers) {
        this.refresh(job);
        return;
      }
      const { svg, fresh } = this.picture(job);
      const previous = this.svg;
      this.endWheel();
      this.drag = null;
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
      // svg-pan-zoom's viewport group made before the drawing is in the page: made by
      // svg-pan-zoom, it would move the whole drawing into it once the page has laid it out
      const viewport = document.createElementNS("http://www.w3.org/2000/svg", "g");
      viewport.setAttribute("class", "svg-pan-zoom_viewport");
      for (const child of Array.from(svg.childNodes)) {
        if (child.nodeName !== "defs" && child.nodeName !== "#text") viewport.appendChild(child);
      }
      svg.appendChild(viewport);
      this.stage.insertBefore(svg, this.mini);
      this.svg = svg;
      const vb = svg.viewBox.baseVal;   // live: svg-pan-zoom removes the attribute
      this.viewBox = { x: vb.x, y: vb.y, width: vb.width, height: vb.height };
      for (const scope of fresh) {
        this.tag(scope);
        this.fitTexts(scope);
      }
      this.listen(svg);
      this.pz = root.svgPanZoom(svg, {
        zoomEnabled: true, panEnabled: false, controlIconsEnabled: false,
        dblClickZoomEnabled: false,
        mouseWheelZoomEnabled: false, preventMouseEventsDefault: true, zoomScaleSensitivity: 0.25,
        minZoom: 0.01, maxZoom: 40, fit: true, center: true,
        onZoom: () => this.updateMini(), onPan: () => this.updateMini(),
      });
      // svg-pan-zoom's limits are relative to the fitted view: allow 8× real size at most
      const fitted = this.pz.getSizes().realZoom;
      const most = Math.max(2, 8 / fitted), least = Math.min(0.5, 0.02 / fitted);
      this.pz.setMaxZoom(most);
      this.pz.setMinZoom(least);
      this.realBounds = [least * fitted, most * fitted];
      this.miniBox = null;
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

    /* Text that the browser draws wider than Graphviz measured it (Chinese, which Graphviz's
     * built-in metrics do not cover, or a reader without Helvetica-wide fonts) is squeezed
     * into the room the layout gave it: up to the next piece of its line, or the box's edge. */
    fitTexts(scope) {
      const frames = new Map();
      const groups = Array.from(scope.querySelectorAll("g.node, g.cluster"));
      if (scope.matches("g.cluster")) groups.push(scope);
      for (const c of groups) {
        if (c.classList.contains("cluster")) frames.set(c.querySelector("title").textContent, c);
      }
      for (const g of groups) {
        const texts = Array.from(g.querySelectorAll("text"));
        if (!texts.length) continue;
        // the outline: the widest shape (a table's frame, not its chips), or for a node with
        // a frame of its own (the legend) that frame's
        const own = frames.get("cluster_" + g.querySelector("title").textContent);
        let box = null;
        for (const shape of (own || g).querySelectorAll("path, polygon, ellipse")) {
          const b = shape.getBBox();
          if (box === null || b.width > box.width) box = b;
        }
        if (box === null) continue;
        const left = box.x + 2, right = box.x + box.width - 2;
        const lines = new Map();
        for (const t of texts) {
          const y = t.getAttribute("y");
          if (!lines.has(y)) lines.set(y, []);
          lines.get(y).push(t);
        }
        for (const line of lines.values()) {
          line.sort((a, b) => a.x.baseVal[0].value - b.x.baseVal[0].value);
          line.forEach((t, i) => {
            const x = t.x.baseVal[0].value;
            const anchor = t.getAttribute("text-anchor");
            let room;
            if (anchor === "middle") room = 2 * Math.min(x - left, right - x);
            else if (anchor === "start") {
              room = (i + 1 < line.length ? line[i + 1].x.baseVal[0].value : right) - x;
            } else return;
            if (room > 4 && t.getComputedTextLength() > room + 0.5) {
              t.setAttribute("textLength", room.toFixed(2));
              t.setAttribute("lengthAdjust", "spacingAndGlyphs");
            }
          });
        }
      }
    }

    /* What each SVG group stands for: a leaf layer, a closed block, a fold or an open frame. */
    tag(scope) {
      const modules = this.data.vm.modules;
      const groups = Array.from(scope.querySelectorAll("g.node, g.cluster"));
      if (scope.matches("g.cluster")) groups.push(scope);
      for (const g of groups) {
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
    }

    /* Clicks and hovers on the drawing, whichever part of it they land on. */
    listen(svg) {
      let down = null;
      svg.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
      svg.addEventListener("click", (e) => {
        const from = down;
        down = null;   // one press, one click (the drawing stays for the next one)
        if (from && Math.hypot(e.clientX - from[0], e.clientY - from[1]) > 5) return;
        const g = e.target.closest("[data-layer], [data-block], [data-fold], [data-frame]");
        if (!g) return;
        e.preventDefault();
        this.clicked(g);
      });
      svg.addEventListener("mouseover", (e) => {
        const g = e.target.closest("[data-layer], [data-block], [data-fold], [data-frame]");
        if (g) this.hover(g);
      });
      svg.addEventListener("mouseover", (e) => {   // what a click here would draw, ahead
        const g = e.target.closest("[data-block], [data-fold], [data-frame]");
        if (!g || g === this.hovered) return;
        this.hovered = g;
        const frame = g.getAttribute("data-frame");
        const path = frame || g.getAttribute("data-block") || g.getAttribute("data-fold")
          .split("..")[0];
        this.layAhead(this.planWith(path, Boolean(frame)));
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
    /* Wheel and pinch zoom. While the wheel turns, the picture already on screen is scaled by
     * a CSS transform of the <svg> (the compositor's work: no repaint) and 150 ms after the
     * last turn (or once zooming out would uncover edges not drawn yet) the zoom is handed to
     * svg-pan-zoom and drawn sharp once. Zooming through
     * svg-pan-zoom at every turn made Chromium lay every text out again at each new scale,
     * 70–150 ms a frame on 1,000 boxes. */
    wheel(e) {
      if (!this.pz) return;
      e.preventDefault();
      const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1;   // lines, pages
      const delta = Math.max(-300, Math.min(300, e.deltaY * unit));
      let g = this.gesture;
      if (!g) {
        const r = this.svg.getBoundingClientRect();
        g = this.gesture = { left: r.left, top: r.top, s: 1, tx: 0, ty: 0, timer: 0,
                             real: this.sizes().realZoom, pan: this.pz.getPan() };
      }
      const [least, most] = this.realBounds;
      const s = Math.max(least / g.real, Math.min(most / g.real,
                                                    g.s * Math.pow(1.25, -delta / 100)));
      const f = s / g.s, x = e.clientX - g.left, y = e.clientY - g.top;
      g.tx = f * (g.tx - x) + x;   // the point under the pointer stays where it is
      g.ty = f * (g.ty - y) + y;
      g.s = s;
      this.svg.style.transform = `matrix(${s}, 0, 0, ${s}, ${g.tx}, ${g.ty})`;
      this.updateMini({ real: g.real * s, pan: { x: s * g.pan.x + g.tx, y: s * g.pan.y + g.ty } });
      clearTimeout(g.timer);
      if (s < WHEEL_UNCOVER) this.endWheel();   // zoomed out: it would show blank edges
      else g.timer = setTimeout(() => this.endWheel(), 150);
    }

    /* Drag to pan, the same way: the picture on screen is moved by a CSS translation and the
     * pan handed to svg-pan-zoom (one repaint) when the button is let go, or once the drag has
     * uncovered DRAG_UNCOVER px not yet drawn at an edge. */
    dragStart(e) {
      if (!this.pz || e.button !== 0 || this.mini.contains(e.target)) return;
      this.endWheel();
      this.drag = { x: e.clientX, y: e.clientY, dx: 0, dy: 0, pan: this.pz.getPan() };
    }

    dragMove(e) {
      const d = this.drag;
      if (!d || !this.pz) return;
      d.dx = e.clientX - d.x;
      d.dy = e.clientY - d.y;
      if (Math.max(Math.abs(d.dx), Math.abs(d.dy)) > DRAG_UNCOVER) {
        this.commitDrag();
        d.x = e.clientX;
        d.y = e.clientY;
        return;
      }
      this.svg.style.transform = `translate(${d.dx}px, ${d.dy}px)`;
      this.updateMini({ real: this.sizes().realZoom,
                        pan: { x: d.pan.x + d.dx, y: d.pan.y + d.dy } });
    }

    /* svg-pan-zoom moves the drawing at the next animation frame, the frame that also drops
     * the CSS translation: the two changes reach the screen together. */
    commitDrag() {
      const d = this.drag;
      d.pan = { x: d.pan.x + d.dx, y: d.pan.y + d.dy };
      d.dx = 0;
      d.dy = 0;
      this.svg.style.transform = "";
      this.pz.pan(d.pan);
      this.updateMini();
    }

    dragEnd() {
      if (!this.drag) return;
      if (this.pz) this.commitDrag();
      this.drag = null;
    }

    endWheel() {
      const g = this.gesture;
      this.gesture = null;
      if (!g) return;
      clearTimeout(g.timer);
      this.svg.style.transform = "";
      if (!this.pz) return;
      this.zoomTo(g.real * g.s);
      this.pz.pan({ x: g.s * g.pan.x + g.tx, y: g.s * g.pan.y + g.ty });
      this.updateMini();
    }

    /* The details panel came or went: svg-pan-zoom keeps the stage's size, tell it. */
    stageResized() {
      if (!this.pz) return;
      this.pz.resize();
      this.updateMini();
    }

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

    /* The box of an SVG group in the coordinates of the drawing's graph group: a nested
     * layout puts each open block's drawing in a group moved into place. */
    graphBox(g) {
      const b = g.getBBox();
      const box = { x: b.x, y: b.y, width: b.width, height: b.height };
      for (let at = g.parentElement; at && !at.classList.contains("graph"); at = at.parentElement) {
        const t = at.transform && at.transform.baseVal.consolidate();
        if (t) {
          box.x += t.matrix.e;
          box.y += t.matrix.f;
        }
      }
      return box;
    }

    centreOn(g) {
      const box = this.graphBox(g);
      const s = this.sizes();
      const real = Math.max(s.realZoom, 0.8);
      this.zoomTo(real);
      // the node's box is in the graph's coordinates: screen = graph * zoom + pan
      const inner = this.svg.querySelector("g.graph");
      const t = inner.transform.baseVal.consolidate();
      const ox = t ? t.matrix.e : 0, oy = t ? t.matrix.f : 0;
      const cx = (box.x + box.width / 2 + ox) * real, cy = (box.y + box.height / 2 + oy) * real;
      this.pz.pan({ x: s.width / 2 - cx, y: s.height / 2 - cy });
      this.applyView();
    }

    /* svg-pan-zoom moves the drawing at the next animation frame; a caller that centred a
     * box and reads where it is now (a search, a script, a test's click) must see it moved:
     * the same transform, set at once. */
    applyView() {
      const viewport = this.svg && this.svg.querySelector(".svg-pan-zoom_viewport");
      if (!viewport || !this.pz) return;
      const real = this.sizes().realZoom, pan = this.pz.getPan();
      viewport.setAttribute("transform", `matrix(${real},0,0,${real},${pan.x},${pan.y})`);
    }

    // --- minimap ----------------------------------------------------------------------
    /* The overview is a canvas of the boxes and frames (drawn once per layout, after the
     * layout is on screen) under a rectangle for the view: panning moves the rectangle only,
     * nothing of the drawing is painted twice. */
    buildMiniFrame() {
      this.miniCanvas = el("canvas", { class: "vzv-mini-graph" });
      this.miniRect = el("div", { class: "vzv-mini-view" });
      this.mini.append(this.miniCanvas, this.miniRect);
      const jump = (e) => {
        if (!this.pz) return;
        const { scale, offX, offY } = this.miniScale();
        const box = this.mini.getBoundingClientRect();   // where it is now (the page scrolls)
        const vb = this.viewBox;
        const gx = (e.clientX - box.left - offX) / scale + vb.x;
        const gy = (e.clientY - box.top - offY) / scale + vb.y;
        const s = this.sizes();
        this.pz.pan({ x: s.width / 2 - gx * s.realZoom, y: s.height / 2 - gy * s.realZoom });
        e.preventDefault();
      };
      let dragging = false;
      this.mini.addEventListener("pointerdown", (e) => { dragging = true; jump(e); });
      this.mini.addEventListener("pointermove", (e) => { if (dragging) jump(e); });
      this.onWindow("pointerup", () => { dragging = false; });
    }

    drawMini() {
      const svg = this.svg;
      if (!svg || this.mini.hidden || this.miniDrawn === svg) return;
      this.miniDrawn = svg;
      const { scale, offX, offY, box } = this.miniScale();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this.miniCanvas;
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const vb = this.viewBox;
      const inner = svg.querySelector("g.graph");
      const t = inner && inner.transform.baseVal.consolidate();
      const ox = t ? t.matrix.e : 0, oy = t ? t.matrix.f : 0;
      const rect = (g) => {
        const b = this.graphBox(g);
        return [offX + (b.x + ox - vb.x) * scale, offY + (b.y + oy - vb.y) * scale,
                Math.max(1, b.width * scale), Math.max(1, b.height * scale)];
      };
      ctx.strokeStyle = "#8c959f";
      ctx.lineWidth = 1;
      for (const g of svg.querySelectorAll("g.cluster")) ctx.strokeRect(...rect(g));
      for (const g of svg.querySelectorAll("g.node")) {
        const shape = g.querySelector("path, polygon, ellipse");
        const fill = shape && shape.getAttribute("fill");
        ctx.fillStyle = fill && fill !== "none" ? fill : "#8c959f";
        ctx.fillRect(...rect(g));
      }
    }

    /* Graph units to minimap pixels: the boxes are fitted and centred in the minimap (its
     * size is kept: reading it during a pan would make the browser lay the page out). */
    miniScale() {
      if (!this.miniBox) this.miniBox = this.mini.getBoundingClientRect();
      const box = this.miniBox, vb = this.viewBox;
      const scale = Math.min(box.width / vb.width, box.height / vb.height);
      return { scale, box, offX: (box.width - vb.width * scale) / 2,
               offY: (box.height - vb.height * scale) / 2 };
    }

    /* The view's rectangle on the minimap; ``view`` ({real, pan}) is one not yet handed to
     * svg-pan-zoom (a wheel gesture under way). */
    updateMini(view) {
      if (!this.pz) return;
      const s = this.sizes();
      const real = view ? view.real : s.realZoom;
      const pan = view ? view.pan : this.pz.getPan();
      const vb = this.viewBox;
      const x = -pan.x / real, y = -pan.y / real;
      const w = s.width / real, h = s.height / real;
      const bigger = w < vb.width * 0.98 || h < vb.height * 0.98;
      if (this.mini.hidden === bigger) {
        this.mini.hidden = !bigger;
        this.miniBox = null;
        if (bigger && this.root.dataset.state === "ready") this.drawMini();
      }
      if (!bigger) return;
      const { scale, offX, offY } = this.miniScale();
      const style = this.miniRect.style;
      style.left = `${offX + (x - vb.x) * scale}px`;
      style.top = `${offY + (y - vb.y) * scale}px`;
      style.width = `${w * scale}px`;
      style.height = `${h * scale}px`;
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
          this.showDetails(found[0]);   // first: the panel narrows the stage it centres in
          this.focus(this.groupOf(found), this.visible.boxOf[this.nodeIndex.get(found[0])]);
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
      close.addEventListener("click", () => {
        this.details.hidden = true;
        this.stageResized();
      });
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
      const opening = this.details.hidden;
      this.details.hidden = false;
      this.details.setAttribute("data-node", nodeId);
      if (opening) this.stageResized();
    }
  }

  function mount(element, data, options) {
    return new Viewer(element, data, options);
  }

  root.vizcnnViewer = { mount, layouts };   // the page's layouts: the browser tests read them
})(typeof globalThis !== "undefined" ? globalThis : this);
