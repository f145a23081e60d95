// Runs view: the runs under the root; one run's curves (metrics.jsonl), images per iteration, compare images, config.
"use strict";
views.runs = {
  timer: null,
  current: null,
  onShow() { this.list(); },

  async list() {
    try {
      const r = await getJSON("/api/runs");
      const body = $("runs-table").querySelector("tbody");
      body.replaceChildren();
      for (const run of r.runs) {
        const best = run.stages.flatMap((s) => Object.entries(s.best).map(([k, v]) => `${s.name} ${k} ${v.value.toFixed(4)} @${v.iter}`));
        const row = el("tr", { class: "clickable", "data-path": run.path },
          el("td", { text: run.path }), el("td", { class: "status-" + run.status, text: run.status }),
          el("td", { text: run.stages.map((s) => `${s.name}${s.done ? " ✓" : ""} (${s.iter})`).join(", ") }),
          el("td", { text: best.join("; ") }));
        row.addEventListener("click", () => this.open(run.path));
        body.append(row);
      }
      if (!r.runs.length) body.append(el("tr", {}, el("td", { colspan: "4", text: "no runs under the root" })));
    } catch (e) { showMessage(e.message); }
  },

  async open(path) {
    clearTimeout(this.timer);
    this.current = path;
    let run;
    try { run = await getJSON("/api/run?path=" + encodeURIComponent(path)); } catch (e) { showMessage(e.message); return; }
    if (this.current !== path) return;
    const box = $("run-detail");
    box.replaceChildren(el("h2", { text: `${run.path} — ${run.status}` }));
    for (const stage of run.stages) {
      const part = el("div", { class: "stage", "data-stage": stage.name },
        el("h3", { text: `${stage.name}: ${stage.done ? "done" : "not done"}, iteration ${stage.iter}` }));
      const curves = el("div", { class: "curves" });
      for (const [key, points] of Object.entries(series(run.metrics[stage.name] || []))) curves.append(curve(key, points));
      part.append(curves);
      for (const [name, items] of Object.entries(run.images[stage.name] || {})) part.append(iterationSlider(name, items));
      box.append(part);
    }
    if (run.compare.length) {
      box.append(el("h3", { text: "compare (LR | bicubic | stages | HR)" }));
      for (const p of run.compare) box.append(el("img", { src: fileUrl(p), class: "compare", alt: p }));
    }
    box.append(el("h3", { text: "config.yml" }), el("pre", { class: "config", text: run.config || "(none)" }));
    if (run.status === "running") this.timer = setTimeout(() => this.open(path), 3000);
  },
};

// {"train l_pix": [[iter, value], ...], "val psnr": [...]} from metrics.jsonl records.
function series(records) {
  const out = {};
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (k === "iter" || k === "kind" || typeof v !== "number" || !isFinite(v)) continue;
      (out[`${r.kind} ${k}`] = out[`${r.kind} ${k}`] || []).push([r.iter, v]);
    }
  }
  return out;
}

function curve(key, points) {
  const W = 260, H = 120, P = 28, ns = "http://www.w3.org/2000/svg";
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => P + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - P - 6);
  const sy = (y) => H - 16 - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - 32);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "curve"); svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.setAttribute("data-key", key);
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n); return n;
  };
  add("text", { x: P, y: 11, "font-size": 11 }, key);
  add("text", { x: 2, y: 22, "font-size": 9 }, y1.toPrecision(4));
  add("text", { x: 2, y: H - 16, "font-size": 9 }, y0.toPrecision(4));
  add("text", { x: P, y: H - 3, "font-size": 9 }, String(x0));
  add("text", { x: W - 30, y: H - 3, "font-size": 9 }, String(x1));
  add("polyline", { fill: "none", stroke: "#06c", "stroke-width": 1.5,
                    points: points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ") });
  if (points.length === 1) add("circle", { cx: sx(xs[0]), cy: sy(ys[0]), r: 3, fill: "#06c" });
  return svg;
}

// One validation image, with a slider between the iterations it was saved at.
function iterationSlider(name, items) {
  const img = el("img", { src: fileUrl(items[items.length - 1].path), class: "val-image", alt: name });
  const label = el("span", { class: "iter-label", text: `iteration ${items[items.length - 1].iter}` });
  const range = el("input", { type: "range", min: "0", max: String(items.length - 1), value: String(items.length - 1), class: "iter" });
  range.addEventListener("input", () => { const it = items[range.value]; img.src = fileUrl(it.path); label.textContent = `iteration ${it.iter}`; });
  return el("div", { class: "val", "data-image": name }, el("h4", { text: name }), img, el("div", {}, range, label));
}
