// The world map's country outlines for the dashboard, offline: world-atlas's 1:110m
// TopoJSON (an npm data package) turned into GeoJSON once, on first request.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { feature } from 'topojson-client';

let cached: string | undefined;

export function worldGeoJson(): string {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'));
    cached = JSON.stringify(feature(topo, topo.objects.countries));
  }
  return cached;
}
