// Masks by structure, before every screenshot: in the page, in every same-origin frame and in every open
// shadow root, whatever the capture understood of them. Covered are every password input, every field or
// value whose label (found by any cue) looks secret, and every element or input holding a value known to be
// secret. A frame it cannot enter (cross-origin) and a host whose shadow root is closed (marked
// data-btc-closed by the caller through DevTools) are blacked out whole and reported as gaps.
// Returns the values found (the caller redacts them everywhere), a ledger without values, and a
// signature of what was masked, so the caller can tell whether the page changed after masking.
// Called with this = a root to scan only (a closed shadow root reached through DevTools), or with none.
function (opts) {
  const onlyRoot = (this && this.nodeType === 11) ? this : null;
  const norm = (s) => (s || "").replace(/[\u00a0\s]+/g, " ").trim();
  const toRes = (a) => (a || []).map((s) => new RegExp("^(?:" + s + ")$", "i"));
  const SECRET = toRes(opts.secretPatterns).concat(toRes(opts.extraSecret));
  const NOT_SECRET = toRes(opts.notSecret);
  const clean = (l) => norm(l).replace(/^[\s*]+/, "").replace(/[\s:*?]+$/, "").replace(/\s*\((optional|required)\)$/i, "");
  const secretText = (l, words) => {
    const c = clean(l);
    if (!c || c.length > 80 || (words && c.split(" ").length > words)) return false;
    return SECRET.some((r) => r.test(c)) && !NOT_SECRET.some((r) => r.test(c));
  };
  // name/id attributes as words: "snmp_community", "smtpPassword" → "snmp community", "smtp Password".
  const attrWords = (s) => norm((s || "").replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_\-.[\]]+/g, " "));
  const known = (opts.known || []).filter((v) => v && v.length >= 4);
  const hasKnown = (s) => !!s && known.some((v) => s.includes(v));
  const SKIP_TYPES = new Set(["hidden", "submit", "button", "reset", "image", "file", "checkbox", "radio", "range", "color"]);

  const found = new Set(); // secret values seen
  const ledger = []; // {where, why, label}
  const gaps = []; // {where, what}
  const targets = []; // {node, doc, why, black}
  const seen = new Set();
  const add = (node, doc, where, why, label, black) => {
    if (!node || seen.has(node)) return;
    seen.add(node);
    targets.push({ node, doc, black: !!black });
    if (!black) ledger.push({ where, why, label: label ? clean(label).slice(0, 80) : "" }); // gaps are listed apart
  };

  const textOf = (el) => {
    if (!el) return "";
    if (!el.querySelector || !el.querySelector("input,select,textarea,button")) return norm(el.textContent);
    const c = el.cloneNode(true);
    c.querySelectorAll("input,select,textarea,button").forEach((x) => x.remove());
    return norm(c.textContent);
  };
  const byId = (root, id) => (root.getElementById ? root.getElementById(id) : root.querySelector("#" + CSS.escape(id)));
  // Every cue a person or a screen reader would use to name a control; any one looking secret is enough.
  const cues = (el, root) => {
    const out = [];
    try { if (el.labels) for (const l of el.labels) out.push(textOf(l)); } catch (e) { /* detached */ }
    const by = el.getAttribute("aria-labelledby");
    if (by) out.push(by.split(/\s+/).map((id) => textOf(byId(root, id))).join(" "));
    out.push(el.getAttribute("aria-label"), el.getAttribute("title"), el.getAttribute("placeholder"),
      attrWords(el.getAttribute("name")), attrWords(el.id));
    const cell = el.closest("td,th,dd");
    if (cell && cell.tagName === "DD") {
      let dt = cell.previousElementSibling;
      while (dt && dt.tagName !== "DT") dt = dt.previousElementSibling;
      if (dt) out.push(textOf(dt));
    } else if (cell) {
      const row = cell.parentElement;
      const th = row && [...row.children].find((c) => c !== cell && c.tagName === "TH");
      if (th) out.push(textOf(th));
      if (cell.previousElementSibling) out.push(textOf(cell.previousElementSibling));
      const table = cell.closest("table");
      const head = table && table.tHead && table.tHead.rows[0];
      if (head && head.cells[cell.cellIndex]) out.push(textOf(head.cells[cell.cellIndex]));
    }
    // The nearest text before the control, up to three levels up (a <span>, <b>, <div> or bare text).
    for (let p = el, depth = 0; p && depth < 3; p = p.parentElement, depth++) {
      let got = false;
      for (let s = p.previousSibling; s; s = s.previousSibling) {
        const t = s.nodeType === 3 ? norm(s.textContent) : (s.nodeType === 1 ? textOf(s) : "");
        if (t) { out.push(t); got = true; break; }
      }
      if (got) break;
    }
    return out.filter(Boolean);
  };

  const inputValue = (el) => (el.tagName === "SELECT" ? "" : (el.value || ""));
  const scanControls = (root, doc, where) => {
    for (const el of root.querySelectorAll("input,textarea,select")) {
      const type = (el.getAttribute("type") || "text").toLowerCase();
      if (el.tagName === "INPUT" && type === "password") {
        if (el.value) found.add(el.value);
        add(el, doc, where, "password field", cues(el, root)[0], false);
        continue;
      }
      if (el.tagName === "INPUT" && SKIP_TYPES.has(type)) continue;
      const v = inputValue(el);
      const label = cues(el, root).find(secretText);
      if (label !== undefined && el.tagName !== "SELECT") {
        if (v) { found.add(v); found.add(norm(v)); }
        add(el, doc, where, "secret label", label, false);
      } else if (hasKnown(v)) {
        add(el, doc, where, "known secret value", cues(el, root)[0], false);
      }
    }
  };

  // Text shown as text: "Label: value" in one node, or a label element and the value beside it.
  const LABELISH = "dt,th,label,b,strong,span,div,td,p,legend";
  const column = (th) => {
    // A header cell over a column: the value cells are the ones below it.
    const table = th.closest("table");
    if (!table) return [];
    const idx = th.cellIndex;
    return [...table.rows].filter((r) => r !== th.parentElement && r.closest("table") === table && r.cells[idx] &&
      r.cells[idx].tagName === "TD").map((r) => r.cells[idx]);
  };
  const valuePartner = (el) => {
    if (el.tagName === "TH" && (el.getAttribute("scope") === "col" || el.closest("thead") ||
        [...el.parentElement.children].every((c) => c.tagName === "TH"))) return column(el);
    if (el.tagName === "DT") {
      const out = [];
      for (let d = el.nextElementSibling; d && d.tagName === "DD"; d = d.nextElementSibling) out.push(d);
      return out;
    }
    if (el.tagName === "TH" || el.tagName === "TD") {
      const out = [];
      for (let c = el.nextElementSibling; c; c = c.nextElementSibling) out.push(c);
      return out;
    }
    const n = el.nextElementSibling;
    if (n) return [n];
    // A label alone in its box: the value is the next box's text.
    const p = el.parentElement && el.parentElement.nextElementSibling;
    return p && el.parentElement.children.length === 1 ? [p] : [];
  };
  const scanText = (root, doc, where) => {
    for (const el of root.querySelectorAll(LABELISH)) {
      if (el.closest("[data-btc-mask]")) continue;
      const own = textOf(el);
      if (!own || !secretText(own, 6)) continue;
      if (el.querySelector("input,textarea,select")) continue; // a control's label: scanControls covers it
      for (const v of valuePartner(el)) {
        if (v.querySelector && v.querySelector("input,select,textarea,button")) continue;
        const t = textOf(v);
        if (!t || t.length > 300 || v.matches("button,a,h1,h2,h3,h4,h5,h6") ||
            v.querySelector("h1,h2,h3,h4,h5,h6,fieldset,table,form,section")) continue;
        found.add(t);
        add(v, doc, where, "text beside a secret label", own, false);
      }
    }
    const walker = (doc || document).createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const par = n.parentElement;
      if (!par || par.closest("script,style,template,noscript,[data-btc-mask]")) continue;
      const t = norm(n.textContent);
      if (!t) continue;
      const m = t.match(/^(.{1,60}?)\s*[:=]\s+(\S.{0,300})$/);
      const next = n.nextSibling;
      if (m && secretText(m[1], 6)) {
        found.add(m[2].trim());
        add(n, doc, where, "text after a secret label", m[1], false);
      } else if (secretText(t, 6) && next && norm(next.textContent) && !(next.nodeType === 1 &&
                 next.matches("input,select,textarea,button,a,h1,h2,h3,h4,h5,h6,div,p,table,section,fieldset"))) {
        // "Community <code>public</code>": a label, and its value inline right after it.
        found.add(norm(next.textContent));
        add(next, doc, where, "text after a secret label", t, false);
      } else if (hasKnown(t)) {
        add(n, doc, where, "known secret value", "", false);
      }
    }
  };

  const roots = []; // [root, doc, where]
  const visit = (root, doc, where) => {
    roots.push([root, doc, where]);
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) visit(el.shadowRoot, doc, where + " › shadow root");
      if (el.hasAttribute("data-btc-closed")) {
        gaps.push({ where, what: "closed shadow root" });
        add(el, doc, where, "closed shadow root (blacked out)", "", true);
      }
      if (el.matches("iframe,frame,object,embed")) {
        let sub = null;
        try { sub = el.contentDocument; } catch (e) { sub = null; }
        if (sub && sub.documentElement) visit(sub, sub, where + " › frame");
        else if (el.matches("iframe,frame") || el.getClientRects().length) {
          gaps.push({ where, what: "frame that cannot be inspected (another origin)" });
          add(el, doc, where, "frame of another origin (blacked out)", "", true);
        }
      }
    }
  };
  if (onlyRoot) visit(onlyRoot, onlyRoot.ownerDocument, "closed shadow root");
  else visit(document, document, "page");
  for (const [root, doc, where] of roots) { scanControls(root, doc, where); scanText(root, doc, where); }
  // Extraction's own marks (fields it understood as secret) are covered too.
  for (const [root, doc, where] of roots) {
    for (const el of root.querySelectorAll("[data-btc-secret]")) add(el, doc, where, "secret field", el.getAttribute("data-btc-label"), false);
  }

  // Controls and blacked-out parts by their box; text by its line boxes (a value in a wide cell is masked,
  // not the whole row).
  const rectsOf = (t) => {
    const node = t.node;
    if (node.nodeType === 1 && (t.black || node.matches("input,textarea,select,iframe,frame,object,embed"))) {
      return [...node.getClientRects()];
    }
    const r = (node.ownerDocument || document).createRange();
    r.selectNodeContents(node);
    return [...r.getClientRects()];
  };
  const boxes = [];
  for (const t of targets) {
    for (const r of rectsOf(t)) {
      if (!r.width || !r.height) continue;
      boxes.push({ doc: t.doc, black: t.black, x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height) });
    }
  }
  const sig = boxes.map((b) => [b.black ? 1 : 0, b.x, b.y, b.w, b.h].join(",")).join(";") + "|" +
    gaps.map((g) => g.what).join(";") + "|" + roots.length;

  if (opts.draw && !onlyRoot) {
    const docs = new Set(roots.map(([, d]) => d));
    for (const d of docs) {
      d.querySelectorAll("[data-btc-mask]").forEach((e) => e.remove()); // an earlier screenshot's
      const win = d.defaultView || window;
      const style = d.createElement("style");
      style.setAttribute("data-btc-mask", "");
      style.textContent = `*, *::before, *::after { caret-color: transparent !important;
          animation-play-state: paused !important; transition: none !important; }
        [data-btc-masked], [data-btc-masked] * { color: transparent !important;
          -webkit-text-fill-color: transparent !important; text-shadow: none !important; }`;
      (d.head || d.documentElement).appendChild(style);
      const layer = d.createElement("div");
      layer.setAttribute("data-btc-mask", "");
      layer.style.cssText = "position:absolute;left:0;top:0;width:0;height:0;overflow:visible;z-index:2147483647;pointer-events:none";
      for (const b of boxes.filter((x) => x.doc === d)) {
        const box = d.createElement("div");
        box.style.cssText = `position:absolute;left:${b.x + win.scrollX}px;top:${b.y + win.scrollY}px;` +
          `width:${b.w}px;height:${b.h}px;background:${b.black ? "#000" : "#ff00ff"}`;
        layer.appendChild(box);
      }
      d.documentElement.appendChild(layer);
    }
    for (const t of targets) if (t.node.nodeType === 1) t.node.setAttribute("data-btc-masked", "");
    // The transparent-text rule inside every open shadow root too (page stylesheets do not reach in).
    for (const [root] of roots) {
      if (root.nodeType !== 11) continue;
      root.querySelectorAll("style[data-btc-mask]").forEach((e) => e.remove());
      const s = (root.ownerDocument || document).createElement("style");
      s.setAttribute("data-btc-mask", "");
      s.textContent = "[data-btc-masked], [data-btc-masked] * { color: transparent !important; -webkit-text-fill-color: transparent !important; }";
      root.appendChild(s);
    }
  }
  const top = document.scrollingElement || document.documentElement;
  return {
    values: [...found].filter(Boolean), ledger, gaps, sig, boxes: boxes.length,
    width: top.scrollWidth, height: top.scrollHeight, viewWidth: document.documentElement.clientWidth,
    viewHeight: document.documentElement.clientHeight, scrollX, scrollY,
  };
}
