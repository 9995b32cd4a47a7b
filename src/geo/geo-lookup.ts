// GeoIP for the enricher: country, city, latitude/longitude, ASN and AS organisation of an
// address, from MaxMind-format (.mmdb) databases, behind an LRU cache.
//
// Databases: the user's GeoLite2/GeoIP2 City (or Country) and ASN files when configured,
// else the bundled DB-IP Lite City databases (see default-databases.ts for the package and
// its licence). Both the GeoIP2 record layout and the flat layout of the
// @ip-location-db packages (country_code, city, latitude, longitude) are read.
// Special-purpose addresses (private, loopback, link-local, CGNAT, multicast, reserved,
// documentation, ...) are tagged with their class and never looked up.
//
// The files are not read into memory: mmdb-reader.ts reads their pages on demand and keeps
// at most `readCacheMb` of each (the two bundled files are 128 MB; read whole, as the
// `maxmind` package does, they were most of the node's resident memory). An IPv6 database
// costs nothing until an IPv6 address is looked up. A file is opened once per process (per
// thread) and shared by every GeoLookup.

import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { LruMap } from '../util/lru.ts';
import { classifyIpv4, resolveIpv6 } from './address-class.ts';
import type { AddressClass } from './address-class.ts';
import { defaultCityDatabases } from './default-databases.ts';
import { GeoConfigError, GeoDbCorruptError, GeoDbMissingError, GeoDbUnreadableError } from './errors.ts';
import { MmdbReader } from './mmdb-reader.ts';
import type { PagedFileStats } from './paged-file.ts';
import type { BoundedTable } from '../detect/table-report.ts';
import { formatIPv4, parseIpv4, parseIpv6 } from '../net/address.ts';

export type { AddressClass } from './address-class.ts';

export interface GeoConfig {
  /**
   * City (or Country) databases, tried in order: a GeoLite2/GeoIP2 City .mmdb covers IPv4
   * and IPv6 in one file. Default: the bundled DB-IP Lite City IPv4 and IPv6 files.
   * An empty list turns locations off (addresses are still classified).
   */
  cityDb?: string | readonly string[];
  /** ASN databases (GeoLite2/GeoIP2 ASN .mmdb), tried in order. Default: none. */
  asnDb?: string | readonly string[];
  /** Addresses kept in the lookup cache; default 65,536. */
  cacheSize?: number;
  /** MB of each database file held in memory (its most used pages); default 16. */
  readCacheMb?: number;
}

export interface GeoInfo {
  readonly addressClass: AddressClass;
  /** ISO 3166-1 alpha-2 country code. */
  readonly country: string | null;
  readonly city: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  /** Autonomous system number. */
  readonly asn: number | null;
  /** Autonomous system organisation. */
  readonly asnOrg: string | null;
}

export interface GeoStats {
  /** Calls to lookup(). */
  lookups: number;
  /** Public addresses answered from the cache (hits) or the databases (misses). */
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
  cacheEvictions: number;
  /** Special-purpose addresses answered with their class tag, without a lookup. */
  reserved: number;
  /** Values that are not addresses. */
  invalid: number;
  /** Database lookups that failed (a damaged file); the answer then has no location. */
  errors: number;
  /** Pages of the database files held in memory, their bytes, and page reads from memory / from the files. */
  files: PagedFileStats;
}

export interface GeoDatabaseInfo {
  path: string;
  kind: 'city' | 'asn';
  /** The file's metadata database_type, e.g. `GeoLite2-City`. */
  type: string;
  ipVersion: 4 | 6;
  built: Date;
}

export const DEFAULT_GEO_CACHE_SIZE = 65_536;
export const DEFAULT_GEO_READ_CACHE_MB = 16;

interface LoadedDatabase {
  path: string;
  reader: MmdbReader;
  ipVersion: 4 | 6;
  type: string;
  built: Date;
}

function tag(addressClass: AddressClass): GeoInfo {
  return Object.freeze({ addressClass, country: null, city: null, latitude: null, longitude: null, asn: null, asnOrg: null });
}

const TAGS = new Map<AddressClass, GeoInfo>(
  (
    [
      'public',
      'private',
      'loopback',
      'link-local',
      'cgnat',
      'multicast',
      'broadcast',
      'documentation',
      'benchmarking',
      'unspecified',
      'reserved',
      'invalid',
    ] as const
  ).map((c) => [c, tag(c)]),
);
const PUBLIC_UNKNOWN = TAGS.get('public')!;
const INVALID = TAGS.get('invalid')!;

type Rec = { readonly [key: string]: unknown };

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function englishName(v: unknown): string | null {
  if (!isRec(v) || !isRec(v.names)) return null;
  return str(v.names.en) ?? str(Object.values(v.names)[0]);
}

/** The answer for a public address from its City and ASN records (either may be null). */
function infoFrom(city: unknown, asn: unknown): GeoInfo {
  let country: string | null = null;
  let cityName: string | null = null;
  let latitude: number | null = null;
  let longitude: number | null = null;
  let asNumber: number | null = null;
  let asOrg: string | null = null;
  if (isRec(city)) {
    if ('country_code' in city) {
      // flat layout of the @ip-location-db packages
      country = str(city.country_code);
      cityName = str(city.city);
      latitude = num(city.latitude);
      longitude = num(city.longitude);
    } else {
      // GeoIP2 layout; registered_country stands in where the location is unknown
      country = (isRec(city.country) ? str(city.country.iso_code) : null) ?? (isRec(city.registered_country) ? str(city.registered_country.iso_code) : null);
      cityName = englishName(city.city);
      if (isRec(city.location)) {
        latitude = num(city.location.latitude);
        longitude = num(city.location.longitude);
      }
      // GeoIP2 Enterprise/ISP carry the AS in traits
      if (isRec(city.traits)) {
        asNumber = num(city.traits.autonomous_system_number);
        asOrg = str(city.traits.autonomous_system_organization);
      }
    }
  }
  if (isRec(asn)) {
    asNumber = num(asn.autonomous_system_number) ?? asNumber;
    asOrg = str(asn.autonomous_system_organization) ?? asOrg;
  }
  if (country === null && cityName === null && latitude === null && asNumber === null && asOrg === null) return PUBLIC_UNKNOWN;
  return Object.freeze({ addressClass: 'public', country, city: cityName, latitude, longitude, asn: asNumber, asnOrg: asOrg });
}

// ---------------------------------------------------------------------------------------
// Loading, shared per process

const loaded = new Map<string, Promise<LoadedDatabase>>();

/** Drop the process-wide readers (the next open reads the files again). */
export function forgetLoadedDatabases(): void {
  loaded.clear();
}

function missingHint(kind: 'city' | 'asn'): string {
  return kind === 'city'
    ? 'set cityDb to the path of a GeoLite2/GeoIP2 City .mmdb file, or leave it unset to use the bundled DB-IP Lite database'
    : 'set asnDb to the path of a GeoLite2/GeoIP2 ASN .mmdb file, or leave it unset';
}

async function loadDatabase(file: string, kind: 'city' | 'asn', readCacheMb: number): Promise<LoadedDatabase> {
  const path = resolvePath(file);
  let size: number;
  let mtime: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new GeoDbUnreadableError(path, 'not a regular file');
    size = st.size;
    mtime = st.mtimeMs;
  } catch (cause) {
    if (cause instanceof GeoDbUnreadableError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GeoDbMissingError(path, missingHint(kind), { cause });
    throw new GeoDbUnreadableError(path, (cause as Error).message, { cause });
  }
  // keyed by size and mtime too, so a replaced file is opened again
  const key = `${path}\0${size}\0${mtime}\0${readCacheMb}`;
  let p = loaded.get(key);
  if (p === undefined) {
    p = Promise.resolve().then(() => openDatabase(path, readCacheMb));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

function openDatabase(path: string, readCacheMb: number): LoadedDatabase {
  let reader: MmdbReader;
  try {
    reader = MmdbReader.open(path, { cacheBytes: readCacheMb * 2 ** 20 });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') throw new GeoDbUnreadableError(path, (cause as Error).message, { cause });
    throw new GeoDbCorruptError(path, `no readable metadata (${(cause as Error).message})`, { cause });
  }
  const m = reader.metadata;
  try {
    // walk the tree once each way: a truncated or scrambled tree throws here, not later
    reader.getIpv4(0x01010101);
    reader.getIpv4(0x08080808);
    if (m.ipVersion === 6) {
      const g = new Uint16Array(8);
      parseIpv6('2001:4860:4860::8888', g);
      reader.getIpv6(g);
    }
  } catch (cause) {
    reader.close();
    throw new GeoDbCorruptError(path, `its search tree or data section is damaged (${(cause as Error).message})`, { cause });
  }
  return { path, reader, ipVersion: m.ipVersion, type: m.databaseType, built: m.buildEpoch };
}

function pathList(field: string, v: unknown): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new GeoConfigError(field, v, 'a path or a list of paths to .mmdb files');
  }
  return list as string[];
}

/** Open the configured (or bundled) databases. Rejects with a Geo*Error naming the file. */
export async function openGeoLookup(config: GeoConfig = {}): Promise<GeoLookup> {
  const cacheSize = config.cacheSize ?? DEFAULT_GEO_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 1 || cacheSize > 2 ** 24) {
    throw new GeoConfigError('cacheSize', config.cacheSize, 'an integer between 1 and 16,777,216');
  }
  const readCacheMb = config.readCacheMb ?? DEFAULT_GEO_READ_CACHE_MB;
  if (!Number.isInteger(readCacheMb) || readCacheMb < 1 || readCacheMb > 4096) {
    throw new GeoConfigError('readCacheMb', config.readCacheMb, 'an integer number of MB between 1 and 4096');
  }
  const cityPaths = config.cityDb === undefined ? defaultCityDatabases() : pathList('cityDb', config.cityDb);
  const asnPaths = config.asnDb === undefined ? [] : pathList('asnDb', config.asnDb);
  const [city, asn] = await Promise.all([
    Promise.all(cityPaths.map((p) => loadDatabase(p, 'city', readCacheMb))),
    Promise.all(asnPaths.map((p) => loadDatabase(p, 'asn', readCacheMb))),
  ]);
  return new GeoLookup(city, asn, cacheSize);
}

// ---------------------------------------------------------------------------------------

export class GeoLookup {
  /** The databases in use, in lookup order. */
  readonly databases: readonly GeoDatabaseInfo[];
  private readonly cityV4: LoadedDatabase[];
  private readonly cityV6: LoadedDatabase[];
  private readonly asnV4: LoadedDatabase[];
  private readonly asnV6: LoadedDatabase[];
  private readonly cache: LruMap<number | string, GeoInfo>;
  private lookups = 0;
  private hits = 0;
  private misses = 0;
  private reserved = 0;
  private invalid = 0;
  private errors = 0;
  private lastErrorValue: GeoDbCorruptError | null = null;
  private readonly groups = new Uint16Array(8);

  /** Use openGeoLookup(). */
  constructor(city: readonly LoadedDatabase[], asn: readonly LoadedDatabase[], cacheSize = DEFAULT_GEO_CACHE_SIZE) {
    this.cityV4 = [...city];
    this.cityV6 = city.filter((d) => d.ipVersion === 6);
    this.asnV4 = [...asn];
    this.asnV6 = asn.filter((d) => d.ipVersion === 6);
    this.cache = new LruMap(cacheSize);
    const describe = (kind: 'city' | 'asn') => (d: LoadedDatabase): GeoDatabaseInfo => ({
      path: d.path,
      kind,
      type: d.type,
      ipVersion: d.ipVersion,
      built: d.built,
    });
    this.databases = Object.freeze([...city.map(describe('city')), ...asn.map(describe('asn'))]);
  }

  /**
   * Where an address is: a uint32 IPv4 address, or IPv4/IPv6 text (v4-mapped and NAT64
   * IPv6 addresses answer for their IPv4 address). Never throws: what is not an address
   * answers with addressClass 'invalid'. Answers are frozen and shared.
   */
  lookup(address: number | string): GeoInfo {
    this.lookups++;
    let v4: number;
    if (typeof address === 'number') {
      if (!(Number.isInteger(address) && address >= -(2 ** 31) && address < 2 ** 32)) return this.invalidAnswer();
      v4 = address >>> 0;
    } else if (typeof address === 'string') {
      v4 = parseIpv4(address);
      if (v4 < 0) {
        // IPv6 text is classified before the cache, so the cache holds database answers only
        const r = resolveIpv6(address);
        if (typeof r === 'string') {
          if (r === 'public') return this.cachedIpv6(address);
          if (r === 'invalid') return this.invalidAnswer();
          this.reserved++;
          return TAGS.get(r)!;
        }
        v4 = r;
      }
    } else {
      return this.invalidAnswer();
    }
    const cls = classifyIpv4(v4);
    if (cls !== 'public') {
      this.reserved++;
      return TAGS.get(cls)!;
    }
    const key = v4 | 0; // a small integer key: no boxing in the Map, one entry per address
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const info = this.queryIpv4(v4);
    this.cache.set(key, info);
    return info;
  }

  /**
   * Its bounded tables, as the shards' are reported (detect/table-report.ts): the addresses
   * cached (`geo.cacheSize`) and the database pages held (`geo.readCacheMb` of each file, in
   * pages). Both fill as distinct public addresses are looked up: at their bounds about 13 MB
   * of heap for 65,536 addresses and 16 MB a file (README, "Session 17").
   */
  tables(): Record<string, BoundedTable> {
    const files = this.fileStats();
    return { geoAddresses: this.cache, geoPages: { size: files.pages, capacity: files.maxPages } };
  }

  stats(): GeoStats {
    return {
      lookups: this.lookups,
      cacheHits: this.hits,
      cacheMisses: this.misses,
      cacheEntries: this.cache.size,
      cacheEvictions: this.cache.evictions,
      reserved: this.reserved,
      invalid: this.invalid,
      errors: this.errors,
      files: this.fileStats(),
    };
  }

  private fileStats(): PagedFileStats {
    const all = new Set([...this.cityV4, ...this.asnV4]);
    const out: PagedFileStats = { hits: 0, misses: 0, pages: 0, bytes: 0, maxPages: 0 };
    for (const d of all) {
      const s = d.reader.cacheStats();
      out.hits += s.hits;
      out.misses += s.misses;
      out.pages += s.pages;
      out.bytes += s.bytes;
      out.maxPages += s.maxPages;
    }
    return out;
  }

  /** The first failed database lookup, if any (errors are counted, not thrown). */
  get lastError(): GeoDbCorruptError | null {
    return this.lastErrorValue;
  }

  private invalidAnswer(): GeoInfo {
    this.invalid++;
    return INVALID;
  }

  private cachedIpv6(text: string): GeoInfo {
    const hit = this.cache.get(text);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const info = this.queryIpv6(text);
    this.cache.set(text, info);
    return info;
  }

  private queryIpv4(address: number): GeoInfo {
    return infoFrom(this.first(this.cityV4, address, null), this.first(this.asnV4, address, null));
  }

  private queryIpv6(text: string): GeoInfo {
    const g = this.groups;
    if (!parseIpv6(text, g)) return PUBLIC_UNKNOWN;
    return infoFrom(this.first(this.cityV6, -1, g), this.first(this.asnV6, -1, g));
  }

  /** The first database's record for the address: a uint32 IPv4 address, or IPv6 groups. */
  private first(dbs: readonly LoadedDatabase[], v4: number, v6: Uint16Array | null): unknown {
    for (let i = 0; i < dbs.length; i++) {
      try {
        const rec = v6 ? dbs[i].reader.getIpv6(v6) : dbs[i].reader.getIpv4(v4);
        if (rec !== null) return rec;
      } catch (cause) {
        this.errors++;
        this.lastErrorValue ??= new GeoDbCorruptError(dbs[i].path, `lookup of ${v6 ? 'an IPv6 address' : formatIPv4(v4)} failed (${(cause as Error).message})`, { cause });
      }
    }
    return null;
  }
}
