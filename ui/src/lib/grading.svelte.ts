// The grading pass lives here (not in a component), so leaving Run detail and coming back keeps
// its progress; a reloaded window attaches to a pass that goes on.
import { api } from './api';
import { gradingState, idleGrade, reduceGrade, type GradeState } from './grading';
import type { GradeEvent } from '../bindings/GradeEvent';

let state = $state.raw<GradeState>(idleGrade());
let listeners: ((runId: number) => void)[] = [];

export const grading = {
  get state(): GradeState {
    return state;
  },
};

/** Called with the run's id when a pass ends (finished, failed or cancelled): its figures changed. */
export function onGradingEnd(fn: (runId: number) => void): () => void {
  listeners.push(fn);
  return () => {
    listeners = listeners.filter((f) => f !== fn);
  };
}

export function dispatchGrade(e: GradeEvent): void {
  state = reduceGrade(state, e);
  if (e.event !== 'progress' && state.runId !== null) for (const f of listeners) f(state.runId);
}

export async function startGrading(runId: number, judge: { id: string; name: string } | null, embedder: { id: string; name: string } | null): Promise<void> {
  const prev = state;
  state = gradingState({ run_id: runId, judge: judge?.name ?? null, embedder: embedder?.name ?? null, stage: null, done: 0, total: 0, cancelling: false });
  try {
    await api.startGrading(runId, judge?.id ?? null, embedder?.id ?? null, dispatchGrade);
  } catch (e) {
    state = prev;
    throw e;
  }
}

export async function cancelGrading(): Promise<void> {
  if (state.phase !== 'grading') return;
  state = { ...state, cancelling: true };
  try {
    await api.cancelGrading();
  } catch (e) {
    state = { ...state, cancelling: false };
    throw e;
  }
}

/** After a reload: a pass going on in the backend sends its events here again. */
export async function syncGrading(): Promise<void> {
  if (state.phase === 'grading') return;
  try {
    const s = await api.attachGrading(dispatchGrade);
    if (s) state = gradingState(s);
  } catch {
    /* no pass to follow; Run detail offers to start one */
  }
}

/** Forget a finished pass's outcome (the panel closes). */
export function clearGrade(): void {
  if (state.phase !== 'grading') state = idleGrade();
}
