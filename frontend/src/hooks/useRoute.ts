import { useCallback, useEffect, useState } from 'react';

export type Route = { page: 'home' } | { page: 'order'; id: string };

export function parseRoute(pathname: string): Route {
  const match = /^\/orders\/([^/]+)\/?$/.exec(pathname);
  return match?.[1] ? { page: 'order', id: decodeURIComponent(match[1]) } : { page: 'home' };
}

/** The page from the URL (history API; the server falls back to index.html). */
export function useRoute(): [Route, (path: string) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((path: string) => {
    window.history.pushState(null, '', path);
    setRoute(parseRoute(path));
    window.scrollTo(0, 0);
  }, []);
  return [route, navigate];
}
