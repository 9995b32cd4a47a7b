// Opens the GeoIP databases a configuration names (null: the bundled ones).
import type { Config } from '../config/schema.ts';
import { openGeoLookup, type GeoConfig, type GeoLookup } from './geo-lookup.ts';

/** The configuration's geo section as openGeoLookup takes it (also sent to shard threads). */
export function geoConfigOf(geo: Config['geo']): GeoConfig {
  return {
    ...(geo.cityDb !== null ? { cityDb: geo.cityDb } : {}),
    ...(geo.asnDb !== null ? { asnDb: geo.asnDb } : {}),
    cacheSize: geo.cacheSize,
    readCacheMb: geo.readCacheMb,
  };
}

export function openConfiguredGeo(geo: Config['geo']): Promise<GeoLookup> {
  return openGeoLookup(geoConfigOf(geo));
}
