// The playground page: search products, build a basket, call POST /recommend_panier, show why.
// Plain JavaScript on purpose (no build step, no CDN): served by the API, works offline.
// Text from the server always goes through textContent, never innerHTML: labels are data.
"use strict";

// Score breakdown signals, in order, with their labels: filled from GET /playground/options
// (reco_core.ranking.signals owns them; nothing is listed here).
let SIGNALS = [];
const SOURCE_NAMES = { popp: "popular in the profession", popg: "popular overall", emb: "similar (embeddings)" };
const SEARCH_DELAY_MS = 200;

const byId = (id) => document.getElementById(id);
const basket = new Map(); // product id -> product (as /products/search returns it)
let searchSeq = 0;
let searchTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status}: ${body.detail || response.statusText}`);
  return body;
}

function showError(message) {
  const box = byId("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function label(product) {
  return product.LIB_PRODUIT || `product ${product.product_id}`;
}

async function loadOptions() {
  try {
    const options = await getJson("/playground/options");
    byId("run-info").textContent = `run ${options.run_id} · active profile ${options.active_profile}`;
    for (const name of options.professions) byId("profession").append(el("option", { value: name, text: name }));
    for (const name of options.profiles) {
      const option = el("option", { value: name, text: name });
      option.selected = name === options.active_profile;
      byId("profile").append(option);
    }
    byId("k").max = options.max_k;
    SIGNALS = options.signals.map((signal) => [signal.name, `${signal.label} — ${signal.description}`]);
  } catch (error) {
    byId("run-info").textContent = "no run served";
    showError(error.message);
  }
}

function scheduleSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
}

async function runSearch() {
  const query = byId("search").value.trim();
  const seq = ++searchSeq;
  const list = byId("search-results");
  if (!query) {
    list.replaceChildren();
    return;
  }
  try {
    const answer = await getJson(`/products/search?q=${encodeURIComponent(query)}&limit=10`);
    if (seq !== searchSeq) return; // an answer to an older query arrived late
    list.replaceChildren(...answer.products.map(resultRow));
    if (!answer.products.length) list.append(el("li", { class: "muted", text: "no product found" }));
    showError("");
  } catch (error) {
    if (seq === searchSeq) showError(error.message);
  }
}

function resultRow(product) {
  const add = el("button", { class: "small-button", type: "button", "data-testid": "add", text: "add" });
  add.addEventListener("click", () => addToBasket(product));
  return el(
    "li",
    { "data-testid": "search-result", "data-product-id": product.product_id },
    el("span", { class: "name", text: label(product) }),
    el("span", { class: "id", text: product.product_id }),
    product.MDD ? el("span", { class: "badge", text: "MDD" }) : null,
    add,
  );
}

function addToBasket(product) {
  basket.set(product.product_id, product);
  byId("search").value = "";
  byId("search-results").replaceChildren();
  renderBasket();
  byId("search").focus();
}

function renderBasket() {
  const rows = [...basket.values()].map((product) => {
    const remove = el("button", { class: "small-button", type: "button", title: "remove", text: "×" });
    remove.addEventListener("click", () => {
      basket.delete(product.product_id);
      renderBasket();
    });
    return el(
      "li",
      { "data-testid": "basket-item", "data-product-id": product.product_id },
      el("span", { class: "name", text: label(product) }),
      el("span", { class: "id", text: product.product_id }),
      remove,
    );
  });
  byId("basket").replaceChildren(...rows);
  byId("basket-empty").hidden = basket.size > 0;
  byId("recommend").disabled = basket.size === 0;
}

async function recommend() {
  const k = Number(byId("k").value);
  const body = {
    product_ids: [...basket.keys()],
    profession: byId("profession").value || null,
    profile: byId("profile").value || null,
    k: Number.isInteger(k) ? k : 10,
    expand: true,
  };
  byId("recommend").disabled = true;
  try {
    const answer = await getJson("/recommend_panier", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    showError("");
    renderAnswer(answer);
  } catch (error) {
    showError(error.message);
  } finally {
    byId("recommend").disabled = basket.size === 0;
  }
}

function renderAnswer(answer) {
  const notes = [`profile ${answer.profile}`, `bucket ${answer.bucket}`, `run ${answer.run_id}`];
  if (answer.unknown_product_ids.length) notes.push(`ignored (unknown): ${answer.unknown_product_ids.join(", ")}`);
  if (answer.fallback) notes.push(`fallback: ${answer.fallback}`);
  byId("summary").textContent = notes.join(" · ");

  const mixTitle = answer.profession ? "profession given" : "profession mix detected from the basket";
  const mix = Object.entries(answer.profession_mix).sort((a, b) => b[1] - a[1]);
  byId("mix").replaceChildren(
    el("span", { class: "muted", text: `${mixTitle}:` }),
    ...mix.map(([name, weight]) =>
      el(
        "span",
        { class: "mix-item", "data-testid": "mix-item" },
        el("span", { text: name }),
        el("span", { class: "mix-bar" }, el("span", { style: `width:${(100 * weight).toFixed(1)}%` })),
        el("span", { class: "id", text: `${(100 * weight).toFixed(0)} %` }),
      ),
    ),
  );
  if (!mix.length) byId("mix").append(el("span", { class: "muted", text: "none" }));

  // One scale for every card, so bars compare across recommendations.
  const largest = Math.max(
    1e-9,
    ...answer.recommendations.flatMap((item) => SIGNALS.map(([name]) => Math.abs(item.score_breakdown[name]))),
  );
  const cards = answer.recommendations.map((item) => card(item, largest));
  if (!cards.length) cards.push(el("p", { class: "muted", text: "no recommendation" }));
  byId("cards").replaceChildren(...cards);
}

function card(item, largest) {
  const breakdown = el("div", { class: "breakdown", "data-testid": "breakdown" });
  for (const [name, meaning] of SIGNALS) {
    const value = item.score_breakdown[name];
    if (value === 0) continue;
    const width = `width:${((100 * Math.abs(value)) / largest).toFixed(1)}%`;
    breakdown.append(
      el(
        "div",
        { class: "bar-row", title: meaning, "data-testid": "bar", "data-signal": name },
        el("span", { text: name }),
        el("span", { class: "bar" }, el("span", { class: value < 0 ? "negative" : "", style: width })),
        el("span", { class: "bar-value", text: value.toFixed(3) }),
      ),
    );
  }
  const sources = el("div", { class: "sources", "data-testid": "sources" }, el("span", { class: "muted", text: "driven by: " }));
  for (const source of item.sources) {
    const known = basket.get(source);
    const text = known ? label(known) : SOURCE_NAMES[source] || String(source);
    sources.append(el("span", { class: "source", "data-source": source, text }));
  }
  if (!item.sources.length) sources.append(el("span", { class: "muted", text: "the blend of signals" }));
  const where = [item.LIB_GAMME || (item.ID_GAMME != null ? `gamme ${item.ID_GAMME}` : null),
    item.LIB_UNIVERS || (item.ID_UNIVERS != null ? `univers ${item.ID_UNIVERS}` : null)].filter(Boolean);
  return el(
    "article",
    { class: "card", "data-testid": "card", "data-product-id": item.product_id },
    el(
      "div",
      { class: "card-head" },
      el("span", { class: "rank", text: `#${item.rank}` }),
      el("span", { class: "label", "data-testid": "card-label", text: label(item) }),
      item.MDD ? el("span", { class: "badge", "data-testid": "mdd", text: "MDD" }) : null,
    ),
    el("div", { class: "meta", text: `${item.product_id}${where.length ? " · " + where.join(" · ") : ""}` }),
    el("div", { class: "score", "data-testid": "score", text: `score ${item.score.toFixed(4)}` }),
    breakdown,
    sources,
  );
}

byId("search").addEventListener("input", scheduleSearch);
byId("search").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    const first = byId("search-results").querySelector("[data-testid=add]");
    if (first) first.click();
  }
});
byId("recommend").addEventListener("click", recommend);
renderBasket();
loadOptions();
