/** Tiny DOM helpers: build elements without a framework, find the ones the page must have. */

type AttrValue = string | number | boolean | undefined | null;
export type Child = Node | string | null | undefined | false;

/**
 * `h('button', {class: 'x', 'data-action': 'cut'}, 'Cut')`. `class` sets className; `true` sets an
 * empty attribute, `false`/`null`/`undefined` leave it out; everything else is `setAttribute`.
 * `style` goes through the CSSOM (`element.style.cssText`), never the `style` attribute: the
 * server's Content-Security-Policy has no 'unsafe-inline' for styles (server/security/headers.ts),
 * and CSP blocks a style attribute but not the CSSOM.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = String(value);
    else if (name === 'style') element.style.cssText = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** The element the page's HTML promises; a clear error (not a null deref later) when it is missing. */
export function must<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`dashboard: no element matches ${selector}`);
  return found;
}

/** Set text only when it changed: the render loop runs 4 times a second, layout should not. */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export function setAttr(element: Element, name: string, value: string): void {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}
