// Grading a run with a judge or an embedder: the pass's state as the window shows it (a pure
// reducer over the backend's events), and how Settings' graders are described.
import type { AppError } from './api';
import type { GradeEvent } from '../bindings/GradeEvent';
import type { GradeResult } from '../bindings/GradeResult';
import type { GradeStage } from '../bindings/GradeStage';
import type { GraderDef } from '../bindings/GraderDef';
import type { GradingStatus } from '../bindings/GradingStatus';

export type GradePhase = 'idle' | 'grading' | 'finished' | 'failed' | 'cancelled';

export type GradeState = {
  phase: GradePhase;
  runId: number | null;
  judge: string | null;
  embedder: string | null;
  stage: GradeStage | null;
  done: number;
  total: number;
  cancelling: boolean;
  result: GradeResult | null;
  error: AppError | null;
};

export function idleGrade(): GradeState {
  return { phase: 'idle', runId: null, judge: null, embedder: null, stage: null, done: 0, total: 0, cancelling: false, result: null, error: null };
}

/** A pass just started (or found going on, after a reload). */
export function gradingState(s: GradingStatus): GradeState {
  return { ...idleGrade(), phase: 'grading', runId: s.run_id, judge: s.judge, embedder: s.embedder, stage: s.stage, done: s.done, total: s.total, cancelling: s.cancelling };
}

export function reduceGrade(s: GradeState, e: GradeEvent): GradeState {
  switch (e.event) {
    case 'progress':
      return { ...s, phase: 'grading', runId: e.run_id, stage: e.stage, done: e.done, total: e.total };
    case 'finished':
      return { ...s, phase: 'finished', runId: e.result.run_id, result: e.result, cancelling: false };
    case 'failed':
      return { ...s, phase: 'failed', runId: e.run_id, error: e.error, cancelling: false };
    case 'cancelled':
      return { ...s, phase: 'cancelled', runId: e.run_id, cancelling: false };
  }
}

/** "Judge: 3 of 10 requests" while a pass goes on. */
export function progressText(s: GradeState): string {
  if (s.phase !== 'grading') return '';
  if (s.cancelling) return 'Cancelling after the requests in flight…';
  if (s.stage === null) return `Loading ${s.judge ?? s.embedder ?? 'the grader'}…`;
  const who = s.stage === 'judge' ? `Judge ${s.judge ?? ''}` : `Embedder ${s.embedder ?? ''}`;
  return `${who.trim()}: ${s.done} of ${s.total} requests`;
}

/** What a finished pass did, in one line. */
export function resultText(r: GradeResult): string {
  const parts = [`Graded ${r.graded} sample${r.graded === 1 ? '' : 's'}`, `${r.asked} asked`, `${r.cached} from earlier passes`];
  if (r.unparsed) parts.push(`${r.unparsed} unclear judgment${r.unparsed === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** Where a grader runs, in a few words. */
export function graderWhere(g: GraderDef): string {
  if (g.source.kind === 'local') return g.source.path.split(/[\\/]/).pop() ?? g.source.path;
  return `${g.source.model} at ${g.source.base_url}`;
}

/** An endpoint's address that Settings accepts (http(s), a host, no user:password@). */
export function baseUrlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return 'Give the endpoint’s address.';
  const m = /^https?:\/\/([^/?#]*)/i.exec(u);
  if (!m || !m[1]) return 'The address must start with http:// or https:// and name a host.';
  if (m[1].includes('@')) return 'Put the API key in its own field, not in the address.';
  return null;
}
