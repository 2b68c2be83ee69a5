// Deliberately vulnerable TypeScript sample (eslint-plugin-security through @typescript-eslint/parser).
interface Request {
  query: Record<string, string>;
}

export function search(req: Request): boolean {
  const pattern: RegExp = new RegExp(req.query.pattern as string);
  return pattern.test(req.query.text);
}

export function compute(req: Request): unknown {
  return eval(req.query.expression);
}
