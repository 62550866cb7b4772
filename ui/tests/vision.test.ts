// Multimodal models in the UI: a model's projector in Models (shown, offered, picked, removed),
// image sets in New run only for models with one, the image on Live run, and Run detail's
// projector, projector load time, image figures and sample thumbnails.
import { describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import Models from '../src/screens/Models.svelte';
import NewRun from '../src/screens/NewRun.svelte';
import LiveRun from '../src/screens/LiveRun.svelte';
import RunDetailScreen from '../src/screens/RunDetail.svelte';
import { dispatch, startRun } from '../src/lib/live.svelte';
import { initialLive, reduceLive } from '../src/lib/live';
import { efficiencyColumns, sampleImageFigures } from '../src/lib/detail';
import { formFromDefaults, validateForm, visionHint } from '../src/lib/newrun';
import { projectorFacts } from '../src/lib/projector';
import { datasets, info, models, run, sample, settings } from './fixtures';
import type { ModelEntry } from '../src/bindings/ModelEntry';
import type { ProjectorEntry } from '../src/bindings/ProjectorEntry';
import type { DatasetEntry } from '../src/bindings/DatasetEntry';
import type { NewRunRequest } from '../src/bindings/NewRunRequest';
import type { RunDetail } from '../src/bindings/RunDetail';

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(async () => '/picked/mmproj-other.gguf'), save: vi.fn() }));

const projector: ProjectorEntry = {
  path: '/m/mmproj-llava.gguf', file_name: 'mmproj-llava.gguf', size_bytes: 3 * 1024 * 1024, projector_type: 'mlp',
  image_size: 336, image_tokens: 576, n_embd_out: 896, problem: null,
};
const llava: ModelEntry = { ...models[1], path: '/m/llava.gguf', file_name: 'llava.gguf', name: 'Llava', projector };
const offered: ModelEntry = { ...models[1], path: '/m/text.gguf', file_name: 'text.gguf', name: 'Text', projector_offer: { ...projector, path: '/m/mmproj-text.gguf', file_name: 'mmproj-text.gguf' } };
const misfit: ModelEntry = {
  ...models[1], path: '/m/wide.gguf', file_name: 'wide.gguf', name: 'Wide',
  projector_offer: { ...projector, path: '/m/mmproj-wide.gguf', file_name: 'mmproj-wide.gguf', problem: 'projector /m/mmproj-wide.gguf: projects to 2048-wide embeddings but model /m/wide.gguf has 896' },
};
const vqav2: DatasetEntry = { name: 'vqav2', suite: 'mobileaibench', task: 'vqa', rows: 100, bytes: 1, builtin: false, present: true, downloadable: true, licence: 'CC BY 4.0', metrics: ['vqa_accuracy'], multimodal: true };
const mmlu: DatasetEntry = { ...datasets[2], name: 'mmlu', present: true };

describe('projectors in the helpers', () => {
  it('describes a projector and says which models cannot run image sets', () => {
    expect(projectorFacts(projector)).toBe('mlp · 336×336 px images · 576 image tokens · 3.0 MiB');
    expect(projectorFacts({ ...projector, image_size: 0, image_tokens: null })).toBe('mlp · images of any size · 3.0 MiB');
    const all = [models[0], llava, offered];
    expect(visionHint([llava.path], all)).toBeNull();
    expect(visionHint([], all)).toBe('Choose a model with a vision projector to run image sets.');
    expect(visionHint([llava.path, models[0].path, offered.path], all)).toBe('Needs a vision projector: pair one with Builtin, Text in Models.');
    const broken = { ...llava, projector: { ...projector, problem: 'does not exist' } };
    expect(visionHint([llava.path], [broken])).not.toBeNull();
    const f = formFromDefaults(settings.defaults, 'mobileaibench', ['vqav2', 'mmlu']);
    f.models = [models[0].path];
    expect(validateForm(f, 8, [vqav2, mmlu], all)).toEqual([
      'vqav2 shows the model images: Builtin has no vision projector (pair one in Models, or leave it out).',
    ]);
    f.models = [llava.path];
    expect(validateForm(f, 8, [vqav2, mmlu], all)).toEqual([]);
  });

  it('adds the image columns and figures only where there were images', () => {
    const agg = (figure: string, value: number | null) => ({ dataset: 'vqav2', task: 'vqa', figure, stat: 'mean', value, n: 1, missing_reason: null, grader: null });
    expect(efficiencyColumns([agg('ttft_ms', 5)]).map((c) => c.head)).not.toContain('Image encode');
    const heads = efficiencyColumns([agg('ttft_ms', 5), agg('image_encode_ms', 3)]).map((c) => c.head);
    expect(heads.slice(-4)).toEqual(['Image decode', 'Image encode', 'Image tokens', 'Prompt text tokens']);
    expect(sampleImageFigures(sample(1))).toEqual([]);
    const s = sample(1, { image_path: '/d/vqav2/images/1.jpg', image_tokens: 16, prompt_text_tokens: 9, timings: { ...sample(1).timings, image_decode_ms: 2, image_encode_ms: 7 } });
    expect(sampleImageFigures(s).map((f) => [f.label, f.value])).toEqual([
      ['Image decode', 2], ['Image encode', 7], ['Image tokens', 16], ['Prompt text tokens', 9],
    ]);
  });

  it('keeps the image of the sample in flight and the projector load', () => {
    let s = reduceLive(initialLive(), { event: 'model_loaded', cold: true, model_load_ms: 5, projector_load_ms: 2, context_ms: 1, n_ctx: 512, n_params: 1, backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 2 }, 0);
    expect(s.load?.projector_load_ms).toBe(2);
    s = reduceLive(s, { event: 'sample_started', dataset: 'vqav2', row: 0, prompt: 'What color?', image: '/d/vqav2/images/1.jpg' }, 1);
    expect(s.image).toBe('/d/vqav2/images/1.jpg');
    s = reduceLive(s, { event: 'sample_started', dataset: 'mmlu', row: 0, prompt: 'Q', image: null }, 2);
    expect(s.image).toBeNull();
  });
});

describe('Models screen with projectors', () => {
  it('shows a paired projector, offers one found beside a model, and pairs, picks and removes', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'list_models') return [models[0], llava, offered, misfit];
      if (cmd === 'app_info') return info;
      if (cmd === 'pair_projector_beside') return { ...offered, projector: offered.projector_offer, projector_offer: null };
      if (cmd === 'pair_projector') return { ...llava, projector: { ...projector, file_name: 'mmproj-other.gguf' } };
      if (cmd === 'unpair_projector') return { ...llava, projector: null };
      return null;
    });
    render(Models);
    const rows = await screen.findAllByTestId('model-row');
    expect(rows).toHaveLength(4);
    // The built-in model: nothing to pair.
    expect(within(rows[0]).queryByTestId('pick-projector')).toBeNull();
    // Paired: one entry with both sizes and the projector's facts.
    const paired = within(rows[1]).getByTestId('model-projector');
    expect(paired.textContent).toContain('mmproj-llava.gguf');
    expect(paired.textContent).toContain('mlp · 336×336 px images · 576 image tokens · 3.0 MiB');
    expect(within(rows[1]).getByTestId('projector-size').textContent).toBe('+ 3.0 MiB projector');
    // A fitting projector beside the model is offered; one that does not fit says why.
    expect(within(rows[2]).getByTestId('projector-offer').textContent).toContain('mmproj-text.gguf');
    expect(within(rows[3]).getByTestId('projector-offer').textContent).toContain('2048-wide');
    expect(within(rows[3]).queryByTestId('accept-projector')).toBeNull();

    await fireEvent.click(within(rows[2]).getByTestId('accept-projector'));
    await waitFor(() => expect(calls.some(([c]) => c === 'pair_projector_beside')).toBe(true));
    expect(calls.find(([c]) => c === 'pair_projector_beside')?.[1]).toEqual({ model: '/m/text.gguf' });

    await fireEvent.click(within(rows[1]).getByTestId('pick-projector'));
    await waitFor(() => expect(calls.some(([c]) => c === 'pair_projector')).toBe(true));
    expect(calls.find(([c]) => c === 'pair_projector')?.[1]).toEqual({ model: '/m/llava.gguf', projector: '/picked/mmproj-other.gguf' });

    await fireEvent.click(within((await screen.findAllByTestId('model-row'))[1]).getByTestId('remove-projector'));
    await waitFor(() => expect(calls.some(([c]) => c === 'unpair_projector')).toBe(true));
  });
});

describe('New run with image sets', () => {
  it('offers the image sets only for models with a projector', async () => {
    dispatch({ event: 'queue_finished', run_ids: [], cancelled: false, paused: false });
    const started: NewRunRequest[] = [];
    const fitAsked: unknown[] = [];
    mockIPC((cmd, args) => {
      switch (cmd) {
        case 'list_models': return [models[0], llava];
        case 'list_datasets': return [...datasets, vqav2];
        case 'get_settings': return settings;
        case 'app_info': return info;
        case 'memory_fit': fitAsked.push(args); return [];
        case 'start_run':
          started.push((args as { request: NewRunRequest }).request);
          return { queue_id: 1 };
        default: return null;
      }
    });
    render(NewRun);
    const start = (await screen.findByTestId('start-run')) as HTMLButtonElement;
    await fireEvent.change(screen.getByTestId('suite-select'), { target: { value: 'mobileaibench' } });
    const box = () => screen.getAllByTestId('dataset-checkbox').find((b) => b.dataset.dataset === 'vqav2') as HTMLInputElement;
    // The built-in model is a text model: shown, disabled, with the hint.
    expect(box().disabled).toBe(true);
    expect(box().checked).toBe(false);
    expect(screen.getByTestId('vision-hint').textContent).toBe('Needs a vision projector: pair one with Builtin in Models.');
    const modelBoxes = screen.getAllByTestId('model-checkbox') as HTMLInputElement[];
    await fireEvent.click(modelBoxes[0]);
    await fireEvent.click(modelBoxes[1]);
    expect(box().disabled).toBe(false);
    expect(screen.queryByTestId('vision-hint')).toBeNull();
    await fireEvent.click(box());
    // The projector counts in the memory check of a run with images.
    await waitFor(() => expect(fitAsked.at(-1)).toEqual({ models: ['/m/llava.gguf'], nCtx: 2048, images: true }));
    // Adding the text model back: the start is refused with why, the set can still be unticked.
    await fireEvent.click(modelBoxes[0]);
    expect(start.disabled).toBe(true);
    expect(screen.getByTestId('start-hints').textContent).toContain('vqav2 shows the model images: Builtin has no vision projector');
    expect(box().disabled).toBe(false);
    await fireEvent.click(modelBoxes[0]);
    expect(start.disabled).toBe(false);
    await fireEvent.click(start);
    await waitFor(() => expect(started).toHaveLength(1));
    expect(started[0].models).toEqual(['/m/llava.gguf']);
    expect(started[0].datasets).toEqual(['vqav2']);
  });
});

describe('images on Live run and Run detail', () => {
  const png = 'data:image/png;base64,iVBORw0KGgo=';

  it('shows the image with the question while the answer streams', async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'start_run') return { queue_id: 2 };
      if (cmd === 'image_data_url') {
        asked.push(args);
        return png;
      }
      return null;
    });
    dispatch({ event: 'queue_finished', run_ids: [], cancelled: false, paused: false });
    render(LiveRun);
    await startRun({ models: ['/m/llava.gguf'], suite: 'mobileaibench', datasets: ['vqav2'], examples: 1, sample_seed: null, preset: 'mobile', threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null, ignore_memory_limit: false });
    dispatch({ event: 'queue_started', queue_id: 2, models: ['/m/llava.gguf'] });
    dispatch({ event: 'model_started', index: 0, total: 1, model: '/m/llava.gguf' });
    dispatch({ event: 'run_started', run_id: 9, model: '/m/llava.gguf', resumed: false, total: 1, already_done: 0, datasets: [{ dataset: 'vqav2', task: 'vqa', samples: 1, already_done: 0 }] });
    dispatch({ event: 'model_loaded', cold: true, model_load_ms: 10, projector_load_ms: 4.5, context_ms: 1, n_ctx: 2048, n_params: 1, backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 2 });
    dispatch({ event: 'sample_started', dataset: 'vqav2', row: 0, prompt: 'What color is the bus?', image: '/d/vqav2/images/7.jpg' });
    dispatch({ event: 'token', text: 'red' });
    const img = (await screen.findByTestId('live-image-img')) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe(png);
    expect(asked).toEqual([{ path: '/d/vqav2/images/7.jpg', runId: 9 }]);
    expect(screen.getByTestId('live-prompt').textContent).toBe('What color is the bus?');
    expect(screen.getByTestId('live-prediction').textContent).toBe('red');
    expect(screen.getByText(/\+ projector 4\.5 ms/)).toBeTruthy();
    dispatch({ event: 'queue_finished', run_ids: [9], cancelled: false, paused: false });
  });

  it('shows the projector, its load time, the image figures and a thumbnail per sample', async () => {
    const withImage = sample(1, {
      dataset: 'vqav2', task: 'vqa', image_path: '/d/vqav2/images/1.jpg', image_tokens: 16, prompt_text_tokens: 9,
      timings: { ...sample(1).timings, image_decode_ms: 2, image_encode_ms: 7.25 },
    });
    const detail: RunDetail = {
      run: run(9, 'completed', { projector: { path: '/m/mmproj-llava.gguf', sha256: 'cafe0123456789ab', size_bytes: 3 * 1024 * 1024, projector_type: 'mlp', image_size: 336, patch_size: 14 } }),
      settings: {}, device: {}, app_version: '0.1.0', llama_version: 'b1',
      loads: [{ cold: true, model_load_ms: 100, projector_load_ms: 12.5, context_ms: 3, n_ctx: 2048, at: '2026-11-21 10:00:00', backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 2 }],
      aggregates: [
        { dataset: 'vqav2', task: 'vqa', figure: 'ttft_ms', stat: 'mean', value: 80, n: 1, missing_reason: null, grader: null },
        { dataset: 'vqav2', task: 'vqa', figure: 'image_encode_ms', stat: 'mean', value: 7.25, n: 1, missing_reason: null, grader: null },
      ],
      resources: [], datasets: [], speed: [], sustained: null,
    };
    mockIPC((cmd) => {
      switch (cmd) {
        case 'get_run': return detail;
        case 'get_samples': return [withImage, sample(2)];
        case 'get_readings': return [];
        case 'image_data_url': return png;
        default: return null;
      }
    });
    render(RunDetailScreen, { id: 9 });
    expect((await screen.findByTestId('run-projector')).textContent).toContain('mmproj-llava.gguf');
    expect(screen.getByTestId('run-projector').textContent).toContain('mlp · 336×336 px images · 3.0 MiB · cafe01234567');
    expect(screen.getByTestId('projector-load').textContent).toBe('12.5 ms');
    const heads = within(screen.getByTestId('efficiency-table')).getAllByRole('columnheader').map((h) => h.textContent);
    expect(heads).toContain('Image encode');
    const thumbs = await screen.findAllByTestId('sample-thumb-img');
    expect(thumbs).toHaveLength(1);
    expect(thumbs[0].getAttribute('src')).toBe(png);
    await fireEvent.click(screen.getAllByTestId('sample-row')[0]);
    const figures = await screen.findByTestId('sample-image-figures');
    expect(figures.textContent).toContain('Image encode7.3 ms');
    expect(figures.textContent).toContain('Image tokens16');
  });
});
