import { parseHash, href, type Route } from './routes';

let current = $state<Route>(parseHash(typeof location !== 'undefined' ? location.hash : ''));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => {
    current = parseHash(location.hash);
  });
}

export const router = {
  get route(): Route {
    return current;
  },
};

export function navigate(r: Route | string): void {
  const h = typeof r === 'string' ? r : href(r);
  if (location.hash === h) current = parseHash(h);
  else location.hash = h;
}
