/** One figure of one measurement on one configuration: the service's number beside its baseline's. */
export interface Figure {
  measurement: string;
  figure: string;
  configuration: string;
  unit: string;
  project: number;
  baseline?: number;
  /** What the baseline is, in a few words. */
  baselineLabel?: string;
  /** Higher is better (throughput) or lower is better (latency, memory): only for the wording. */
  better: 'higher' | 'lower';
}

export interface CurvePoint {
  size: number;
  value: number;
  /** The server's own time for the same thing, when it reports one; gets its own ratio column. */
  server?: number;
  /** Extra columns, already formatted. */
  extra?: Record<string, string>;
}

/** How a cost grows with a size: each point with its ratio to the smallest size. */
export interface Curve {
  title: string;
  configuration: string;
  sizeLabel: string;
  unit: string;
  points: CurvePoint[];
}

export interface SectionResult {
  name: string;
  figures: Figure[];
  curves: Curve[];
  /** How it was measured, and anything the reader must know to trust the numbers. */
  notes: string[];
  /** Configurations skipped or failed, with why. */
  problems: string[];
  /** Observations the figures support, for the closing list. */
  observations: string[];
  seconds?: number;
}

export function emptySection(name: string): SectionResult {
  return { name, figures: [], curves: [], notes: [], problems: [], observations: [] };
}
