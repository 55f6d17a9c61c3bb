import {
  bindPattern,
  CAMERA_KEY_VARIABLES,
  matchPattern,
  normalizeText,
  parsePattern,
  parseSenderPattern,
  type CameraKeyVariable,
  type Pattern,
} from '../../../shared/heartbeat-pattern.ts';
import type { HeartbeatRule } from '../../../shared/heartbeats.ts';
import type { HeaderFields } from '../../../shared/inbound.ts';
import type { SubjectValues } from '../../../shared/subject.ts';
import type { StoredCamera, StoredSite } from '../inventory/inventory.ts';

/** What matching reads of a message: sender and subject (headers only when a rule asks). */
export interface MatchableMessage {
  key: string;
  from: string;
  subject: string;
}

/** The rule id of a heartbeat whose source named its camera (the bench inbox, by the camera's login). */
export const SOURCE_IDENTIFIED = 'source-identified';

export interface Match {
  cameraId: string;
  ruleId: string;
}

/** Why a site rule's mail could not be given to a camera: the name it carried is not a camera. */
export interface Miss {
  ruleId: string;
  named: string;
}

/** How rules find the cameras and sites they name. */
export interface InventoryLookup {
  camera(id: string): StoredCamera | undefined;
  site(id: string): StoredSite | undefined;
  camerasOfSite(siteId: string): readonly StoredCamera[];
}

interface CompiledRule {
  rule: HeartbeatRule;
  from: Pattern | null;
  subject: Pattern | null;
  headerName: string;
  headerValue: Pattern | null;
  /** Site rules: the site's cameras by each identifying field (normalized). */
  cameras: Map<CameraKeyVariable, Map<string, string>> | null;
}

const KEY_FIELD: Record<CameraKeyVariable, (c: StoredCamera) => string> = {
  Camera_Name: (c) => c.name,
  Serial: (c) => c.serial,
  Camera_IP: (c) => c.host,
};

/** The values a camera rule can compare as text: only fields that are filled in. */
function knownValues(camera: StoredCamera | undefined, site: StoredSite | undefined): SubjectValues {
  const values: SubjectValues = {};
  const put = (key: keyof SubjectValues, value: string | undefined) => {
    if (value && value.trim() !== '') values[key] = value;
  };
  put('Site_Name', site?.name);
  put('Customer', site?.customer);
  if (camera) {
    put('Camera_Name', camera.name);
    put('Camera_Location', camera.location);
    put('Camera_IP', camera.host);
    put('Camera_Model', camera.model);
    put('Vendor', camera.vendor);
    put('Serial', camera.serial);
  }
  return values;
}

const parsed = (source: string, sender = false): Pattern | null => {
  if (source.trim() === '') return null;
  const result = sender ? parseSenderPattern(source) : parsePattern(source);
  // Stored rules were validated when saved; a rule that no longer parses matches nothing.
  return result.ok ? result.pattern : { source, parts: [{ kind: 'text', text: '\u0000never' }] };
};

/**
 * The rules of the moment, compiled against the inventory: camera rules with their camera's own
 * values written in, site rules with an index of the site's cameras by name, serial and address.
 * Camera rules win over site rules; among equals the older rule wins. Rules with an exact sender
 * are found through an index, so thousands of per-camera rules do not cost a scan per message.
 */
export class RuleMatcher {
  private readonly bySender = new Map<string, CompiledRule[]>();
  private readonly general: CompiledRule[] = [];
  readonly size: number;

  constructor(rules: readonly HeartbeatRule[], lookup: InventoryLookup) {
    const { camera, site, camerasOfSite } = lookup;
    const ordered = [...rules].sort(
      (a, b) =>
        (a.scope === 'camera' ? 0 : 1) - (b.scope === 'camera' ? 0 : 1) ||
        a.createdAt.localeCompare(b.createdAt),
    );
    const compiled: CompiledRule[] = [];
    for (const rule of ordered) {
      const cam = rule.cameraId ? camera(rule.cameraId) : undefined;
      const siteOf = site(rule.scope === 'camera' ? (cam?.siteId ?? '') : rule.siteId);
      if (rule.scope === 'camera' && !cam) continue; // the camera is gone
      if (!siteOf) continue;
      const values = knownValues(cam, siteOf);
      const bind = (p: Pattern | null) => (p ? bindPattern(p, values) : null);
      let cameras: CompiledRule['cameras'] = null;
      if (rule.scope === 'site') {
        cameras = new Map();
        for (const key of CAMERA_KEY_VARIABLES) {
          const index = new Map<string, string>();
          for (const c of camerasOfSite(siteOf.id)) {
            const value = normalizeText(KEY_FIELD[key](c));
            if (value !== '' && !index.has(value)) index.set(value, c.id);
          }
          cameras.set(key, index);
        }
      }
      compiled.push({
        rule,
        from: parsed(rule.from, true),
        subject: bind(parsed(rule.subject)),
        headerName: rule.headerName.trim().toLowerCase(),
        headerValue: bind(parsed(rule.headerValue)),
        cameras,
      });
    }
    for (const c of compiled) {
      const exact = c.from && c.from.parts.length === 1 && c.from.parts[0]!.kind === 'text';
      if (exact) {
        const text = (c.from!.parts[0] as { text: string }).text;
        const list = this.bySender.get(text) ?? [];
        list.push(c);
        this.bySender.set(text, list);
      } else this.general.push(c);
    }
    this.size = compiled.length;
  }

  /**
   * The camera a message belongs to, or null. `headers` is read only if a rule with a header
   * condition gets that far. `miss` hears of site rules whose mail named no camera of the site.
   */
  match(
    message: MatchableMessage,
    headers: () => HeaderFields | null,
    miss?: (m: Miss) => void,
  ): Match | null {
    const from = normalizeText(message.from);
    const subject = normalizeText(message.subject);
    const candidates = this.bySender.get(from);
    let fields: HeaderFields | null | undefined;
    const header = () => (fields === undefined ? (fields = headers()) : fields);
    // Camera rules first, then site rules, each list already in that order.
    for (const pass of ['camera', 'site'] as const) {
      for (const list of [candidates, this.general]) {
        if (!list) continue;
        for (const c of list) {
          if (c.rule.scope !== pass) continue;
          const found = this.tryRule(c, from, subject, header, miss);
          if (found) return found;
        }
      }
    }
    return null;
  }

  private tryRule(
    c: CompiledRule,
    from: string,
    subject: string,
    header: () => HeaderFields | null,
    miss?: (m: Miss) => void,
  ): Match | null {
    if (c.from && !matchPattern(c.from, from)) return null;
    const captures = new Map<string, string>();
    if (c.subject) {
      const got = matchPattern(c.subject, subject);
      if (!got) return null;
      for (const [k, v] of got) captures.set(k, v);
    }
    if (c.headerName) {
      const values = header()?.[c.headerName];
      if (!values || values.length === 0) return null;
      let ok = false;
      for (const value of values) {
        if (!c.headerValue) {
          ok = true;
          break;
        }
        const got = matchPattern(c.headerValue, normalizeText(value));
        if (!got) continue;
        ok = true;
        for (const [k, v] of got) if (!captures.has(k)) captures.set(k, v);
        break;
      }
      if (!ok) return null;
    }
    if (c.rule.scope === 'camera') return { cameraId: c.rule.cameraId!, ruleId: c.rule.id };
    let cameraId: string | null = null;
    let named = '';
    for (const key of CAMERA_KEY_VARIABLES) {
      const value = captures.get(key);
      if (value === undefined) continue;
      named ||= value;
      const id = c.cameras!.get(key)!.get(value);
      if (!id || (cameraId !== null && cameraId !== id)) {
        cameraId = null;
        break;
      }
      cameraId = id;
    }
    if (cameraId === null) {
      miss?.({ ruleId: c.rule.id, named });
      return null;
    }
    return { cameraId, ruleId: c.rule.id };
  }
}
