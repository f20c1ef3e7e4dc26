import type { Block, Inline } from "@/lib/markdown";

/**
 * Renders a parsed Markdown tree (`lib/markdown.ts`) as React elements: text is always text (React
 * escapes it), never HTML. `link` maps a link target to a safe href, or undefined to show it as text.
 */
function Inlines({ items, link }: { items: readonly Inline[]; link: (href: string) => string | undefined }) {
  return (
    <>
      {items.map((i, n) => {
        switch (i.t) {
          case "text":
            return <span key={n}>{i.v}</span>;
          case "code":
            return (
              <code key={n} className="rounded bg-slate-100 px-1 text-[0.9em] dark:bg-slate-800">
                {i.v}
              </code>
            );
          case "strong":
            return (
              <strong key={n}>
                <Inlines items={i.c} link={link} />
              </strong>
            );
          case "em":
            return (
              <em key={n}>
                <Inlines items={i.c} link={link} />
              </em>
            );
          case "link": {
            const href = link(i.href);
            if (!href) return <Inlines key={n} items={i.c} link={link} />;
            const external = /^https?:\/\//.test(href);
            return (
              <a key={n} href={href} className="text-sky-700 underline dark:text-sky-300" {...(external ? { rel: "noreferrer noopener", target: "_blank" } : {})}>
                <Inlines items={i.c} link={link} />
              </a>
            );
          }
        }
      })}
    </>
  );
}

const HEADING_CLASS = ["", "text-2xl font-semibold", "mt-6 text-xl font-semibold", "mt-4 text-lg font-semibold", "mt-3 font-semibold", "mt-2 font-semibold", "mt-2 font-semibold"];

export function Markdown({ blocks, link }: { blocks: readonly Block[]; link: (href: string) => string | undefined }) {
  return (
    <>
      {blocks.map((b, n) => {
        switch (b.t) {
          case "heading": {
            const Tag = `h${b.level}` as "h1";
            return (
              <Tag key={n} id={b.id} className={HEADING_CLASS[b.level]}>
                <Inlines items={b.c} link={link} />
              </Tag>
            );
          }
          case "paragraph":
            return (
              <p key={n} className="my-2">
                <Inlines items={b.c} link={link} />
              </p>
            );
          case "code":
            return (
              <pre key={n} className="my-2 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" data-lang={b.lang || undefined}>
                <code>{b.v}</code>
              </pre>
            );
          case "quote":
            return (
              <blockquote key={n} className="my-2 border-l-4 border-slate-300 pl-3 text-slate-700 dark:border-slate-700 dark:text-slate-300">
                <Markdown blocks={b.c} link={link} />
              </blockquote>
            );
          case "list": {
            const items = b.items.map((item, k) => (
              <li key={k}>
                <Markdown blocks={item} link={link} />
              </li>
            ));
            return b.ordered ? (
              <ol key={n} start={b.start} className="my-2 list-decimal pl-6">
                {items}
              </ol>
            ) : (
              <ul key={n} className="my-2 list-disc pl-6">
                {items}
              </ul>
            );
          }
          case "hr":
            return <hr key={n} className="my-4 border-slate-200 dark:border-slate-800" />;
          case "table":
            return (
              <div key={n} className="my-2 overflow-x-auto">
                <table className="text-left text-sm">
                  <thead>
                    <tr>
                      {b.head.map((c, k) => (
                        <th key={k} className="border-b border-slate-300 px-2 py-1 dark:border-slate-700" style={b.align[k] ? { textAlign: b.align[k] } : undefined}>
                          <Inlines items={c} link={link} />
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {b.rows.map((r, k) => (
                      <tr key={k}>
                        {r.map((c, j) => (
                          <td key={j} className="border-b border-slate-200 px-2 py-1 dark:border-slate-800" style={b.align[j] ? { textAlign: b.align[j] } : undefined}>
                            <Inlines items={c} link={link} />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
        }
      })}
    </>
  );
}
