/* 24.1 UI helpers: collapsible left-menu groups, the certificate action dropdown, download links that post their
   form, NIC detail toggles (no request) and confirmation prompts for destructive buttons. */
function btGroup(head) {
  var group = head.parentNode;
  var open = !group.classList.contains('open');
  group.classList.toggle('open', open);
  head.setAttribute('aria-expanded', String(open));
}
function btMenu(btn) {
  var dd = btn.parentNode;
  var open = !dd.classList.contains('open');
  dd.classList.toggle('open', open);
  btn.setAttribute('aria-expanded', String(open));
}
function btPick(item) {
  var dd = item.closest('.dd');
  dd.querySelector('input[type=hidden]').value = item.getAttribute('data-value');
  dd.querySelector('.dd-toggle').textContent = item.textContent;
  dd.classList.remove('open');
  dd.querySelector('.dd-toggle').setAttribute('aria-expanded', 'false');
}
function btPost(link) {
  var form = link.closest('form');
  if (form) { form.submit(); }
  return false;
}
function btDetails(toggle, id) {
  var el = document.getElementById(id);
  var show = el.style.display === 'none';
  el.style.display = show ? '' : 'none';
  toggle.textContent = show ? 'Hide details' : 'Show details';
}
document.addEventListener('click', function (e) {
  var open = document.querySelectorAll('.dd.open');
  for (var i = 0; i < open.length; i++) {
    if (!open[i].contains(e.target)) { open[i].classList.remove('open'); }
  }
  var b = e.target.closest ? e.target.closest('[data-confirm]') : null;
  if (b && !window.confirm(b.getAttribute('data-confirm'))) { e.preventDefault(); }
});
