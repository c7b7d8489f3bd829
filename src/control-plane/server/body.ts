/**
 * Request bodies: bounded reads and JSON/YAML parsing. A malformed or oversized body is a typed
 * error (400/413 via the problem mapper), never a crash. kumactl sends JSON; YAML is accepted
 * too (Content-Type `application/yaml`, or any body that is not JSON but parses as YAML) so that
 * `curl --data-binary @mesh.yaml` works.
 */
import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { ValidationError } from '../../core/errors.js';
import { assertDepth } from '../../resources/limits.js';
import { PayloadTooLargeError } from './problem.js';

export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(declared, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', (err) => failed || ((failed = true), reject(new ValidationError(`could not read the request body: ${err.message}`, [{ field: 'body', message: err.message }], 'Bad Request'))));
  });
}

function tooLarge(size: number, limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body of ${size} bytes or more exceeds the limit of ${limit} bytes`);
}

/** Parses a resource body: a JSON (or YAML) object, nested no deeper than MAX_DOCUMENT_DEPTH. */
export function parseBody(text: string, contentType: string | undefined): unknown {
  const value = parseText(text, contentType);
  assertDepth(value, 'the request body');
  return value;
}

function parseText(text: string, contentType: string | undefined): unknown {
  const yamlFirst = /yaml/i.test(contentType ?? '');
  if (!yamlFirst) {
    try {
      return asObject(JSON.parse(text));
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      const trimmed = text.trimStart();
      // Bodies that look like JSON are JSON; report the JSON error rather than YAML's.
      if (trimmed === '' || trimmed.startsWith('{') || trimmed.startsWith('[') || /json/i.test(contentType ?? '')) {
        throw invalid('JSON', (err as Error).message);
      }
    }
  }
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text);
  } catch (err) {
    // The YAML parser recurses per nesting level: a hostile body can exhaust its stack.
    throw invalid('YAML', err instanceof RangeError ? 'nested too deeply' : (err as Error).message);
  }
  if (!Array.isArray(docs) || docs.length !== 1) throw invalid('YAML', 'expected exactly one document');
  const doc = docs[0];
  if (doc.errors.length) {
    const first = doc.errors[0].message.split('\n')[0];
    // The parser reports its own stack overflow (a body nested thousands deep) as a YAML error.
    throw invalid('YAML', first.startsWith('Maximum call stack size exceeded') ? 'nested too deeply' : first);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. "Excessive alias count" (a billion-laughs body): the client's input, not our failure.
    throw invalid('YAML', err instanceof RangeError ? 'nested too deeply' : (err as Error).message);
  }
  return asObject(value);
}

/**
 * A body that does not decode to an object. `reason` is the decoder's own words, which the
 * resource routes wrap as Kuma does: 400 `Bad Request`, `invalid Mesh object: "<reason>"`.
 */
export class BodyDecodeError extends ValidationError {
  override name = 'BodyDecodeError';
  constructor(
    message: string,
    violations: { field: string; message: string }[],
    readonly reason: string,
  ) {
    super(message, violations, 'Could not process a resource');
  }
}

function asObject(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    throw new BodyDecodeError('the request body must be a JSON object (a resource)', [{ field: '', message: 'must be an object' }], `the body must be a JSON object, got ${got}`);
  }
  return v as Record<string, unknown>;
}

function invalid(format: string, reason: string): ValidationError {
  return new BodyDecodeError(`the request body is not valid ${format}: ${reason}`, [{ field: '', message: `invalid ${format}: ${reason}` }], reason);
}
