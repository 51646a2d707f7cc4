// Charts of `npm run bench`, drawn with Vega-Lite (compiled to Vega, rendered to SVG in Node,
// no browser): latency over time through the rotation run with the rotation windows marked, and
// reconnects per second from the reconnect-spread run. Written to bench/charts/*.svg.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const CHARTS = new URL('./charts/', import.meta.url);

async function render(spec, file) {
  const { spec: compiled } = vegaLite.compile(spec);
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(CHARTS, { recursive: true });
  writeFileSync(new URL(file, CHARTS), svg);
  return `charts/${file}`;
}

const shortName = (name) =>
  name.includes('(ours)')
    ? 'DbService (ours)'
    : name.replace(/ \(.*$/, '').replace('AWS Advanced NodeJS Wrapper 2', 'AWS wrapper');

/**
 * p99 latency per half second of each contender's rotation run, its failed queries, and its rotation windows
 * shaded.
 */
function rotationLatencySpec(rotation) {
  const ran = rotation.contenders.filter((c) => c.summary);
  const values = ran.flatMap((c) => [
    ...c.series.map((row) => ({
      contender: shortName(c.name),
      kind: 'slot',
      t: row.t,
      p99: row.p99,
      failed: row.failed,
    })),
    ...c.windows.map((w) => ({ contender: shortName(c.name), kind: 'window', from: w.from, to: w.to })),
  ]);
  const x = {
    field: 't',
    type: 'quantitative',
    title: 'seconds into the run',
    scale: { domain: [0, rotation.runMs / 1000] },
  };
  // One scale for every contender, so the panels compare at a glance (latency on a log scale).
  const slots = ran.flatMap((c) => c.series);
  const p99s = slots.map((row) => row.p99).filter((value) => value > 0);
  const p99Domain = [
    10 ** Math.floor(Math.log10(Math.min(...p99s, 1))),
    10 ** Math.ceil(Math.log10(Math.max(...p99s, 10))),
  ];
  const failedDomain = [0, Math.max(1, ...slots.map((row) => row.failed))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Latency through password rotations every 5 s (shaded: setSecret → finishSecret)',
      subtitle: 'p99 per half second, 32 callers; red bars: failed queries',
    },
    data: { values },
    spacing: 14,
    facet: {
      row: {
        field: 'contender',
        type: 'nominal',
        title: null,
        sort: ran.map((c) => shortName(c.name)),
        header: {
          labelAngle: 0,
          labelAlign: 'left',
          labelAnchor: 'start',
          labelOrient: 'top',
          labelFontWeight: 'bold',
        },
      },
    },
    spec: {
      width: 640,
      height: 110,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'window'" }],
          mark: { type: 'rect', color: '#f2b134', opacity: 0.3 },
          encoding: {
            x: {
              field: 'from',
              type: 'quantitative',
              scale: { domain: [0, rotation.runMs / 1000] },
              title: 'seconds into the run',
            },
            x2: { field: 'to' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'slot' && datum.failed > 0" }],
          mark: { type: 'bar', color: '#d62728', opacity: 0.7, width: 3 },
          encoding: {
            x,
            y: {
              field: 'failed',
              type: 'quantitative',
              title: 'failed queries per ½ s',
              scale: { domain: failedDomain },
              axis: { orient: 'right', titleColor: '#d62728' },
            },
          },
        },
        {
          // A half second in which no query succeeded has no p99: the line breaks there.
          transform: [{ filter: "datum.kind === 'slot'" }],
          mark: {
            type: 'line',
            color: '#1f77b4',
            strokeWidth: 1.5,
            point: { size: 8, filled: true },
            invalid: 'break-paths-show-domains',
          },
          encoding: {
            x,
            y: {
              field: 'p99',
              type: 'quantitative',
              title: 'p99 ms (log)',
              scale: { type: 'log', domain: p99Domain },
              axis: { titleColor: '#1f77b4' },
            },
          },
        },
      ],
      resolve: { scale: { y: 'independent' } },
    },
    // Independent per panel too (Vega-Lite cannot share layered scales across a facet); the explicit domains keep
    // them equal.
    resolve: { scale: { y: 'independent' } },
    config: { view: { stroke: '#ddd' }, font: 'sans-serif' },
  };
}

/** Reconnects per second of each contender of the reconnect-spread run, against the 25% target. */
function reconnectsSpec(spread) {
  const seconds = Math.ceil(spread.runMs / 1000);
  const values = spread.contenders.flatMap((c) => {
    const perSecond = new Array(seconds).fill(0);
    for (const time of c.times) perSecond[Math.min(seconds - 1, Math.floor(time / 1000))]++;
    return perSecond.map((count, second) => ({ contender: c.name, second, count }));
  });
  const target = Math.round(spread.size * 0.25);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Reconnects per second: ${spread.size} connections opened together, ${spread.lifetimeS} s lifetime`,
      subtitle: `dashed: the target, at most 25% of the pool (${target}) in one second`,
    },
    width: 640,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8, point: { size: 14 } },
        encoding: {
          x: { field: 'second', type: 'quantitative', title: 'second of the run' },
          y: { field: 'count', type: 'quantitative', title: 'logins in that second' },
          color: {
            field: 'contender',
            type: 'nominal',
            title: null,
            legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 },
          },
        },
      },
      {
        data: { values: [{ target }] },
        mark: { type: 'rule', strokeDash: [5, 4], color: '#555' },
        encoding: { y: { field: 'target', type: 'quantitative' } },
      },
    ],
    config: { font: 'sans-serif' },
  };
}

/** Writes the charts there is data for; returns the Markdown that shows them in RESULTS.md. */
export async function renderCharts({ rotation, spread }) {
  const lines = [];
  if (rotation?.contenders.some((c) => c.summary)) {
    const file = await render(rotationLatencySpec(rotation), 'rotation-latency.svg');
    lines.push(`![p99 latency over time through password rotations, ours against each peer](${file})`);
  }
  if (spread?.contenders.length) {
    const file = await render(reconnectsSpec(spread), 'reconnects-per-second.svg');
    lines.push(`![Reconnects per second, ours against pg-pool's maxLifetimeSeconds](${file})`);
  }
  if (!lines.length) return '';
  return `## Charts

Drawn by \`bench/charts.mjs\` with Vega-Lite from this run's figures.

${lines.join('\n\n')}
`;
}
