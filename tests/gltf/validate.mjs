// node validate.mjs FILE.glb ...: one JSON line per file with the validator's issue counts and the first messages
import { readFileSync } from "node:fs";
import validator from "gltf-validator";
for (const path of process.argv.slice(2)) {
  const report = await validator.validateBytes(new Uint8Array(readFileSync(path)), { maxIssues: 50 });
  const msgs = report.issues.messages.filter((m) => m.severity <= 1).slice(0, 5).map((m) => `${m.code}: ${m.message} (${m.pointer || ""})`);
  console.log(JSON.stringify({ path, errors: report.issues.numErrors, warnings: report.issues.numWarnings, messages: msgs, info: report.info }));
}
