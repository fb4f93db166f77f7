// The seglab page: pick an image, a method and its parameters, see the result over the image, compare, score.
// Everything comes from the API (GET /methods, /samples, /health); nothing here knows a method by name.
import { buildParams } from "./params.js";
import { bitmapOf, idsOf, mark, paint } from "./render.js";
import { enlarge, grayPng } from "./png.js";

const $ = (id) => document.getElementById(id);
const state = {
  methods: [], outputs: {}, spec: null, controls: null, previewSide: 1600,
  file: null, upload: null, image: null, base: null, labels: null, last: null,
  points: new Map(), strokes: new Map(), uploads: new Map(), watchers: new Map(),
  target: null, targetKind: null, drawLabel: () => 1, painting: false, cards: [],
  generation: 0, busy: false, pageAsked: "",  // generation: counts images loaded, so that a late result for an earlier one is dropped
};

function status(text) { $("status").textContent = text; }

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** POST a form (or GET); follow a 202 by polling its job until it answers something else. */
async function call(path, form) {
  let response = await fetch(path, form ? { method: "POST", body: form } : {});
  let body = await response.json();
  const start = performance.now();
  while (response.status === 202) {
    const where = body.position ? `queued (${body.position} ahead)` : "running";
    status(`${where}… ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    response = await fetch(body.url);
    body = await response.json();
  }
  if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
  return body;
}

// ---- image -------------------------------------------------------------------------------------------------------

// The page field, on every request that reads the image (left empty: a file of one page).
function appendPage(form) {
  const page = $("page").value.trim();
  if (page !== "") form.append("page", page);
}

/** Forget the shown image and everything made from it (results, comparison, scores). */
function forgetImage() {
  state.generation += 1;
  state.file = null;
  state.base = null;
  state.labels = null;
  state.last = null;
  state.cards = [];
  $("compare-grid").replaceChildren();
  $("eval-table").replaceChildren();
  $("downloads").replaceChildren();
  $("regions-box").hidden = true;
  $("result-info").textContent = "";
  $("image-info").textContent = "";
  const canvas = $("canvas");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

async function loadImage(blob, name) {
  showError("");
  status("reading the image…");
  state.upload = { blob, name };  // read again when the page changes, even if this page fails
  state.pageAsked = $("page").value.trim();
  forgetImage();  // a failed read leaves nothing of the previous image ready to run
  updateButtons();
  const generation = state.generation;
  const form = new FormData();
  form.append("image", blob, name);
  form.append("size", String(state.previewSide));
  appendPage(form);
  try {
    const body = await call("/preview", form);
    if (generation !== state.generation) return;  // another image was chosen meanwhile
    state.file = { blob, name };
    state.image = body.image;
    state.base = await bitmapOf(body.preview.png);
    state.strokes.clear();
    state.points.clear();
    notifyAll();
    const { height, width, channels, dtype } = body.image;
    $("image-info").textContent = `${name}: ${width} x ${height}, ${channels === 1 ? "gray" : `${channels} channels`}, `
      + `${dtype}${body.notes.length ? ` (${body.notes.join("; ")})` : ""}`;
    status("");
    updateButtons();
    render();
  } catch (err) {
    status("");
    showError(err.message);
    updateButtons();
  }
}

// ---- drawing -----------------------------------------------------------------------------------------------------

function render() {
  const canvas = $("canvas");
  if (!state.base) return;
  const opts = { opacity: Number($("opacity").value) / 100, mode: $("mode").value };
  paint(canvas, state.base, state.labels, opts);
  const names = new Set(state.spec ? state.spec.params.map((p) => p.name) : []);
  const points = [...state.points].filter(([n]) => names.has(n)).flatMap(([, pts]) => pts);
  const strokes = [...state.strokes].find(([n]) => names.has(n));
  mark(canvas, points, strokes ? strokes[1] : null);
  canvas.dataset.renders = String(Number(canvas.dataset.renders || 0) + 1);
  for (const card of state.cards) paint(card.canvas, state.base, card.labels, opts);
}

function pixelOf(event) {
  const canvas = $("canvas");
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * (canvas.width / rect.width),
    (event.clientY - rect.top) * (canvas.height / rect.height)];
}

function strokeAt([x, y]) {
  const { width, height } = state.base;
  let strokes = state.strokes.get(state.target);
  if (!strokes) { strokes = new Uint8Array(width * height); state.strokes.set(state.target, strokes); }
  const radius = Math.max(2, Math.round(Math.max(width, height) / 150));
  const value = state.drawLabel();
  for (let r = Math.max(0, Math.floor(y - radius)); r <= Math.min(height - 1, y + radius); r++) {
    for (let c = Math.max(0, Math.floor(x - radius)); c <= Math.min(width - 1, x + radius); c++) {
      if ((r - y) ** 2 + (c - x) ** 2 <= radius ** 2) strokes[r * width + c] = value;
    }
  }
  state.uploads.delete(state.target);
}

function setupCanvas() {
  const canvas = $("canvas");
  canvas.addEventListener("click", (event) => {
    if (!state.base || state.targetKind !== "points") return;
    const list = state.points.get(state.target) || [];
    list.push(pixelOf(event));
    state.points.set(state.target, list);
    notify(state.target);
    render();
  });
  canvas.addEventListener("pointerdown", (event) => {
    if (!state.base || state.targetKind !== "draw") return;
    state.painting = true;
    canvas.setPointerCapture(event.pointerId);
    strokeAt(pixelOf(event));
    render();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!state.painting) return;
    strokeAt(pixelOf(event));
    render();
  });
  canvas.addEventListener("pointerup", () => { state.painting = false; notify(state.target); });
}

// ---- parameters --------------------------------------------------------------------------------------------------

function notify(name) { (state.watchers.get(name) || (() => {}))((state.points.get(name) || []).length); }
function notifyAll() { for (const name of state.watchers.keys()) notify(name); }

const hooks = {
  target(name, kind, label) {
    const off = state.target === name;
    state.target = off ? null : name;
    state.targetKind = off ? null : kind;
    if (label) state.drawLabel = label;
    $("click-hint").hidden = off;
    $("click-hint").textContent = kind === "points" ? `click on the image to place ${name}`
      : `draw ${name} on the image (drag)`;
    notifyAll();
  },
  clear(name) {
    state.points.delete(name);
    state.strokes.delete(name);
    state.uploads.delete(name);
    notify(name);
    render();
  },
  upload(name, file) {
    if (file) state.uploads.set(name, file); else state.uploads.delete(name);
    state.strokes.delete(name);
    render();
  },
  watch(name, fn) { state.watchers.set(name, fn); },
  current: () => state.target,
};

function selectMethod(name) {
  state.spec = state.methods.find((m) => m.name === name);
  state.uploads.clear();  // an uploaded array of another method's field would be sent unseen
  $("method").value = name;
  $("method-summary").textContent = state.spec.summary
    + (state.spec.available ? "" : ` (needs: pip install "seglab[${state.spec.requires.join(",")}]")`);
  state.watchers.clear();
  state.target = null;
  state.targetKind = null;
  $("click-hint").hidden = true;
  state.controls = buildParams($("params"), state.spec, hooks);
  notifyAll();
  updateButtons();
  render();
}

/** The parameters as text, the points as "r,c;r,c" in full-resolution pixels, arrays as files. */
async function requestParams() {
  const text = state.controls.text();
  const arrays = [];
  const { height, width } = state.image;
  const { width: pw, height: ph } = state.base;
  for (const p of state.spec.params) {
    const points = state.points.get(p.name);
    if (p.type === "points" && points && points.length) {
      text[p.name] = points.map(([x, y]) => [Math.min(height - 1, Math.floor((y * height) / ph)),
        Math.min(width - 1, Math.floor((x * width) / pw))].join(",")).join(";");
    }
    if (p.type !== "array") continue;
    if (state.uploads.has(p.name)) arrays.push([p.name, state.uploads.get(p.name), state.uploads.get(p.name).name]);
    else if (state.strokes.has(p.name)) {
      const full = enlarge(state.strokes.get(p.name), pw, ph, width, height);
      arrays.push([p.name, await grayPng(full, width, height), `${p.name}.png`]);
    }
  }
  return { text, arrays };
}

// ---- segment -----------------------------------------------------------------------------------------------------

function chosenOutputs() {
  const chosen = [...document.querySelectorAll("#outputs input:checked")].map((b) => b.value);
  return [...new Set([...chosen, "labels", "csv"])].join(",");
}

/** Drop the shown result (after a failed run, so that an earlier result is not taken for this one's). */
function forgetResult() {
  state.labels = null;
  state.last = null;
  $("downloads").replaceChildren();
  $("regions-box").hidden = true;
  $("result-info").textContent = "";
  $("eval-table").replaceChildren();
}

async function segment() {
  showError("");
  const generation = state.generation;
  state.busy = true;
  updateButtons();
  status("segmenting…");
  try {
    const { text, arrays } = await requestParams();
    const form = new FormData();
    form.append("image", state.file.blob, state.file.name);
    appendPage(form);
    form.append("method", state.spec.name);
    form.append("params", JSON.stringify(text));
    form.append("outputs", chosenOutputs());
    form.append("preview", String(Math.max(state.base.width, state.base.height)));
    if ($("as-task").value) form.append("as_task", $("as-task").value);
    if ($("as-task").value && $("things").value.trim()) form.append("things", $("things").value.trim());
    for (const [, blob, name] of arrays) form.append("arrays", blob, name);
    form.append("array_params", arrays.map(([n]) => n).join(","));
    const body = await call("/segment", form);
    if (generation !== state.generation) { status("a result for an earlier image was dropped"); return; }
    state.last = body;
    state.labels = await idsOf(body.preview.png);
    $("eval-table").replaceChildren();
    showResult(body);
    render();
    status(`done: ${body.segments} segment(s)`);
  } catch (err) {
    status("");
    showError(err.message);
    if (generation === state.generation) { forgetResult(); render(); }
  } finally {
    state.busy = false;
    updateButtons();
  }
}

function showResult(body) {
  const meta = Object.entries(body.meta).filter(([, v]) => v === null || typeof v !== "object")
    .map(([k, v]) => `${k} = ${typeof v === "number" ? Number(v.toPrecision(5)) : v}`);
  $("result-info").textContent = `${body.method} (${body.task}): ${body.segments} segment(s), `
    + `${body.seconds.toFixed(3)} s in the method, ${body.total_seconds.toFixed(3)} s in all`
    + `${meta.length ? `; ${meta.join(", ")}` : ""}${body.notes.length ? `; ${body.notes.join("; ")}` : ""}`;
  $("downloads").replaceChildren(...body.files.map((f) => el("a", {
    href: f.url, download: f.name, textContent: `${f.name} (${(f.size / 1024).toFixed(1)} KiB)`,
  })));
  const csv = body.files.find((f) => f.name.endsWith(".regions.csv"));
  if (csv) showRegions(csv.url);
}

function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(field); field = ""; } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += ch;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

async function showRegions(url) {
  const rows = parseCsv(await (await fetch(url)).text());
  const [head, ...body] = rows;
  const shown = body.slice(0, 500);
  const fmt = (v) => (/^-?\d+\.\d{4,}$/.test(v) ? Number(v).toFixed(2) : v);
  $("regions").replaceChildren(el("tr", {}, ...head.map((h) => el("th", { textContent: h }))),
    ...shown.map((r) => el("tr", {}, ...r.map((v) => el("td", { textContent: fmt(v) })))));
  $("regions-count").textContent = `(${body.length}${body.length > shown.length ? `, first ${shown.length} shown` : ""})`;
  $("regions-box").hidden = false;
}

// ---- compare -----------------------------------------------------------------------------------------------------

async function compare() {
  showError("");
  const methods = [...document.querySelectorAll("#compare-methods input:checked")].map((b) => b.value);
  if (!methods.length) { showError("choose at least one method to compare"); return; }
  const generation = state.generation;
  state.busy = true;
  updateButtons();
  status(`comparing ${methods.length} method(s)…`);
  try {
    const params = {};
    let note = "";
    if (methods.includes(state.spec.name)) {
      const { text, arrays } = await requestParams();
      params[state.spec.name] = text;  // its parameters; drawn or uploaded arrays go to Segment only
      if (arrays.length) note = `; ${state.spec.name} ran without the ${arrays.map(([n]) => n).join(", ")} drawn or `
        + "uploaded (a comparison takes parameters only)";
    }
    const form = new FormData();
    form.append("image", state.file.blob, state.file.name);
    appendPage(form);
    form.append("methods", methods.join(","));
    form.append("params", JSON.stringify(params));
    form.append("preview", String(Math.min(768, Math.max(state.base.width, state.base.height))));
    const body = await call("/compare", form);
    if (generation !== state.generation) { status("a comparison for an earlier image was dropped"); return; }
    state.cards = [];
    const cards = [];
    for (const item of body.results) {
      const canvas = el("canvas");
      const title = el("h3", { textContent: item.method });
      const card = el("div", { className: "card" }, title);
      card.dataset.method = item.method;
      if (item.status === 200) {
        state.cards.push({ canvas, labels: await idsOf(item.preview.png) });
        card.append(canvas, el("small", { textContent: `${item.segments} segment(s), ${item.seconds.toFixed(3)} s` }));
        canvas.title = "open in the main view";
        canvas.addEventListener("click", () => {  // run it in the main view (its parameters kept if it is the current one)
          if (!state.spec || state.spec.name !== item.method) selectMethod(item.method);
          if (!$("run").disabled) segment();
        });
      } else {
        card.append(el("p", { className: "error", textContent: item.detail }));
      }
      cards.push(card);
    }
    $("compare-grid").replaceChildren(...cards);
    render();
    status(`compared ${methods.length} method(s) in ${body.total_seconds.toFixed(1)} s${note}`);
  } catch (err) {
    status("");
    showError(err.message);
  } finally {
    state.busy = false;
    updateButtons();
  }
}

// ---- evaluate ----------------------------------------------------------------------------------------------------

async function evaluate() {
  showError("");
  const labels = state.last && state.last.files.find((f) => f.name.includes(".labels."));
  if (!labels || !$("gt").files[0]) return;
  status("scoring…");
  try {
    const form = new FormData();
    form.append("prediction", await (await fetch(labels.url)).blob(), labels.name);
    form.append("ground_truth", $("gt").files[0], $("gt").files[0].name);
    form.append("task", $("eval-task").value);
    const body = await call("/eval", form);
    const rows = Object.entries(body.summary || {}).filter(([, v]) => v === null || typeof v !== "object");
    const shown = (v) => (typeof v !== "number" ? String(v) : Number.isInteger(v) ? String(v) : v.toFixed(4));
    $("eval-table").replaceChildren(el("tr", {}, el("th", { textContent: "task" }), el("td", { textContent: body.task })),
      ...rows.map(([k, v]) => el("tr", {}, el("th", { textContent: k }), el("td", { textContent: shown(v) }))));
    status("");
  } catch (err) {
    status("");
    showError(err.message);
    $("eval-table").replaceChildren();  // the scores of an earlier ground truth are not this one's
  }
}

// ---- start -------------------------------------------------------------------------------------------------------

function updateButtons() {
  const ready = Boolean(state.base && state.spec) && !state.busy;
  $("run").disabled = !ready || !state.spec.available;
  $("compare-run").disabled = !state.base || state.busy;
  $("eval-run").disabled = !state.last || !$("gt").files.length;
}

async function start() {
  const [health, registry, samples] = await Promise.all(["/health", "/methods", "/samples"].map(
    async (path) => (await fetch(path)).json()));
  state.previewSide = Math.min(1600, health.limits.preview_side);
  state.methods = registry.methods;
  state.outputs = registry.outputs;
  for (const name of samples) $("sample").append(el("option", { value: name, textContent: name }));
  const byFamily = Map.groupBy(state.methods, (m) => m.family);
  for (const [family, specs] of byFamily) {
    $("method").append(el("optgroup", { label: family }, ...specs.map((m) => el("option", {
      value: m.name, textContent: m.available ? m.name : `${m.name} (not installed)`,
    }))));
  }
  for (const [kind, doc] of Object.entries(state.outputs)) {
    const needed = kind === "labels" || kind === "csv";  // the page draws the labels and lists the regions
    $("outputs").append(el("label", { title: needed ? `${doc} (always made: the page shows it)` : doc },
      el("input", { type: "checkbox", value: kind, checked: needed || kind === "overlay" || kind === "json",
        disabled: needed }), ` ${kind}`));
  }
  for (const m of state.methods.filter((s) => s.available)) {
    $("compare-methods").append(el("label", {}, el("input", { type: "checkbox", value: m.name, checked: true }),
      ` ${m.name}`));
  }
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    if (file) { $("sample").value = ""; $("page").value = ""; loadImage(file, file.name); }
  });
  $("sample").addEventListener("change", async () => {
    const name = $("sample").value;
    $("page").value = "";  // a page chosen for another file does not carry over
    if (name) loadImage(await (await fetch(`/samples/${encodeURIComponent(name)}`)).blob(), name);
  });
  $("params").addEventListener("submit", (event) => {  // Enter in a field: run, never reload the page
    event.preventDefault();
    if (!$("run").disabled) segment();
  });
  $("page").addEventListener("change", () => {  // also fired when the field loses focus: only a new page reloads
    if (state.upload && $("page").value.trim() !== state.pageAsked) loadImage(state.upload.blob, state.upload.name);
  });
  $("method").addEventListener("change", () => selectMethod($("method").value));
  $("reset").addEventListener("click", () => state.controls.reset());
  $("run").addEventListener("click", segment);
  $("compare-run").addEventListener("click", compare);
  $("eval-run").addEventListener("click", evaluate);
  $("gt").addEventListener("change", updateButtons);
  $("opacity").addEventListener("input", render);
  $("mode").addEventListener("change", render);
  $("as-task").addEventListener("change", () => { $("things-row").hidden = !$("as-task").value; });
  $("compare-all").addEventListener("click", () => document.querySelectorAll("#compare-methods input")
    .forEach((b) => { b.checked = true; }));
  $("compare-none").addEventListener("click", () => document.querySelectorAll("#compare-methods input")
    .forEach((b) => { b.checked = false; }));
  setupCanvas();
  selectMethod((state.methods.find((m) => m.available) || state.methods[0]).name);
  document.body.dataset.ready = "true";
}

start().catch((err) => showError(`could not reach the server: ${err.message}`));
