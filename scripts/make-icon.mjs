// Draws client/images/icon.png (128x128, the extension's icon): a database cylinder whose pool of
// connection slots is full, one slot overflowing in amber. Run `node scripts/make-icon.mjs`; the PNG
// is committed, this keeps it reproducible. Pure Node: shapes as signed distances, 4x4 supersampled.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

const N = 128;
const S = 4; // samples per axis
const bg = [24, 52, 86];
const light = [232, 241, 250];
const band = [24, 52, 86];
const amber = [255, 176, 32];
const slot = [120, 200, 255];

const roundedRect = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r, qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const ellipse = (x, y, cx, cy, rx, ry) => (Math.hypot((x - cx) / rx, (y - cy) / ry) - 1) * Math.min(rx, ry);
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;

// Layers back to front: [distance function, colour]. Inside when distance <= 0.
const cyl = { cx: 50, top: 30, bottom: 92, rx: 30, ry: 10 };
const layers = [
  [(x, y) => roundedRect(x, y, 64, 64, 64, 64, 22), bg],
  // cylinder body: a rectangle between the two ellipse centres, plus the bottom ellipse
  [(x, y) => Math.min(roundedRect(x, y, cyl.cx, (cyl.top + cyl.bottom) / 2, cyl.rx, (cyl.bottom - cyl.top) / 2, 0), ellipse(x, y, cyl.cx, cyl.bottom, cyl.rx, cyl.ry)), light],
  // two bands: the lower arcs of ellipses, drawn as thin crescents
  ...[51, 72].map((cy) => [(x, y) => (y > cy ? Math.abs(ellipse(x, y, cyl.cx, cy, cyl.rx, cyl.ry)) - 1.6 : 1) , band]),
  [(x, y) => Math.abs(ellipse(x, y, cyl.cx, cyl.top, cyl.rx, cyl.ry)) - 1.6, band],
  [(x, y) => ellipse(x, y, cyl.cx, cyl.top, cyl.rx - 1.6, cyl.ry - 1.6), [205, 222, 240]],
  // the pool: a column of connection slots beside the database, all taken, the last one over
  ...[34, 52, 70].map((cy) => [(x, y) => circle(x, y, 100, cy, 7.5), slot]),
  [(x, y) => circle(x, y, 100, 92, 11), amber],
  [(x, y) => Math.min(roundedRect(x, y, 100, 88.5, 1.8, 5, 1.8), circle(x, y, 100, 97.5, 2)), bg],
];

const px = Buffer.alloc(N * (N * 4 + 1));
for (let j = 0; j < N; j++) {
  px[j * (N * 4 + 1)] = 0; // filter: none
  for (let i = 0; i < N; i++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) {
      const x = i + (sx + 0.5) / S, y = j + (sy + 0.5) / S;
      let c = null;
      for (const [d, col] of layers) if (d(x, y) <= 0) c = col;
      if (c) { r += c[0]; g += c[1]; b += c[2]; a += 255; }
    }
    const n = S * S, o = j * (N * 4 + 1) + 1 + i * 4;
    const cov = a / 255;
    px[o] = cov ? Math.round(r / cov) : 0; px[o + 1] = cov ? Math.round(g / cov) : 0; px[o + 2] = cov ? Math.round(b / cov) : 0;
    px[o + 3] = Math.round(a / n);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(px, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(new URL('../client/images/icon.png', import.meta.url), png);
console.log(`client/images/icon.png: ${png.length} bytes`);
