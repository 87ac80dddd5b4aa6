// A barcode scanner in serial (CDC-ACM / RS-232) mode sends the code and a suffix (CR, LF or CR LF, set on the
// scanner: instruments.md 5). The framer strips the suffix; here we refuse what cannot be a printed code.
// Pure; never throws.

export type ScanFrame = { kind: 'code'; code: string } | { kind: 'garbage'; raw: string };

// C0 and C1 control characters and DEL: a code containing them is line noise, not a label.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

export function decodeScan(line: string): ScanFrame {
  const code = line.trim();
  if (code === '' || CONTROL.test(code)) return { kind: 'garbage', raw: line };
  return { kind: 'code', code };
}
