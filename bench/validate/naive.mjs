// The naive path, for comparison: the `yaml` library parses every document with positions
// (parseAllDocuments + toJS), nothing else. Usage: node bench/validate/naive.mjs FILE
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';

const lineCounter = new LineCounter();
const docs = parseAllDocuments(readFileSync(process.argv[2], 'utf8'), { lineCounter });
let n = 0;
for (const d of docs) if (d.toJS() !== null) n++;
process.stdout.write(`${n} documents\n`);
