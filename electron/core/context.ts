import type { EventMap, EventTopic } from '../../shared/contract.ts';
import type { Clock, CoreAdapters, Logger, PickedFileRef } from './adapters.ts';
import type { ArrivalService } from './arrival/arrival.ts';
import type { BenchInbox } from './bench/bench.ts';
import type { HealthService } from './health/health.ts';
import type { AuditLog } from './history/audit.ts';
import type { Db } from './history/db.ts';
import type { DeliveryHistory } from './history/deliveries.ts';
import type { HeartbeatService } from './heartbeats/service.ts';
import type { InboundHub } from './inbound/hub.ts';
import type { MailboxService } from './inbound/mailboxes.ts';
import type { MailboxWatchers } from './inbound/watchers.ts';
import type { CameraService } from './inventory/cameras.ts';
import type { ConnectorService } from './inventory/connectors.ts';
import type { CsvThread } from './inventory/camera-csv-thread.ts';
import type { Inventory } from './inventory/inventory.ts';
import type { SiteService } from './inventory/sites.ts';
import type { DeliveryEngine } from './mail/engine.ts';
import type { OAuthService } from './oauth/oauth.ts';
import type { RunService } from './runs/runs.ts';
import type { AppPasswordService } from './vault/records.ts';
import type { VerifyService } from './vault/verify.ts';
import type { MisplacedSecret } from './vault/secret-placement.ts';
import type { BoundSecrets } from './secrets/keyring.ts';

/**
 * The services and adapters of one open core, as the composition root (core.ts) builds them. Each
 * feature's handlers (`*-handlers.ts`, beside its service) take the part of it they need.
 */
export interface CoreContext {
  /** The adapters; `options.secrets` is the keyring's box (`secrets`), not the raw adapter. */
  readonly options: CoreAdapters;
  /** Seals and opens secrets bound to their record (keyring.ts). */
  readonly secrets: BoundSecrets;
  /** Sealed secrets found at opening in a record they were not sealed for (never opened). */
  readonly misplacedSecrets: readonly MisplacedSecret[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly now: () => number;
  readonly db: Db;
  readonly inventory: Inventory;
  readonly audit: AuditLog;
  readonly sites: SiteService;
  readonly connectors: ConnectorService;
  readonly cameras: CameraService;
  readonly vault: AppPasswordService;
  readonly verifier: VerifyService;
  readonly deliveries: DeliveryHistory;
  readonly engine: DeliveryEngine;
  readonly runs: RunService;
  readonly oauth: OAuthService;
  /** Inbound mail from every source (watched mailboxes, the bench inbox), stored once. */
  readonly inbound: InboundHub;
  /** Arrival proof: each delivery's second verdict, from the watched mailboxes. */
  readonly arrival: ArrivalService;
  /** The bench inbox: an SMTP server for cameras on the integrator's bench. */
  readonly bench: BenchInbox;
  readonly health: HealthService;
  /** Where camera CSV files are read and checked (a worker thread). */
  readonly csvThread: CsvThread;
  /** The watched mailboxes (IMAP) and their watchers. */
  readonly mailboxes: MailboxService;
  readonly watchers: MailboxWatchers;
  /** Mail matched to cameras, every camera's heartbeat state, and the alerts about it. */
  readonly heartbeats: HeartbeatService;
  /** Pushes an event to every subscriber of the core (the renderer in the app). */
  emit<K extends EventTopic>(topic: K, payload: EventMap[K]): void;
  /** Files picked in the open dialog, by the opaque token the renderer gets instead of a path. */
  readonly pickedFiles: Map<string, PickedFileRef>;
  /** Drops history older than the retention setting (and secrets of long-retired app passwords). */
  prune(): void;
}
