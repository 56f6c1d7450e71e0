/** The side-by-side summary of a benchmark report, as a Markdown table (medians over runs). */

const best = (steps, key = 'rate') => {
  const passed = (steps ?? []).filter((s) => s.passed);
  return passed.length ? Math.max(...passed.map((s) => s[key])) : 0;
};

const fmt = (x, digits = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(digits);
const ratio = (relay, bare) => (relay === null || bare === null || !bare ? '–' : (relay / bare).toFixed(2));

/** The step at this rate (or the nearest below it). */
const stepAt = (steps, rate) =>
  (steps ?? []).filter((s) => s.rate <= rate).sort((a, b) => b.rate - a.rate)[0] ?? null;

export function table(report, median) {
  const runs = report.results;
  const m = (kind, f) => median(runs.map((r) => (r[kind] ? f(r[kind].scenarios, r[kind]) : null)));
  const rows = [];
  const row = (scenario, metric, bare, relay, r = ratio(relay, bare), digits = 0) =>
    rows.push(`| ${scenario} | ${metric} | ${fmt(bare, digits)} | ${fmt(relay, digits)} | ${r} |`);

  const bestOf = (kind, name, key) => m(kind, (s) => (s[name] ? best(s[name].steps, key) : null));
  const deliveriesAtBest = (kind, name) =>
    m(kind, (s) => {
      const steps = s[name]?.steps ?? [];
      const b = best(steps);
      return steps.find((x) => x.rate === b)?.deliveriesPerSec ?? null;
    });
  // CPU per message at the highest rate both servers passed (the same offered load for both), or
  // at the first step when one passed none.
  const common = (name) => {
    const bests = ['bare', 'relay'].map((k) => bestOf(k, name) ?? 0);
    if (bests.every((b) => b > 0)) return Math.min(...bests);
    const first = runs[0].relay?.scenarios[name]?.steps?.[0] ?? runs[0].bare?.scenarios[name]?.steps?.[0];
    return first?.rate ?? Infinity;
  };
  const cpuAt = (kind, name, rate) => m(kind, (s) => stepAt(s[name]?.steps, rate)?.cpu?.perMessageUs ?? null);
  const p99At = (kind, name, rate) => m(kind, (s) => stepAt(s[name]?.steps, rate)?.deliveryMs?.p99 ?? null);

  if (runs.some((r) => r.relay?.scenarios.direct || r.bare?.scenarios.direct)) {
    row('direct', 'highest passing rate (msg/s)', bestOf('bare', 'direct'), bestOf('relay', 'direct'));
    const c = common('direct');
    if (Number.isFinite(c)) {
      row(
        'direct',
        `server CPU per message at ${c}/s (µs)`,
        cpuAt('bare', 'direct', c),
        cpuAt('relay', 'direct', c),
      );
      const withDb = m('relay', (s) => stepAt(s.direct?.steps, c)?.cpu?.withDatabaseUs ?? null);
      if (withDb !== null && report.database === 'postgresql')
        row('direct', `… with PostgreSQL and Redis (µs)`, null, withDb, '–');
    }
    const half = (bestOf('relay', 'direct') ?? 0) / 2;
    if (half > 0)
      row(
        'direct',
        `delivery p99 at ${half}/s (ms)`,
        p99At('bare', 'direct', half),
        p99At('relay', 'direct', half),
        '–',
        1,
      );
  }
  if (runs.some((r) => r.relay?.scenarios.hot || r.bare?.scenarios.hot)) {
    row('hot group', 'highest passing rate (msg/s)', bestOf('bare', 'hot'), bestOf('relay', 'hot'));
    row(
      'hot group',
      'deliveries/s at that rate',
      deliveriesAtBest('bare', 'hot'),
      deliveriesAtBest('relay', 'hot'),
    );
    const gapless = runs.every((r) => r.relay?.scenarios.hot?.seqGapless !== false);
    rows.push(`| hot group | seq gapless over every acked message | – | ${gapless ? 'yes' : 'NO'} | – |`);
  }
  if (runs.some((r) => r.relay?.scenarios.fanout || r.bare?.scenarios.fanout)) {
    row('fan-out', 'highest passing rate (msg/s)', bestOf('bare', 'fanout'), bestOf('relay', 'fanout'));
    row(
      'fan-out',
      'deliveries/s at that rate',
      deliveriesAtBest('bare', 'fanout'),
      deliveriesAtBest('relay', 'fanout'),
    );
  }
  if (runs.some((r) => r.relay?.scenarios.idle || r.bare?.scenarios.idle)) {
    const kb = (k) => m(k, (s) => s.idle?.kbPerSocket ?? null);
    row('idle sockets', 'RSS per socket (KB)', kb('bare'), kb('relay'));
    const ms = (k) => m(k, (s) => s.idle?.connectMs ?? null);
    row('idle sockets', 'time to connect them all (ms)', ms('bare'), ms('relay'));
  }
  if (runs.some((r) => r.relay?.scenarios.storm || r.bare?.scenarios.storm)) {
    const t = (k) => m(k, (s) => s.storm?.caughtUpMs ?? null);
    row('reconnect storm', 'all back (bare) / all caught up by sync (Relay) (ms)', t('bare'), t('relay'));
    const inc = m('relay', (s) => (s.storm ? s.storm.incomplete + s.storm.failed : null));
    if (inc !== null)
      rows.push(`| reconnect storm | clients missing a message or not back | – | ${inc} | – |`);
  }
  if (runs.some((r) => r.relay?.scenarios.read)) {
    const rps = (k) => m(k, (s) => s.read?.requestsPerSec ?? null);
    row('read path', 'sync pages of 100 per second', rps('bare'), rps('relay'));
    const p99 = (k) => m(k, (s) => s.read?.latencyMs?.p99 ?? null);
    row('read path', 'sync p99 (ms)', p99('bare'), p99('relay'), '–', 1);
  }
  if (runs.some((r) => r.relay?.scenarios.offline || r.bare?.scenarios.offline)) {
    row(
      'offline group',
      'highest passing rate (msg/s)',
      bestOf('bare', 'offline'),
      bestOf('relay', 'offline'),
    );
    const offline = (m('relay', (s) => s.offline?.members ?? null) ?? 2) - 2;
    const rates = [...new Set((runs[0].relay?.scenarios.offline?.steps ?? []).map((x) => x.rate))];
    const at = (kind, rate, key) =>
      m(kind, (s) => s.offline?.steps?.find((x) => x.rate === rate)?.ackMs?.[key] ?? null);
    for (const rate of rates) {
      rows.push(
        `| offline group | ack p50/p99 at ${rate}/s, Relay: notifications off / on for ${offline} offline members (ms) | ${fmt(at('bare', rate, 'p50'), 1)}/${fmt(at('bare', rate, 'p99'), 1)} | ${fmt(at('relay-quiet', rate, 'p50'), 1)}/${fmt(at('relay-quiet', rate, 'p99'), 1)} / ${fmt(at('relay', rate, 'p50'), 1)}/${fmt(at('relay', rate, 'p99'), 1)} | – |`,
      );
    }
    const jobs = m('relay', (s) => s.offline?.notifyJobs ?? null);
    const posts = m('relay', (s) => s.offline?.webhookPosts ?? null);
    const drain = m('relay', (s) => s.offline?.notifyDrainMs ?? null);
    rows.push(
      `| offline group | notify jobs run / webhook notifications / all done … ms after the last step | – | ${fmt(jobs)} / ${fmt(posts)} / ${fmt(drain)} | – |`,
    );
  }
  const idle = (k) => median(runs.map((r) => r[k]?.idleRssMb ?? null));
  row('server', 'RSS after start (MB)', idle('bare'), idle('relay'));

  const head = [
    `Relay on ${report.database}${report.redis ? ' + Redis' : ''} beside a bare Socket.IO relay` +
      ` (${report.machine.cpus} cores, ${report.machine.memGiB} GiB, Node ${report.machine.node}` +
      `${report.quick ? ', --quick' : ''}, median of ${report.runs} run${report.runs > 1 ? 's' : ''})`,
    '',
    '| scenario | metric | bare relay | Relay | Relay / bare |',
    '| --- | --- | --- | --- | --- |',
  ];
  const steps = [
    '',
    'Direct messages, step by step (first run):',
    '',
    '| offered/s | bare: achieved/s, p50/p99 ms, CPU µs/msg | Relay: achieved/s, p50/p99 ms, CPU µs/msg, refused |',
    '| --- | --- | --- |',
  ];
  const first = runs[0];
  const rates = [
    ...new Set(
      [...(first.bare?.scenarios.direct?.steps ?? []), ...(first.relay?.scenarios.direct?.steps ?? [])].map(
        (s) => s.rate,
      ),
    ),
  ].sort((a, b) => a - b);
  const cell = (s, refused) =>
    s
      ? `${s.achieved}, ${fmt(s.deliveryMs.p50, 1)}/${fmt(s.deliveryMs.p99, 1)}, ${fmt(s.cpu?.perMessageUs)}${refused ? `, ${s.refused}` : ''}${s.passed ? '' : ' ✗'}`
      : '–';
  for (const rate of rates) {
    const b = first.bare?.scenarios.direct?.steps.find((s) => s.rate === rate);
    const r = first.relay?.scenarios.direct?.steps.find((s) => s.rate === rate);
    steps.push(`| ${rate} | ${cell(b, false)} | ${cell(r, true)} |`);
  }
  return [...head, ...rows, ...(rates.length ? steps : [])].join('\n');
}
