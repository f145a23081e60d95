// Shared helpers: elements, JSON requests with one-line errors, uploads, tabs, the server's info.
"use strict";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function showMessage(text, kind) {
  const box = $("message");
  box.textContent = text; box.className = kind || ""; box.hidden = !text;
}

async function request(method, url, body, raw) {
  const options = { method, headers: method === "POST" ? { "X-Esrgan-Page": "1" } : {} };
  if (raw !== undefined) { options.body = raw; }
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  let response;
  try { response = await fetch(url, options); } catch (e) { throw new Error("the server cannot be reached: " + e.message); }
  let data;
  try { data = await response.json(); } catch (e) { throw new Error(`HTTP ${response.status}: ${response.statusText}`); }
  if (!response.ok || data.error) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}
const getJSON = (url) => request("GET", url);
const postJSON = (url, body) => request("POST", url, body);

// One file -> {id, name, kind, width, height, url}; the error message of a refused upload is thrown.
async function uploadFile(file) {
  const limit = window.serverInfo ? window.serverInfo.limits.max_upload_bytes : Infinity;
  const size = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`);
  if (file.size > limit) throw new Error(`${file.name}: ${size(file.size)} is over the upload limit of ${size(limit)} (--max-upload-mb)`);
  return request("POST", "/api/upload?name=" + encodeURIComponent(file.name), undefined, file);
}

function fileUrl(path) { return "/api/file?path=" + encodeURIComponent(path); }

function fillModels(select, models) {
  select.replaceChildren();
  const groups = {};
  for (const m of models) {
    if (!groups[m.group]) { groups[m.group] = el("optgroup", { label: m.group }); select.append(groups[m.group]); }
    groups[m.group].append(el("option", { value: m.id, text: m.label }));
  }
}

const views = {};
function showView(name) {
  for (const b of document.querySelectorAll("nav button.tab")) b.classList.toggle("active", b.dataset.view === name);
  for (const s of document.querySelectorAll("section.view")) s.hidden = s.id !== "view-" + name;
  showMessage("");
  if (views[name] && views[name].onShow) views[name].onShow();
}

async function start() {
  for (const b of document.querySelectorAll("nav button.tab")) b.addEventListener("click", () => showView(b.dataset.view));
  try {
    window.serverInfo = await getJSON("/api/info");
  } catch (e) { showMessage(e.message); return; }
  $("root-info").textContent = "root: " + window.serverInfo.root;
  for (const v of Object.values(views)) if (v.init) v.init(window.serverInfo);
  showView("upscale");
  document.body.dataset.ready = "1";
}
window.addEventListener("DOMContentLoaded", start);

// Poll a queued job until it is done or failed; onUpdate(job) after each poll.
async function pollJob(id, onUpdate) {
  for (;;) {
    const job = await getJSON("/api/jobs/" + id);
    if (onUpdate) onUpdate(job);
    if (job.state === "done" || job.state === "failed") return job;
    await new Promise((r) => setTimeout(r, 400));
  }
}
