/**
 * The signed-in organization token, kept for this browser tab only: sessionStorage is per tab
 * and gone when the tab closes. It never goes into a URL, a cookie or a log line.
 */
const KEY = 'scim-console.token'

export function readToken (): string | undefined {
  try { return sessionStorage.getItem(KEY) ?? undefined } catch { return undefined }
}

export function saveToken (token: string): void {
  sessionStorage.setItem(KEY, token)
}

export function forgetToken (): void {
  try { sessionStorage.removeItem(KEY) } catch { /* storage unavailable: nothing kept */ }
}
