// The live run lives here (not in a component) so navigating away and back keeps it.
import { api } from './api';
import { initialLive, reduceLive, startingLive, type LiveState } from './live';
import type { LiveEvent } from '../bindings/LiveEvent';
import type { NewRunRequest } from '../bindings/NewRunRequest';
import type { ActiveRun } from '../bindings/ActiveRun';

let state = $state.raw<LiveState>(initialLive());
/** A run the backend reports as active but whose event stream this window does not hold (e.g. after reload). */
let detached = $state.raw<ActiveRun | null>(null);
let listeners: (() => void)[] = [];

export const live = {
  get state(): LiveState {
    return state;
  },
  get detached(): ActiveRun | null {
    return detached;
  },
};

export function onQueueFinished(fn: () => void): () => void {
  listeners.push(fn);
  return () => {
    listeners = listeners.filter((f) => f !== fn);
  };
}

export function dispatch(ev: LiveEvent): void {
  state = reduceLive(state, ev, performance.now());
  if (ev.event === 'queue_finished') {
    detached = null;
    for (const f of listeners) f();
  }
}

export async function startRun(request: NewRunRequest): Promise<void> {
  const prev = state;
  state = startingLive(request.models);
  try {
    const t = await api.startRun(request, dispatch);
    if (state.queueId === null) state = { ...state, queueId: t.queue_id };
  } catch (e) {
    state = prev;
    throw e;
  }
}

export async function resumeRun(runId: number): Promise<void> {
  const prev = state;
  state = startingLive([]);
  try {
    const t = await api.resumeRun(runId, dispatch);
    if (state.queueId === null) state = { ...state, queueId: t.queue_id };
  } catch (e) {
    state = prev;
    throw e;
  }
}

export async function cancelRun(): Promise<void> {
  state = { ...state, cancelling: true };
  if (detached) detached = { ...detached, cancelling: true };
  try {
    await api.cancelRun();
  } catch (e) {
    state = { ...state, cancelling: false };
    throw e;
  }
}

let poll: ReturnType<typeof setInterval> | null = null;

/**
 * On start-up: a run may be going on in the background that this window has no stream for (after
 * a reload). Attach to it: the backend replays where it is and then streams its events. If that
 * is not possible, show it as detached and poll active_run so its end is noticed.
 */
export async function syncActive(): Promise<void> {
  if (state.phase === 'idle' || state.phase === 'finished') {
    try {
      if (await api.attachRun(dispatch)) {
        detached = null;
        return;
      }
    } catch {
      /* fall back to the detached view below */
    }
  }
  const a = await api.activeRun();
  if (a && (state.phase === 'idle' || state.phase === 'finished')) {
    detached = a;
    if (!poll) {
      poll = setInterval(() => {
        api.activeRun().then(
          (x) => {
            detached = x && (state.phase === 'idle' || state.phase === 'finished') ? x : null;
            if (!detached && poll) {
              clearInterval(poll);
              poll = null;
              for (const f of listeners) f();
            }
          },
          () => {
            /* keep the last known state; the next tick retries */
          },
        );
      }, 2000);
    }
  }
  if (!a) detached = null;
}

export function clearFinished(): void {
  if (state.phase === 'finished') state = initialLive();
}
