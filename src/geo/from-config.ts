// Opens the GeoIP databases a configuration names (null: the bundled ones).
import type { Config } from '../config/schema.ts';
import { openGeoLookup, type GeoLookup } from './geo-lookup.ts';

export function openConfiguredGeo(geo: Config['geo']): Promise<GeoLookup> {
  return openGeoLookup({
    ...(geo.cityDb !== null ? { cityDb: geo.cityDb } : {}),
    ...(geo.asnDb !== null ? { asnDb: geo.asnDb } : {}),
    cacheSize: geo.cacheSize,
    readCacheMb: geo.readCacheMb,
  });
}
