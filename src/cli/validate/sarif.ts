/**
 * SARIF 2.1.0 (code scanning in GitHub, GitLab, Azure DevOps): one result per violation, with its
 * rule, level and region. https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import type { ValidationRule } from '../../resources/validate-set.js';
import { describeResult, describeViolation, type ValidateReport } from './report.js';

const RULES: Record<ValidationRule, string> = {
  syntax: 'The document is not valid YAML or JSON.',
  resource: 'The resource violates its JSON Schema or a semantic rule of its kind.',
  duplicate: 'The same (type, mesh, name) is defined more than once.',
  'mesh-without-zoneegress': 'A Mesh routes through a ZoneEgress, but none is defined.',
  kind: 'A Kubernetes object zonectl does not validate: a Kuma kind it does not model, or another API group (with --strict-kinds).',
};

export function renderSarif(report: ValidateReport): string {
  const ruleIds = Object.keys(RULES) as ValidationRule[];
  const results = report.results.flatMap((r) =>
    r.violations.map((v) => ({
      ruleId: v.rule,
      ruleIndex: ruleIds.indexOf(v.rule),
      level: v.severity,
      message: { text: `${describeViolation(v)} (${describeResult(r)})` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(r.file) },
            region: { startLine: v.line, startColumn: v.column },
          },
        },
      ],
    })),
  );
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'zonectl validate',
            rules: ruleIds.map((id) => ({ id, shortDescription: { text: RULES[id] } })),
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** SARIF wants URI references: forward slashes, percent-encoded. */
function toUri(file: string): string {
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}
