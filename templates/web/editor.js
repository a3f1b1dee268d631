// Better with JavaScript: "add" copies an empty row (the page always has some without it), and
// the flows' party lists follow the ids typed above.
document.querySelectorAll('.js-only').forEach(function (b) { b.style.display = 'inline-block'; });
document.querySelectorAll('[data-add]').forEach(function (button) {
  button.addEventListener('click', function () {
    var box = document.getElementById(button.getAttribute('data-add'));
    var rows = box.querySelectorAll('fieldset.row');
    var last = rows[rows.length - 1];
    var prefix = last.getAttribute('data-row');
    var n = rows.length;
    var copy = last.cloneNode(true);
    copy.id = last.id.replace(/-\d+$/, '-' + n);
    copy.querySelectorAll('[name],[id],[for]').forEach(function (el) {
      ['name', 'id', 'for'].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v) { el.setAttribute(a, v.replace(new RegExp('^' + prefix + '\\d+\\.'), prefix + n + '.')); }
      });
      if (el.type === 'hidden' && /\.key$/.test(el.name)) { el.remove(); return; }
      if (el.tagName === 'INPUT' && el.type !== 'checkbox') { el.value = ''; }
      if (el.type === 'checkbox') { el.checked = false; }
      if (el.tagName === 'SELECT') { Array.prototype.forEach.call(el.options, function (o) { o.selected = false; }); }
    });
    copy.querySelectorAll('.field-error').forEach(function (el) { el.remove(); });
    box.appendChild(copy);
  });
});
document.getElementById('party-rows').addEventListener('change', function () {
  var list = document.getElementById('party-ids');
  var ids = ['controller'];
  document.querySelectorAll('#party-rows input[name$=".id"]').forEach(function (i) { if (i.value) { ids.push(i.value); } });
  list.innerHTML = '';
  ids.forEach(function (id) { var o = document.createElement('option'); o.value = id; list.appendChild(o); });
});
