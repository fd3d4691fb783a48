// P4 baseline: node's web-push generateRequestDetails (payload encryption
// with aes128gcm + VAPID header) on the same payload as our C program.
// Usage: node webpush-prepare.js ITERATIONS PAYLOAD_FILE SUBSCRIPTION_JSON VAPID_PUBLIC VAPID_PRIVATE
// Prints: "<iterations> <seconds>"
'use strict';
const fs = require('fs');
const webpush = require('web-push');

const [iterations, payloadFile, subFile, vapidPublic, vapidPrivate] = process.argv.slice(2);
const payload = fs.readFileSync(payloadFile);
const subscription = JSON.parse(fs.readFileSync(subFile, 'utf8'));
const options = {
  vapidDetails: { subject: 'mailto:admin@example.com', publicKey: vapidPublic, privateKey: vapidPrivate },
  TTL: 60,
  contentEncoding: 'aes128gcm',
};
const n = parseInt(iterations, 10);
// warm-up
for (let i = 0; i < Math.min(50, n); i++) webpush.generateRequestDetails(subscription, payload, options);
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const details = webpush.generateRequestDetails(subscription, payload, options);
  if (!details.body || details.body.length < 100) throw new Error('no body');
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${n} ${secs}`);
