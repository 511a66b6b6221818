// Lighthouse on several pages in one Chromium and one Node process (starting either costs
// seconds a run): node lighthouse.mjs '<chrome flags as JSON>' URL... prints, as JSON, each
// URL's final URL and its score in every category.
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const [flags, ...urls] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({ chromeFlags: JSON.parse(flags) });
const results = [];
try {
  for (const url of urls) {
    const { lhr } = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      // Pictures of the page for a person to look at: no category's score depends on them.
      skipAudits: ["screenshot-thumbnails", "final-screenshot"],
      disableFullPageScreenshot: true,
    });
    const scores = Object.fromEntries(
      Object.entries(lhr.categories).map(([name, category]) => [name, category.score]));
    const errors = lhr.runtimeError ? [lhr.runtimeError.message] : [];
    // What a performance score below 100 came from: each metric's score and value.
    const metrics = Object.fromEntries(
      lhr.categories.performance.auditRefs.filter((ref) => ref.weight > 0).map((ref) =>
        [ref.id, [lhr.audits[ref.id].score, lhr.audits[ref.id].displayValue]]));
    results.push({ url, final: lhr.finalDisplayedUrl, scores, metrics, errors });
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results) + "\n");
process.exit(0); // without this, Node waits seconds for timers Lighthouse leaves behind
