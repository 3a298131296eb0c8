// The playground page: search products, build a basket, call POST /recommend_panier, show why.
// Plain JavaScript on purpose (no build step, no CDN): served by the API, works offline.
// Text from the server always goes through textContent, never innerHTML: labels are data.
// The answer panel is drawn by one function, render(), from the current state only: an old
// answer or an old error can never stay on screen beside a new state.
"use strict";

// Filled from GET /playground/options: the signals (reco_core.ranking.signals owns their names,
// order and French labels; nothing is listed here) and what re-orders each profile's buckets.
let SIGNALS = [];
let REORDERING = {};
let MAX_K = 100;
const SEARCH_DELAY_MS = 200;
const FALLBACKS = {
  profession_popularity: "aucun produit du panier n'est connu : les plus vendus du métier",
  global_popularity: "aucun produit du panier n'est connu : les plus vendus, tous clients",
};

const byId = (id) => document.getElementById(id);
const basket = new Map(); // product id -> product (as /products/search returns it)
let searchSeq = 0;
let recommendSeq = 0;
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
  if (!response.ok) throw new Error(`erreur ${response.status} : ${body.detail || response.statusText}`);
  return body;
}

function showMessage(id, message) {
  const box = byId(id);
  box.textContent = message || "";
  box.hidden = !message;
}

function label(product) {
  return product.LIB_PRODUIT || `produit ${product.product_id}`;
}

function signalLabel(name) {
  if (name === "rule") return "imposé par une règle de merchandising";
  const signal = SIGNALS.find((s) => s.name === name);
  return signal ? signal.label : name;
}

function plural(n, word) {
  return `${n} ${word}${n > 1 ? "s" : ""}`;
}

// --- options ---------------------------------------------------------------------------------
async function loadOptions() {
  try {
    const options = await getJson("/playground/options");
    byId("run-info").textContent = `modèle ${options.run_id} · profil actif ${options.active_profile}`;
    for (const name of options.professions) byId("profession").append(el("option", { value: name, text: name }));
    for (const name of options.profiles) {
      const option = el("option", { value: name, text: name });
      option.selected = name === options.active_profile;
      byId("profile").append(option);
      byId("compare").append(el("option", { value: name, text: name }));
    }
    fillBranches(options);
    MAX_K = options.max_k;
    byId("k").max = MAX_K;
    byId("max-k").textContent = MAX_K;
    SIGNALS = options.signals;
    REORDERING = options.reordering;
    byId("legend-signals").replaceChildren(
      ...SIGNALS.flatMap((s) => [
        el("dt", { "data-testid": "legend-signal", "data-signal": s.name, text: s.label }),
        el("dd", { text: s.description }),
      ]),
    );
  } catch (error) {
    byId("run-info").textContent = "aucun modèle servi";
    render({ kind: "error", message: error.message });
  }
}

// The branch picker: the catalogue state's branches; without a state, nothing to filter with.
function fillBranches(options) {
  const select = byId("agence");
  const branches = options.branches || [];
  for (const branch of branches) {
    const name = branch.label || `agence ${branch.id}`;
    select.append(el("option", { value: String(branch.id), text: `${name} (${branch.available} produits disponibles)` }));
  }
  if (!branches.length) {
    select.replaceChildren(el("option", { value: "", text: "aucun état du catalogue servi : pas de filtre de stock" }));
    select.disabled = true;
  }
  const extra = [options.catalog_id ? `catalogue ${options.catalog_id}` : "sans état du catalogue",
    options.rules_id ? `règles ${options.rules_id}` : "sans règles"];
  byId("run-info").textContent += ` · ${extra.join(" · ")}`;
}

// --- search ----------------------------------------------------------------------------------
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
    showMessage("search-error", ""); // a failed search that was cleared is no longer true
    return;
  }
  try {
    const answer = await getJson(`/products/search?q=${encodeURIComponent(query)}&limit=10`);
    if (seq !== searchSeq) return; // an answer to an older query arrived late
    list.replaceChildren(...answer.products.map(resultRow));
    if (!answer.products.length) list.append(el("li", { class: "muted", text: "aucun produit trouvé" }));
    showMessage("search-error", "");
  } catch (error) {
    if (seq !== searchSeq) return;
    list.replaceChildren();
    showMessage("search-error", `recherche impossible : ${error.message}`);
  }
}

function resultRow(product) {
  const add = el("button", { class: "small-button", type: "button", "data-testid": "add", text: "ajouter" });
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

// --- basket ----------------------------------------------------------------------------------
function addToBasket(product) {
  basket.set(product.product_id, product);
  byId("search").value = "";
  byId("search-results").replaceChildren();
  showMessage("search-error", "");
  basketChanged();
  byId("search").focus();
  loadSubstitutes(product);
}

// The run's substitutes of a basket product (POST /products/enrich): shown under it, since the
// ranking never recommends them with it. A run without a substitute table answers null: nothing shown.
async function loadSubstitutes(product) {
  try {
    const post = (ids) => getJson("/products/enrich", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ product_ids: ids }),
    });
    const [info] = (await post([product.product_id])).products;
    const ids = ((info && info.substitutes) || []).slice(0, 3);
    if (!ids.length || basket.get(product.product_id) !== product) return;
    product.substituteProducts = (await post(ids)).products;
    if (basket.get(product.product_id) === product) renderBasket();
  } catch (error) {
    // the substitutes are a hint: the basket works without them
  }
}

function basketChanged() {
  recommendSeq++; // an answer still on its way is for the previous basket
  renderBasket();
  render({ kind: basket.size ? "ready" : "empty" });
}

function renderBasket() {
  const rows = [...basket.values()].map((product) => {
    const remove = el("button", { class: "small-button", type: "button", title: "retirer", text: "×" });
    remove.addEventListener("click", () => {
      basket.delete(product.product_id);
      basketChanged();
    });
    return el(
      "li",
      { "data-testid": "basket-item", "data-product-id": product.product_id },
      el("span", { class: "name", text: label(product) }),
      el("span", { class: "id", text: product.product_id }),
      remove,
      (product.substituteProducts || []).length
        ? el("div", {
            class: "substitutes muted",
            "data-testid": "substitutes",
            title: "produits qui le remplacent dans les commandes : jamais recommandés avec lui",
            text: `remplaçable par : ${product.substituteProducts.map(label).join(", ")}`,
          })
        : null,
    );
  });
  byId("basket").replaceChildren(...rows);
  byId("basket-empty").hidden = basket.size > 0;
  byId("recommend").disabled = basket.size === 0;
}

// --- recommending ----------------------------------------------------------------------------
/** k from its field: {k} (null when empty: the server's default) or {error} in words. */
function readK() {
  const input = byId("k");
  const raw = input.value.trim();
  if (!raw && !input.validity.badInput) return { k: null };
  const k = Number(raw);
  if (input.validity.badInput || !Number.isInteger(k) || k < 1 || k > MAX_K) {
    return { error: `k doit être un nombre entier de 1 à ${MAX_K} (saisi : « ${raw || input.value} »).` };
  }
  return { k };
}

async function recommend() {
  const { k, error } = readK();
  if (error) {
    render({ kind: "error", message: error });
    return;
  }
  const profiles = [byId("profile").value, byId("compare").value].filter(Boolean);
  const body = {
    product_ids: [...basket.keys()],
    profession: byId("profession").value || null,
    expand: true,
    ...(byId("agence").value ? { agence: Number(byId("agence").value) } : {}),
    ...(k === null ? {} : { k }),
  };
  const seq = ++recommendSeq;
  render({ kind: "loading" });
  try {
    const answers = await Promise.all(
      profiles.map((profile) =>
        getJson("/recommend_panier", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ...body, profile }),
        }),
      ),
    );
    if (seq === recommendSeq) render({ kind: "answers", answers, defaultK: k === null });
  } catch (failure) {
    if (seq === recommendSeq) render({ kind: "error", message: failure.message });
  }
}

// --- the answer panel: one state at a time ----------------------------------------------------
const STATE_TEXT = {
  empty: "Panier vide : ajoutez un produit pour voir les produits qui le complètent.",
  ready: "Cliquez sur « Recommander » pour voir les produits qui complètent ce panier.",
  loading: "Calcul des recommandations…",
  error: "Aucune recommandation affichée : voir le message d'erreur.",
};

function render(state) {
  showMessage("error", state.kind === "error" ? state.message : "");
  byId("state").textContent = STATE_TEXT[state.kind] || "";
  byId("state").hidden = state.kind === "answers";
  byId("state").dataset.state = state.kind;
  byId("recommend").disabled = basket.size === 0 || state.kind === "loading";
  const answers = state.kind === "answers" ? state.answers : [];
  byId("results").classList.toggle("compare", answers.length > 1);
  // One scale for every card of every column, so bars compare across recommendations.
  const largest = Math.max(
    1e-9,
    ...answers.flatMap((answer) =>
      answer.recommendations.flatMap((item) => SIGNALS.map((s) => Math.abs(item.score_breakdown[s.name] || 0))),
    ),
  );
  byId("results").replaceChildren(
    ...answers.map((answer, i) => column(answer, answers[1 - i], largest, state.defaultK)),
  );
}

function bucketWords(bucket, basketSize) {
  const settings =
    bucket === "default"
      ? "ses réglages par défaut"
      : bucket.endsWith("+")
        ? `ses réglages pour les paniers de ${bucket.slice(0, -1)} articles et plus`
        : `ses réglages pour les paniers de ${plural(Number(bucket), "article")}`;
  return `panier de ${plural(basketSize, "article")} connu${basketSize > 1 ? "s" : ""} : le profil applique ${settings} (tranche « ${bucket} »)`;
}

function reorderWords(settings) {
  const why = [];
  if (settings.DIVERSIFY) {
    const relevance = Math.round(100 * settings.MMR_LAMBDA);
    why.push(`variété (MMR : ${relevance} % pertinence, ${100 - relevance} % différence avec les produits déjà choisis)`);
  }
  if (settings.CAP_PER_GAMME) why.push(`au plus ${plural(settings.CAP_PER_GAMME, "produit")} par gamme`);
  if (settings.PAIR_QUOTA) {
    why.push(`au moins ${plural(settings.PAIR_QUOTA, "produit")} acheté${settings.PAIR_QUOTA > 1 ? "s" : ""} avec le panier`);
  }
  return why.join(", ");
}

function column(answer, other, largest, defaultK) {
  const items = answer.recommendations;
  const settings = (REORDERING[answer.profile] || {})[answer.bucket];
  // A card scored higher than one placed above it was moved down by the re-ordering; the cards
  // it was moved below, scored lower than one placed after them, were moved up.
  // Cards placed by a merchandising rule are not compared: the rule says why they are there.
  const ranked = items.filter((item) => !(item.rules || []).length);
  const moved = items.map((item) => {
    if ((item.rules || []).length) return null;
    const i = ranked.indexOf(item);
    if (ranked.slice(0, i).some((above) => above.score < item.score)) return "down";
    if (ranked.slice(i + 1).some((below) => below.score > item.score)) return "up";
    return null;
  });
  const notes = [
    `profil ${answer.profile}`,
    bucketWords(answer.bucket, answer.basket.length),
    `${plural(items.length, "produit")} proposé${items.length > 1 ? "s" : ""}${defaultK ? " (k par défaut)" : ""}`,
  ];
  if (answer.unknown_product_ids.length) notes.push(`ignorés (inconnus du modèle) : ${answer.unknown_product_ids.join(", ")}`);
  if (answer.fallback) notes.push(FALLBACKS[answer.fallback] || answer.fallback);
  if (answer.unknown_profession) notes.push(`métier « ${answer.unknown_profession} » inconnu : déduit du panier`);
  const summary = el("div", { class: "summary", "data-testid": "summary" });
  for (const note of notes) summary.append(el("div", { text: note }));
  summary.append(...controlsView(answer));
  if (moved.some(Boolean)) {
    summary.append(
      el("div", {
        class: "reorder-note",
        "data-testid": "reorder-note",
        text:
          `Ordre revu pour la variété${settings ? ` (${reorderWords(settings)})` : ""} : ` +
          "une carte « descendue » a un meilleur score que des cartes placées avant elle.",
      }),
    );
  }
  const otherRanks = other ? new Map(other.recommendations.map((item) => [item.product_id, item.rank])) : null;
  const cards = items.map((item, i) => card(item, largest, moved[i], otherRanks, other && other.profile));
  if (!cards.length) cards.push(el("p", { class: "muted", text: "aucune recommandation" }));
  return el(
    "section",
    { class: "column", "data-testid": "column", "data-profile": answer.profile },
    other ? el("h3", { text: `Profil ${answer.profile}` }) : null,
    summary,
    mixView(answer),
    el("div", { class: "cards", "data-testid": "cards" }, ...cards),
  );
}

const REMOVED = {
  delisted: "déréférencé(s)",
  out_of_stock: "hors stock à l'agence",
  excluded_product_ids: "exclu(s) par la requête",
  univers: "hors univers demandés",
  gammes: "hors gammes demandées",
  blocked: "bloqué(s) par une règle",
};
const ACTIONS = { block: "blocage", pin: "épinglage", boost: "mise en avant", bury: "mise en retrait" };

// What the controls and the merchandising rules did to this answer.
function controlsView(answer) {
  const out = [];
  const controls = answer.controls;
  if (controls) {
    const removed = Object.entries(controls.removed || {}).map(([why, n]) => `${n} ${REMOVED[why] || why}`);
    const where = controls.agence != null ? `agence ${controls.agence}` : "toutes agences";
    out.push(el("div", { "data-testid": "controls", text: `stock : ${where}${removed.length ? ` · écartés : ${removed.join(", ")}` : ""}` }));
    if (controls.note) out.push(el("div", { class: "muted", "data-testid": "controls-note", text: controls.note }));
  }
  if (answer.shortfall) out.push(el("div", { class: "error", "data-testid": "shortfall", text: `moins de produits que demandé : ${answer.shortfall}` }));
  const rules = answer.rules_applied || [];
  if (rules.length) {
    const list = el("ul", { class: "rules", "data-testid": "rules-applied" });
    for (const rule of rules) {
      const what = rule.skipped
        ? `sans effet : ${rule.skipped}`
        : rule.action === "block"
          ? `${plural(rule.removed, "candidat")} écarté${rule.removed > 1 ? "s" : ""}`
          : `produit${rule.product_ids.length > 1 ? "s" : ""} ${rule.product_ids.join(", ")}`;
      list.append(el("li", { "data-testid": "rule-applied", "data-rule": rule.rule_id, text: `règle « ${rule.rule_id} » (${ACTIONS[rule.action] || rule.action}) : ${what}` }));
    }
    out.push(el("div", { text: "règles appliquées :" }), list);
  }
  return out;
}

function mixView(answer) {
  const title = answer.profession ? "métier choisi" : "métiers déduits du panier";
  const mix = Object.entries(answer.profession_mix).sort((a, b) => b[1] - a[1]);
  const view = el("div", { class: "mix", "data-testid": "mix" }, el("span", { class: "muted", text: `${title} :` }));
  for (const [name, weight] of mix) {
    view.append(
      el(
        "span",
        { class: "mix-item", "data-testid": "mix-item" },
        el("span", { text: name }),
        el("span", { class: "mix-bar" }, el("span", { style: `width:${(100 * weight).toFixed(1)}%` })),
        el("span", { class: "id", text: `${(100 * weight).toFixed(0)} %` }),
      ),
    );
  }
  if (!mix.length) view.append(el("span", { class: "muted", text: "aucun" }));
  return view;
}

function card(item, largest, moved, otherRanks, otherProfile) {
  const breakdown = el("div", { class: "breakdown", "data-testid": "breakdown" });
  for (const signal of SIGNALS) {
    const value = item.score_breakdown[signal.name];
    if (!value) continue;
    const width = `width:${((100 * Math.abs(value)) / largest).toFixed(1)}%`;
    breakdown.append(
      el(
        "div",
        { class: "bar-row", title: signal.description, "data-testid": "bar", "data-signal": signal.name },
        el("span", { class: "bar-label", "data-testid": "bar-label", text: signal.label }),
        el("span", { class: "bar" }, el("span", { class: value < 0 ? "negative" : "", style: width })),
        el("span", { class: "bar-value", text: value.toFixed(3) }),
      ),
    );
  }
  const sources = el("div", { class: "sources", "data-testid": "sources" }, el("span", { class: "muted", text: "pourquoi : " }));
  for (const source of item.sources) {
    const known = basket.get(source);
    const text = known ? `acheté avec ${label(known)}` : signalLabel(String(source));
    sources.append(el("span", { class: "source", "data-source": source, text }));
  }
  if (!item.sources.length) sources.append(el("span", { class: "muted", text: "l'ensemble des signaux" }));
  const where = [item.LIB_GAMME || (item.ID_GAMME != null ? `gamme ${item.ID_GAMME}` : null),
    item.LIB_UNIVERS || (item.ID_UNIVERS != null ? `univers ${item.ID_UNIVERS}` : null)].filter(Boolean);
  const flags = el("div", { class: "flags" });
  if (moved) {
    const text = moved === "down" ? "descendu pour la variété" : "remonté pour la variété";
    flags.append(el("span", { class: `flag reorder-${moved}`, "data-testid": "reordered", text }));
  }
  const alt = item.alternative;
  if (alt && alt.kind === "mdd_alternative") {
    flags.append(el("span", {
      class: "flag mdd-alternative",
      "data-testid": "mdd-alternative",
      "data-product-id": alt.product_id,
      title: `score ${alt.score.toFixed(4)}`,
      text: `existe en MDD : ${label(alt)}`,
    }));
  } else if (alt && alt.kind === "mdd_swap") {
    flags.append(el("span", {
      class: "flag mdd-swap",
      "data-testid": "mdd-swap",
      "data-product-id": alt.product_id,
      title: `score de la marque remplacée ${alt.score.toFixed(4)}`,
      text: `MDD à la place de ${label(alt)}`,
    }));
  }
  for (const hit of item.rules || []) {
    flags.append(el("span", { class: "flag rule", "data-testid": "rule", "data-rule": hit.rule_id, text: `règle « ${hit.rule_id} » : ${hit.detail}` }));
  }
  let diff = null;
  if (otherRanks) {
    const rank = otherRanks.get(item.product_id);
    diff = rank === undefined ? "only" : rank === item.rank ? "same" : "rank";
    if (diff !== "same") {
      const text = diff === "only" ? `absent du profil ${otherProfile}` : `rang ${rank} avec ${otherProfile}`;
      flags.append(el("span", { class: `flag diff-${diff}`, "data-testid": "diff", text }));
    }
  }
  const attrs = { class: `card${diff && diff !== "same" ? ` diff-${diff}` : ""}`, "data-testid": "card", "data-product-id": item.product_id };
  if (moved) attrs["data-reordered"] = moved;
  if (diff) attrs["data-diff"] = diff;
  return el(
    "article",
    attrs,
    el(
      "div",
      { class: "card-head" },
      el("span", { class: "rank", text: `#${item.rank}` }),
      el("span", { class: "label", "data-testid": "card-label", text: label(item) }),
      item.MDD ? el("span", { class: "badge", "data-testid": "mdd", title: "marque propre (marque de distributeur)", text: "MDD" }) : null,
    ),
    el("div", { class: "meta", text: `${item.product_id}${where.length ? " · " + where.join(" · ") : ""}` }),
    el("div", { class: "score", "data-testid": "score", text: `score ${item.score.toFixed(4)}` }),
    flags.childElementCount ? flags : null,
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
render({ kind: "empty" });
loadOptions();
