// Upscale view: options from the task's params, a queued job polled for progress, a before/after slider per image.
"use strict";
views.upscale = {
  init(info) {
    fillModels($("up-model"), info.models);
    const builtin = info.models.find((m) => m.id === "builtin:realesr-animevideov3");
    if (builtin) $("up-model").value = builtin.id;
    const box = $("up-options");
    for (const f of info.options) {
      let input;
      if (f.kind === "choice") {
        input = el("select", { id: "opt-" + f.name }, el("option", { value: "", text: `default (${f.default})` }));
        for (const c of f.choices) input.append(el("option", { value: String(c), text: String(c) }));
      } else if (f.kind === "bool") {
        input = el("select", { id: "opt-" + f.name }, el("option", { value: "", text: `default (${f.default})` }),
          el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }));
      } else {
        input = el("input", { id: "opt-" + f.name, placeholder: f.default === null ? "" : String(f.default) });
      }
      box.append(el("label", { title: f.help }, f.name, input));
    }
    $("up-run").addEventListener("click", () => this.run(info));
  },

  options(info) {
    const out = {};
    for (const f of info.options) { const v = $("opt-" + f.name).value; if (v !== "") out[f.name] = v; }
    return out;
  },

  async run(info) {
    showMessage(""); $("up-results").replaceChildren(); $("up-messages").replaceChildren(); $("up-zip").hidden = true;
    const files = [...$("up-files").files];
    if (!files.length) { showMessage("choose one or more images or videos first"); return; }
    $("up-status").textContent = "uploading…";
    const uploads = [];
    try {
      for (const f of files) uploads.push(await uploadFile(f));
      const job = await postJSON("/api/upscale", { uploads: uploads.map((u) => u.id), model: $("up-model").value,
                                                   options: this.options(info) });
      await this.poll(job.id);
    } catch (e) { showMessage(e.message); $("up-status").textContent = ""; }
  },

  async poll(id) {
    for (;;) {
      const job = await getJSON("/api/jobs/" + id);
      const [done, total] = job.progress;
      $("up-progress").max = Math.max(total, 1); $("up-progress").value = done;
      $("up-status").textContent = job.state === "queued" ? `queued (${job.position} ahead)` : `${job.state}: ${done} of ${total}`;
      if (job.state === "done" || job.state === "failed") { this.show(job); return; }
      await new Promise((r) => setTimeout(r, 400));
    }
  },

  show(job) {
    for (const m of job.messages) $("up-messages").append(el("li", { text: m }));
    if (job.state === "failed") { showMessage(job.error); return; }
    const results = $("up-results");
    for (const f of job.result.files) {
      const box = el("div", { class: "result", "data-input": f.input }, el("h3", { text: f.input }));
      if (!f.output) { box.append(el("p", { class: "failed", text: "failed (see the messages above)" })); results.append(box); continue; }
      if (f.kind === "video") box.append(el("video", { src: f.url, controls: "" }));
      else box.append(slider(f.input_url, f.url));
      box.append(el("a", { href: f.url, download: f.output, class: "download", text: "Download " + f.output }));
      results.append(box);
    }
    if (job.result.files.some((f) => f.output)) { const zip = $("up-zip"); zip.href = `/api/jobs/${job.id}/zip`; zip.hidden = false; }
  },
};

// The result with the input laid over it, cut at the slider's position: left of the line is before.
function slider(beforeUrl, afterUrl) {
  const after = el("img", { src: afterUrl, class: "after", alt: "after" });
  const before = el("img", { src: beforeUrl, class: "before", alt: "before" });
  const range = el("input", { type: "range", min: "0", max: "100", value: "50", class: "split" });
  const cut = () => { before.style.clipPath = `inset(0 ${100 - range.value}% 0 0)`; };
  range.addEventListener("input", cut); cut();
  return el("div", { class: "slider-box" }, el("div", { class: "slider" }, after, before, range));
}
