/**
 * Operations of `zonectl config control-planes ...` over the config model, pure: the commands read
 * the file, call one of these, and write the result. Semantics follow kumactl's: adding a control
 * plane adds a context of the same name and switches to it; removing one removes its contexts.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { ApiServerConfig, ZonectlConfig } from './config-file.js';

export function addControlPlane(cfg: ZonectlConfig, name: string, apiServer: ApiServerConfig, overwrite: boolean): ZonectlConfig {
  const exists = (cfg.controlPlanes ?? []).some((cp) => cp.name === name) || (cfg.contexts ?? []).some((c) => c.name === name);
  if (exists && !overwrite) {
    throw new ConflictError(`Control Plane with name ${JSON.stringify(name)} already exists. Use --overwrite to replace an existing one.`);
  }
  return {
    controlPlanes: [...(cfg.controlPlanes ?? []).filter((cp) => cp.name !== name), { name, coordinates: { apiServer } }],
    contexts: [...(cfg.contexts ?? []).filter((c) => c.name !== name), { name, controlPlane: name }],
    currentContext: name,
  };
}

export function removeControlPlane(cfg: ZonectlConfig, name: string): ZonectlConfig {
  if (!(cfg.controlPlanes ?? []).some((cp) => cp.name === name)) throw notFound(name);
  const contexts = (cfg.contexts ?? []).filter((c) => c.controlPlane !== name && c.name !== name);
  // kumactl's RemoveContext: when the current context goes, the first one left becomes current.
  const current = contexts.some((c) => c.name === cfg.currentContext) ? cfg.currentContext : contexts[0]?.name;
  return { controlPlanes: (cfg.controlPlanes ?? []).filter((cp) => cp.name !== name), contexts, currentContext: current };
}

/** Switches to the context named after the control plane (the one `add` made). */
export function useControlPlane(cfg: ZonectlConfig, name: string): ZonectlConfig {
  const ctx = (cfg.contexts ?? []).find((c) => c.name === name) ?? (cfg.contexts ?? []).find((c) => c.controlPlane === name);
  if (!ctx) throw notFound(name);
  return { ...cfg, currentContext: ctx.name };
}

export interface ControlPlaneListItem {
  active: boolean;
  name: string;
  address: string;
}

export function listControlPlanes(cfg: ZonectlConfig): ControlPlaneListItem[] {
  const activeCp = (cfg.contexts ?? []).find((c) => c.name === cfg.currentContext)?.controlPlane;
  return (cfg.controlPlanes ?? []).map((cp) => ({ active: cp.name === activeCp, name: cp.name, address: cp.coordinates.apiServer.url }));
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`there is no Control Plane with name ${JSON.stringify(name)} (see 'zonectl config control-planes list')`);
}
