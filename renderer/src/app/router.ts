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
  const [page = 'sites', id = null, ...rest] = path.split('/').filter(Boolean);
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
