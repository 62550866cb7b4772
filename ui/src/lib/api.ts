// Every backend call goes through this module: one typed function per command of the IPC contract.
import { invoke, Channel } from '@tauri-apps/api/core';
import type { BundleWritten } from '../bindings/BundleWritten';
import type { ImportReport } from '../bindings/ImportReport';
import type { RunFilter } from '../bindings/RunFilter';
import type { BoardGroup } from '../bindings/BoardGroup';
import type { AppError as BackendError } from '../bindings/AppError';
import type { ErrorCode } from '../bindings/ErrorCode';
import type { AppInfo } from '../bindings/AppInfo';
import type { AppSettings } from '../bindings/AppSettings';
import type { ModelEntry } from '../bindings/ModelEntry';
import type { ImportMode } from '../bindings/ImportMode';
import type { ImportProgress } from '../bindings/ImportProgress';
import type { DatasetEntry } from '../bindings/DatasetEntry';
import type { DownloadProgress } from '../bindings/DownloadProgress';
import type { FetchReport } from '../bindings/FetchReport';
import type { NewRunRequest } from '../bindings/NewRunRequest';
import type { QueueTicket } from '../bindings/QueueTicket';
import type { ActiveRun } from '../bindings/ActiveRun';
import type { LiveEvent } from '../bindings/LiveEvent';
import type { RunSummary } from '../bindings/RunSummary';
import type { RunDetail } from '../bindings/RunDetail';
import type { SampleRow } from '../bindings/SampleRow';
import type { Reading } from '../bindings/Reading';
import type { Comparison } from '../bindings/Comparison';
import type { SampleDiff } from '../bindings/SampleDiff';
import type { ExportKind } from '../bindings/ExportKind';
import type { ExportReport } from '../bindings/ExportReport';
import type { ModelFit } from '../bindings/ModelFit';
import type { NewGrader } from '../bindings/NewGrader';
import type { GradingPlan } from '../bindings/GradingPlan';
import type { GradeEvent } from '../bindings/GradeEvent';
import type { GradingStatus } from '../bindings/GradingStatus';
import type { CatalogEntry } from '../bindings/CatalogEntry';
import type { RepoSummary } from '../bindings/RepoSummary';
import type { HubFile } from '../bindings/HubFile';
import type { FetchTarget } from '../bindings/FetchTarget';
import type { DownloadRow } from '../bindings/DownloadRow';
import type { NewStudyRequest } from '../bindings/NewStudyRequest';
import type { StudyEvent } from '../bindings/StudyEvent';
import type { StudySummary } from '../bindings/StudySummary';
import type { StudyTable } from '../bindings/StudyTable';
import type { QuantTypes } from '../bindings/QuantTypes';

/** A backend error, or `tauri` when there is no backend (the UI opened in a plain browser). */
export type AppError = Omit<BackendError, 'code'> & { code: ErrorCode | 'tauri' };

/** What the user should do next, per error code (shown under the message); the type makes the
 *  compiler check that every code the backend can send has one. */
const NEXT_STEP: Record<AppError['code'], string> = {
  model_file: 'Pick a valid GGUF model file.',
  model_load: 'Try fewer GPU layers or a smaller context, or choose another model.',
  projector: "Pick the vision projector (mmproj GGUF) made for this model: its embeddings must be as wide as the model's.",
  memory: 'Choose a smaller quantization or a shorter context, or close other apps and try again.',
  engine: 'llama.cpp failed while running the model: try a smaller context, fewer GPU layers or another model.',
  dataset: 'Download the dataset again from New run.',
  checksum: 'The download was corrupted; try again or set a dataset mirror in Settings.',
  download: 'Check the network connection (or the dataset mirror in Settings) and retry.',
  gated: "Accept the model's terms on Hugging Face, then keep an access token of that account under Get models.",
  no_space: 'Free some space (or delete models you no longer use) and try again.',
  paused: 'Resume the download from the list when you are ready.',
  settings: 'Correct the highlighted settings and try again.',
  busy: 'Wait for the current run to finish or cancel it from Live run.',
  not_found: 'It may have been deleted; refresh the list.',
  builtin_model: 'The built-in model cannot be deleted.',
  resume: 'Start a new run instead.',
  export: 'Choose another location with enough free space and write permission.',
  grader: "Check the judge or embedder in Settings: its endpoint's address, model name and API key, or its model file.",
  keychain: 'Unlock the system keychain (or start a Secret Service such as GNOME Keyring), or use a grader that needs no API key.',
  not_chosen: 'Pick the file again in the file dialog.',
  bundle: 'Ask for the bundle again (export it anew on the other device), or update the app if it came from a newer one.',
  store: 'Restart the app; if it persists, clear runs in Settings.',
  io: 'Check free space and file permissions, then retry.',
  tauri: 'This screen needs the MobileAIBench app; it cannot talk to the engine here.',
  internal: 'Retry; if it keeps happening, restart the app.',
};

export function nextStep(err: AppError): string {
  return NEXT_STEP[err.code] ?? NEXT_STEP.internal; // an unknown code from a newer backend
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Turn any rejection (AppError object, Error, string, anything) into an AppError with a readable message. */
export function toAppError(e: unknown): AppError {
  if (isRecord(e) && typeof e.code === 'string' && typeof e.message === 'string' && e.message.trim() !== '') {
    return { code: e.code as AppError['code'], message: e.message };
  }
  if (e instanceof Error) {
    if (/__TAURI_INTERNALS__|reading 'invoke'|transformCallback/.test(e.message)) {
      return { code: 'tauri', message: 'The app backend is not available.' };
    }
    return { code: 'internal', message: e.message || 'Something went wrong.' };
  }
  if (typeof e === 'string' && e.trim() !== '') return { code: 'internal', message: e };
  if (isRecord(e) && typeof e.message === 'string' && e.message.trim() !== '') {
    return { code: typeof e.code === 'string' ? (e.code as AppError['code']) : 'internal', message: e.message };
  }
  if (isRecord(e) && typeof e.error === 'string') return { code: 'internal', message: e.error };
  return { code: 'internal', message: 'Something went wrong (no details were given).' };
}

export function isAppError(e: unknown): e is AppError {
  return isRecord(e) && typeof e.code === 'string' && typeof e.message === 'string';
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

function channel<T>(handler: (m: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = handler;
  return ch;
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  uiReady: () => call<number>('ui_ready'),
  getSettings: () => call<AppSettings>('get_settings'),
  saveSettings: (settings: AppSettings) => call<AppSettings>('save_settings', { settings }),
  clearData: (scope: 'runs' | 'all') => call<null>('clear_data', { scope }),
  listModels: () => call<ModelEntry[]>('list_models'),
  importModel: (path: string, mode: ImportMode, onProgress: (p: ImportProgress) => void) =>
    call<ModelEntry>('import_model', { path, mode, onProgress: channel(onProgress) }),
  deleteModel: (path: string) => call<null>('delete_model', { path }),
  /** Pairs an imported model with a projector picked in a file dialog (checked against the model). */
  pairProjector: (model: string, projector: string) => call<ModelEntry>('pair_projector', { model, projector }),
  /** Pairs an imported model with the projector found beside it (its entry's offer). */
  pairProjectorBeside: (model: string) => call<ModelEntry>('pair_projector_beside', { model }),
  unpairProjector: (model: string) => call<ModelEntry>('unpair_projector', { model }),
  /** The engine's memory check for each model at this context, before anything starts; `images`:
   *  the run shows images, so each model's vision projector counts too. */
  memoryFit: (models: string[], nCtx: number, images = false) => call<ModelFit[]>('memory_fit', { models, nCtx, images }),
  listDatasets: () => call<DatasetEntry[]>('list_datasets'),
  fetchDatasets: (names: string[], onProgress: (p: DownloadProgress) => void) =>
    call<FetchReport[]>('fetch_datasets', { names, onProgress: channel(onProgress) }),
  startRun: (request: NewRunRequest, onEvent: (e: LiveEvent) => void) =>
    call<QueueTicket>('start_run', { request, onEvent: channel(onEvent) }),
  resumeRun: (runId: number, onEvent: (e: LiveEvent) => void) =>
    call<QueueTicket>('resume_run', { runId, onEvent: channel(onEvent) }),
  cancelRun: () => call<null>('cancel_run'),
  activeRun: () => call<ActiveRun | null>('active_run'),
  /** Attaches this window to the run in progress (after a reload): replays where it is, then streams. */
  attachRun: (onEvent: (e: LiveEvent) => void) =>
    call<ActiveRun | null>('attach_run', { onEvent: channel(onEvent) }),
  listRuns: () => call<RunSummary[]>('list_runs'),
  getRun: (runId: number) => call<RunDetail>('get_run', { runId }),
  getSamples: (runId: number) => call<SampleRow[]>('get_samples', { runId }),
  /** A sample's image as a data: URL (the web view reads no files): one in the datasets folder, or shown by run `runId`. */
  imageDataUrl: (path: string, runId: number | null) => call<string>('image_data_url', { path, runId }),
  getReadings: (runId: number) => call<Reading[]>('get_readings', { runId }),
  deleteRun: (runId: number) => call<null>('delete_run', { runId }),
  compareRuns: (runIds: number[], baseline: number) => call<Comparison>('compare_runs', { runIds, baseline }),
  sampleDiff: (runIds: number[], dataset: string) => call<SampleDiff>('sample_diff', { runIds, dataset }),
  exportCsv: (kind: ExportKind, runIds: number[], baseline: number | null, path: string) =>
    call<ExportReport>('export_csv', { kind, runIds, baseline, path }),
  /** Writes runs into a bundle (`.mobench`) at a path picked in a save dialog. */
  exportBundle: (runIds: number[], path: string) => call<BundleWritten>('export_bundle', { runIds, path }),
  /** Merges bundles picked in the file picker (or opened from outside) into this device's runs. */
  importBundles: (paths: string[]) => call<ImportReport>('import_bundles', { paths }),
  /** The same model and quantization side by side across devices. */
  listDevices: (filter: RunFilter | null = null) => call<BoardGroup[]>('list_devices', { filter }),
  /** `.mobench` files the OS opened the app with that no window has taken yet. */
  takeOpenedBundles: () => call<string[]>('take_opened_bundles'),
  /** Adds a judge or an embedder (a model of Models is checked to be one); the new settings. */
  addGrader: (grader: NewGrader) => call<AppSettings>('add_grader', { grader }),
  /** Removes a grader and the API key kept for it; the new settings. */
  removeGrader: (graderId: string) => call<AppSettings>('remove_grader', { graderId }),
  /** Hands an endpoint's API key to the OS keychain. It is never sent back: only whether one is kept. */
  setGraderKey: (graderId: string, key: string) => call<null>('set_grader_key', { graderId, key }),
  graderHasKey: (graderId: string) => call<boolean>('grader_has_key', { graderId }),
  /** null when API keys can be kept, else the one line that says why not. */
  keychainProblem: () => call<string | null>('keychain_problem'),
  /** Which datasets of a run a judge and an embedder would grade. */
  gradingPlan: (runId: number) => call<GradingPlan>('grading_plan', { runId }),
  startGrading: (runId: number, judge: string | null, embedder: string | null, onEvent: (e: GradeEvent) => void) =>
    call<null>('start_grading', { runId, judge, embedder, onEvent: channel(onEvent) }),
  cancelGrading: () => call<boolean>('cancel_grading'),
  /** Attaches this window to the grading pass in progress (after a reload); null when none goes on. */
  attachGrading: (onEvent: (e: GradeEvent) => void) => call<GradingStatus | null>('attach_grading', { onEvent: channel(onEvent) }),
  /** The recommended phone models (the catalog), with each quantization's fit where its size is known. */
  hubCatalog: () => call<CatalogEntry[]>('hub_catalog'),
  hubSearch: (text: string) => call<RepoSummary[]>('hub_search', { text }),
  /** A repository's GGUF files, each marked with whether it fits this device. */
  hubFiles: (repo: string) => call<HubFile[]>('hub_files', { repo }),
  /** Every download, latest first, with its progress (stored, so it survives a restart). */
  listDownloads: () => call<DownloadRow[]>('list_downloads'),
  /** Starts a download on its own thread; follow it with listDownloads. */
  startDownload: (target: FetchTarget) => call<DownloadRow>('start_download', { target }),
  pauseDownload: (id: number) => call<null>('pause_download', { id }),
  resumeDownload: (id: number) => call<DownloadRow>('resume_download', { id }),
  forgetDownload: (id: number) => call<null>('forget_download', { id }),
  /** Keeps the hub access token in the OS keychain (empty: forget it); never sent back. */
  setHubToken: (token: string) => call<null>('set_hub_token', { token }),
  hubHasToken: () => call<boolean>('hub_has_token'),
  /** The quantization types this llama.cpp build knows (the usual ones first). */
  quantTypes: () => call<QuantTypes>('quant_types'),
  /** Starts a quantization study (checked before it returns); its progress comes as events. */
  startStudy: (request: NewStudyRequest, onEvent: (e: StudyEvent) => void) =>
    call<null>('start_study', { request, onEvent: channel(onEvent) }),
  resumeStudy: (studyId: number, onEvent: (e: StudyEvent) => void) =>
    call<null>('resume_study', { studyId, onEvent: channel(onEvent) }),
  cancelStudy: () => call<boolean>('cancel_study'),
  studyActive: () => call<boolean>('study_active'),
  listStudies: () => call<StudySummary[]>('list_studies'),
  getStudy: (studyId: number) => call<StudyTable>('get_study', { studyId }),
  exportStudy: (studyId: number, path: string) => call<null>('export_study', { studyId, path }),
};

export type Api = typeof api;
