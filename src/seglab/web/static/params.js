// Parameter controls generated from a method's schema (GET /methods): one rule per kind, nothing per method.
//   int, float  bounded on both sides: a slider and a number field; else a number field with its range
//   choice      a select;  bool: a checkbox;  str, json, rng: a text field (parsed by the server, as the CLI does)
//   points      click on the image to place points;  array: upload an image, or draw on the image
// A value is sent only once the user has changed it, so every other parameter keeps the method's default.

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function rangeText(p) {
  if (p.choices.length) return "";
  if (p.min === null && p.max === null) return p.type;
  const lo = p.min === null ? "-inf" : p.min, hi = p.max === null ? "inf" : p.max;
  return `${p.type} in ${p.min_open || p.min === null ? "(" : "["}${lo}, ${hi}${p.max_open || p.max === null ? ")" : "]"}`;
}

function defaultText(p) {
  if (p.default === null) return "";
  return typeof p.default === "object" ? JSON.stringify(p.default) : String(p.default);
}

function numberControl(p, changed) {
  const isInt = p.type === "int";
  const number = el("input", { type: "number", step: isInt ? "1" : "any", value: defaultText(p),
    name: p.name, placeholder: p.default === null ? "auto" : "" });
  if (p.min !== null) number.min = p.min;
  if (p.max !== null) number.max = p.max;
  // text that is not a number (e.g. "1e") reads as "": marked invalid, so that a run refuses it instead of
  // silently falling back to the default
  number.addEventListener("input", () => changed(p.name, number.validity.badInput ? null : number.value));
  if (p.min === null || p.max === null) return { node: number, set: (v) => { number.value = v; } };
  const span = p.max - p.min;
  const slider = el("input", { type: "range", min: p.min, max: p.max, name: `${p.name}-slider`,
    step: isInt ? "1" : String(span / 500),  // integers: every value reachable (arrow keys step by one)
    value: p.default === null ? p.min : p.default });
  slider.setAttribute("aria-label", p.name);
  slider.addEventListener("input", () => { number.value = slider.value; changed(p.name, slider.value); });
  number.addEventListener("input", () => { slider.value = number.value; });
  return { node: el("div", { className: "range" }, slider, number),
    set: (v) => { number.value = v; slider.value = v === "" ? p.min : v; } };
}

function choiceControl(p, changed) {
  const select = el("select", { name: p.name });
  if (p.nullable || p.default === null) select.append(el("option", { value: "none", textContent: "(auto)" }));
  for (const c of p.choices) select.append(el("option", { value: String(c), textContent: String(c) }));
  select.value = p.default === null ? "none" : String(p.default);
  select.addEventListener("change", () => changed(p.name, select.value));
  return { node: select, set: (v) => { select.value = v === "" ? "none" : v; } };
}

function boolControl(p, changed) {
  const box = el("input", { type: "checkbox", name: p.name, checked: Boolean(p.default) });
  box.addEventListener("change", () => changed(p.name, box.checked ? "true" : "false"));
  return { node: box, set: (v) => { box.checked = v === "true"; } };
}

function textControl(p, changed) {
  const input = el("input", { type: "text", name: p.name, value: defaultText(p),
    placeholder: p.type === "rng" ? "random seed, e.g. 0" : p.default === null ? "auto" : "" });
  input.addEventListener("input", () => changed(p.name, input.value));
  return { node: input, set: (v) => { input.value = v; } };
}

function pointsControl(p, hooks) {
  const toggle = el("button", { type: "button", textContent: "place on the image", name: `${p.name}-place` });
  const count = el("small", { className: "count", textContent: "none" });
  const clear = el("button", { type: "button", className: "link", textContent: "clear" });
  toggle.addEventListener("click", () => hooks.target(p.name, "points"));
  clear.addEventListener("click", () => hooks.clear(p.name));
  hooks.watch(p.name, (n) => {
    count.textContent = n ? `${n} point${n > 1 ? "s" : ""}` : "none";
    toggle.classList.toggle("on", hooks.current() === p.name);
  });
  return { node: el("div", { className: "row" }, toggle, count, clear), set: () => hooks.clear(p.name) };
}

function arrayControl(p, hooks) {
  const file = el("input", { type: "file", name: p.name, accept: "image/*,.tif,.tiff" });
  const draw = el("button", { type: "button", textContent: "draw", name: `${p.name}-draw` });
  const label = el("input", { type: "number", min: "1", max: "255", value: "1", title: "label to draw" });
  const clear = el("button", { type: "button", className: "link", textContent: "clear" });
  file.addEventListener("change", () => hooks.upload(p.name, file.files[0] || null));
  draw.addEventListener("click", () => hooks.target(p.name, "draw", () => Number(label.value) || 1));
  clear.addEventListener("click", () => { file.value = ""; hooks.clear(p.name); });
  hooks.watch(p.name, () => draw.classList.toggle("on", hooks.current() === p.name));
  return { node: el("div", {}, file, el("div", { className: "row" }, draw, el("small", { textContent: "label" }),
    label, clear)), set: () => { file.value = ""; hooks.clear(p.name); } };
}

/**
 * Fill `form` with a control per parameter of `spec`; return { text(), reset() }.
 * text() gives the changed values as text, name -> string (the server parses them as the CLI does).
 */
export function buildParams(form, spec, hooks) {
  form.replaceChildren();
  const changed = new Map();
  const invalid = new Set();
  const setters = new Map();
  const note = (name, value) => {
    if (value === null) invalid.add(name); else invalid.delete(name);
    if (value === "" || value === null) changed.delete(name); else changed.set(name, value);
  };
  for (const p of spec.params) {
    let control;
    if (p.type === "points") control = pointsControl(p, hooks);
    else if (p.type === "array") control = arrayControl(p, hooks);
    else if (p.choices.length) control = choiceControl(p, note);
    else if (p.type === "int" || p.type === "float") control = numberControl(p, note);
    else if (p.type === "bool") control = boolControl(p, note);
    else control = textControl(p, note);
    setters.set(p.name, control.set);
    const head = el("div", {}, el("span", { className: "name", textContent: p.name }), " ",
      el("small", { textContent: [rangeText(p), p.default === null ? "" : `default ${defaultText(p)}`]
        .filter(Boolean).join(", ") }));
    const help = p.doc ? el("details", {}, el("summary", { textContent: "help" }), p.doc) : null;
    const box = el("div", { className: "param", title: p.doc }, head, control.node, help);
    box.dataset.param = p.name;
    form.append(box);
  }
  return {
    text: () => {
      if (invalid.size) throw new Error(`${[...invalid].join(", ")}: not a number; correct the field or reset to defaults.`);
      return Object.fromEntries(changed);
    },
    reset: () => {
      changed.clear();
      invalid.clear();
      for (const p of spec.params) setters.get(p.name)(defaultText(p));
    },
  };
}
