// pymodaq-h5 viewer: a page of our own over the h5grove API (no CDN, no network beyond
// this server). Tree, decoded attributes (settings XML as a tree), 1D/2D plots with PyMoDAQ's
// axes, units and error bars (NeXus hints from /pymodaq/), N-D slicing, live polling.
"use strict";
const Q = new URLSearchParams(location.search);
const POLL_MS = Number(Q.get("poll") || 1000);
const state = { file: Q.get("file") || "", path: Q.get("path") || "", meta: null, hints: null, slice: {}, mode: null, history: [] };
const $ = (id) => document.getElementById(id);

function qs(params) {
  return Object.entries(params).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
}
async function api(ep, params, kind = "json") {
  const r = await fetch(`/${ep}/?` + qs({ file: state.file, ...params }), { cache: "no-store" });
  if (!r.ok) {
    let m = r.statusText;
    try { m = (await r.json()).message; } catch (e) { /* not JSON */ }
    throw new Error(`${ep} ${r.status}: ${m}`);
  }
  return kind === "json" ? r.json() : r.arrayBuffer();
}
function setStatus(t) { $("status").textContent = t; }

// ---- typed data from format=bin&dtype=safe
const CTORS = { "<f4": Float32Array, "<f8": Float64Array, "|i1": Int8Array, "|u1": Uint8Array, "<i2": Int16Array,
  "<u2": Uint16Array, "<i4": Int32Array, "<u4": Uint32Array, "<i8": BigInt64Array, "<u8": BigUint64Array, "|b1": Uint8Array };
function safeDtype(d) {
  if (typeof d !== "string") return null;
  let t = d.replace(">", "<").replace("=", "<");
  if (t === "<f2") t = "<f4";
  return CTORS[t] ? t : null;
}
async function fetchNumbers(path, dtype, selection) {
  const buf = await api("data", { path, format: "bin", dtype: "safe", selection }, "bin");
  const arr = new CTORS[dtype](buf);
  return Float64Array.from(arr, Number);
}

// ---- tree
function nodeClass(m) { return m.kind === "group" ? "g" : m.kind === "dataset" ? "d" : "l"; }
async function expand(li, path) {
  const meta = await api("meta", { path });
  const ul = document.createElement("ul");
  for (const c of meta.children || []) {
    const cp = (path === "/" ? "" : path) + "/" + c.name;
    ul.appendChild(treeItem(c, cp));
  }
  li.appendChild(ul);
}
function treeItem(m, path) {
  const li = document.createElement("li");
  const s = document.createElement("span");
  s.textContent = m.name || "/";
  s.className = nodeClass(m);
  s.dataset.path = path;
  s.onclick = async () => {
    if (m.kind === "group") {
      const sub = li.querySelector("ul");
      if (sub) { sub.remove(); s.classList.remove("open"); } else { s.classList.add("open"); await expand(li, path); }
    }
    select(path);
  };
  li.appendChild(s);
  return li;
}
async function loadTree() {
  const tree = $("tree");
  tree.innerHTML = "";
  const ul = document.createElement("ul");
  const root = treeItem({ name: "/", kind: "group" }, "/");
  ul.appendChild(root);
  tree.appendChild(ul);
  root.firstChild.classList.add("open");
  await expand(root, "/");
}
async function revealInTree(path) {
  const parts = path.split("/").filter(Boolean);
  let cur = "";
  for (const p of parts.slice(0, -1)) {
    cur += "/" + p;
    const span = document.querySelector(`#tree span[data-path="${CSS.escape(cur)}"]`);
    if (span && !span.classList.contains("open")) { span.classList.add("open"); await expand(span.parentElement, cur); }
  }
  document.querySelectorAll("#tree span.sel").forEach((e) => e.classList.remove("sel"));
  const el = document.querySelector(`#tree span[data-path="${CSS.escape(path)}"]`);
  if (el) el.classList.add("sel");
}

// ---- attributes, decoded as PyMoDAQ does; XML settings as a tree
function xmlTree(node) {
  const d = document.createElement("details");
  const title = node.getAttribute && (node.getAttribute("title") || node.getAttribute("name"));
  const kids = Array.from(node.children || []);
  const sm = document.createElement("summary");
  sm.textContent = title ? `${title}` : node.nodeName;
  const val = kids.length === 0 ? (node.textContent || node.getAttribute?.("value") || "") : "";
  if (val) { const v = document.createElement("span"); v.className = "xmlval"; v.textContent = " = " + val; sm.appendChild(v); }
  d.appendChild(sm);
  for (const k of kids) d.appendChild(xmlTree(k));
  if (kids.length === 0) return sm.outerHTML ? Object.assign(document.createElement("div"), { innerHTML: sm.innerHTML }) : d;
  return d;
}
function renderValue(v) {
  if (typeof v === "string" && v.trim().startsWith("<")) {
    const doc = new DOMParser().parseFromString(v, "application/xml");
    if (!doc.querySelector("parsererror")) { const d = xmlTree(doc.documentElement); d.open = true; return d; }
  }
  const s = document.createElement("span");
  let t = typeof v === "string" ? v : JSON.stringify(v);
  if (t.length > 2000) t = t.slice(0, 2000) + "…";
  s.textContent = t;
  return s;
}
async function showAttrs(path) {
  const table = $("attrs");
  table.innerHTML = "";
  let attrs;
  try { attrs = await api("pmdattrs", { path }); } catch (e) { attrs = await api("attr", { path }); }
  for (const [k, v] of Object.entries(attrs)) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().appendChild(renderValue(v));
  }
}

// ---- plotting
function niceTicks(lo, hi, n = 6) {
  if (!isFinite(lo) || !isFinite(hi)) return [];
  if (lo === hi) { lo -= 1; hi += 1; }
  const step0 = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= step0) || step0;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}
function extent(a) {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) if (isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}
const M = { l: 70, r: 20, t: 14, b: 40 };
function frame(ctx, W, H, xr, yr) {
  ctx.strokeStyle = "#444"; ctx.fillStyle = "#222"; ctx.font = "11px sans-serif"; ctx.lineWidth = 1;
  ctx.strokeRect(M.l, M.t, W - M.l - M.r, H - M.t - M.b);
  const sx = (x) => M.l + (x - xr[0]) / (xr[1] - xr[0] || 1) * (W - M.l - M.r);
  const sy = (y) => H - M.b - (y - yr[0]) / (yr[1] - yr[0] || 1) * (H - M.t - M.b);
  ctx.textAlign = "center";
  for (const t of niceTicks(xr[0], xr[1])) { const x = sx(t); ctx.beginPath(); ctx.moveTo(x, H - M.b); ctx.lineTo(x, H - M.b + 4); ctx.stroke(); ctx.fillText(String(t), x, H - M.b + 15); }
  ctx.textAlign = "right";
  for (const t of niceTicks(yr[0], yr[1])) { const y = sy(t); ctx.beginPath(); ctx.moveTo(M.l - 4, y); ctx.lineTo(M.l, y); ctx.stroke(); ctx.fillText(String(t), M.l - 6, y + 4); }
  return [sx, sy];
}
function drawLine(x, y, err) {
  const c = $("plot"), ctx = c.getContext("2d"), W = c.width, H = c.height;
  ctx.clearRect(0, 0, W, H);
  let [ylo, yhi] = extent(y);
  if (err) { const lo = extent(y.map((v, i) => v - Math.abs(err[i]))), hi = extent(y.map((v, i) => v + Math.abs(err[i]))); ylo = lo[0]; yhi = hi[1]; }
  const pad = (yhi - ylo) * 0.05 || 1;
  const [sx, sy] = frame(ctx, W, H, extent(x), [ylo - pad, yhi + pad]);
  if (err) {
    ctx.strokeStyle = "#d62728"; ctx.lineWidth = 1;
    for (let i = 0; i < y.length; i++) {
      if (!isFinite(y[i]) || !isFinite(err[i])) continue;
      const X = sx(x[i]), a = sy(y[i] - Math.abs(err[i])), b = sy(y[i] + Math.abs(err[i]));
      ctx.beginPath(); ctx.moveTo(X, a); ctx.lineTo(X, b); ctx.moveTo(X - 3, a); ctx.lineTo(X + 3, a); ctx.moveTo(X - 3, b); ctx.lineTo(X + 3, b); ctx.stroke();
    }
  }
  ctx.strokeStyle = "#1f77b4"; ctx.fillStyle = "#1f77b4"; ctx.lineWidth = 2;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < y.length; i++) {
    if (!isFinite(y[i]) || !isFinite(x[i])) { pen = false; continue; }
    const X = sx(x[i]), Y = sy(y[i]);
    if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
    pen = true;
  }
  ctx.stroke();
  if (y.length <= 200) for (let i = 0; i < y.length; i++) if (isFinite(y[i])) { ctx.beginPath(); ctx.arc(sx(x[i]), sy(y[i]), 3, 0, 7); ctx.fill(); }
}
function viridis(t) {
  const s = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  t = Math.min(1, Math.max(0, t)) * 4; const i = Math.min(3, Math.floor(t)), f = t - i;
  return s[i].map((v, k) => Math.round(v + (s[i + 1][k] - v) * f));
}
function drawImage(z, ny, nx, xs, ys) {
  const c = $("plot"), ctx = c.getContext("2d"), W = c.width, H = c.height;
  ctx.clearRect(0, 0, W, H);
  const [lo, hi] = extent(z);
  const img = ctx.createImageData(nx, ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const v = z[j * nx + i], o = ((ny - 1 - j) * nx + i) * 4;
    const [r, g, b] = isFinite(v) ? viridis((v - lo) / (hi - lo || 1)) : [255, 255, 255];
    img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
  }
  const off = document.createElement("canvas"); off.width = nx; off.height = ny; off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, M.l, M.t, W - M.l - M.r, H - M.t - M.b);
  frame(ctx, W, H, extent(xs), extent(ys));
  $("colorbar").textContent = `${hi.toPrecision(4)} … ${lo.toPrecision(4)}`;
}

// ---- the selected dataset
function axisFor(dim, n) {
  const info = state.hints && (state.hints.axis_info || []).find((a) => a.dim === dim && a.values && a.values.length >= n);
  if (info) {
    let values = info.values.slice(0, n).map((v) => (v === null ? NaN : v));
    let label = info.long_name || info.name;
    // Timestamps (seconds since the epoch) are shown relative to the first one.
    if (info.units === "s" && values.length && values[0] > 1e9) {
      const t0 = values[0];
      values = values.map((v) => v - t0);
      label += ` since ${new Date(t0 * 1000).toLocaleTimeString()}`;
    }
    return { values, label };
  }
  return { values: Array.from({ length: n }, (_, i) => i), label: `index ${dim}` };
}
function buildControls(shape) {
  const box = $("controls");
  box.innerHTML = "";
  const nd = shape.length;
  if (nd >= 2) {
    const sel = document.createElement("select");
    sel.id = "mode";
    for (const m of ["image", "line"]) { const o = document.createElement("option"); o.value = m; o.textContent = m; sel.appendChild(o); }
    sel.value = state.mode || "image";
    sel.onchange = () => { state.mode = sel.value; draw(); };
    box.appendChild(sel);
  }
  const shown = (state.mode === "line" || nd < 2) ? 1 : 2;
  for (let d = 0; d < nd - shown; d++) {
    const lab = document.createElement("label");
    const r = document.createElement("input");
    r.type = "range"; r.min = 0; r.max = Math.max(0, shape[d] - 1); r.id = "slice" + d;
    r.value = Math.min(state.slice[d] ?? 0, shape[d] - 1);
    const name = axisFor(d, shape[d]).label;
    const txt = document.createElement("span");
    const upd = () => { txt.textContent = ` ${name}: ${r.value}/${shape[d] - 1}`; };
    r.oninput = () => { state.slice[d] = Number(r.value); upd(); draw(); };
    upd();
    lab.appendChild(r); lab.appendChild(txt);
    box.appendChild(lab);
  }
}
async function draw() {
  const meta = state.meta;
  if (!meta || meta.kind !== "dataset") return;
  const full = meta.shape || [];
  // Trailing dimensions of size 1 (a logger's (N, 1)) are held at 0 and not shown.
  let trail = 0;
  while (full.length - trail > 1 && full[full.length - 1 - trail] === 1) trail++;
  const shape = full.slice(0, full.length - trail);
  const dtype = safeDtype(meta.type && meta.type.dtype);
  const title = state.hints ? `${state.hints.name} — ${state.hints.long_name}` : meta.name;
  $("title").textContent = `${title}  [${full.join(" × ")}]`;
  if (!dtype || shape.length === 0) {
    $("plotbox").hidden = true;
    const v = await api("data", { path: state.path, selection: shape.length ? "0:1000" : undefined });
    $("values").hidden = false; $("values").textContent = JSON.stringify(v, null, 1).slice(0, 20000);
    return;
  }
  $("values").hidden = true; $("plotbox").hidden = false;
  if (!$("controls").children.length || $("controls").dataset.shape !== shape.join(",")) { buildControls(shape); $("controls").dataset.shape = shape.join(","); }
  const nd = shape.length, line = state.mode === "line" || nd < 2;
  const fixed = [];
  for (let d = 0; d < nd - (line ? 1 : 2); d++) fixed.push(Math.min(state.slice[d] ?? 0, shape[d] - 1));
  const parts = fixed.concat(line ? [":"] : [":", ":"], Array(trail).fill("0"));
  const selection = fixed.length || trail ? parts.join(",") : undefined;
  const y = await fetchNumbers(state.path, dtype, selection);
  const ylab = state.hints ? state.hints.long_name : meta.name;
  if (line) {
    const ax = axisFor(nd - 1, shape[nd - 1]);
    let err = null;
    if (state.hints && state.hints.errors_path) {
      try { err = await fetchNumbers(state.hints.errors_path, dtype, selection); } catch (e) { err = null; }
    }
    drawLine(ax.values, Array.from(y), err && Array.from(err));
    $("xlabel").textContent = ax.label; $("ylabel").textContent = ylab; $("colorbar").textContent = "";
  } else {
    const axx = axisFor(nd - 1, shape[nd - 1]), axy = axisFor(nd - 2, shape[nd - 2]);
    drawImage(y, shape[nd - 2], shape[nd - 1], axx.values, axy.values);
    $("xlabel").textContent = axx.label; $("ylabel").textContent = axy.label + " — " + ylab;
  }
  const points = y.length;
  state.history.push(points);
  document.body.dataset.points = String(points);
  document.body.dataset.history = state.history.join(",");
  document.body.dataset.rendered = "1";
  setStatus(`${points} points · ${new Date().toLocaleTimeString()}`);
}
async function select(path) {
  state.path = path;
  $("path").textContent = path;
  history.replaceState(null, "", "?" + qs({ file: state.file, path }));
  await revealInTree(path);
  try {
    state.meta = await api("meta", { path });
    state.hints = state.meta.kind === "dataset" || state.meta.kind === "group" ? await api("pymodaq", { path }) : null;
    if (state.meta.kind === "group" && state.hints && state.hints.signal_path) {
      return select(state.hints.signal_path);
    }
    state.slice = {}; state.mode = Q.get("mode"); $("controls").innerHTML = ""; $("controls").dataset.shape = "";
    $("meta").textContent = state.meta.kind === "dataset" ? `shape ${JSON.stringify(state.meta.shape)} · ${state.meta.type.dtype}` : state.meta.kind;
    $("plotbox").hidden = true; $("values").hidden = true;
    await showAttrs(path);
    await draw();
  } catch (e) { setStatus(String(e)); }
}
async function poll() {
  if (!$("live").checked || !state.meta || state.meta.kind !== "dataset") return;
  try {
    const m = await api("meta", { path: state.path });
    if (JSON.stringify(m.shape) !== JSON.stringify(state.meta.shape)) {
      state.meta = m;
      state.hints = await api("pymodaq", { path: state.path });
      await draw();
    }
  } catch (e) { setStatus(String(e)); }
}
async function firstDataPath() {
  const paths = await api("paths", {});
  return paths.find((p) => /\/(Data|EnlData)\d+$/.test(p)) || paths.find((p) => p !== "/") || "/";
}
async function openFile(f) {
  state.file = f;
  await loadTree();
  await select(state.path || (await firstDataPath()));
}
async function main() {
  const list = await (await fetch("/files", { cache: "no-store" })).json();
  const sel = $("file");
  for (const f of list.files) { const o = document.createElement("option"); o.value = f; o.textContent = f; sel.appendChild(o); }
  state.file = state.file || list.default || list.files[0] || "";
  sel.value = state.file;
  sel.onchange = () => { state.path = ""; openFile(sel.value); };
  if (state.file) await openFile(state.file);
  setInterval(poll, POLL_MS);
}
main().catch((e) => setStatus(String(e)));
window.addEventListener("error", (e) => setStatus("error: " + e.message));
window.addEventListener("unhandledrejection", (e) => setStatus("error: " + e.reason));
