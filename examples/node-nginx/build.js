// Makes dist/ from site/pages.json: one HTML page per entry. Uses Node's
// standard library only, so the build needs no registry.
"use strict";
const fs = require("fs");
const path = require("path");

const pages = JSON.parse(fs.readFileSync(path.join("site", "pages.json"), "utf8"));
const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
fs.mkdirSync("dist", { recursive: true });
for (const page of pages) {
  const links = pages.map((p) => `<a href="${p.file}">${escape(p.title)}</a>`).join(" | ");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(page.title)}</title></head>
<body><nav>${links}</nav><h1>${escape(page.title)}</h1><p>${escape(page.body)}</p>
<footer>built with node ${process.version}</footer></body></html>
`;
  fs.writeFileSync(path.join("dist", page.file), html);
}
console.log(`wrote ${pages.length} pages`);
