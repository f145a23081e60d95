// Degradation playground: a preset or a stage list validated as you type; LR samples with every stage's image.
"use strict";
views.lab = {
  init(info) {
    for (const p of info.presets) $("lab-preset").append(el("option", { value: p, text: p }));
    for (const p of info.photos) $("lab-source").append(el("option", { value: p, text: p }));
    $("lab-preset").addEventListener("change", () => this.loadPreset());
    let timer = null;
    const later = () => { clearTimeout(timer); timer = setTimeout(() => this.validate(), 300); };
    for (const id of ["lab-yaml", "lab-scale", "lab-n", "lab-seed", "lab-crop"]) $(id).addEventListener("input", later);
    $("lab-upload").addEventListener("change", () => this.upload());
    $("lab-run").addEventListener("click", () => this.run());
    $("lab-save").addEventListener("click", () => this.save());
    $("lab-measure").addEventListener("click", () => this.measure());
    if (info.presets.includes("realesrgan_x4plus")) { $("lab-preset").value = "realesrgan_x4plus"; this.loadPreset(); }
  },

  body() {
    return { stages: $("lab-yaml").value, scale: $("lab-scale").value, n: $("lab-n").value, seed: $("lab-seed").value,
             crop: $("lab-crop").value, source: $("lab-source").value };
  },

  async loadPreset() {
    const name = $("lab-preset").value;
    if (!name) return;
    try {
      const p = await getJSON("/api/lab/preset?name=" + encodeURIComponent(name));
      $("lab-yaml").value = p.stages; $("lab-scale").value = p.scale;
      this.validate();
    } catch (e) { showMessage(e.message); }
  },

  async validate() {
    const box = $("lab-valid");
    try {
      const v = await postJSON("/api/lab/validate", this.body());
      box.className = "valid " + (v.ok ? "ok" : "bad");
      box.replaceChildren(...(v.ok ? [el("span", { text: "valid" })] : v.errors.map((e) => el("div", { text: e }))));
      return v.ok;
    } catch (e) { showMessage(e.message); return false; }
  },

  async upload() {
    const file = $("lab-upload").files[0];
    if (!file) return;
    try {
      const up = await uploadFile(file);
      const value = "upload:" + up.id;
      $("lab-source").append(el("option", { value, text: "upload: " + up.name }));
      $("lab-source").value = value;
    } catch (e) { showMessage(e.message); }
  },

  async run() {
    showMessage("");
    $("lab-run").disabled = true;
    try {
      const r = await postJSON("/api/lab/run", this.body());
      this.show(r);
    } catch (e) { showMessage(e.message); } finally { $("lab-run").disabled = false; }
  },

  show(r) {
    const [h, w] = r.hr_size;
    const out = $("lab-samples");
    out.replaceChildren(el("p", { text: `HR crop ${w}x${h} → LR ${r.lr_size[1]}x${r.lr_size[0]} (x${r.scale})` }));
    const list = el("div", { class: "samples" });
    r.samples.forEach((s, i) => {
      const lr = el("img", { src: s.lr, class: "lr", alt: `LR sample ${i}`, width: String(Math.min(w, 256)) });
      const stages = el("div", { class: "stage-images" });
      for (const st of s.stages) {
        stages.append(el("figure", {}, el("img", { src: st.image, width: "96", alt: st.label, title: `${st.size[1]}x${st.size[0]}` }),
                         el("figcaption", { text: st.label })));
      }
      list.append(el("div", { class: "sample", "data-index": String(i) }, el("h4", { text: `sample ${i}` }), lr, stages,
                      el("pre", { class: "record", text: JSON.stringify(s.record, null, 1) })));
    });
    out.append(list);
  },

  async save() {
    try {
      const r = await postJSON("/api/lab/save", { ...this.body(), name: $("lab-name").value });
      $("lab-saved").textContent = r.verdict;
    } catch (e) { showMessage(e.message); $("lab-saved").textContent = ""; }
  },

  async measure() {
    showMessage("");
    $("lab-measure").disabled = true;
    const out = $("lab-realism");
    out.replaceChildren(el("p", { text: "measuring…" }));
    try {
      const r = await postJSON("/api/lab/measure", {
        ...this.body(), real: $("lab-real").value, patch: $("lab-patch").value, synthetic: $("lab-synthetic").value,
        per_image: $("lab-per-image").value, kid: $("lab-kid").checked, toggles: $("lab-toggles").checked });
      this.showRealism(r);
    } catch (e) { showMessage(e.message); out.replaceChildren(); } finally { $("lab-measure").disabled = false; }
  },

  showRealism(r) {
    const names = Object.keys(r.real_means);
    const head = el("tr", {}, el("th", { text: "variant" }), el("th", { text: "KID×10³" }), el("th", { text: "stats distance" }),
                    ...names.map((n) => el("th", { text: n })));
    const table = el("table", { class: "metrics", id: "lab-realism-table" }, head,
                     el("tr", { "data-variant": "real LR" }, el("td", { text: "real LR" }), el("td", { text: "" }), el("td", { text: "" }),
                        ...names.map((n) => el("td", { text: r.real_means[n].toFixed(4) }))));
    for (const row of r.rows) {
      const tr = el("tr", { "data-variant": row.variant }, el("td", { text: row.variant }));
      if (row.skipped) tr.append(el("td", { colspan: String(2 + names.length), text: "not run: the LR size needs this stage" }));
      else tr.append(el("td", { text: "kid" in row ? (1000 * row.kid).toFixed(2) : "–" }), el("td", { text: row.stats.toFixed(3) }),
                     ...names.map((n) => el("td", { text: row.means[n].toFixed(4) })));
      table.append(tr);
    }
    $("lab-realism").replaceChildren(el("p", { text: `${r.real}: ${r.real_patches} real / ${r.synthetic_patches} synthetic patches ` +
      `of ${r.patch} px (HR: ${r.hr}, seed ${r.seed}); lower is closer` }), table);
  },
};
