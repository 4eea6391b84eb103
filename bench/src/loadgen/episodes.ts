import { ALERT_RULE, temperatureOf } from './protocol.js';

/**
 * What the rules worker sees of one device, to count the alert episodes it must open: it
 * evaluates a sample only when its device time is later than the last one's (rule-engine's
 * threshold.ts; two publishes of one device in the same millisecond are one sample), opens on a
 * breach while normal, resolves on a clear while active. The state lasts across steps, as the
 * rule's does.
 */
export function createEpisodeCounter() {
  let lastTs = -1;
  let active = false;
  return {
    /** A publish of `seq` at device time `at`; true when it opens an episode. */
    publish(seq: number, at: number): boolean {
      if (at <= lastTs) return false;
      lastTs = at;
      const breach = temperatureOf(seq) > ALERT_RULE.threshold;
      if (breach && !active) {
        active = true;
        return true;
      }
      if (!breach) active = false;
      return false;
    },
  };
}
