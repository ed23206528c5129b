// A small front end on another origin than the API: faceted search, indexing an article with an
// API key, and problem+json errors rendered as a person would see them. The client is generated
// from openapi.yaml at test time (openapi-typescript types + openapi-fetch), so this file is
// typechecked against the contract the server publishes.
//
// Every outcome area carries data-state (idle | loading | ok | problem | network-error) and
// data-seq (incremented when a request settles), which the browser driver waits on.
import createClient from "openapi-fetch";
import type { components, paths } from "storyrecords-openapi";

type Problem = components["schemas"]["Problem"];
type Facets = components["schemas"]["Facets"];
type FacetBucket = components["schemas"]["FacetBucket"];
type ArticleSearchResult = components["schemas"]["ArticleSearchResult"];
type Article = components["schemas"]["Article"];
type ArticleIn = components["schemas"]["ArticleIn"];
type SearchQuery = NonNullable<paths["/v1/articles"]["get"]["parameters"]["query"]>;

// Response headers a cross-origin page can read only when the server exposes them.
const EXPOSED = ["X-Request-Id", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining"];

function element<T extends HTMLElement>(selector: string, kind: { new (): T }): T {
  const found = document.querySelector(selector);
  if (!(found instanceof kind)) {
    throw new Error(`page is missing ${selector}`);
  }
  return found;
}

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  return node;
}

function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === "string" ? value.trim() : "";
}

const apiBase = new URL(location.href).searchParams.get("api") ?? location.origin;
const client = createClient<paths>({ baseUrl: apiBase });

/** Sets the area to loading; the returned function settles it (and bumps data-seq). */
function begin(outcome: HTMLElement): (state: string, ...children: Node[]) => void {
  outcome.dataset["state"] = "loading";
  outcome.replaceChildren(make("p", "…"));
  return (state, ...children) => {
    outcome.replaceChildren(...children);
    outcome.dataset["state"] = state;
    outcome.dataset["seq"] = String(Number(outcome.dataset["seq"] ?? "0") + 1);
  };
}

function headersList(response: Response | undefined): HTMLElement {
  const list = make("dl", undefined, { class: "headers" });
  for (const name of EXPOSED) {
    const value = response?.headers.get(name);
    if (value) {
      list.append(make("dt", name), make("dd", value, { "data-header": name.toLowerCase() }));
    }
  }
  return list;
}

function renderProblem(problem: Problem, response: Response): HTMLElement {
  const box = make("div");
  const list = make("dl", undefined, { class: "problem" });
  const rows: [keyof Problem & string, string][] = [
    ["status", String(problem.status)],
    ["title", problem.title],
    ["detail", problem.detail],
    ["type", problem.type],
  ];
  for (const [name, value] of rows) {
    list.append(make("dt", name), make("dd", value, { "data-field": name }));
  }
  box.append(make("h3", `HTTP ${response.status}`), list, headersList(response));
  return box;
}

function renderNetworkError(error: unknown): HTMLElement {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return make("p", message, { class: "network-error" });
}

function renderFacets(facets: Facets): HTMLElement {
  const box = make("div", undefined, { class: "facets" });
  for (const [name, buckets] of Object.entries(facets) as [keyof Facets, FacetBucket[]][]) {
    const group = make("section");
    const list = make("ul", undefined, { "data-facet": name });
    for (const bucket of buckets) {
      const item = make("li", undefined, { "data-value": bucket.value });
      item.append(
        make("span", bucket.label, { class: "label" }),
        " ",
        make("span", String(bucket.count), { class: "count" }),
      );
      list.append(item);
    }
    group.append(make("h3", name), list);
    box.append(group);
  }
  return box;
}

function renderSearch(result: ArticleSearchResult, response: Response): Node[] {
  const hits = make("ol", undefined, { class: "hits" });
  for (const hit of result.hits) {
    hits.append(make("li", hit.title ?? hit.id, { "data-id": hit.id }));
  }
  return [
    make("p", `${result.total} articles`, { "data-total": String(result.total) }),
    hits,
    renderFacets(result.facets),
    headersList(response),
  ];
}

function renderCreated(article: Article, response: Response): Node[] {
  return [
    make("p", `HTTP ${response.status}`, { "data-status": String(response.status) }),
    make("p", `indexed as ${article.id}`),
    make("output", article.id, { id: "created-id" }),
    headersList(response),
  ];
}

async function search(form: HTMLFormElement, outcome: HTMLElement): Promise<void> {
  const settle = begin(outcome);
  const query: SearchQuery = {};
  const q = field(form, "q");
  const party = field(form, "party");
  const size = field(form, "size");
  if (q) query.q = q;
  if (party) query.party = party.split(/\s*,\s*/);
  if (size) query.size = Number(size);
  try {
    const { data, error, response } = await client.GET("/v1/articles", { params: { query } });
    if (data !== undefined) {
      settle("ok", ...renderSearch(data, response));
    } else {
      settle("problem", renderProblem(error, response));
    }
  } catch (error: unknown) {
    settle("network-error", renderNetworkError(error));
  }
}

async function create(form: HTMLFormElement, outcome: HTMLElement): Promise<void> {
  const settle = begin(outcome);
  const body: ArticleIn = { text: field(form, "text") };
  const source = field(form, "source");
  const publishedAt = field(form, "published_at");
  if (source) body.source = source;
  if (publishedAt) body.published_at = publishedAt;
  const key = field(form, "key");
  try {
    const { data, error, response } = await client.POST("/v1/articles", {
      body,
      headers: key ? { Authorization: `Bearer ${key}` } : {},
    });
    if (data !== undefined) {
      settle("ok", ...renderCreated(data, response));
    } else {
      settle("problem", renderProblem(error, response));
    }
  } catch (error: unknown) {
    settle("network-error", renderNetworkError(error));
  }
}

function main(): void {
  element("#api-base", HTMLElement).textContent = apiBase;
  element("#page-origin", HTMLElement).textContent = location.origin;
  const searchForm = element("#search", HTMLFormElement);
  const searchOutcome = element("#search-outcome", HTMLDivElement);
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void search(searchForm, searchOutcome);
  });
  const createForm = element("#create", HTMLFormElement);
  const createOutcome = element("#create-outcome", HTMLDivElement);
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void create(createForm, createOutcome);
  });
  element("#app", HTMLElement).dataset["ready"] = "true";
}

main();
