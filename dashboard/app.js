// E-commerce analytics dashboard: fetches named queries from the analytics API and draws
// them with Chart.js. Plain ES2020, no build step. Every value from the API reaches the page
// through textContent (never innerHTML), so product names are always shown as text.
'use strict';

(() => {
  const config = window.DASHBOARD_CONFIG || {};
  const API_BASE = String(config.apiBase || '').replace(/\/+$/, '');
  const REPORTS_BASE = `${String(config.reportsBase ?? 'reports/analytics/').replace(/\/+$/, '')}/`;
  const DAYS = Number(config.days) || 30;
  const REFRESH_MS = Math.max(1, Number(config.refreshMinutes) || 60) * 60 * 1000;
  const LOCALE = config.locale || undefined;
  const TOP_N = 10;
  // Every named query's `days` is the window's length: the as-of day and the days - 1
  // before it, so all sections cover the same DAYS days.

  const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'];

  // --- number formatting --------------------------------------------------------------

  const formats = {
    currency: new Intl.NumberFormat(LOCALE, {
      style: 'currency', currency: config.currency || 'USD',
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }),
    integer: new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }),
    decimal: new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    percent: new Intl.NumberFormat(LOCALE, {
      style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2,
    }),
    support: new Intl.NumberFormat(LOCALE, {
      style: 'percent', minimumFractionDigits: 3, maximumFractionDigits: 3,
    }),
    change: new Intl.NumberFormat(LOCALE, {
      style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2,
      signDisplay: 'exceptZero',
    }),
    day: new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' }),
    time: new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'medium' }),
  };

  const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

  /** Format a value by kind; percent values arrive as percent (3.5 means 3.5 %). */
  function format(kind, value) {
    if (!isNumber(value)) return '–';
    if (kind === 'percent' || kind === 'change') return formats[kind].format(value / 100);
    return formats[kind].format(value);
  }

  function formatDay(iso) {
    const parsed = new Date(`${String(iso).slice(0, 10)}T00:00:00Z`);
    return Number.isNaN(parsed.getTime()) ? String(iso) : formats.day.format(parsed);
  }

  // --- API ----------------------------------------------------------------------------

  async function getJson(path, params) {
    const query = new URLSearchParams(params || {}).toString();
    const url = `${API_BASE}${path}${query ? `?${query}` : ''}`;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: 'application/json' } });
    } catch (error) {
      throw new Error(`cannot reach the analytics API (${error.message})`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && typeof body.error === 'string' ? body.error : response.statusText;
      throw new Error(`${path} answered ${response.status}: ${detail}`);
    }
    return body;
  }

  const analytics = (query, params) => getJson('/analytics', { query, ...params });

  // --- DOM helpers (text only) --------------------------------------------------------

  const byId = (id) => document.getElementById(id);

  function cell(tag, text, className) {
    const element = document.createElement(tag);
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function fillTable(tableId, rows, toCells) {
    const body = byId(tableId).tBodies[0];
    const fresh = document.createElement('tbody');
    rows.forEach((row) => {
      const tr = document.createElement('tr');
      toCells(row).forEach((item) => tr.appendChild(item));
      fresh.appendChild(tr);
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('td', 'No data for this period.', 'muted');
      td.colSpan = byId(tableId).tHead.rows[0].cells.length;
      tr.appendChild(td);
      fresh.appendChild(tr);
    }
    body.replaceWith(fresh);
  }

  // --- charts: one instance per canvas, updated in place ------------------------------

  const charts = new Map();

  function drawChart(canvasId, type, data, options) {
    const existing = charts.get(canvasId);
    if (existing) {
      existing.data = data;
      existing.update();
      return existing;
    }
    const chart = new window.Chart(byId(canvasId), {
      type,
      data,
      options: { responsive: true, maintainAspectRatio: false, ...options },
    });
    charts.set(canvasId, chart);
    return chart;
  }

  const moneyAxis = { ticks: { callback: (value) => format('currency', value) } };

  function renderRevenue(rows) {
    const ordered = [...rows].sort((a, b) => String(a.period).localeCompare(String(b.period)));
    drawChart('revenue-chart', 'line', {
      labels: ordered.map((r) => formatDay(r.period)),
      datasets: [{
        label: 'Revenue',
        data: ordered.map((r) => r.revenue),
        borderColor: COLORS[0],
        backgroundColor: 'rgba(37, 99, 235, 0.12)',
        fill: true,
        tension: 0.25,
        pointRadius: 2,
      }],
    }, {
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => format('currency', item.parsed.y) } },
      },
      scales: { y: moneyAxis },
    });
  }

  function renderProducts(rows) {
    drawChart('products-chart', 'bar', {
      labels: rows.map((r) => String(r.name)),
      datasets: [{ label: 'Revenue', data: rows.map((r) => r.total_revenue), backgroundColor: COLORS[0] }],
    }, {
      indexAxis: 'y',
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => format('currency', item.parsed.x) } },
      },
      scales: { x: moneyAxis, y: { ticks: { autoSkip: false } } },
    });
  }

  const FUNNEL_STEPS = [
    ['page_views', 'Page views'],
    ['product_views', 'Product views'],
    ['add_to_carts', 'Add to cart'],
    ['checkout_starts', 'Checkout'],
    ['purchases', 'Purchase'],
  ];

  /** The funnel summed over every day of the window (one bar per step). */
  function renderFunnel(rows) {
    const totals = FUNNEL_STEPS.map(([key]) =>
      rows.reduce((sum, r) => sum + (isNumber(r[key]) ? r[key] : 0), 0));
    const days = rows.map((r) => String(r.date)).sort();
    byId('funnel-note').textContent = days.length
      ? `Events summed over ${days.length} days (${formatDay(days[0])} – ${formatDay(days[days.length - 1])}).`
      : 'No funnel events in this period.';
    drawChart('funnel-chart', 'bar', {
      labels: FUNNEL_STEPS.map(([, label]) => label),
      datasets: [{ label: 'Events', data: totals, backgroundColor: COLORS.slice(0, 5) }],
    }, {
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const first = totals[0] || 0;
              const share = first ? ` (${format('percent', (100 * item.parsed.y) / first)} of page views)` : '';
              return `${format('integer', item.parsed.y)}${share}`;
            },
          },
        },
      },
      scales: { y: { ticks: { callback: (value) => format('integer', value) } } },
    });
  }

  function renderSegments(rows) {
    drawChart('segments-chart', 'doughnut', {
      labels: rows.map((r) => String(r.customer_segment)),
      datasets: [{ label: 'Customers', data: rows.map((r) => r.customer_count), backgroundColor: COLORS }],
    }, {
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.label}: ${format('integer', item.parsed)}` } },
      },
    });
  }

  // --- KPI cards and tables -----------------------------------------------------------

  function renderKpis(rows) {
    const row = rows[0] || {};
    document.querySelectorAll('[data-kpi]').forEach((card) => {
      const key = card.dataset.kpi;
      card.querySelector('.kpi-value').textContent = format(card.dataset.format, row[key]);
      renderChange(card.querySelector('.kpi-change'), row[`${key}_change`]);
    });
  }

  function renderChange(element, change) {
    element.classList.remove('up', 'down', 'flat');
    if (!isNumber(change)) {
      element.textContent = 'no previous period';
      element.classList.add('flat');
      return;
    }
    const direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
    const arrow = { up: '▲', down: '▼', flat: '■' }[direction];
    element.textContent = `${arrow} ${format('change', change)} vs previous ${DAYS} days`;
    element.classList.add(direction);
  }

  function renderRecommendations(rows) {
    fillTable('recommendations-table', rows, (r) => [
      cell('td', String(r.product_name)),
      cell('td', String(r.recommended_product_name)),
      cell('td', format('integer', r.pair_count), 'num'),
      cell('td', isNumber(r.support) ? formats.support.format(r.support) : '–', 'num'),
      cell('td', format('percent', isNumber(r.confidence) ? 100 * r.confidence : null), 'num'),
      cell('td', format('decimal', r.lift), 'num'),
    ]);
  }

  // --- analytics reports (static files beside the dashboard, or the reports bucket) ----

  /** A report's address if it stays under REPORTS_BASE (never a javascript: or other site). */
  function reportUrl(href) {
    try {
      const base = new URL(REPORTS_BASE, window.location.href);
      const url = new URL(String(href), base);
      return url.href.startsWith(base.href) ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function renderReports(latest) {
    const list = byId('reports-list');
    const items = [];
    const reports = latest && Array.isArray(latest.reports) ? latest.reports : [];
    reports.forEach((report) => {
      const url = reportUrl(report.href);
      if (!url) return;
      const item = document.createElement('li');
      const link = cell('a', String(report.title || report.name));
      link.href = url;
      item.appendChild(link);
      if (report.status !== 'ok') item.appendChild(cell('span', String(report.status), 'report-status'));
      if (report.headline) item.appendChild(cell('p', String(report.headline), 'headline'));
      items.push(item);
    });
    list.replaceChildren(...items);
    const note = byId('reports-note');
    const index = latest && latest.index ? reportUrl(latest.index) : null;
    if (!items.length) {
      note.textContent = 'No analytics reports yet: every run renders them after it publishes '
        + '(ecom-pipeline report NAME renders one now).';
      return;
    }
    note.textContent = `The analyses behind these numbers, as of ${String(latest.as_of)}. `;
    if (index) {
      const all = cell('a', 'Every report');
      all.href = index;
      note.appendChild(all);
    }
  }

  /** The latest reports; a failure here is shown in the card, not as a data error. */
  async function refreshReports() {
    try {
      const response = await fetch(`${REPORTS_BASE}latest.json`, {
        headers: { Accept: 'application/json' }, cache: 'no-cache',
      });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      renderReports(await response.json());
    } catch (error) {
      renderReports(null);
      byId('reports-note').textContent = `The analytics reports could not be listed (${error.message}).`;
    }
  }

  function renderTopRated(rows) {
    fillTable('top-rated-table', rows, (r) => [
      cell('td', String(r.name)),
      cell('td', String(r.category)),
      cell('td', `${format('decimal', r.bayesian_rating)} ★`, 'num'),
      cell('td', format('integer', r.review_count), 'num'),
    ]);
  }

  function renderHealth(health) {
    const parts = [];
    if (health && health.as_of) parts.push(`to ${health.as_of}`);
    if (health && health.run_id) parts.push(`(run ${health.run_id})`);
    byId('data-as-of').textContent = parts.join(' ');
  }

  // --- refresh cycle ------------------------------------------------------------------

  const SECTIONS = [
    ['current_kpis', { days: DAYS }, renderKpis],
    ['revenue_trend', { days: DAYS, grain: 'day' }, renderRevenue],
    ['top_products', { days: DAYS, top_n: TOP_N }, renderProducts],
    ['conversion_funnel', { days: DAYS }, renderFunnel],
    ['customer_ltv', {}, renderSegments],
    ['product_recommendations', { top_n: TOP_N }, renderRecommendations],
    ['top_rated_products', { top_n: TOP_N }, renderTopRated],
  ];

  function setState(name, message) {
    document.body.dataset.state = name;
    document.querySelector('main').setAttribute('aria-busy', String(name === 'loading'));
    byId('status').textContent = message;
    byId('refresh').disabled = name === 'loading';
  }

  function showErrors(messages) {
    const banner = byId('error-banner');
    banner.hidden = messages.length === 0;
    byId('error-message').textContent = messages.join('; ');
  }

  let refreshing = null;

  async function refreshOnce() {
    setState('loading', 'Loading…');
    const tasks = SECTIONS.map(([query, params, render]) =>
      analytics(query, params).then((rows) => render(Array.isArray(rows) ? rows : [])));
    tasks.push(getJson('/health').then(renderHealth));
    const reports = refreshReports();
    const results = await Promise.allSettled(tasks);
    await reports;
    const failed = results.filter((r) => r.status === 'rejected');
    const errors = [...new Set(failed.map((r) => (r.reason && r.reason.message) || String(r.reason)))];
    showErrors(errors);
    if (failed.length === results.length) {
      setState('error', 'Data could not be loaded.');
      return;
    }
    const now = new Date();
    const stamp = byId('last-updated');
    stamp.dateTime = now.toISOString();
    stamp.textContent = formats.time.format(now);
    setState(errors.length ? 'error' : 'ready', errors.length ? 'Some data could not be loaded.' : 'Up to date.');
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  }

  /** Refresh every section; a refresh already running is joined, not doubled. */
  function refresh() {
    if (!refreshing) {
      refreshing = refreshOnce().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  function start() {
    document.querySelectorAll('[data-days]').forEach((el) => { el.textContent = String(DAYS); });
    if (typeof window.Chart !== 'function') {
      showErrors(['the chart library did not load (vendor/chart.umd.js)']);
      setState('error', 'Charts unavailable.');
      return;
    }
    byId('refresh').addEventListener('click', () => { refresh(); });
    refresh();
    window.setInterval(refresh, REFRESH_MS);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
