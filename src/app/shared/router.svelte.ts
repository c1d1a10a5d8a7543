/** Hash routing (#/system): works from any static host and from the service-worker cache. */
export interface Route {
  id: string;
  label: string;
}

export const ROUTES: readonly Route[] = [
  { id: 'start', label: 'Start' },
  { id: 'devices', label: 'Devices' },
  { id: 'models', label: 'Models' },
  { id: 'live', label: 'Live' },
  { id: 'train', label: 'Train' },
  { id: 'benchmark', label: 'Benchmark' },
  { id: 'system', label: 'System' },
];
/** `/` (no hash) is the start page: it asks what the person has and leads to a first result. */
const DEFAULT_ROUTE = 'start';

function routeFromHash(hash: string): string {
  const id = hash.replace(/^#\/?/, '').split(/[?/]/)[0] ?? '';
  return ROUTES.some((r) => r.id === id) ? id : DEFAULT_ROUTE;
}

/** The kiosk is started by URL (`/?kiosk&model=…&task=…`), before any hash route. */
export function isKioskUrl(search: string): boolean {
  return /^\??(.*&)?kiosk(=|&|$)/.test(search);
}

export class RouterState {
  current = $state(routeFromHash(location.hash));

  start(): () => void {
    const onHashChange = (): void => {
      this.current = routeFromHash(location.hash);
    };
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }
}
