// Every ```mermaid block of the given Markdown files must parse with Mermaid itself, so a
// diagram in the docs never renders as an error box. Usage: node check-mermaid.mjs FILE...
import fs from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failures = 0;
let diagrams = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  for (const match of text.matchAll(/```mermaid\n([\s\S]*?)```/g)) {
    diagrams += 1;
    const line = text.slice(0, match.index).split("\n").length;
    try {
      await mermaid.parse(match[1]);
    } catch (error) {
      failures += 1;
      console.error(`${file}:${line}: ${String(error.message || error).split("\n").slice(0, 4).join(" ")}`);
    }
  }
}
console.log(`mermaid: ${diagrams} diagrams, ${failures} broken`);
process.exit(failures ? 1 : 0);
