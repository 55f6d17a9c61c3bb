// Renders the app icon (assets/icon.svg → assets/icon.png, 1024 px) and the sample camera
// snapshots used by burst test e-mails (assets/snapshots/*.jpg) in Debian's Chromium.
// Run: npm run assets (only needed when the SVG or the snapshot design changes).
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 1024 } });
page.on('pageerror', (e) => console.error('page error:', e.message));
const svg = readFileSync('assets/icon.svg', 'utf8');
await page.setContent(
  `<html><body style="margin:0;background:transparent">${svg.replace('width="512" height="512"', 'width="1024" height="1024"')}</body></html>`,
);
await page.locator('svg').screenshot({ path: 'assets/icon.png', omitBackground: true });

const cameras = [
  ['CAM-01 North Gate', '#35506b', '#7a8f66', 'Human detected'],
  ['CAM-02 Loading Bay', '#4a4f57', '#8c7b5a', 'Vehicle detected'],
  ['CAM-03 Fence East', '#2f4a3a', '#6e8c5e', 'Line crossing'],
  ['CAM-04 Car Park', '#3b3f4a', '#6b6f7a', 'Motion'],
  ['CAM-05 Reception', '#5a4a3b', '#a08a6b', 'Region intrusion'],
];
await page.setViewportSize({ width: 1280, height: 720 });
for (const [i, [name, sky, ground, event]] of cameras.entries()) {
  await page.setContent(`<html><body style="margin:0">
  <canvas id="c" width="1280" height="720"></canvas>
  <script>
  {
    const c = document.getElementById('c').getContext('2d');
    const sky = c.createLinearGradient(0, 0, 0, 420); sky.addColorStop(0, '${sky}'); sky.addColorStop(1, '#9aa7b4');
    c.fillStyle = sky; c.fillRect(0, 0, 1280, 420);
    c.fillStyle = '${ground}'; c.fillRect(0, 420, 1280, 300);
    let seed = ${i + 1} * 9301;
    const rnd = () => ((seed = (seed * 9301 + 49297) % 233280) / 233280);
    for (let k = 0; k < 14000; k++) { c.fillStyle = 'rgba(' + (rnd()*255|0) + ',' + (rnd()*255|0) + ',' + (rnd()*255|0) + ',0.18)'; c.fillRect(rnd()*1280, rnd()*720, 3, 3); }
    c.fillStyle = '#2b2b2b'; for (let x = 0; x < 1280; x += 64) c.fillRect(x, 380, 6, 120);
    c.fillRect(0, 392, 1280, 5); c.fillRect(0, 452, 1280, 5);
    c.fillStyle = '#1d1d1d'; c.beginPath(); c.ellipse(${300 + i * 150}, 520, 34, 34, 0, 0, 7); c.fill(); c.fillRect(${272 + i * 150}, 550, 56, 120);
    c.strokeStyle = '#ff3b30'; c.lineWidth = 4; c.strokeRect(${240 + i * 150}, 470, 120, 220);
    c.fillStyle = 'rgba(0,0,0,0.55)'; c.fillRect(0, 0, 1280, 44);
    c.fillStyle = '#fff'; c.font = '26px monospace'; c.fillText('${name}', 16, 31);
    c.fillText('2026-11-21 08:1${i}:0${i}  ${event}', 640, 31);
  }
  </script></body></html>`);
  await page
    .locator('canvas')
    .screenshot({ path: `assets/snapshots/snapshot-${i + 1}.jpg`, type: 'jpeg', quality: 72 });
}
await browser.close();
console.log('wrote assets/icon.png and assets/snapshots/snapshot-1..5.jpg');
