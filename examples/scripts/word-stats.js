// Counts words in a generated text, many times over. The hot spot is countWords().
'use strict';

function makeText(words) {
  const vocabulary = ['profile', 'sample', 'flame', 'graph', 'latency', 'budget', 'heap', 'trace'];
  const parts = [];
  for (let i = 0; i < words; i++) parts.push(vocabulary[(i * 7 + (i >> 3)) % vocabulary.length]);
  return parts.join(' ');
}

function countWords(text) {
  const counts = new Map();
  const re = /[a-z]+/g;
  let match;
  while ((match = re.exec(text)) !== null) {
    counts.set(match[0], (counts.get(match[0]) || 0) + 1);
  }
  return counts;
}

function topWords(counts, n) {
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

const text = makeText(200000);
let last;
const started = Date.now();
while (Date.now() - started < 1500) last = countWords(text);
console.log('top words:', topWords(last, 3).map(([w, c]) => `${w}=${c}`).join(', '));
