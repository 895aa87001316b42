// Renders an HTML table of rows, over and over. The hot spot is escapeHtml().
'use strict';

function escapeHtml(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '&') out += '&amp;';
    else if (c === '"') out += '&quot;';
    else out += c;
  }
  return out;
}

function renderRow(row) {
  return `<tr><td>${escapeHtml(row.name)}</td><td>${escapeHtml(row.note)}</td></tr>`;
}

const rows = Array.from({ length: Number(process.argv[2] || 1000) }, (_, i) => ({
  name: `item <${i}> & co`,
  note: `"quoted" note number ${i} with some <b>markup</b> in it`,
}));
let html = '';
const started = Date.now();
while (Date.now() - started < 1500) html = `<table>${rows.map(renderRow).join('')}</table>`;
console.log(`rendered ${html.length} characters`);
