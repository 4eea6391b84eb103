import type { Directory, UserRecord } from './directory.js';
import { roomOf } from './protocol.js';
import type { Delivery } from './session.js';

/**
 * Which alerts and tasks an operator's socket receives: the same rule as the API's
 * `visibleWorkWhere` (services/api/src/scope.ts), so a live push never shows what the list
 * would hide. An operator sees the work on the sites and assets assigned to them (and the
 * subtrees below), the tasks they are assignees of, or everything when the tenant's setting
 * `operatorsSeeAll` is on. Other roles see what their rooms carry (viewers can only join
 * assigned rooms; managers and admins see the whole tenant).
 *
 * A delivery's rooms already name every asset on its chain and the chain's sites (routing.ts),
 * so the check is a set lookup, synchronous in the dispatcher's write round. The view is read
 * through the directory's caches and read again once it is older than their TTL.
 */
export interface WorkView {
  userId: string;
  seeAll: boolean;
  /** `asset:<id>` and `site:<id>` rooms of the operator's assignments. */
  rooms: Set<string>;
  loadedAt: number;
}

/** null: the user sees every alert and task their rooms carry. */
export async function loadWorkView(directory: Directory, user: UserRecord, now: number): Promise<WorkView | null> {
  if (user.role !== 'operator' || !user.tenantId) return null;
  const [settings, mine] = await Promise.all([directory.tenantSettings(user.tenantId), directory.assignments(user.id)]);
  const rooms = new Set<string>();
  for (const id of mine.assets) rooms.add(roomOf('asset', id));
  for (const id of mine.sites) rooms.add(roomOf('site', id));
  return { userId: user.id, seeAll: settings.operatorsSeeAll, rooms, loadedAt: now };
}

type Work = Extract<Delivery, { kind: 'alert' | 'task' }>;

export function seesWork(view: WorkView | null, d: Pick<Work, 'kind' | 'rooms' | 'data'>): boolean {
  if (!view || view.seeAll) return true;
  if (d.kind === 'task' && (d.data as Extract<Work, { kind: 'task' }>['data']).assignees.includes(view.userId))
    return true;
  return d.rooms.some((room) => view.rooms.has(room));
}
