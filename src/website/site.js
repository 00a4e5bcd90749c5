// relaydoc offline website: the in-page search and the provider picker on mail-program sheets.
// Works from file:// with no network. Text from the index is only ever set as textContent.
(function () {
  'use strict';

  function params() {
    var out = {};
    var query = window.location.search.replace(/^\?/, '');
    if (!query) return out;
    query.split('&').forEach(function (pair) {
      var at = pair.indexOf('=');
      var key = at < 0 ? pair : pair.slice(0, at);
      var value = at < 0 ? '' : pair.slice(at + 1);
      try {
        out[decodeURIComponent(key)] = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch (e) { /* a malformed parameter is ignored */ }
    });
    return out;
  }

  // ---- Provider picker: shows the variant of each task's steps written for the provider.
  var picker = document.getElementById('provider');
  if (picker) {
    var show = function (key) {
      var wanted = ' ' + (key || '-') + ' ';
      var variants = document.querySelectorAll('.variant');
      for (var i = 0; i < variants.length; i++) {
        var owners = variants[i].getAttribute('data-providers') || '';
        variants[i].hidden = owners.indexOf(wanted) < 0;
      }
      // The picker is not printed: the sheet says whose settings it carries.
      var note = document.getElementById('filled-for');
      if (note) {
        note.textContent = key
          ? 'Settings filled in for ' + picker.options[picker.selectedIndex].text + '.'
          : 'General steps: use the settings your provider lists.';
      }
    };
    var chosen = params().provider || '';
    var known = false;
    for (var i = 0; i < picker.options.length; i++) {
      if (picker.options[i].value === chosen) known = true;
    }
    picker.value = known ? chosen : '';
    show(picker.value);
    picker.addEventListener('change', function () { show(picker.value); });
    picker.closest('.picker').hidden = false;
  }

  // ---- Search.
  var input = document.getElementById('q');
  var list = document.getElementById('results');
  var status = document.getElementById('search-status');
  var docs = window.RELAYDOC_INDEX;
  if (!input || !list || !status || !docs) return;

  function fold(text) {
    return String(text).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  }
  function words(text) {
    return text.split(/[^a-z0-9]+/).filter(function (w) { return w.length > 1; });
  }
  var prepared = docs.map(function (doc) {
    var title = fold(doc.t);
    var id = fold(doc.i);
    var all = title + ' ' + id + ' ' + fold(doc.s) + ' ' + fold(doc.b);
    var seen = {};
    words(all).forEach(function (w) { seen[w] = true; });
    return { doc: doc, title: title, id: id, all: all, words: Object.keys(seen) };
  });

  // Edit distance with an early stop once every cell of a row is over `limit`.
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var previous = [];
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      var current = [i];
      var best = i;
      for (var k = 1; k <= b.length; k++) {
        var cost = a.charCodeAt(i - 1) === b.charCodeAt(k - 1) ? 0 : 1;
        var value = Math.min(previous[k] + 1, current[k - 1] + 1, previous[k - 1] + cost);
        current.push(value);
        if (value < best) best = value;
      }
      if (best > limit) return limit + 1;
      previous = current;
    }
    return previous[b.length];
  }

  function atWordStart(text, term) {
    var at = text.indexOf(term);
    return at === 0 || (at > 0 && /[^a-z0-9]/.test(text.charAt(at - 1)));
  }

  // Score of one document: whole phrase, then each word in the title, id or text, then
  // a close misspelling of a word (one letter off, two in long words). Every word must match.
  function score(entry, phrase, terms) {
    var total = 0;
    if (entry.title.indexOf(phrase) >= 0) total += 20;
    else if (entry.id.indexOf(phrase) >= 0) total += 16;
    else if (entry.all.indexOf(phrase) >= 0) total += 8;
    var phraseFound = total > 0;
    for (var t = 0; t < terms.length; t++) {
      var term = terms[t];
      if (entry.title.indexOf(term) >= 0) total += atWordStart(entry.title, term) ? 7 : 5;
      else if (entry.id.indexOf(term) >= 0) total += 5;
      else if (entry.all.indexOf(term) >= 0) total += atWordStart(entry.all, term) ? 3 : 2;
      else if (term.length >= 4) {
        var limit = term.length >= 7 ? 2 : 1;
        var close = false;
        for (var w = 0; w < entry.words.length && !close; w++) {
          if (distance(term, entry.words[w], limit) <= limit) close = true;
        }
        if (close) total += 1.5;
        else if (!phraseFound) return 0;
      } else if (!phraseFound) return 0;
    }
    return total;
  }

  function search(query) {
    var phrase = fold(query).trim().replace(/\s+/g, ' ');
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!phrase) {
      status.textContent = '';
      return;
    }
    var terms = words(phrase);
    if (!terms.length) terms = [phrase];
    var hits = [];
    for (var i = 0; i < prepared.length; i++) {
      var value = score(prepared[i], phrase, terms);
      if (value > 0) hits.push({ value: value, doc: prepared[i].doc });
    }
    hits.sort(function (a, b) { return b.value - a.value || a.doc.t.localeCompare(b.doc.t); });
    hits = hits.slice(0, 25);
    hits.forEach(function (hit) {
      var item = document.createElement('li');
      var kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = hit.doc.k;
      var link = document.createElement('a');
      link.href = hit.doc.u;
      link.textContent = hit.doc.t;
      var line = document.createElement('p');
      line.textContent = hit.doc.s;
      item.appendChild(kind);
      item.appendChild(link);
      item.appendChild(line);
      list.appendChild(item);
    });
    status.textContent = hits.length
      ? hits.length + (hits.length === 1 ? ' result' : ' results') + ' for “' + query.trim() + '”'
      : 'Nothing matches “' + query.trim() + '”. Try fewer or other words.';
  }

  var pending = null;
  input.addEventListener('input', function () {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(function () { search(input.value); }, 60);
  });
  input.form.addEventListener('submit', function (event) {
    event.preventDefault();
    search(input.value);
    var first = list.querySelector('a');
    if (first) first.focus();
  });
  // Arrow keys move between the search box and the results.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    var links = Array.prototype.slice.call(list.querySelectorAll('a'));
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    if (document.activeElement === input && event.key === 'ArrowDown') {
      links[0].focus();
    } else if (at >= 0) {
      if (event.key === 'ArrowDown' && at + 1 < links.length) links[at + 1].focus();
      else if (event.key === 'ArrowUp') (at > 0 ? links[at - 1] : input).focus();
      else return;
    } else return;
    event.preventDefault();
  });

  var initial = params().q;
  if (initial) {
    input.value = initial;
    search(initial);
  }
})();
