/** Branch names of the panel's changes: `panel/<slug>-<yyyymmdd-hhmmss>-<random>`. */

/** A git-safe slug: lower case, `a-z0-9-`, at most 40 characters. */
export function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "") || "change"
  );
}

/** A fresh branch name for a change; `random` is a short suffix (hex) so two changes never collide. */
export function branchName(slug: string, at: Date, random: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `panel/${slugify(slug)}-${stamp}-${random.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 6)}`;
}

/** True for a branch name git and the forges accept (a conservative subset of `git check-ref-format`). */
export function isValidBranchName(name: string): boolean {
  return (
    /^[A-Za-z0-9._/-]+$/.test(name) &&
    !name.startsWith("/") &&
    !name.endsWith("/") &&
    !name.endsWith(".lock") &&
    !name.includes("..") &&
    !name.includes("//") &&
    !name.startsWith("-") &&
    name.split("/").every((part) => part !== "" && !part.startsWith("."))
  );
}
