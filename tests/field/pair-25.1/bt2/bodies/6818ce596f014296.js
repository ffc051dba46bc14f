/* Simulated appliance UI helpers: detail toggles (no request) and confirmation prompts for destructive buttons. */
function btToggle(btn) {
  var el = document.getElementById(btn.getAttribute('aria-controls'));
  var open = btn.getAttribute('aria-expanded') === 'true';
  btn.setAttribute('aria-expanded', String(!open));
  el.hidden = open;
  btn.textContent = open ? 'Show details' : 'Hide details';
}
function toggleDetails(id, link) {
  var el = document.getElementById(id);
  var show = el.style.display === 'none';
  el.style.display = show ? '' : 'none';
  link.innerHTML = show ? 'Hide details' : 'Show details';
}
document.addEventListener('click', function (e) {
  var b = e.target.closest ? e.target.closest('[data-confirm]') : null;
  if (b && !window.confirm(b.getAttribute('data-confirm'))) { e.preventDefault(); }
});
