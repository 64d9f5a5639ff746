// Where to go after signing in: only a path of this SPA, never another site
// (`//evil.example`, `/\evil.example`, `https:` URLs) and never back to the sign-in page.
export const HOME = "/projects";

function hasControl(text: string): boolean {
  return [...text].some((character) => character.charCodeAt(0) < 0x20);
}

export function safeRedirect(raw: unknown): string {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.includes("\\") || hasControl(raw)) {
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
