// Drawing results: label ids decoded from the server's preview PNG, tinted and outlined over the image.
// The palette is the one of seglab.io.overlay: hue steps by the golden ratio with the id, s = 0.85, v = 1.

const GOLDEN = 0.618033988749895;
const BOUNDARY = [255, 255, 0];

/** RGB (0..255) of label `id`, as seglab.io.overlay colours it. */
export function colour(id) {
  const h = (id * GOLDEN) % 1, s = 0.85, v = 1;
  const i = Math.floor(h * 6), f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return rgb.map((c) => Math.round(c * 255));
}

/** Decode a base64 PNG into an ImageBitmap, without colour conversion (ids must stay exact). */
export async function bitmapOf(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return createImageBitmap(new Blob([bytes], { type: "image/png" }),
    { colorSpaceConversion: "none", premultiplyAlpha: "none" });
}

/** Label ids (Uint32Array, row-major) of a preview PNG storing id = R + 256 G + 65536 B. */
export async function idsOf(base64) {
  const bitmap = await bitmapOf(base64);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const ids = new Uint32Array(bitmap.width * bitmap.height);
  for (let i = 0, j = 0; i < ids.length; i++, j += 4) ids[i] = rgba[j] + 256 * rgba[j + 1] + 65536 * rgba[j + 2];
  return { ids, width: bitmap.width, height: bitmap.height };
}

/** Paint `base` (an ImageBitmap) and, over it, the labels `ids` with `opacity` (0..1) in `mode`. */
export function paint(canvas, base, labels, { opacity = 0.5, mode = "fill" } = {}) {
  // the canvas takes the labels' size (a comparison's previews are smaller than the image's), the image scaled to it
  canvas.width = labels ? labels.width : base.width;
  canvas.height = labels ? labels.height : base.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(base, 0, 0, canvas.width, canvas.height);
  if (!labels || mode === "image") return;
  const { ids, width, height } = labels;
  const img = ctx.getImageData(0, 0, width, height);
  const px = img.data;
  const cache = new Map();
  const fill = mode === "fill" || mode === "both";
  const outline = mode === "outline" || mode === "both";
  for (let r = 0, i = 0; r < height; r++) {
    for (let c = 0; c < width; c++, i++) {
      const id = ids[i];
      if (id === 0) continue;
      const j = 4 * i;
      if (outline && (c === 0 || c === width - 1 || r === 0 || r === height - 1 || ids[i - 1] !== id
          || ids[i + 1] !== id || ids[i - width] !== id || ids[i + width] !== id)) {
        px[j] = BOUNDARY[0]; px[j + 1] = BOUNDARY[1]; px[j + 2] = BOUNDARY[2];
        continue;
      }
      if (!fill) continue;
      let rgb = cache.get(id);
      if (!rgb) { rgb = colour(id); cache.set(id, rgb); }
      px[j] += (rgb[0] - px[j]) * opacity;
      px[j + 1] += (rgb[1] - px[j + 1]) * opacity;
      px[j + 2] += (rgb[2] - px[j + 2]) * opacity;
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Marks over the painted canvas: numbered points (seeds) and drawn marker strokes. */
export function mark(canvas, points, strokes) {
  const ctx = canvas.getContext("2d");
  const radius = Math.max(3, Math.round(Math.max(canvas.width, canvas.height) / 200));
  if (strokes) {
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < strokes.length; i++) {
      if (!strokes[i]) continue;
      const rgb = colour(strokes[i]);
      img.data.set(rgb, 4 * i);
    }
    ctx.putImageData(img, 0, 0);
  }
  ctx.font = `${2 * radius + 4}px sans-serif`;
  points.forEach(([x, y], n) => {
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fillStyle = "#ff2d55";
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.fillText(String(n + 1), x + radius + 2, y - radius);
  });
}
