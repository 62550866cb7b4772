// How a vision projector is described beside its model. Pure.
import type { ProjectorEntry } from '../bindings/ProjectorEntry';
import { fmtBytes } from './format';

/** "mlp · 336×336 px images · 576 image tokens · 595.5 MiB" */
export function projectorFacts(p: ProjectorEntry): string {
  return [
    p.projector_type || null,
    p.image_size > 0 ? `${p.image_size}×${p.image_size} px images` : 'images of any size',
    p.image_tokens !== null ? `${p.image_tokens.toLocaleString('en-US')} image tokens` : null,
    p.size_bytes > 0 ? fmtBytes(p.size_bytes) : null,
  ].filter(Boolean).join(' · ');
}
