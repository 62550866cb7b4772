// Tiny hash router: parse/format only (pure), state lives in router.svelte.ts.
export type Route =
  | { name: 'models' }
  | { name: 'new' }
  | { name: 'live' }
  | { name: 'history' }
  | { name: 'run'; id: number }
  | { name: 'compare'; runs: number[] }
  | { name: 'study'; id: number | null }
  | { name: 'settings' }
  | { name: 'devices' };

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path, query = ''] = h.split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case 'models':
      return { name: 'models' };
    case 'new':
      return { name: 'new' };
    case 'live':
      return { name: 'live' };
    case 'history':
      return { name: 'history' };
    case 'runs': {
      const id = Number(parts[1]);
      return Number.isInteger(id) && id > 0 ? { name: 'run', id } : { name: 'history' };
    }
    case 'compare': {
      const runs = (params.get('runs') ?? '')
        .split(',')
        .map((x) => Number(x))
        .filter((x) => Number.isInteger(x) && x > 0);
      return { name: 'compare', runs };
    }
    case 'settings':
      return { name: 'settings' };
    case 'devices':
      return { name: 'devices' };
    case 'studies': {
      const id = Number(parts[1]);
      return { name: 'study', id: Number.isInteger(id) && id > 0 ? id : null };
    }
    default:
      return { name: 'models' };
  }
}

export function href(r: Route): string {
  switch (r.name) {
    case 'run':
      return `#/runs/${r.id}`;
    case 'study':
      return r.id ? `#/studies/${r.id}` : '#/studies';
    case 'compare':
      return r.runs.length ? `#/compare?runs=${r.runs.join(',')}` : '#/compare';
    default:
      return `#/${r.name}`;
  }
}
