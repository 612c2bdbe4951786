// An OpenWhisk-style Node.js action: main(params) returns a JSON object. Under `faasload
// generate`, params.input is the generated input ({kind, seed, size, sizeBytes, shape, data}:
// data is a Buffer of text here) and the other params are the plan's, typed.
'use strict';

function main(params) {
  const text = params.input.data.toString('latin1');
  const words = (params.lower ? text.toLowerCase() : text).split(/[^A-Za-z]+/);
  const counts = new Map();
  for (const w of words) if (w !== '') counts.set(w, (counts.get(w) || 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, params.top);
  return { words: words.length, distinct: counts.size, top };
}

exports.main = main;
