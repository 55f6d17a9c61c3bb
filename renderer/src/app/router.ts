import { useEffect, useState } from 'react';

/** Hash routes: #/sites, #/connectors, #/connectors/<id>, #/deliveries … */
export interface Route {
  page: string;
  id: string | null;
  /** Path segments after the id (#/report/<run>/<site> → ['<site>']). */
  rest: string[];
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'overview', id = null, ...rest] = path.split('/').filter(Boolean);
  return { page, id, rest, params: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(path: string): void {
  window.location.hash = `#/${path.replace(/^\//, '')}`;
}

/** The path of `route` with some query parameters changed (null removes one): filters that link. */
export function routeWith(route: Route, changes: Record<string, string | null>, id = route.id): string {
  const params = new URLSearchParams(route.params);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString();
  return `${route.page}${id ? `/${id}` : ''}${query ? `?${query}` : ''}`;
}
