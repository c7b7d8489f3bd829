/** Mesh logging, tracing and metrics backends (Kuma's mesh validator, with real `conf` paths). */
import { arr, checkHostPort, checkPort, checkUniqueNames, num, obj, str, type Obj, type Violations } from './common.js';

const LOGGING_TYPES = ['tcp', 'file'];
const TRACING_TYPES = ['zipkin', 'datadog'];
const ZIPKIN_API_VERSIONS = ['httpJsonV1', 'httpJson', 'httpProto'];

const quoted = (xs: string[]) => xs.map((x) => JSON.stringify(x)).join(', ');

/** Logging backends: names, types tcp|file and their conf, defaultBackend. */
export function checkLogging(v: Violations, logging: Obj): void {
  const backends = arr(logging.backends);
  backends.forEach((item, i) => {
    const b = obj(item);
    if (!b) return;
    const field = `logging.backends[${i}]`;
    if (str(b.name) === '') v.add(`${field}.name`, 'cannot be empty');
    const type = str(b.type);
    const conf = obj(b.conf) ?? {};
    if (type === 'tcp') {
      const address = str(conf.address);
      if (address === '') v.add(`${field}.conf.address`, 'cannot be empty');
      else if (address !== undefined) checkHostPort(v, `${field}.conf.address`, address);
    } else if (type === 'file') {
      if (str(conf.path) === '') v.add(`${field}.conf.path`, 'cannot be empty');
    } else if (type !== undefined) {
      v.add(`${field}.type`, `unknown backend type. Available backends: ${quoted(LOGGING_TYPES)}`);
    }
  });
  const names = checkUniqueNames(v, 'logging.backends', backends);
  const def = str(logging.defaultBackend);
  if (def && !names.has(def)) v.add('logging.defaultBackend', 'has to be set to one of the logging backend in mesh');
}

/** Tracing backends: names, sampling, types zipkin|datadog and their conf, defaultBackend. */
export function checkTracing(v: Violations, tracing: Obj): void {
  const backends = arr(tracing.backends);
  backends.forEach((item, i) => {
    const b = obj(item);
    if (!b) return;
    const field = `tracing.backends[${i}]`;
    if (str(b.name) === '') v.add(`${field}.name`, 'cannot be empty');
    const sampling = num(b.sampling);
    if (sampling !== undefined && (sampling < 0 || sampling > 100)) v.add(`${field}.sampling`, 'has to be in [0.0 - 100.0] range');
    const type = str(b.type);
    const conf = obj(b.conf) ?? {};
    if (type === 'zipkin') checkZipkin(v, `${field}.conf`, conf);
    else if (type === 'datadog') checkDatadog(v, `${field}.conf`, conf);
    else if (type !== undefined) v.add(`${field}.type`, `unknown backend type. Available backends: ${quoted(TRACING_TYPES)}`);
  });
  const names = checkUniqueNames(v, 'tracing.backends', backends);
  const def = str(tracing.defaultBackend);
  if (def && !names.has(def)) v.add('tracing.defaultBackend', 'has to be set to one of the tracing backend in mesh');
}

// An absolute URL with an explicit port: `scheme://host:port/...` (Go's ParseRequestURI + Port()).
const URL_WITH_PORT = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/;

function checkZipkin(v: Violations, field: string, conf: Obj): void {
  const apiVersion = str(conf.apiVersion);
  if (apiVersion && !ZIPKIN_API_VERSIONS.includes(apiVersion)) v.add(`${field}.apiVersion`, `has invalid value. Allowed values: ${ZIPKIN_API_VERSIONS.join(', ')}`);
  const url = str(conf.url);
  if (url === undefined) return;
  if (url === '') {
    v.add(`${field}.url`, 'cannot be empty');
    return;
  }
  let ok = true;
  try {
    new URL(url);
  } catch {
    ok = false;
  }
  if (!ok) v.add(`${field}.url`, 'invalid URL');
  else if (!URL_WITH_PORT.test(url)) v.add(`${field}.url`, 'port has to be explicitly specified');
}

function checkDatadog(v: Violations, field: string, conf: Obj): void {
  if (str(conf.address) === '') v.add(`${field}.address`, 'cannot be empty');
  // Kuma's ValidatePort on the proto's uint32: a missing port is 0, out of range.
  checkPort(v, `${field}.port`, conf.port ?? 0);
}

/** Metrics backends: names, type prometheus and its conf, enabledBackend. */
export function checkMetrics(v: Violations, metrics: Obj): void {
  const backends = arr(metrics.backends);
  const names = checkUniqueNames(v, 'metrics.backends', backends);
  backends.forEach((item, i) => {
    const b = obj(item);
    if (!b) return;
    const field = `metrics.backends[${i}]`;
    const type = str(b.type);
    if (type !== 'prometheus') {
      if (type !== undefined) v.add(`${field}.type`, 'unknown backend type. Available backends: "prometheus"');
      return;
    }
    checkPrometheus(v, `${field}.conf`, obj(b.conf) ?? {});
  });
  const enabled = str(metrics.enabledBackend);
  if (enabled && !names.has(enabled)) v.add('metrics.enabledBackend', 'has to be set to one of the backends in the mesh');
}

function checkPrometheus(v: Violations, field: string, conf: Obj): void {
  const tls = obj(conf.tls);
  if (conf.skipMTLS !== undefined && tls) {
    // Kuma tolerates the two only when they say the same thing.
    const mode = tls.mode ?? 'activeMTLSBackend';
    const same = (conf.skipMTLS === false && mode === 'activeMTLSBackend') || (conf.skipMTLS === true && mode === 'disabled');
    if (!same) v.add(field, 'skipMTLS and tls configuration cannot be defined together');
  }
  const filterRegex = str(obj(conf.envoy)?.filterRegex);
  if (filterRegex) {
    const problem = re2Problem(filterRegex);
    if (problem) v.add(`${field}.envoy.filterRegex`, `provided regexp isn't correct: ${problem}`);
  }
  const used = new Set<string>();
  arr(conf.aggregate).forEach((item, i) => {
    const name = str(obj(item)?.name);
    if (name === undefined) return;
    if (used.has(name)) v.add(`${field}.aggregate[${i}].name`, `duplicate entry: ${name}, values have to be unique`);
    used.add(name);
  });
}

/**
 * Envoy evaluates the filter with RE2: accept what RE2 accepts. JavaScript's engine is a close
 * superset once RE2's `(?P<name>` and leading `(?flags)` are translated, so compile it there and
 * reject the constructs RE2 lacks (lookaround, backreferences).
 */
function re2Problem(re: string): string | undefined {
  if (/\(\?<?[=!]/.test(re)) return 'lookaround assertions are not supported (Envoy uses RE2)';
  if (/\\[1-9]|\\k</.test(re)) return 'backreferences are not supported (Envoy uses RE2)';
  const translated = re.replace(/\(\?P</g, '(?<').replace(/^\(\?[imsU]+\)/, '');
  try {
    new RegExp(translated);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: /, '');
  }
}
