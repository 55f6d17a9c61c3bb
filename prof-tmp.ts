import { startTestCore } from './test/helpers/core.ts';
import { addMailbox, heartbeatMail, seedCameras } from './test/helpers/heartbeats.ts';
const t = await startTestCore();
const { core } = t;
const sites = [];
for (let s = 0; s < 50; s++) sites.push(core.sites.create({ name: `Site ${s}`, customer: '', address: '', contact: '', notes: '', handover: 'commissioning' }));
const all = [];
for (const site of sites) for (let i = 0; i < 100; i++) all.push({ siteId: site.id, name: `Cam ${all.length}` });
core.inventory.commit({ cameras: all.map((c) => ({ id: crypto.randomUUID(), siteId: c.siteId, name: c.name, vendor: '', model: '', host: '', serial: '', location: '', connectorId: null, smtpLogin: '', appPasswordId: null, recipients: [], subjectTemplate: '', heartbeatMinutes: 60, notes: '', createdAt: '', updatedAt: '' })) });
addMailbox(core, { id: 'mbx-1', siteIds: sites.map((s) => s.id) });
core.inbound.reportHealth('mbx-1', 'connected', true);
core.inventory.commit({ heartbeats: { ...core.inventory.heartbeats, rules: sites.map((site) => ({ id: `r-${site.id}`, scope: 'site' as const, siteId: site.id, cameraId: null, from: '', subject: '%Camera_Name% hb *', headerName: '', headerValue: '', origin: 'manual' as const, createdAt: '', updatedAt: '' })) } });
const now = Date.now();
const msgs = core.inventory.cameras.flatMap((c, i) => [10, 70].map((a) => heartbeatMail(now, { subject: `${c.name} hb ${a}`, receivedAt: new Date(now - (a + (i % 50)) * 60000) })));
for (let i = 0; i < msgs.length; i += 500) core.inbound.publish(msgs.slice(i, i + 500));
const o: number[] = [];
for (let k = 0; k < 40; k++) { const a = performance.now(); core.heartbeats.overview(); o.push(performance.now() - a); }
o.sort((x, y) => x - y); console.log('overview min/med', o[0]!.toFixed(1), o[20]!.toFixed(1));
await t.close();
