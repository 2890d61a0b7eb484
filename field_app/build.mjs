// Build the field app into dist/ (git-ignored): the bundle (esbuild, content-hashed names), the page, the web
// app manifest and its icons (drawn here), and the service worker with the precache list of this build.
// Usage: node build.mjs
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

import * as esbuild from "esbuild";

const ROOT = dirname(fileURLToPath(import.meta.url));
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");
const GREEN = [0x1b, 0x5e, 0x20];

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The app icon: four white signal bars of rising height on green, as a PNG of `size` pixels. */
function iconPng(size) {
  const bars = [0.3, 0.5, 0.7, 0.9];
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x += 1) {
      const u = x / size;
      const v = 1 - y / size;
      const index = Math.floor((u - 0.18) / 0.17);
      const inBar = index >= 0 && index < 4 && (u - 0.18) % 0.17 < 0.12 && v > 0.18 && v < 0.18 + bars[index] * 0.64;
      const colour = inBar ? [255, 255, 255] : GREEN;
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function iconSvg() {
  const bars = [0.3, 0.5, 0.7, 0.9]
    .map((height, index) => {
      const h = height * 64;
      return `<rect x="${18 + index * 17}" y="${82 - h}" width="12" height="${h}" fill="#fff"/>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#1b5e20"/>${bars}</svg>`;
}

function manifest() {
  return JSON.stringify(
    {
      name: "fieldops",
      short_name: "fieldops",
      description: "Ghi nhận công tác thực địa / Field work records",
      lang: "vi",
      start_url: "/app/",
      scope: "/app/",
      display: "standalone",
      background_color: "#fafafa",
      theme_color: "#1b5e20",
      icons: [
        { src: "/app/icon-192.png", sizes: "192x192", type: "image/png" },
        { src: "/app/icon-512.png", sizes: "512x512", type: "image/png" },
        { src: "/app/icon.svg", sizes: "any", type: "image/svg+xml" },
      ],
    },
    null,
    2,
  );
}

function files(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

async function build() {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, "assets"), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(SRC, "main.js"), join(SRC, "styles.css")],
    bundle: true,
    format: "esm",
    splitting: true,
    minify: true,
    target: ["chrome87", "safari14", "firefox90"],
    outdir: join(DIST, "assets"),
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    metafile: true,
    legalComments: "eof",
    logLevel: "warning",
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = (name) => relative(join(DIST, "assets"), outputs.find(([, output]) => output.entryPoint === `src/${name}`)[0]);
  const page = readFileSync(join(SRC, "index.html"), "utf8")
    .replace("{{js}}", entry("main.js"))
    .replace("{{css}}", entry("styles.css"));
  writeFileSync(join(DIST, "index.html"), page);
  writeFileSync(join(DIST, "manifest.webmanifest"), manifest());
  writeFileSync(join(DIST, "icon.svg"), iconSvg());
  writeFileSync(join(DIST, "icon-192.png"), iconPng(192));
  writeFileSync(join(DIST, "icon-512.png"), iconPng(512));

  // Precache: everything built so far except the large icon and license notes; hashed names need no revision.
  const precache = files(DIST)
    .filter((path) => !path.endsWith("icon-512.png"))
    .map((path) => {
      const name = relative(DIST, path).split("\\").join("/");
      const url = name === "index.html" ? "/app/" : `/app/${name}`;
      const revision = name.startsWith("assets/") ? null : createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
      return { url, revision };
    });
  await esbuild.build({
    entryPoints: [join(SRC, "sw.js")],
    bundle: true,
    format: "iife",
    minify: true,
    target: ["chrome87", "safari14", "firefox90"],
    outfile: join(DIST, "sw.js"),
    define: { "self.__WB_MANIFEST": JSON.stringify(precache), "process.env.NODE_ENV": '"production"' },
    legalComments: "eof",
    logLevel: "warning",
  });
  const sizes = files(DIST).map((path) => `${relative(DIST, path)} ${readFileSync(path).length}`);
  console.log(`field app built in ${relative(process.cwd(), DIST) || "."}: ${sizes.length} files`);
}

build().catch((error) => {
  console.error(error);
  process.exit(1);
});
