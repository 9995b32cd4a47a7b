// What the scan of a question found, piece by piece (the parse-* modules fill it in), and the
// moment and zone the question is read in.

import type { EventField } from '../store/event-query.ts';
import type { Wall } from './time-zone.ts';
import type { Language } from './vocabulary.ts';

/** A time range the question names, or the default one. */
export interface Period {
  from: number;
  to: number;
  /** What was understood ("hoy (desde 00:00)"). */
  label: string;
  /** The same in a sentence ("hoy", "en la última hora"). */
  adverb: string;
}

/** When, where and in which language the question is read: "hoy" is today in `timeZone`. */
export interface Ctx {
  now: number;
  timeZone: string;
  lang: Language;
  today: Wall;
}

export interface Findings {
  command?: 'block' | 'unblock';
  sources: string[];
  targets: string[];
  asns: number[];
  countries: string[];
  types: Set<string>;
  typeLabels: string[];
  threat: boolean;
  whatThreat: boolean;
  decision?: 'ban' | 'unban' | 'any';
  /** A flow word ("conexiones", "flows"). */
  flow: boolean;
  /** Flow services asked for ("port 22", "tcp/22", "ssh" in a question about flows), and how they were said. */
  services: string[];
  serviceLabels: string[];
  /** Port or service numbers out of range ("port 70000"), as written. */
  badServices: string[];
  /** A service word as a field ("top services", "por puerto"). */
  serviceDim: boolean;
  minScore?: { value: number; high: boolean };
  nodes: string[];
  detectors: string[];
  periods: Period[];
  groups: EventField[];
  dims: EventField[];
  distinct?: EventField;
  bucket?: 'minute' | 'hour' | 'day';
  trend: boolean;
  count: boolean;
  top: boolean;
  latest: boolean;
  show: boolean;
  limits: Array<{ n: number; original: string }>;
}

/** Nothing found yet. */
export function emptyFindings(): Findings {
  return {
    sources: [], targets: [], asns: [], countries: [], types: new Set(), typeLabels: [], threat: false,
    whatThreat: false, flow: false, services: [], serviceLabels: [], badServices: [], serviceDim: false, nodes: [], detectors: [], periods: [], groups: [], dims: [], trend: false, count: false, top: false,
    latest: false, show: false, limits: [],
  };
}
