#!/usr/bin/env node
// Sums up what test/support/openapi-check.ts recorded while the e2e suite ran: how many answers
// were checked against the OpenAPI document, and each kind of difference (route, status, what
// differs) with how often and one test that saw it. Exits 1 on any difference, or when nothing
// was checked (the check did not run).
//
//   node scripts/openapi-report.js <report file>
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/openapi-report.js <report file>');
  process.exit(2);
}
const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
let checked = 0;
const found = new Map();
for (const line of lines) {
  const entry = JSON.parse(line);
  if (typeof entry.checked === 'number') {
    checked += entry.checked;
    continue;
  }
  const key = `${entry.method} ${entry.route} → ${entry.status}: ${entry.problem}${entry.errors ? `\n      ${entry.errors.join('\n      ')}` : ''}`;
  const seen = found.get(key) ?? { count: 0, test: entry.test };
  seen.count++;
  found.set(key, seen);
}
const violations = [...found.values()].reduce((n, v) => n + v.count, 0);
console.log(`OpenAPI check: ${checked} answers checked against the document, ${violations} differ`);
for (const [key, { count, test }] of [...found].sort()) {
  console.log(`  ${key}`);
  console.log(`      (${count}×${test ? `; e.g. ${test}` : ''})`);
}
if (checked === 0)
  console.error('No answer was checked: was TEST_OPENAPI_REPORT set for the e2e tests?');
process.exit(violations > 0 || checked === 0 ? 1 : 0);
