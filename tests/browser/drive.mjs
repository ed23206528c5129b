// Drives the page in headless Chromium (Debian's /usr/bin/chromium through playwright-core) and
// prints what the page rendered as one JSON document on stdout. Run by test_cors_browser.py:
//
//   node tests/browser/drive.mjs CONFIG_JSON
//
// CONFIG_JSON: {"chromium", "profile", "api", "allowed", "refused", "key", "party",
//               "article": {"text", "source", "published_at"}, "refusedText", "timeoutMs"}
// "allowed" and "refused" are URLs of the same page served from two origins; only the first is
// on the API's CORS list. A step that cannot finish is reported as {"state": "driver-error"};
// the exit code is 0 when the page could be driven at all (the Python test judges the rest).
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2] ?? "{}");
const timeout = config.timeoutMs ?? 15000;

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these Chromium dials out at start-up, and the closed network refuses it.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Submits a form and waits (with a deadline) until its outcome area settles again. */
async function submit(page, formId, fields) {
  const outcome = `#${formId}-outcome`;
  for (const [name, value] of Object.entries(fields)) {
    await page.fill(`#${formId} [name="${name}"]`, value);
  }
  const before = Number(await page.getAttribute(outcome, "data-seq"));
  await page.click(`#${formId} button[type="submit"]`);
  await page.waitForFunction(
    ([selector, seq]) => {
      const node = document.querySelector(selector);
      return node !== null && Number(node.dataset.seq) > seq && node.dataset.state !== "loading";
    },
    [outcome, before],
    { timeout },
  );
  return page.$eval(outcome, (node) => {
    const text = (selector) => node.querySelector(selector)?.textContent ?? null;
    const headers = {};
    for (const dd of node.querySelectorAll("dd[data-header]")) {
      headers[dd.dataset.header] = dd.textContent;
    }
    const facets = {};
    for (const list of node.querySelectorAll("ul[data-facet]")) {
      facets[list.dataset.facet] = [...list.querySelectorAll("li")].map((li) => ({
        value: li.dataset.value,
        label: li.querySelector(".label")?.textContent ?? null,
        count: Number(li.querySelector(".count")?.textContent),
      }));
    }
    const problem = node.querySelector("dl.problem")
      ? {
          status: Number(text('[data-field="status"]')),
          title: text('[data-field="title"]'),
          detail: text('[data-field="detail"]'),
          type: text('[data-field="type"]'),
        }
      : null;
    return {
      state: node.dataset.state,
      text: node.textContent,
      total: node.querySelector("[data-total]") ? Number(node.querySelector("[data-total]").dataset.total) : null,
      hits: [...node.querySelectorAll("ol.hits li")].map((li) => li.dataset.id),
      facets,
      createdId: text("#created-id"),
      status: node.querySelector("[data-status]") ? Number(node.querySelector("[data-status]").dataset.status) : null,
      problem,
      headers,
      networkError: text(".network-error"),
    };
  });
}

/** One step's outcome; a step that cannot finish is reported, and the others still run. */
async function step(run) {
  try {
    return await run();
  } catch (error) {
    return { state: "driver-error", error: String(error) };
  }
}

async function open(context, url) {
  const page = await context.newPage();
  const seen = { console: [], failed: [], pageErrors: [] };
  page.on("console", (message) => {
    if (message.type() === "error") seen.console.push(message.text());
  });
  page.on("requestfailed", (request) => {
    seen.failed.push({ url: request.url(), method: request.method(), error: request.failure()?.errorText ?? "" });
  });
  page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
  const target = new URL(url);
  target.searchParams.set("api", config.api);
  await page.goto(target.href, { timeout });
  await page.waitForSelector('#app[data-ready="true"]', { timeout });
  return { page, seen, origin: target.origin };
}

const context = await chromium.launchPersistentContext(config.profile, {
  executablePath: config.chromium,
  headless: true,
  args: ARGS,
  timeout,
});
context.setDefaultTimeout(timeout);
const results = { browser: context.browser()?.version() ?? null };
try {
  const allowed = await open(context, config.allowed);
  results.allowed = {
    origin: allowed.origin,
    search: await step(() => submit(allowed.page, "search", { party: config.party, size: "" })),
    created: await step(() => submit(allowed.page, "create", { ...config.article, key: config.key })),
    unauthorized: await step(() => submit(allowed.page, "create", { ...config.article, key: "" })),
    invalid: await step(() => submit(allowed.page, "search", { party: "", size: "1000" })),
  };
  results.allowed.seen = allowed.seen;

  const refused = await open(context, config.refused);
  results.refused = {
    origin: refused.origin,
    search: await step(() => submit(refused.page, "search", { party: config.party, size: "" })),
    create: await step(() =>
      submit(refused.page, "create", { text: config.refusedText, source: "refused", key: config.key }),
    ),
  };
  results.refused.seen = refused.seen;
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(results) + "\n");
