// Compare view: two models on one image, a slider between their results, metrics against an HR image.
"use strict";
views.compare = {
  init(info) {
    fillModels($("cmp-a"), info.models); fillModels($("cmp-b"), info.models);
    const ids = info.models.map((m) => m.id);
    if (ids.includes("builtin:realesr-animevideov3")) $("cmp-a").value = "builtin:realesr-animevideov3";
    if (ids.includes("builtin:realesrgan-x4plus")) $("cmp-b").value = "builtin:realesrgan-x4plus";
    $("cmp-run").addEventListener("click", () => this.run());
  },

  async run() {
    showMessage(""); const out = $("cmp-result"); out.replaceChildren();
    const lrFile = $("cmp-lr").files[0], hrFile = $("cmp-hr").files[0];
    if (!lrFile) { showMessage("choose the image to upscale first"); return; }
    try {
      const lr = await uploadFile(lrFile);
      const hr = hrFile ? await uploadFile(hrFile) : null;
      const job = await postJSON("/api/compare", { model_a: $("cmp-a").value, model_b: $("cmp-b").value, lr: lr.id, hr: hr ? hr.id : null });
      const status = el("p", { class: "cmp-status" }); out.append(status);
      const done = await pollJob(job.id, (j) => { status.textContent = j.state === "queued" ? `queued (${j.position} ahead)` : `${j.state}: ${j.progress[0]} of 2`; });
      if (done.state === "failed") { showMessage(done.error); return; }
      this.show(done.result);
    } catch (e) { showMessage(e.message); }
  },

  show(r) {
    const out = $("cmp-result");
    const a = r.sides.A, b = r.sides.B;
    const names = { A: $("cmp-a").selectedOptions[0].text, B: $("cmp-b").selectedOptions[0].text };
    const table = el("table", { class: "metrics" }, el("tr", {}, el("th", { text: "model" }), el("th", { text: "size" }),
      ...["psnr", "ssim", "stlpips"].map((m) => el("th", { text: m }))));
    for (const side of ["A", "B"]) {
      const s = r.sides[side], m = s.metrics || {};
      const cell = (k) => el("td", { "data-metric": k, text: m[k] === undefined ? (m.error || "—") : (typeof m[k] === "number" ? m[k].toFixed(4) : m[k]) });
      table.append(el("tr", { "data-side": side }, el("td", { text: `${side}: ${names[side]}` }), el("td", { text: `${s.width}x${s.height}` }),
                      cell("psnr"), cell("ssim"), cell("stlpips")));
    }
    out.append(table);
    if (a.width === b.width && a.height === b.height) {
      out.append(el("p", { text: "left of the line: A, right: B" }), slider(a.url, b.url));
    } else {
      out.append(el("img", { src: a.url, alt: "A" }), el("img", { src: b.url, alt: "B" }));
    }
    out.append(el("div", {}, ...["A", "B"].map((side) => el("a", { href: r.sides[side].url, download: r.sides[side].output, class: "download", text: `Download ${side}` }))));
  },
};
