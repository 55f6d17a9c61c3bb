import type { z } from 'zod';
import {
  expectationLabel,
  type AlertSettings,
  type AlertSettingsInput,
  type HeartbeatConfig,
  type HeartbeatRule,
  type MaintenanceWindow,
  type PauseInput,
  type RuleFieldsParsed,
  ruleLabel,
} from '../../../shared/heartbeats.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { AuditInput } from '../history/audit.ts';
import type { Inventory, StoredCamera } from '../inventory/inventory.ts';

/** Ended maintenance windows are kept this long (the table says when a camera was last paused). */
const ENDED_WINDOWS_KEPT_MS = 30 * 86_400_000;

export interface ExpectationFields {
  periodMinutes: number | null;
  graceMinutes: number | null;
  schedule: { times: string[]; timeZone: string } | null;
}

/**
 * The heartbeat settings the integrator edits — rules, each camera's grace and schedule (its
 * period is the camera's `heartbeatMinutes`), maintenance windows, alert settings — kept in the
 * inventory's document store, checked against the inventory, each change written together with
 * its audit events (one atomic write: both land or neither does).
 */
export class HeartbeatSettings {
  private readonly inventory: Inventory;
  private readonly now: () => number;

  constructor(inventory: Inventory, now: () => number) {
    this.inventory = inventory;
    this.now = now;
  }

  private get config(): HeartbeatConfig {
    return this.inventory.heartbeats;
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  rules(filter: { siteId?: string | undefined; cameraId?: string | undefined } = {}): HeartbeatRule[] {
    return this.config.rules.filter((r) => {
      if (filter.cameraId) {
        const camera = this.inventory.camera(filter.cameraId);
        return r.cameraId === filter.cameraId || (r.scope === 'site' && r.siteId === camera?.siteId);
      }
      return !filter.siteId || r.siteId === filter.siteId;
    });
  }

  /** A rule checked against the inventory: its site and camera exist and belong together. */
  checkRule(input: RuleFieldsParsed): Omit<HeartbeatRule, 'id' | 'origin' | 'createdAt' | 'updatedAt'> {
    const site = this.inventory.site(input.siteId);
    if (!site) throw new AppError('invalid-input', 'Choose an existing site.', 'siteId');
    let cameraId: string | null = null;
    if (input.scope === 'camera') {
      const camera = input.cameraId ? this.inventory.camera(input.cameraId) : undefined;
      if (!camera) throw new AppError('invalid-input', 'Choose an existing camera.', 'cameraId');
      if (camera.siteId !== site.id)
        throw new AppError(
          'invalid-input',
          `"${camera.name}" is not a camera of "${site.name}".`,
          'cameraId',
        );
      cameraId = camera.id;
    }
    return {
      scope: input.scope,
      siteId: site.id,
      cameraId,
      from: input.from.trim().toLowerCase(),
      subject: input.subject.trim(),
      headerName: input.headerName.trim(),
      headerValue: input.headerValue.trim(),
    };
  }

  createRule(input: RuleFieldsParsed, origin: HeartbeatRule['origin'] = 'manual'): HeartbeatRule {
    const fields = this.checkRule(input);
    const at = this.at();
    const rule: HeartbeatRule = { id: crypto.randomUUID(), ...fields, origin, createdAt: at, updatedAt: at };
    this.inventory.commit({ heartbeats: { ...this.config, rules: [...this.config.rules, rule] } }, [
      this.ruleEvent(
        'create',
        rule,
        origin === 'assigned' ? 'heartbeat rule made by assigning a message' : 'heartbeat rule added',
      ),
    ]);
    return rule;
  }

  updateRule(input: RuleFieldsParsed & { id: string }): HeartbeatRule {
    const existing = this.config.rules.find((r) => r.id === input.id);
    if (!existing) throw notFound('Heartbeat rule', input.id);
    const rule: HeartbeatRule = { ...existing, ...this.checkRule(input), updatedAt: this.at() };
    this.inventory.commit(
      { heartbeats: { ...this.config, rules: this.config.rules.map((r) => (r.id === rule.id ? rule : r)) } },
      [this.ruleEvent('update', rule, 'heartbeat rule changed')],
    );
    return rule;
  }

  removeRule(id: string): { id: string } {
    const rule = this.config.rules.find((r) => r.id === id);
    if (!rule) throw notFound('Heartbeat rule', id);
    this.inventory.commit(
      { heartbeats: { ...this.config, rules: this.config.rules.filter((r) => r.id !== id) } },
      [this.ruleEvent('delete', rule, 'heartbeat rule deleted')],
    );
    return { id };
  }

  /** Sets the period (the camera's heartbeatMinutes), grace and schedule of some cameras in one write. */
  setExpectation(cameras: readonly StoredCamera[], fields: ExpectationFields): void {
    const ids = new Set(cameras.map((c) => c.id));
    const at = this.at();
    const keep = fields.graceMinutes !== null || fields.schedule !== null;
    const perCamera = Object.fromEntries(Object.entries(this.config.cameras).filter(([id]) => !ids.has(id)));
    if (keep)
      for (const id of ids) perCamera[id] = { graceMinutes: fields.graceMinutes, schedule: fields.schedule };
    const label = expectationLabel(fields) ?? 'no heartbeat expected';
    const grace = fields.graceMinutes === null ? 'default grace' : `grace ${fields.graceMinutes} min`;
    this.inventory.commit(
      {
        cameras: this.inventory.cameras.map((c) =>
          ids.has(c.id) && c.heartbeatMinutes !== fields.periodMinutes
            ? { ...c, heartbeatMinutes: fields.periodMinutes, updatedAt: at }
            : c,
        ),
        heartbeats: { ...this.config, cameras: perCamera },
      },
      cameras.map((c) => ({
        action: 'update',
        recordType: 'camera',
        recordId: c.id,
        recordLabel: c.name,
        siteId: c.siteId,
        cameraId: c.id,
        detail: `heartbeat expectation: ${label}, ${grace}`,
      })),
    );
  }

  pause(input: z.output<typeof PauseInput>): MaintenanceWindow {
    const site = this.inventory.site(input.siteId);
    if (!site) throw new AppError('invalid-input', 'Choose an existing site.', 'siteId');
    const camera = input.scope === 'camera' ? this.inventory.camera(input.cameraId ?? '') : undefined;
    if (input.scope === 'camera' && (!camera || camera.siteId !== site.id))
      throw new AppError('invalid-input', 'Choose an existing camera of the site.', 'cameraId');
    const now = this.now();
    if (Date.parse(input.endsAt) <= now)
      throw new AppError(
        'invalid-input',
        'The end of the maintenance window must be in the future.',
        'endsAt',
      );
    const window: MaintenanceWindow = {
      id: crypto.randomUUID(),
      scope: input.scope,
      siteId: site.id,
      cameraId: camera?.id ?? null,
      startsAt: input.startsAt ?? new Date(now).toISOString(),
      endsAt: input.endsAt,
      reason: input.reason.trim(),
      createdAt: new Date(now).toISOString(),
    };
    this.inventory.commit({ heartbeats: { ...this.config, windows: [...this.liveWindows(), window] } }, [
      {
        action: 'update',
        recordType: camera ? 'camera' : 'site',
        recordId: camera?.id ?? site.id,
        recordLabel: camera?.name ?? site.name,
        siteId: site.id,
        cameraId: camera?.id ?? null,
        detail: `heartbeats paused from ${window.startsAt} until ${window.endsAt}${window.reason ? `: ${window.reason}` : ''}`,
      },
    ]);
    return window;
  }

  /** Ends a maintenance window now (or drops one that has not started). */
  resume(windowId: string): MaintenanceWindow {
    const window = this.config.windows.find((w) => w.id === windowId);
    if (!window) throw notFound('Maintenance window', windowId);
    const now = this.now();
    const ended: MaintenanceWindow = {
      ...window,
      endsAt: new Date(Math.max(now, Date.parse(window.startsAt))).toISOString(),
    };
    this.inventory.commit(
      {
        heartbeats: {
          ...this.config,
          windows: this.liveWindows().flatMap((w) =>
            w.id !== windowId ? [w] : Date.parse(window.startsAt) > now ? [] : [ended],
          ),
        },
      },
      [
        {
          action: 'update',
          recordType: window.cameraId ? 'camera' : 'site',
          recordId: window.cameraId ?? window.siteId,
          siteId: window.siteId,
          cameraId: window.cameraId,
          detail: 'heartbeats resumed: maintenance window ended early',
        },
      ],
    );
    return ended;
  }

  windows(filter: { siteId?: string; cameraId?: string } = {}): MaintenanceWindow[] {
    return this.config.windows.filter(
      (w) =>
        (!filter.cameraId ||
          w.cameraId === filter.cameraId ||
          (w.scope === 'site' && w.siteId === this.inventory.camera(filter.cameraId)?.siteId)) &&
        (!filter.siteId || w.siteId === filter.siteId),
    );
  }

  alertSettings(): AlertSettings {
    return this.config.alerts;
  }

  setAlertSettings(input: z.output<typeof AlertSettingsInput>): AlertSettings {
    if (input.email.enabled) {
      const connector = this.inventory.connector(input.email.connectorId ?? '');
      if (!connector)
        throw new AppError(
          'invalid-input',
          'Choose an existing connector for alert e-mails.',
          'email.connectorId',
        );
    }
    const alerts: AlertSettings = { notify: input.notify, email: { ...input.email } };
    this.inventory.commit({ heartbeats: { ...this.config, alerts } }, [
      {
        action: 'update',
        recordType: 'inventory',
        recordLabel: 'Heartbeat alerts',
        detail: `notifications ${alerts.notify ? 'on' : 'off'}; e-mail ${alerts.email.enabled ? `to ${alerts.email.recipients.join(', ')} on ${alerts.email.states.join(', ')}` : 'off'}`,
      },
    ]);
    return alerts;
  }

  /**
   * Settings of cameras and sites that no longer exist, and windows long over, dropped (after a
   * camera or site was deleted). Returns whether anything was.
   */
  dropOrphans(): boolean {
    const c = this.config;
    const cameraOk = (id: string | null) => id === null || this.inventory.camera(id) !== undefined;
    const siteOk = (id: string) => this.inventory.site(id) !== undefined;
    const rules = c.rules.filter((r) => (r.scope === 'camera' ? cameraOk(r.cameraId) : siteOk(r.siteId)));
    const windows = this.liveWindows().filter((w) =>
      w.scope === 'camera' ? cameraOk(w.cameraId) : siteOk(w.siteId),
    );
    const cameras = Object.fromEntries(Object.entries(c.cameras).filter(([id]) => cameraOk(id)));
    let alerts = c.alerts;
    if (alerts.email.connectorId && !this.inventory.connector(alerts.email.connectorId))
      alerts = { ...alerts, email: { ...alerts.email, enabled: false, connectorId: null } };
    if (
      rules.length === c.rules.length &&
      windows.length === c.windows.length &&
      Object.keys(cameras).length === Object.keys(c.cameras).length &&
      alerts === c.alerts
    )
      return false;
    this.inventory.commit({ heartbeats: { rules, windows, cameras, alerts } });
    return true;
  }

  private liveWindows(): MaintenanceWindow[] {
    const cutoff = this.now() - ENDED_WINDOWS_KEPT_MS;
    return this.config.windows.filter((w) => Date.parse(w.endsAt) >= cutoff);
  }

  private ruleEvent(action: 'create' | 'update' | 'delete', rule: HeartbeatRule, what: string): AuditInput {
    const camera = rule.cameraId ? this.inventory.camera(rule.cameraId) : undefined;
    const site = this.inventory.site(rule.siteId);
    return {
      action,
      recordType: camera ? 'camera' : 'site',
      recordId: camera?.id ?? rule.siteId,
      recordLabel: camera?.name ?? site?.name ?? '',
      siteId: rule.siteId,
      cameraId: camera?.id ?? null,
      detail: `${what}: ${ruleLabel(rule)}`,
    };
  }
}
