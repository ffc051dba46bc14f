// Generic extractor: everything a person sees on an admin page, as sections of label→value fields,
// tables with headers, and loose text. It knows no ids or classes of any appliance: labels come from
// <label>, aria, table headers, definition lists and visual label/value pairs. Secret values are never
// returned as values: their elements are marked data-btc-secret (masked in the screenshot) and the
// raw values are handed back separately, only so the caller can scrub them from every stored string.
(opts) => {
  const norm = (s) => (s || "").replace(/[\u00a0\s]+/g, " ").trim();
  const toRes = (a) => (a || []).map((s) => new RegExp("^(?:" + s + ")$", "i"));
  const SECRET = toRes(opts.secretPatterns).concat(toRes(opts.extraSecret));
  const NOT_SECRET = toRes(opts.notSecret);
  const HEADING = toRes(opts.headingPatterns);
  const isHeading = (t) => HEADING.some((r) => r.test(norm(t)));
  const cleanLabel = (l) => norm(l).replace(/[\s:*]+$/, "").trim();
  const secretLabel = (l) => {
    const c = cleanLabel(l);
    return !!c && SECRET.some((r) => r.test(c)) && !NOT_SECRET.some((r) => r.test(c));
  };
  const SKIP = "script,style,noscript,template,nav,[role=navigation],[role=menubar],[role=menu],[role=tablist],[aria-hidden=true]";
  // A switch (role=switch, or an ARIA checkbox) is a control like an <input>: its state is aria-checked.
  const SWITCH = "[role=switch],[role=checkbox]";
  const CONTROL = "input,select,textarea," + SWITCH;
  // Two choices that say on and off: a boolean, whatever draws it (Yes/No select, Enabled/Disabled radios).
  const BOOL_PAIRS = [["yes", "no"], ["on", "off"], ["enabled", "disabled"], ["true", "false"], ["enable", "disable"]];
  const boolPair = (texts) => {
    const t = texts.map((x) => norm(x).toLowerCase());
    return t.length === 2 && BOOL_PAIRS.some(([a, b]) => t.includes(a) && t.includes(b)) ? t : null;
  };
  const ON = new Set(["yes", "on", "enabled", "true", "enable"]);
  const INLINE = new Set(["SPAN", "B", "STRONG", "EM", "I", "A", "CODE", "SMALL", "LABEL", "ABBR", "TIME", "BR",
    "IMG", "SUP", "SUB", "U", "FONT", "KBD", "SAMP", "VAR", "MARK", "Q", "CITE", "S", "WBR", "TT",
    "OUTPUT", "DATA", "DFN", "INS", "DEL", "BDI", "BDO"]);
  // Elements of a same-origin frame belong to another window: no instanceof, and its own getComputedStyle.
  const styleOf = (el) => (el.ownerDocument.defaultView || window).getComputedStyle(el);
  const visible = (el) => {
    if (!el || el.nodeType !== 1) return false;
    if (el.checkVisibility) return el.checkVisibility({ visibilityProperty: true });
    const s = styleOf(el);
    return s.display !== "none" && s.visibility !== "hidden" && el.getClientRects().length > 0;
  };
  const pageChrome = (el) => {
    // Page-level header/footer (banner, copyright) is chrome; a <header> inside a section is content.
    if (!el.matches("header,footer,[role=banner],[role=contentinfo]")) return false;
    return !(el.parentElement && el.parentElement.closest("main,article,section,form,fieldset,[role=main]"));
  };
  const menuList = (el) => {
    // A list whose every item is a single link is a menu or a tab bar, not content.
    if (!el.matches("ul,ol")) return false;
    const items = [...el.children].filter((li) => li.tagName === "LI" && visible(li));
    if (items.length < 2) return false;
    return items.every((li) => {
      if (li.matches("[onclick],[role=menuitem],[role=tab],[role=link],[role=option]")) return true;
      const links = li.querySelectorAll("a,button,[role=link],[role=tab],[role=menuitem],[onclick]");
      return links.length >= 1 && norm(li.innerText) === norm([...links].map((a) => a.innerText).join(" "));
    });
  };

  // Where a value stands in the full-page screenshot (CSS pixels: x, y, width, height), for evidence links.
  const boxOf = (el) => {
    const r = el && el.getBoundingClientRect ? el.getBoundingClientRect() : null;
    if (!r || (!r.width && !r.height)) return null;
    let x = r.left, y = r.top, w = el.ownerDocument.defaultView;
    while (w && w !== window && w.frameElement) { // inside a same-origin frame: add where the frame stands
      const f = w.frameElement, fr = f.getBoundingClientRect();
      x += fr.left + f.clientLeft; y += fr.top + f.clientTop; w = w.parent;
    }
    return [Math.round(x + window.scrollX), Math.round(y + window.scrollY), Math.round(r.width), Math.round(r.height)];
  };
  const secrets = [];
  const handled = new Set();
  const consumed = new Set(); // elements and text nodes read as some control's label
  const chrome = []; // page banners (where the logout link sits): never content
  const inChrome = (n) => chrome.some((c) => c.contains(n));
  const sections = [];
  let cur = { title: opts.pageTitle || "", fields: [], tables: [], text: [] };
  sections.push(cur);
  let opened = 0; // headings met so far
  const open = (title) => {
    title = norm(title);
    if (!title) return;
    opened++;
    if (!cur.fields.length && !cur.tables.length && !cur.text.length && sections.length > 1) {
      cur.title = title; // consecutive headings: the nearer one names the section
      return;
    }
    cur = { title, fields: [], tables: [], text: [] };
    sections.push(cur);
  };
  const markSecret = (el, value) => {
    el.setAttribute("data-btc-secret", "1");
    if (value) secrets.push(value);
  };

  const textOf = (el) => {
    // innerText without the text of nested controls (e.g. a <label> wrapping its checkbox).
    if (!el) return "";
    if (!el.querySelector || !el.querySelector("input,select,textarea,button," + SWITCH)) return norm(el.innerText || el.textContent);
    const clone = el.cloneNode(true);
    clone.querySelectorAll("input,select,textarea,button," + SWITCH).forEach((c) => c.remove());
    return norm(clone.textContent);
  };
  const prevText = (el) => {
    // The text just before the control (a <span>, <b>, <div> or bare text), climbing at most three
    // levels; a section title or another field's area on the way means the control has no label.
    for (let p = el, depth = 0; p && depth < 3; p = p.parentElement, depth++) {
      for (let s = p.previousSibling; s; s = s.previousSibling) {
        if (s.nodeType === 3) {
          if (norm(s.textContent)) { consumed.add(s); return norm(s.textContent); }
          continue;
        }
        if (s.nodeType !== 1 || !visible(s)) continue;
        if (s.matches("button,input[type=submit],input[type=button],br,hr,img")) continue;
        if (s.matches("h1,h2,h3,h4,h5,h6,legend,caption,[role=heading]")) return "";
        if (s.matches(CONTROL) || s.querySelector(CONTROL)) return "";
        const t = textOf(s);
        if (!t) continue;
        // A label is short and is not a sentence or a section title.
        if (t.length <= 80 && !isHeading(t) && !/[.!?]$/.test(t)) { consumed.add(s); return t; }
        return "";
      }
      if (p.parentElement && p.parentElement.matches("td,th,form,fieldset,body,section,main,article")) break;
    }
    return "";
  };
  const nextText = (el) => {
    // The words after a checkbox name it, unless they are its help (a sentence, or <small> print).
    for (let s = el.nextSibling; s; s = s.nextSibling) {
      if (s.nodeType === 3 && norm(s.textContent)) { consumed.add(s); return norm(s.textContent); }
      if (s.nodeType === 1 && s.matches("small,[role=note]")) return "";
      if (s.nodeType === 1 && !s.matches(CONTROL)) { const t = textOf(s); if (t && /[.!?]$/.test(t)) return ""; if (t) { consumed.add(s); return t; } }
      if (s.nodeType === 1) break;
    }
    return "";
  };
  const rowLabel = (el) => {
    const cell = el.closest("td,th");
    if (!cell) return "";
    const row = cell.parentElement;
    const th = [...row.children].find((c) => c !== cell && c.tagName === "TH");
    if (th) return textOf(th);
    const prev = cell.previousElementSibling;
    if (prev && !prev.querySelector(CONTROL)) return textOf(prev);
    return "";
  };
  const ariaName = (el) => {
    const by = el.getAttribute("aria-labelledby");
    const t = by ? by.split(/\s+/).map((id) => textOf(el.getRootNode().getElementById(id))).filter(Boolean).join(" ") : "";
    return t || norm(el.getAttribute("aria-label"));
  };
  const labelCache = new Map();
  const labelFor = (el) => {
    if (!labelCache.has(el)) labelCache.set(el, computeLabel(el));
    return labelCache.get(el);
  };
  // A <label> that wraps its control names it by the words before the control ("DNS Servers: [input] help");
  // a box drawn first ("[x] Enable STUN Server") by the words after it. Units and help after a control are not
  // part of its name.
  const wrappedText = (lab, el) => {
    if (!lab.contains(el)) return textOf(lab);
    const doc = el.ownerDocument, before = doc.createRange(), after = doc.createRange();
    before.setStart(lab, 0); before.setEndBefore(el);
    after.setStartAfter(el); after.setEnd(lab, lab.childNodes.length);
    const frag = (r) => { const d = doc.createElement("div"); d.appendChild(r.cloneContents());
      d.querySelectorAll("small,[role=note],[aria-hidden=true]").forEach((x) => x.remove()); return norm(d.textContent); };
    return frag(before) || frag(after) || textOf(lab);
  };
  const computeLabel = (el) => {
    const isBox = el.matches("input[type=checkbox],input[type=radio]," + SWITCH);
    if (el.labels && el.labels.length) {
      const t = [...el.labels].map((l) => wrappedText(l, el)).filter(Boolean).join(" ");
      if (t) return t;
    }
    const named = ariaName(el);
    if (named) return named;
    if (isBox) { const t = nextText(el); if (t) return t; }
    return rowLabel(el) || prevText(el) || norm(el.title) || norm(el.placeholder) || "";
  };
  const controlValue = (el) => {
    if (el.matches(SWITCH) && el.tagName !== "INPUT") return { value: el.getAttribute("aria-checked") === "true" ? "on" : "off", kind: "checkbox" };
    if (el.tagName === "SELECT") {
      const sel = [...el.selectedOptions].map((o) => norm(o.textContent));
      if (!el.multiple && boolPair([...el.options].map((o) => o.textContent))) {
        return { value: sel.length && ON.has(sel[0].toLowerCase()) ? "on" : "off", kind: "checkbox" };
      }
      return { value: sel.join(", "), kind: "select" };
    }
    if (el.tagName === "TEXTAREA") return { value: el.value.replace(/\r\n/g, "\n").trim(), kind: "textarea" };
    const type = (el.type || "text").toLowerCase();
    if (type === "checkbox") return { value: el.checked ? "on" : "off", kind: "checkbox" };
    if (type === "radio") return { value: el.checked ? "on" : "off", kind: "radio" };
    if (type === "password") return { value: el.value, kind: "password" };
    return { value: norm(el.value), kind: "text" };
  };
  const SKIP_TYPES = new Set(["hidden", "submit", "button", "reset", "image", "file"]);
  const usable = (el) => !(el.tagName === "INPUT" && SKIP_TYPES.has((el.type || "").toLowerCase())) && visible(el);

  const field = (label, el, sink) => {
    const { value, kind } = controlValue(el);
    const lab = cleanLabel(label) || "(unlabelled " + kind + ")";
    el.setAttribute("data-btc-label", lab);
    const textual = kind === "text" || kind === "textarea" || kind === "password";
    if (kind === "password" || (textual && secretLabel(lab))) {
      markSecret(el, value);
      sink.fields.push({ label: lab, value: null, kind, secret: true, is_set: !!value, box: boxOf(el) });
    } else {
      sink.fields.push({ label: lab, value, kind, secret: false, box: boxOf(el) });
    }
  };
  const radioGroup = (el, sink, pairLabel) => {
    const name = el.name;
    const group = name ? [...el.getRootNode().querySelectorAll("input[type=radio]")].filter((r) => r.name === name && visible(r)) : [el];
    group.forEach((r) => handled.add(r));
    // The group's own name (role=radiogroup), else the legend of a fieldset that holds only this group.
    const rg = el.closest("[role=radiogroup]");
    const fs = el.closest("fieldset");
    const own = fs && [...fs.querySelectorAll(CONTROL)].every((c) => group.includes(c) || !usable(c));
    let label = pairLabel || (rg && ariaName(rg)) || (own && fs.querySelector("legend") && textOf(fs.querySelector("legend"))) || rowLabel(el);
    if (!label && group.length > 1) label = prevText(group[0].closest("label") || group[0]);
    const checked = group.find((r) => r.checked);
    const value = checked ? labelFor(checked) || checked.value : "";
    if (!label) { label = labelFor(el); }
    const bool = boolPair(group.map((r) => labelFor(r) || r.value));
    group[0].setAttribute("data-btc-label", cleanLabel(label) || "(unlabelled choice)"); // for controls(): the group
    sink.fields.push({ label: cleanLabel(label) || "(unlabelled choice)", value: bool ? (ON.has(norm(value).toLowerCase()) ? "on" : "off") : norm(value),
      kind: bool ? "checkbox" : "radio", secret: false, box: boxOf((own && fs) || rg || checked || el) });
  };
  const doControl = (el, sink) => {
    if (handled.has(el) || !usable(el)) return;
    handled.add(el);
    if (el.matches("input[type=radio]")) return radioGroup(el, sink);
    field(labelFor(el), el, sink);
  };

  const cellText = (cell, header) => {
    let ctrls = [...cell.querySelectorAll(CONTROL)].filter(usable);
    const parts = [];
    // A radio group in a cell is one value (its choice), and its options' labels are not text of the cell.
    const radios = ctrls.filter((c) => c.type === "radio");
    let own = textOf(cell);
    if (radios.length > 1) {
      const ids = new Set(radios.map((r) => r.id).filter(Boolean));
      const clone = cell.cloneNode(true);
      clone.querySelectorAll("label").forEach((l) => { if (ids.has(l.htmlFor) || l.querySelector("input[type=radio]")) l.remove(); });
      clone.querySelectorAll("input,select,textarea,button," + SWITCH).forEach((c) => c.remove());
      own = norm(clone.textContent);
      radios.forEach((r) => handled.add(r));
      const labels = radios.map((r) => labelFor(r) || r.value), chosen = radios.find((r) => r.checked);
      const pick = chosen ? labelFor(chosen) || chosen.value : "";
      parts.push(boolPair(labels) ? (ON.has(norm(pick).toLowerCase()) ? "on" : "off") : norm(pick));
      ctrls = ctrls.filter((c) => c.type !== "radio");
    }
    ctrls.forEach((c) => {
      handled.add(c);
      const { value, kind } = controlValue(c);
      if (kind === "password" || ((kind === "text" || kind === "textarea") && secretLabel(header))) {
        markSecret(c, value);
        parts.push("[redacted]");
      } else if (kind === "checkbox" || kind === "radio") {
        parts.push(value);
      } else if (value) parts.push(value);
    });
    if (own) parts.unshift(own);
    if (!ctrls.length && secretLabel(header) && own) {
      markSecret(cell, own);
      return "[redacted]";
    }
    return parts.join(" ");
  };
  // Tables are <table>s or ARIA grids (role=table/grid with rows and cells): read alike.
  const GRID = "[role=table],[role=grid],[role=treegrid]";
  const native = (t) => t.tagName === "TABLE";
  const rowsOf = (table) => (native(table) ? [...table.rows].filter((r) => r.closest("table") === table)
    : [...table.querySelectorAll("[role=row]")].filter((r) => r.closest(GRID) === table))
    .filter((r) => visible(r) && !consumed.has(r) && !inChrome(r));
  const cellsOf = (r) => r.tagName === "TR" ? [...r.cells]
    : [...r.children].filter((c) => c.matches("[role=cell],[role=gridcell],[role=columnheader],[role=rowheader]"));
  const isTh = (c) => c.tagName === "TH" || c.matches("[role=columnheader],[role=rowheader]");
  const spanOf = (c) => c.colSpan || parseInt(c.getAttribute("aria-colspan") || "1", 10);
  // Columns of row controls (a selection box, Remove, Edit): named so in labels.toml, or with no name at all.
  const CONTROL_COLUMNS = new Set((opts.controlColumns || []).map((c) => cleanLabel(c).toLowerCase()));
  // A cell of a row's handles: row checkboxes or switches, and buttons or links ("Delete", "Edit"); no value.
  const ACTION = "button,a,[role=button],input[type=submit],input[type=button]";
  const onlyControls = (cell) => {
    const rest = cell.cloneNode(true);
    rest.querySelectorAll(ACTION).forEach((a) => a.remove());
    return !textOf(rest) && [...cell.querySelectorAll("*")].every((e) =>
      !e.matches(CONTROL) || e.matches("input[type=checkbox],input[type=radio],input[type=submit],input[type=button]," + SWITCH));
  };
  const menuTable = (table) => {
    const cs = [...table.querySelectorAll("td,th")].filter((c) => c.closest("table") === table && norm(c.innerText));
    return cs.length >= 2 && cs.every((c) => {
      const links = c.querySelectorAll("a,button,[role=link],[role=tab]");
      return links.length && norm(c.innerText) === norm([...links].map((a) => a.innerText).join(" "));
    });
  };
  const isLayout = (table) => !!table.querySelector("table,h1,h2,h3,h4,h5,h6,fieldset,dl,form");
  let tableIndex = 0;
  const doTable = (table) => {
    const idx = tableIndex++;
    table.setAttribute("data-btc-table", String(idx));
    const rows = rowsOf(table);
    if (!rows.length) return;
    const caption = native(table) ? (table.caption ? textOf(table.caption) : "") : ariaName(table);
    const cells = (r) => cellsOf(r).filter((c) => visible(c) || c.cellIndex >= 0 || !native(table));
    let headerRow = null;
    const thead = table.tHead && rowsOf(table).find((r) => r.parentElement === table.tHead);
    if (thead) headerRow = thead;
    else if (rows.length > 1 && cells(rows[0]).length > 1 && cells(rows[0]).every(isTh)) headerRow = rows[0];
    else if (!native(table) && cells(rows[0]).length && cells(rows[0]).every((c) => c.matches("[role=columnheader]"))) headerRow = rows[0];
    else {
      // Older pages: a first row of bold <td>s. (A label/value table has bold labels but plain values.)
      const bold = (r) => cells(r).length > 1 && cells(r).every((c) => !c.querySelector(CONTROL) &&
        (!textOf(c) || parseInt(styleOf(c.querySelector("b,strong") || c).fontWeight, 10) >= 600));
      if (rows.length > 1 && bold(rows[0]) && (cells(rows[0]).length > 2 || !bold(rows[1]))) headerRow = rows[0];
    }
    const body = rows.filter((r) => r !== headerRow && !(table.tHead && r.parentElement === table.tHead));
    // Label/value tables: no header row and rows of [label, value] (a <th> or a plain first cell).
    const kv = !headerRow && body.every((r) => {
      const c = cells(r);
      return (c.length === 2 && !c[0].querySelector(CONTROL) && textOf(c[0]).length <= 80) ||
        (c.length === 1 && (isTh(c[0]) || spanOf(c[0]) > 1));
    }) && body.some((r) => cells(r).length === 2);
    if (kv) {
      if (caption) open(caption);
      body.forEach((r, i) => {
        r.setAttribute("data-btc-row", String(i));
        const c = cells(r);
        if (c.length === 1) { open(textOf(c[0])); return; }
        const label = textOf(c[0]);
        if (pairControl(label, c[1])) return;
        const value = cellText(c[1], label);
        const secret = value === "[redacted]";
        cur.fields.push(secret ? { label: cleanLabel(label), value: null, kind: "row", secret: true, is_set: true, box: boxOf(r) }
          : { label: cleanLabel(label), value, kind: "row", secret: false, box: boxOf(r) });
      });
      return;
    }
    const headers = headerRow ? cells(headerRow).map((c) => textOf(c)) : [];
    const controlCol = headers.map((h, j) => CONTROL_COLUMNS.has(cleanLabel(h).toLowerCase()) &&
      body.every((r) => { const c = cells(r)[j]; return !c || cells(r).length !== headers.length || onlyControls(c); }));
    const out = { title: caption || "", headers, rows: [], index: idx, boxes: [] };
    body.forEach((r, i) => {
      r.setAttribute("data-btc-row", String(i));
      const c = cells(r);
      if (c.length === 1 && spanOf(c[0]) > 1 && headers.length > 1) { // an empty-table notice or a group row
        const t = textOf(c[0]);
        if (t) { out.rows.push([t]); out.boxes.push(boxOf(r)); }
        return;
      }
      out.rows.push(c.map((cell, j) => {
        if (!controlCol[j]) return cellText(cell, headers[j] || "");
        cell.querySelectorAll(CONTROL).forEach((x) => handled.add(x));
        return ""; // a row's handle, not a value
      }));
      out.boxes.push(boxOf(r));
    });
    cur.tables.push(out);
  };

  // The value side of a label/value pair that holds a control: the control is the value (a radio group's choice,
  // a switch's state); text beside it is its unit or help. Only buttons, links or file pickers: a control, no value.
  const pairControl = (label, cell) => {
    const ctrls = [...cell.querySelectorAll(CONTROL)].filter(usable);
    if (!ctrls.length) {
      if (textOf(cell) || !cell.querySelector("button,a,input,[role=button]")) return false;
      cell.querySelectorAll("input").forEach((x) => handled.add(x));
      return true;
    }
    const radios = ctrls.every((x) => x.type === "radio" && x.name === ctrls[0].name);
    if (!radios && ctrls.length !== 1) return false;
    const t = cell.cloneNode(true);
    if (radios) { radioGroup(ctrls[0], cur, label); t.querySelectorAll("label").forEach((l) => l.remove()); }
    else { handled.add(ctrls[0]); field(label, ctrls[0], cur); }
    addText(textOf(t)); // help text or a unit beside the control
    return true;
  };
  const doDl = (dl) => {
    let label = "";
    [...dl.querySelectorAll("dt,dd")].filter((e) => e.closest("dl") === dl && visible(e)).forEach((e) => {
      if (e.tagName === "DT") { label = textOf(e); return; }
      const ctrls = [...e.querySelectorAll(CONTROL)].filter(usable);
      if (pairControl(label, e)) return;
      const value = textOf(e);
      if (secretLabel(label) && value) { markSecret(e, value); cur.fields.push({ label: cleanLabel(label), value: null, kind: "dl", secret: true, is_set: true, box: boxOf(e) }); }
      else cur.fields.push({ label: cleanLabel(label), value, kind: "dl", secret: false, box: boxOf(e) });
      ctrls.forEach((c) => doControl(c, cur));
    });
  };

  // An <output> a <label for> names is read with that label, as a control is; an unnamed one is text.
  const inlineOnly = (el) => [...el.children].every((c) => INLINE.has(c.tagName) && !(c.labels && c.labels.length) &&
    inlineOnly(c)) && !el.querySelector(CONTROL);
  const labelLike = (el) => el.matches("label,strong,b,th,dt,.label") || /[:：]\s*$/.test(el.innerText || "") ||
    parseInt(styleOf(el).fontWeight, 10) >= 600;
  const addText = (t, from) => {
    t = norm(t);
    if (!t || !/[\p{L}\p{N}]/u.test(t)) return; // separators such as "|" are not content
    if (isHeading(t)) { open(t); return; }
    const m = t.match(/^([^:]{1,60}?)\s*:\s+(\S.{0,500})$/);
    if (m && !/^https?$/i.test(m[1])) {
      const secret = secretLabel(m[1]);
      const box = boxOf(from && from.nodeType === 3 ? from.parentElement : from);
      cur.fields.push(secret ? { label: cleanLabel(m[1]), value: null, kind: "static", secret: true, is_set: true, box }
        : { label: cleanLabel(m[1]), value: m[2].trim(), kind: "static", secret: false, box });
      if (secret) secrets.push(m[2].trim());
      return;
    }
    if (!cur.text.includes(t)) cur.text.push(t);
  };
  const pairOf = (el) => {
    // <div><span>Serial Number</span><span>SN123</span></div>: a visual label/value pair.
    const kids = [...el.children].filter((k) => visible(k) && !k.matches("[aria-hidden=true]")); // decoration ("*")
    const loose = [...el.childNodes].some((n) => n.nodeType === 3 && norm(n.textContent));
    if (kids.length !== 2 || loose || !kids.every(inlineOnly)) return null;
    if (kids.some((k) => k.matches("button,a,[role=button],[role=tab],[role=link],[role=menuitem]"))) return null; // a bar of actions
    const [a, b] = kids.map(textOf);
    if (!a || !b || a.length > 60 || !labelLike(kids[0]) || isHeading(a)) return null;
    if (/^[*†‡:\s]+$/.test(b)) return null; // a required mark beside a label is no value
    return [a, b, kids[1]];
  };

  // A frame or shadow root is a group of its own: a heading inside it does not title what follows it.
  // A frame or shadow root gets the same pre-pass as the page: its controls' labels are read before its text.
  const prepass = (scope) => scope.querySelectorAll(CONTROL).forEach((c) => { if (usable(c)) labelFor(c); });
  const nested = (nodes, scope) => {
    const title = cur.title, before = opened;
    if (scope) prepass(scope);
    nodes.forEach(walk);
    if (opened !== before) { cur = { title, fields: [], tables: [], text: [] }; sections.push(cur); }
  };
  // A group names itself: a fieldset by its legend, details by its summary, a section or region by
  // aria-labelledby / aria-label, a card by a first child that reads as a title. Its content is read under that
  // name (nested groups under theirs), and what follows the group is back under the outer name.
  const titleLike = (el, rest) => {
    if (!el || el.nodeType !== 1 || !visible(el) || el.matches(CONTROL + ",button,a,table,dl,ul,ol,label") ||
        el.querySelector(CONTROL + ",button,table,dl,ul,ol,label")) return false;
    const t = textOf(el);
    if (!t || t.length > 80 || /[.!?:]$/.test(t)) return false;
    // The title's own text is bold or large: a row whose label alone is bold is a pair, not a title.
    if (pairOf(el) || el.children.length > 1 || (el.firstElementChild && textOf(el.firstElementChild) !== t)) return false;
    const st = styleOf(el), inner = el.firstElementChild ? styleOf(el.firstElementChild) : st;
    const bold = Math.max(parseInt(st.fontWeight, 10), parseInt(inner.fontWeight, 10)) >= 600;
    const big = parseFloat(st.fontSize) > parseFloat(styleOf(el.parentElement).fontSize) * 1.1;
    if (!(bold || big) || styleOf(el).display.startsWith("inline")) return false;
    // A card holds settings: a table, a list of pairs, or several controls, not one label's value.
    const holds = rest.filter((n) => n.nodeType === 1);
    // (a radio group is one control: its options are not settings of their own)
    const names = new Set(), radios = new Map();
    holds.forEach((n) => [n, ...n.querySelectorAll(CONTROL)].forEach((c) => {
      if (c.matches(CONTROL) && usable(c)) names.add(c.type === "radio" && c.name ? "radio:" + c.name : c);
      if (c.matches("input[type=radio]") && c.name && usable(c) && !radios.has(c.name)) radios.set(c.name, c);
    }));
    const ctrls = names.size;
    const pairs = holds.reduce((k, n) => k + [n, ...n.querySelectorAll("div,p,li")].filter((c) => pairOf(c)).length, 0) +
      holds.reduce((k, n) => k + [n, ...n.querySelectorAll("output")].filter((o) => o.tagName === "OUTPUT" &&
        o.labels && o.labels.length).length, 0); // a value its <label for> names is a pair too
    // One setting with a label of its own is a card too; a control this text labels is a pair.
    // (a radio group by its own name, a radiogroup's or its row's, when that name is shown in what follows: a
    // name only in aria-label, beside this text, makes this text the group's label in other words)
    const groupName = (r) => { const rg = r.closest("[role=radiogroup]"); return (rg && ariaName(rg)) || rowLabel(r); };
    const low = (x) => cleanLabel(x).toLowerCase();
    const other = (name) => name && low(name) !== low(t); // not this text
    const shown = holds.map((n) => norm(n.innerText || "")).join(" ").toLowerCase();
    const labelled = [...names].some((c) => typeof c !== "string" && other(labelFor(c))) ||
      [...radios.values()].some((r) => { const g = groupName(r); return other(g) && shown.includes(low(g)); });
    return holds.some((n) => n.matches("table,dl,fieldset,[role=table],[role=grid]") ||
      n.querySelector("table,dl,fieldset,[role=table],[role=grid]")) || ctrls >= 2 || pairs >= 1 || labelled;
  };
  const groupTitle = (el) => {
    const kids = [...el.children];
    if (el.tagName === "FIELDSET") { const lg = kids.find((c) => c.tagName === "LEGEND"); return lg ? [textOf(lg), lg] : null; }
    if (el.tagName === "DETAILS") { const sm = kids.find((c) => c.tagName === "SUMMARY"); return sm ? [textOf(sm), sm] : null; }
    if (el.matches("section,article,aside,[role=region],[role=group]")) {
      const by = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
      const t = ariaName(el);
      if (t) return [t, by.length === 1 ? el.getRootNode().getElementById(by[0]) : null];
    }
    const first = kids.find(visible);
    if (first && kids.filter(visible).length >= 2 && titleLike(first, kids.filter(visible).slice(1))) return [textOf(first), first];
    return null;
  };
  const grouped = (title, nodes) => {
    const outer = cur.title;
    open(title);
    const inner = cur;
    nodes.forEach(walk);
    if (cur !== inner || inner.title !== outer) { cur = { title: outer, fields: [], tables: [], text: [] }; sections.push(cur); }
  };
  const walk = (el) => {
    if (consumed.has(el) || handled.has(el) || inChrome(el)) return; // (an <output> read as its label's value)
    if (el.nodeType === 3) { addText(el.textContent, el); return; }
    if (el.nodeType !== 1 || el.matches(SKIP) || pageChrome(el) || menuList(el) || !visible(el)) return;
    const tag = el.tagName;
    if (el.hasAttribute("data-btc-skip")) return;
    // Frames and shadow roots are part of the page: what they show is read where it stands.
    if (tag === "IFRAME" || tag === "FRAME") {
      let d = null;
      try { d = el.contentDocument; } catch (e) { d = null; }
      if (d && d.body) nested([...d.body.childNodes], d.body);
      return;
    }
    // A closed shadow root is reachable only through DevTools, which hands it to us as __btcShadow.
    const shadow = el.shadowRoot || el.__btcShadow;
    if (shadow) { nested([...shadow.childNodes], shadow); return; }
    if (tag === "SLOT") { el.assignedNodes({ flatten: true }).forEach(walk); return; }
    if (/^H[1-6]$/.test(tag) || el.getAttribute("role") === "heading" || tag === "LEGEND") { open(textOf(el)); return; }
    const named = tag === "TABLE" || tag === "DL" || el.matches(CONTROL) ? null : groupTitle(el);
    if (named && named[0]) { if (named[1]) consumed.add(named[1]); grouped(named[0], [...el.childNodes]); return; }
    if (tag === "TABLE" && menuTable(el)) return;
    if (el.matches(GRID)) { doTable(el); return; }
    if (tag === "TABLE") { if (isLayout(el)) [...el.querySelectorAll("td,th")].filter((c) => c.closest("table") === el).forEach((c) => [...c.childNodes].forEach(walk)); else doTable(el); return; }
    if (tag === "DL") { doDl(el); return; }
    if (el.matches(CONTROL)) { doControl(el, cur); return; }
    if (el.matches("[role=button],[role=menuitem],[role=tab],[role=link],[role=option]") && inlineOnly(el)) return;
    if (tag === "BUTTON" || tag === "OPTION" || tag === "SUMMARY" || (tag === "A" && !el.closest("td,dd,li,p"))) return;
    if (tag === "LABEL" && el.control) { [...el.querySelectorAll(CONTROL)].forEach((c) => doControl(c, cur)); if (!el.contains(el.control) && !handled.has(el.control)) doControl(el.control, cur); return; }
    if (tag === "LABEL") return; // labels are read with their controls
    const pair = pairOf(el);
    if (pair) {
      const [label, value, vel] = pair;
      if (secretLabel(label)) { markSecret(vel, value); cur.fields.push({ label: cleanLabel(label), value: null, kind: "static", secret: true, is_set: true, box: boxOf(el) }); }
      else cur.fields.push({ label: cleanLabel(label), value, kind: "static", secret: false, box: boxOf(el) });
      return;
    }
    if (inlineOnly(el) && !el.querySelector("label")) {
      // A block of inline text: one unit, unless it is only a link (actions, not values).
      if (tag === "A" || (el.children.length === 1 && el.children[0].tagName === "A" && norm(el.children[0].innerText) === norm(el.innerText))) return;
      const labelEl = [...el.children].find((c) => c.matches("label,strong,b") && /[:：]\s*$/.test(c.innerText || ""));
      if (labelEl && secretLabel(labelEl.innerText)) {
        const value = norm(el.innerText).slice(norm(labelEl.innerText).length).trim();
        markSecret(el, value);
        cur.fields.push({ label: cleanLabel(labelEl.innerText), value: null, kind: "static", secret: true, is_set: !!value, box: boxOf(el) });
        return;
      }
      addText(el.innerText, el);
      return;
    }
    [...el.childNodes].forEach(walk);
  };
  const root = document.querySelector("main,[role=main]") || document.body;
  // Closed <details> hold values a person opens to read: read them too.
  document.querySelectorAll("details:not([open])").forEach((d) => { d.open = true; });
  // The banner is wherever the logout link sits (a header row in table layouts): chrome, not content.
  const logout = (opts.logout || []).map(norm);
  [...document.querySelectorAll("a,button")].filter((a) => logout.includes(norm(a.innerText).toLowerCase()) || logout.includes(norm(a.innerText))).forEach((a) => {
    let c = a.closest("tr") || a.parentElement;
    while (c && c.parentElement && c.parentElement !== root && norm(c.parentElement.innerText).length < 200) c = c.parentElement;
    if (c && c !== root && c !== document.body) chrome.push(c);
  });
  // Pre-pass: read every control's label first, so label text met earlier in the walk is not
  // mistaken for loose text.
  prepass(root);
  [...root.childNodes].forEach(walk);
  const out = sections.filter((s) => s.fields.length || s.tables.length || s.text.length);
  return { sections: out, secrets: [...new Set(secrets.filter(Boolean))], title: document.title, url: location.href };
}
