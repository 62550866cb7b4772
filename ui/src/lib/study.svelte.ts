// The study in progress, shared by Models (which starts it) and the Study screen (which shows it).
import { api } from './api';
import type { NewStudyRequest } from '../bindings/NewStudyRequest';
import type { StudyEvent } from '../bindings/StudyEvent';

export const study = $state<{ active: boolean; last: StudyEvent | null; finishedId: number | null }>({
  active: false,
  last: null,
  finishedId: null,
});

function onEvent(e: StudyEvent) {
  study.last = e;
  if (e.kind === 'finished') {
    study.active = false;
    study.finishedId = e.study_id;
  } else if (e.kind === 'failed') {
    study.active = false;
  }
}

// Active from before the call: a short study's last event may arrive before the call returns.
async function begin(start: () => Promise<unknown>): Promise<void> {
  study.last = null;
  study.finishedId = null;
  study.active = true;
  try {
    await start();
  } catch (e) {
    study.active = false;
    throw e;
  }
}

export function startStudy(request: NewStudyRequest): Promise<void> {
  return begin(() => api.startStudy(request, onEvent));
}

export function resumeStudy(id: number): Promise<void> {
  return begin(() => api.resumeStudy(id, onEvent));
}
