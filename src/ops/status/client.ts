// The status page's script, served inline as plain browser JavaScript (no build step). It renders the StatusView
// from /events with textContent only, so nothing from a barcode or a device can become markup.
export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var only = document.body.getAttribute('data-station') || '';
  var root = document.getElementById('stations');
  var link = document.getElementById('link');
  var upload = document.getElementById('upload');
  var storage = document.getElementById('storage');
  var lab = document.getElementById('lab');
  var footer = document.getElementById('footer');

  function el(tag, cls, text, testid) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (testid) e.setAttribute('data-testid', testid);
    return e;
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function reading(r) {
    var row = el('div', 'reading state-' + r.state, null, 'reading-' + r.property);
    row.setAttribute('data-state', r.state);
    row.appendChild(el('span', 'r-label', r.label));
    var value = el('span', 'r-value');
    if (r.value !== undefined) {
      value.appendChild(el('span', 'num', r.value));
      value.appendChild(el('span', 'unit', r.unit));
    } else {
      value.appendChild(el('span', 'none', '—'));
    }
    row.appendChild(value);
    var mark = r.state === 'taken' ? '✓ ' : r.state === 'unload' || r.state === 'rejected' ? '⚠ ' : '';
    row.appendChild(el('span', 'r-state', mark + r.text));
    return row;
  }

  function station(s) {
    var card = el('section', 'station tone-' + s.tone, null, 'station-' + s.id);
    var head = el('div', 'station-head');
    head.appendChild(el('span', 'station-id', s.id));
    if (s.operator) head.appendChild(el('span', 'operator', 'Operator: ' + s.operator, 'operator'));
    if (!only) {
      var open = el('a', 'open', 'open ›');
      open.href = '/station/' + encodeURIComponent(s.id);
      head.appendChild(open);
    }
    card.appendChild(head);

    var cell = el('div', 'cell');
    cell.appendChild(el('span', 'cell-label', s.cell ? 'Cell' : 'No cell'));
    cell.appendChild(el('span', 'cell-id', s.cell || '', 'cell-id'));
    card.appendChild(cell);
    if (s.cellNote) card.appendChild(el('div', 'cell-note', s.cellNote, 'cell-note'));
    card.appendChild(el('div', 'headline', s.headline, 'headline'));

    if (s.error) card.appendChild(el('div', 'error', s.error, 'error'));
    if (s.notice) card.appendChild(el('div', 'notice tone-' + s.notice.tone, s.notice.text, 'notice'));
    if (s.cell) {
      var list = el('div', 'readings');
      s.readings.forEach(function (r) { list.appendChild(reading(r)); });
      card.appendChild(list);
      if (s.missing.length) card.appendChild(el('div', 'missing', 'Still needed: ' + s.missing.join(', '), 'missing'));
    }
    if (s.saved) {
      var saved = el('div', 'saved' + (s.cell || s.saved.voided ? ' previous' : ''), null, 'saved');
      var title = s.saved.voided ? 'Voided ' : s.cell ? 'Last saved ' : '✓ Saved ';
      saved.appendChild(el('span', 'saved-title', title + s.saved.cell + ' at ' + time(s.saved.at)));
      saved.appendChild(el('span', 'saved-name', s.saved.name, 'saved-name'));
      if (s.saved.upload) {
        var up = el('span', 'upload tone-' + s.saved.upload.tone, s.saved.upload.text, 'upload-state');
        up.setAttribute('data-state', s.saved.upload.state);
        saved.appendChild(up);
      }
      card.appendChild(saved);
    }

    var devices = el('div', 'devices');
    s.devices.forEach(function (d) {
      var chip = el('span', 'device tone-' + d.tone, d.text, 'device-' + d.id);
      chip.setAttribute('data-state', d.state);
      if (d.detail) chip.title = d.detail;
      devices.appendChild(chip);
    });
    card.appendChild(devices);
    return card;
  }

  function render(v) {
    lab.textContent = v.lab;
    upload.textContent = v.upload.text;
    upload.className = 'pill tone-' + v.upload.tone;
    upload.setAttribute('data-queued', String(v.upload.queued));
    storage.hidden = !v.storage;
    storage.textContent = v.storage ? v.storage.text : '';
    storage.className = v.storage ? 'banner tone-' + v.storage.tone : 'banner';
    var shown = v.stations.filter(function (s) { return !only || s.id === only; });
    root.replaceChildren.apply(root, shown.map(station));
    if (!shown.length) root.appendChild(el('div', 'error', only ? 'Station "' + only + '" is not in the configuration.' : 'No stations configured.'));
    footer.textContent = 'ionworks-edge ' + v.version + ' · updated ' + time(Date.now());
    document.body.className = (only ? 'solo ' : '') + 'tone-' + v.tone;
  }

  function setLink(ok) {
    link.textContent = ok ? '● live' : '● connection to the service lost — retrying…';
    link.className = ok ? 'link ok' : 'link lost';
  }

  var source = new EventSource('/events');
  source.onmessage = function (e) { setLink(true); render(JSON.parse(e.data)); };
  source.onerror = function () { setLink(false); };
})();
`;
