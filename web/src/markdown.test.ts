import { describe, expect, it } from 'vitest';
import { renderBlocks, renderMarkdown, safeHref } from './markdown';

function render(markdown: string, citations = 0): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = renderMarkdown(markdown, { citations });
  return root;
}

/** Nothing in the rendered tree could run code or load something by itself. */
function expectInert(root: HTMLElement): void {
  for (const el of root.querySelectorAll('*')) {
    for (const attr of Array.from(el.attributes)) {
      expect(attr.name.startsWith('on'), `${el.tagName} has ${attr.name}`).toBe(false);
      expect(/^\s*(javascript|data|vbscript):/i.test(attr.value), `${el.tagName} ${attr.name}=${attr.value}`).toBe(false);
    }
  }
  for (const tag of ['script', 'iframe', 'object', 'embed', 'svg', 'math', 'style', 'link', 'meta', 'base', 'form', 'input', 'img', 'video', 'audio', 'source']) {
    expect(root.querySelector(tag), `<${tag}> survived`).toBeNull();
  }
  for (const a of root.querySelectorAll('a')) {
    expect(a.getAttribute('href') ?? '').toMatch(/^(https?:|mailto:)/i);
  }
  for (const el of root.querySelectorAll('[src], [srcset], [style], [formaction], [xlink\\:href]')) {
    throw new Error(`unexpected attribute on ${el.outerHTML}`);
  }
}

const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '[x](javascript:alert(1))',
  '[x](data:text/html,<script>alert(1)</script>)',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![i](https://evil.example/x.png)',
  '[x](JaVaScRiPt:alert(1))',
  '[x](vbscript:msgbox(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](java\tscript:alert(1))',
  '[x](<javascript:alert(1)>)',
  '<javascript:alert(1)>',
  '[x][evil]\n\n[evil]: javascript:alert(1)',
  '![x](javascript:alert(1))',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '<a href="javascript:alert(1)">click</a>',
  '<svg onload=alert(1)>',
  '<iframe src="https://evil.example"></iframe>',
  '<style>body{background:url(https://evil.example/x)}</style>',
  '<div style="background:url(https://evil.example/x)">x</div>',
  '<details open ontoggle=alert(1)>',
  '<form action="https://evil.example"><button>go</button></form>',
  '**bold <img src=x onerror=alert(1)> text**',
  '| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |',
  '- item <script>alert(1)</script>\n- [x](javascript:alert(1))',
  '> quote <img src=x onerror=alert(1)>',
  '`<img src=x onerror=alert(1)>`',
  '```html\n<img src=x onerror=alert(1)>\n<script>alert(1)</script>\n```',
  '<scr<script>ipt>alert(1)</script>',
  '[click](https://ok.example" onmouseover="alert(1))',
];

describe('markdown sanitising', () => {
  it.each(PAYLOADS)('renders %j inert', (payload) => {
    expectInert(render(payload));
  });

  it('renders all the payloads inert together, with citations on', () => {
    expectInert(render(PAYLOADS.join('\n\n'), 5));
  });

  it('shows raw HTML as text instead of dropping it', () => {
    const root = render('Hello <img src=x onerror=alert(1)> and <script>alert(1)</script>');
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(root.textContent).toContain('<script>alert(1)</script>');
  });

  it('keeps unsafe links as plain text', () => {
    const root = render('[x](javascript:alert(1)) [y](data:text/html,hi)');
    expect(root.querySelector('a')).toBeNull();
    expect(root.querySelectorAll('.link-removed')).toHaveLength(2);
    expect(root.textContent).toContain('x');
  });

  it('renders remote images as a button that loads nothing', () => {
    const root = render('![a cat](https://evil.example/x.png)');
    expect(root.querySelector('img')).toBeNull();
    const button = root.querySelector('button.img-placeholder') as HTMLButtonElement;
    expect(button).not.toBeNull();
    expect(button.getAttribute('type')).toBe('button');
    expect(button.dataset.src).toBe('https://evil.example/x.png');
    expect(button.textContent).toContain('Load image from evil.example');
    expect(button.textContent).toContain('a cat');
  });

  it('keeps safe links, opening in a new tab without referrer', () => {
    const a = render('[docs](https://example.org/a?b=1&c=2)').querySelector('a') as HTMLAnchorElement;
    expect(a.getAttribute('href')).toBe('https://example.org/a?b=1&c=2');
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toContain('noopener');
    expect(a.getAttribute('rel')).toContain('noreferrer');
    expect(render('<https://example.org>').querySelector('a')?.getAttribute('href')).toBe('https://example.org');
    expect(render('mail <mailto:me@example.org>').querySelector('a')?.getAttribute('href')).toBe('mailto:me@example.org');
  });
});

describe('markdown rendering', () => {
  it('renders code blocks with a language label and a copy button, escaped', () => {
    const root = render('```python\nprint("<b>hi</b>")\n```');
    const block = root.querySelector('.code-block');
    expect(block).not.toBeNull();
    expect(block?.querySelector('.code-lang')?.textContent).toBe('python');
    expect(block?.querySelector('button.copy-code')).not.toBeNull();
    expect(block?.querySelector('code')?.textContent).toBe('print("<b>hi</b>")');
    expect(block?.querySelector('b')).toBeNull();
  });

  it('renders tables and lists', () => {
    const root = render('| a | b |\n|---|:-:|\n| 1 | 2 |\n\n1. one\n2. two\n\n- x\n- [x] done');
    expect(root.querySelectorAll('table th')).toHaveLength(2);
    expect(root.querySelectorAll('table td')).toHaveLength(2);
    expect(root.querySelectorAll('ol li')).toHaveLength(2);
    expect(root.querySelectorAll('ul li')).toHaveLength(2);
    expect(root.querySelector('.task-box.done')).not.toBeNull();
  });

  it('turns [n] into citation buttons only for sources the answer has', () => {
    const root = render('Bees dance [1]. Glaciers carve [2][3]. Not a source [9].', 3);
    const cites = Array.from(root.querySelectorAll<HTMLButtonElement>('button.cite'));
    expect(cites.map((b) => b.dataset.cite)).toEqual(['1', '2', '3']);
    expect(root.textContent).toContain('[9]');
    expect(render('No sources [1].', 0).querySelector('button.cite')).toBeNull();
  });

  it('leaves links that look like citations alone', () => {
    const root = render('[1](https://example.org) and `[2]`', 3);
    expect(root.querySelector('button.cite')).toBeNull();
    expect(root.querySelector('a')?.textContent).toBe('1');
  });

  it('renders block by block, so earlier blocks stay identical while text streams', () => {
    const first = renderBlocks('# Title\n\nOne paragraph.\n\nAnd a sec');
    const second = renderBlocks('# Title\n\nOne paragraph.\n\nAnd a second one.');
    expect(first).toHaveLength(3);
    expect(second.slice(0, 2)).toEqual(first.slice(0, 2));
    expect(second[2]).not.toEqual(first[2]);
  });

  it('renders an unclosed code fence while streaming', () => {
    const root = render('Here:\n\n```js\nconst a = 1;');
    expect(root.querySelector('.code-block code')?.textContent).toContain('const a = 1;');
  });
});

describe('safeHref', () => {
  it('allows http, https and mailto only', () => {
    expect(safeHref('https://a.example/x')).toBe('https://a.example/x');
    expect(safeHref('HTTP://a.example')).toBe('HTTP://a.example');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'java\nscript:x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', '/relative', '//evil.example', '', null]) {
      expect(safeHref(bad)).toBeNull();
    }
  });
});
