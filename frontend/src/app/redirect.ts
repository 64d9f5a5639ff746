// Where to go after signing in: only a path of this SPA, never another site
// (`//evil.example`, `/\evil.example`, `https:` URLs) and never back to the sign-in page.
export const HOME = "/projects";

export function safeRedirect(raw: unknown): string {
  if (typeof raw !== "string" || !raw.startsWith("/") || /[\\\u0000-\u001f]/.test(raw)) {
    return HOME;
  }
  const base = "http://spa.invalid";
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return HOME;
  }
  if (url.origin !== base || url.pathname === "/login") return HOME;
  return url.pathname + url.search + url.hash;
}
