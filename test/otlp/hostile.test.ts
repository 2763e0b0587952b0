// Hostile nesting: attribute values that nest arrays and kvlists far deeper than any exporter sends. The
// decoder must refuse them with OtlpDecodeError (the receiver's INVALID_ARGUMENT / 400), never overflow
// the stack, and stop reading at the limit instead of walking the whole payload.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_VALUE_DEPTH } from '../../src/otlp/decode.js';
import { decodeMetricsRequest, OtlpDecodeError } from '../../src/otlp/proto.js';
import { deepRequest, type Nesting, nestedRequest } from '../helpers/nested-otlp.js';
import { referenceDecode } from '../helpers/reference-decode.js';

function decodeError(bytes: Uint8Array): OtlpDecodeError {
  try {
    decodeMetricsRequest(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return err as OtlpDecodeError;
  }
  throw new Error('decoded a request nested beyond the limit');
}

/** The byte offset the decoder reports it stopped at. */
const stoppedAt = (err: Error) => Number(/at byte (\d+)/.exec(err.message)?.[1]);

describe('nested attribute values', () => {
  it('accepts up to the limit (agreeing with protobufjs) and refuses deeper with a clear message', () => {
    const kinds = fc.constantFrom<Nesting>('array', 'kvlist');
    fc.assert(
      fc.property(fc.array(kinds, { maxLength: 3 * MAX_VALUE_DEPTH }), (levels) => {
        const bytes = nestedRequest(levels);
        if (levels.length + 1 <= MAX_VALUE_DEPTH) {
          const decoded = decodeMetricsRequest(bytes);
          expect(decoded).toEqual(referenceDecode(bytes));
        } else {
          expect(decodeError(bytes).message).toMatch(
            new RegExp(`^not an OTLP ExportMetricsServiceRequest: attribute value nested deeper than ${MAX_VALUE_DEPTH} levels at byte \\d+$`),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each([10_000, 100_000])('refuses %i levels after reading only the first levels', (levels) => {
    const bytes = deepRequest(levels);
    const err = decodeError(bytes);
    expect(err.message).toMatch(/nested deeper than/);
    // A level's headers take at most 20 bytes: the decoder stopped near the limit, not at the end.
    expect(stoppedAt(err)).toBeLessThan(20 * (MAX_VALUE_DEPTH + 2));
    expect(bytes.length).toBeGreaterThan(4 * levels);
  });
});
