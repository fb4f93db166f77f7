// A minimal 8-bit grayscale PNG encoder, for marker images drawn on the page (a canvas PNG would be RGBA).

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG Blob of `pixels` (Uint8Array, row-major, `width` x `height`), 8-bit gray, zlib via CompressionStream. */
export async function grayPng(pixels, width, height) {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, gray, deflate, no filter method, no interlace
  const raw = new Uint8Array(height * (width + 1)); // each row: filter type 0, then its pixels
  for (let r = 0; r < height; r++) raw.set(pixels.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  const zlib = new Uint8Array(await new Response(new Blob([raw]).stream()
    .pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
  const signature = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
  return new Blob([signature, chunk("IHDR", header), chunk("IDAT", zlib), chunk("IEND", new Uint8Array())],
    { type: "image/png" });
}

/** `small` (w x h) enlarged to `width` x `height` by nearest neighbour. */
export function enlarge(small, w, h, width, height) {
  const out = new Uint8Array(width * height);
  const cols = Int32Array.from({ length: width }, (_, c) => Math.min(w - 1, Math.floor(((c + 0.5) * w) / width)));
  for (let r = 0; r < height; r++) {
    const src = Math.min(h - 1, Math.floor(((r + 0.5) * h) / height)) * w;
    const row = r * width;
    for (let c = 0; c < width; c++) out[row + c] = small[src + cols[c]];
  }
  return out;
}
