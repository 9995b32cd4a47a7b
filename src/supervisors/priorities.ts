// Message priorities, in one place. A full mailbox with the drop-lowest-priority policy, and
// the cluster transport at its high-water mark, shed the lowest first: training samples
// (the model has plenty), then packet batches (counted as lost by their capture), and keep
// what carries detection state across shards and the alerts the operator waits for.

export const PRIORITY = {
  sample: 0,
  packets: 1,
  tally: 2,
  alerts: 3,
} as const;
