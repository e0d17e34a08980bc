import { parseDocument } from 'htmlparser2';
import { type Element, isTag } from 'domhandler';

/** A TwiML verb as parsed from the XML: its name, attributes, text and nested verbs. */
export interface Verb {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Verb[];
}

const toVerb = (e: Element): Verb => ({
  name: e.name,
  attrs: e.attribs,
  text: e.children.map((c) => ('data' in c ? String(c.data) : '')).join('').trim(),
  children: e.children.filter(isTag).map(toVerb),
});

/** Parses a TwiML document as XML; throws unless its root is <Response>. Answers the root's verbs. */
export function parseTwiml(xml: string): Verb[] {
  const roots = parseDocument(xml, { xmlMode: true }).children.filter(isTag);
  if (roots.length !== 1 || roots[0].name !== 'Response') throw new Error(`not TwiML: ${xml}`);
  return roots[0].children.filter(isTag).map(toVerb);
}
