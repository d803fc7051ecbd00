import { useCallback, useState } from 'react';

const STORAGE_KEY = 'orderflow.userId';

function stored(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Who the user says they are, remembered across reloads. */
export function useUserId(): [string, (id: string) => void] {
  const [userId, setUserId] = useState(stored);
  const save = useCallback((id: string) => {
    try {
      if (id) localStorage.setItem(STORAGE_KEY, id);
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Private mode: remembered for this page only.
    }
    setUserId(id);
  }, []);
  return [userId, save];
}
