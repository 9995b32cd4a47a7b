// The world map of alert sources: country outlines from /api/map (GeoJSON, lon/lat) drawn
// as SVG paths in an equirectangular projection, and a dot per distinct source with a
// location, sized by its alert count and coloured by its highest score. Offline: no tiles.
// A flood of spoofed or reflected sources has no source to place; when nothing is placed,
// the panel says why.

import { svg, setText, fmtNum, fmtScore, scoreBand, toggleEmpty } from './dom.js';

export const MAP_W = 1000;
export const MAP_H = 500;

const px = (lon) => ((lon + 180) / 360) * MAP_W;
const py = (lat) => ((90 - lat) / 180) * MAP_H;

/**
 * SVG path data for one ring. Longitudes are unwrapped (no jump over 180° between points), so
 * a ring across the antimeridian stays one shape; it is drawn again shifted by ±360° where
 * it sticks out, and the viewport clips the rest.
 */
export function ringPath(ring) {
  if (!Array.isArray(ring) || ring.length < 3) return '';
  const lons = new Array(ring.length);
  let prev = ring[0][0];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ring.length; i++) {
    let lon = ring[i][0];
    while (lon - prev > 180) lon -= 360;
    while (prev - lon > 180) lon += 360;
    lons[i] = prev = lon;
    if (lon < min) min = lon;
    if (lon > max) max = lon;
  }
  let d = '';
  for (const shift of [0, -360, 360]) {
    if (max + shift < -180 || min + shift > 180) continue;
    for (let i = 0; i < ring.length; i++) d += `${i === 0 ? 'M' : 'L'}${px(lons[i] + shift).toFixed(1)},${py(ring[i][1]).toFixed(1)}`;
    d += 'Z';
  }
  return d;
}

export function geometryPath(g) {
  if (!g) return '';
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let d = '';
  for (const poly of polys) for (const ring of poly) d += ringPath(ring);
  return d;
}

export class MapView {
  constructor(svgEl, status, empty, count, maxSources) {
    this.svg = svgEl;
    this.status = status;
    this.empty = empty;
    this.count = count;
    this.counted = true;
    /** Alerts seen since the last snapshot, and those with no place on the map. */
    this.seen = 0;
    this.unplaced = 0;
    this.maxSources = maxSources;
    /** source → { lat, lon, count, maxScore, country, asnOrg, el }; insertion order = least recently seen first. */
    this.sources = new Map();
    this.dirty = new Set();
    this.removed = [];
    svgEl.setAttribute('viewBox', `0 0 ${MAP_W} ${MAP_H}`);
    svgEl.append(svg('rect', { class: 'sea', x: 0, y: 0, width: MAP_W, height: MAP_H }));
    this.grid = svg('path', { class: 'graticule', d: graticule() });
    this.land = svg('g', { class: 'land' });
    this.dots = svg('g', { class: 'dots' });
    svgEl.append(this.grid, this.land, this.dots);
  }

  async load(url) {
    try {
      const res = await fetch(url, { cache: 'force-cache' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const geo = await res.json();
      const features = geo && Array.isArray(geo.features) ? geo.features : [];
      for (const f of features) {
        const d = geometryPath(f.geometry);
        if (!d) continue;
        const path = svg('path', { class: 'country', d });
        const name = f.properties && typeof f.properties.name === 'string' ? f.properties.name : '';
        if (name) {
          const title = svg('title');
          title.textContent = name;
          path.append(title);
        }
        this.land.append(path);
      }
      this.svg.dataset.countries = String(this.land.childElementCount);
    } catch (err) {
      this.svg.dataset.countries = '0';
      setText(this.status, `country outlines unavailable (${err.message}); sources are still plotted`);
    }
  }

  /** A snapshot: the sources start over. */
  reset() {
    for (const s of this.sources.values()) if (s.el) this.removed.push(s.el);
    this.sources.clear();
    this.dirty.clear();
    this.seen = 0;
    this.unplaced = 0;
    this.counted = true;
  }

  add(alerts) {
    for (const a of alerts) {
      this.seen++;
      this.counted = true;
      const lat = a.latitude;
      const lon = a.longitude;
      if (a.spread || typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) {
        this.unplaced++;
        continue;
      }
      let s = this.sources.get(a.source);
      if (s) this.sources.delete(a.source);
      else s = { lat, lon, count: 0, maxScore: 0, country: null, asnOrg: null, el: null };
      s.lat = lat;
      s.lon = lon;
      s.count++;
      if (a.score > s.maxScore) s.maxScore = a.score;
      s.country = a.country ?? s.country;
      s.asnOrg = a.asnOrg ?? s.asnOrg;
      this.sources.set(a.source, s);
      this.dirty.add(a.source);
    }
    // Keep the newest sources: the map stays light however long the attack goes on.
    while (this.sources.size > this.maxSources) {
      const [oldest, s] = this.sources.entries().next().value;
      this.sources.delete(oldest);
      this.dirty.delete(oldest);
      if (s.el) this.removed.push(s.el);
    }
  }

  get pending() {
    return this.dirty.size > 0 || this.removed.length > 0;
  }

  render() {
    if (this.counted) {
      this.counted = false;
      toggleEmpty(this.empty, null, this.sources.size === 0);
      setText(
        this.empty,
        this.seen === 0
          ? 'No alerts yet: each alert\'s source is plotted here by its GeoIP location.'
          : `None of the ${fmtNum(this.seen)} alerts has a source with a place on the map: private and reserved addresses, addresses the GeoIP database does not know, and floods of spoofed or reflected sources are not plotted.`,
      );
      this.svg.dataset.unplaced = String(this.unplaced);
      setText(this.count, this.seen === 0 ? '' : `${fmtNum(this.sources.size)} source${this.sources.size === 1 ? '' : 's'} placed${this.unplaced ? ` · ${fmtNum(this.unplaced)} alert${this.unplaced === 1 ? '' : 's'} without a place` : ''}`);
    }
    for (const el of this.removed) el.remove();
    this.removed = [];
    this.svg.dataset.sources = String(this.sources.size);
    // Newest last in the document, so they paint on top.
    for (const source of this.dirty) {
      const s = this.sources.get(source);
      if (!s) continue;
      if (!s.el) {
        s.el = svg('circle', { class: 'dot', 'data-source': source });
        s.el.append(svg('title'));
      }
      const r = Math.min(12, 3 + 2 * Math.log2(s.count));
      s.el.setAttribute('cx', px(s.lon).toFixed(1));
      s.el.setAttribute('cy', py(s.lat).toFixed(1));
      s.el.setAttribute('r', r.toFixed(1));
      s.el.setAttribute('class', `dot ${scoreBand(s.maxScore)}`);
      s.el.dataset.count = String(s.count);
      s.el.dataset.score = fmtScore(s.maxScore);
      s.el.firstChild.textContent = `${source}${s.country ? ` · ${s.country}` : ''}${s.asnOrg ? ` · ${s.asnOrg}` : ''}\n${fmtNum(s.count)} alerts, highest score ${fmtScore(s.maxScore)}`;
      this.dots.append(s.el);
    }
    this.dirty.clear();
  }
}

function graticule() {
  let d = '';
  for (let lon = -150; lon <= 150; lon += 30) d += `M${px(lon)},0V${MAP_H}`;
  for (let lat = -60; lat <= 60; lat += 30) d += `M0,${py(lat)}H${MAP_W}`;
  return d;
}
