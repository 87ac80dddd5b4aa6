// A barcode scanner in serial (CDC-ACM / RS-232) mode sends the code and a suffix (CR, LF or CR LF, set on the
// scanner: instruments.md 5). The framer strips the suffix; here we refuse what cannot be a printed code.
// Pure; never throws.

export type ScanFrame = { kind: 'code'; code: string } | { kind: 'garbage'; raw: string };

// C0 and C1 control characters and DEL: a code containing them is line noise, not a label.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const NON_ASCII = /[^\x20-\x7e]/;

/**
 * `bytes`: the line is raw bytes read as latin1 (a serial scanner). Then only printable ASCII is a code: a byte
 * above 0x7f is wrong-baud noise, or part of a UTF-8 character that latin1 would turn into another code. Text
 * typed through a keyboard layout (HID) may hold letters such as "é".
 */
export function decodeScan(line: string, opts: { bytes?: boolean } = {}): ScanFrame {
  const code = line.trim();
  if (code === '' || CONTROL.test(code) || (opts.bytes === true && NON_ASCII.test(code))) return { kind: 'garbage', raw: line };
  return { kind: 'code', code };
}
