/* Skin page script template (fz3jg: this start's random names): switches, menus that open on click, detail
   toggles, Edit (unlock a settings form), buttons and links that navigate or post, confirmations (window.confirm
   or an in-page dialog), and content filled in after the load event. None of it sends a request of its own
   except navigation, a form post the user asked for, and the GET of late content. */
(function () {
  var A = {};
  ['confirm', 'modal', 'post', 'sw', 'toggle', 'reveal', 'edit', 'go', 'lock', 'save'].forEach(function (k) {
    A[k] = 'data-' + { confirm: 'wt3ao', modal: 'tcjvb', post: 'pc6yn', sw: 'eu9wo', toggle: 'yomvx',
      reveal: 'bqdyr', edit: 'znxoq', go: 'h3bc2', lock: 'pdroa', save: 'hdwnp' }[k];
  });
  function submit(el) {
    var form = el.closest('form');
    if (!form) return;
    var name = el.getAttribute(A.post);
    if (name) {
      var i = document.createElement('input');
      i.type = 'hidden'; i.name = name; i.value = '1';
      form.appendChild(i);
      form.requestSubmit ? form.requestSubmit() : form.submit();
    } else {
      form.requestSubmit ? form.requestSubmit(el) : form.submit();
    }
  }
  function dialog(el, msg) {
    var d = document.createElement('div');
    d.setAttribute('role', 'dialog'); d.setAttribute('aria-modal', 'true'); d.className = 'kw313';
    d.innerHTML = '<div class="vuv4q"><p></p><div class="nny0h"><button type="button" class="sp9w2 erm2u">OK' +
      '</button> <button type="button" class="sp9w2">Cancel</button></div></div>';
    d.querySelector('p').textContent = msg;
    var b = d.querySelectorAll('button');
    b[0].addEventListener('click', function () { d.remove(); submit(el); });
    b[1].addEventListener('click', function () { d.remove(); });
    document.body.appendChild(d);
    b[0].focus();
  }
  var SEL = ['confirm', 'modal', 'post', 'toggle', 'reveal', 'edit', 'go'].map(function (k) { return '[' + A[k] + ']'; })
    .concat(['[role=switch]']).join(',');
  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest(SEL) : null;
    if (!t) return;
    if (t.hasAttribute(A.modal)) { e.preventDefault(); dialog(t, t.getAttribute(A.modal)); return; }
    if (t.hasAttribute(A.confirm) && !window.confirm(t.getAttribute(A.confirm))) { e.preventDefault(); return; }
    if (t.hasAttribute(A.post)) { e.preventDefault(); submit(t); return; }
    if (t.getAttribute('role') === 'switch') {
      if (t.disabled) return;
      var on = t.getAttribute('aria-checked') !== 'true';
      t.setAttribute('aria-checked', String(on));
      var h = t.nextElementSibling;
      if (h && h.hasAttribute(A.sw)) h.disabled = !on;
      return;
    }
    if (t.hasAttribute(A.toggle) || t.hasAttribute(A.reveal)) {
      var box = document.getElementById(t.getAttribute('aria-controls'));
      var open = t.getAttribute('aria-expanded') === 'true';
      t.setAttribute('aria-expanded', String(!open));
      box.hidden = open;
      if (t.hasAttribute(A.toggle)) t.textContent = open ? 'Show details' : 'Hide details';
      return;
    }
    if (t.hasAttribute(A.edit)) {
      var f = t.closest('form');
      f.querySelectorAll('[' + A.lock + ']').forEach(function (x) { x.readOnly = false; x.disabled = false; x.removeAttribute(A.lock); });
      f.querySelectorAll('[' + A.save + ']').forEach(function (x) { x.hidden = false; });
      t.hidden = true;
      return;
    }
    if (t.hasAttribute(A.go)) { location.href = t.getAttribute(A.go); }
  });
  // Late content: put it in, run its scripts, and tell them the page has loaded (they wait for that).
  window.awg43 = function (id, html) {
    var box = document.getElementById(id);
    if (!box) return;
    box.innerHTML = html;
    box.querySelectorAll('script').forEach(function (old) {
      var s = document.createElement('script');
      s.textContent = old.textContent;
      old.replaceWith(s);
    });
    window.dispatchEvent(new Event('load'));
  };
  window.jxbpt = function (id, url) {
    fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.text(); })
      .then(function (html) { window.awg43(id, html); });
  };
})();
