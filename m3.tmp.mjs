const mb = (n) => (n / 1048576).toFixed(1);
const snap = (l) => { gc(); const m = process.memoryUsage(); console.log(l.padEnd(28), 'rss', mb(m.rss), 'heapUsed', mb(m.heapUsed), 'ext', mb(m.external)); };
snap('start');
for (const m of process.argv.slice(2)) { await import(m); snap(m); }
