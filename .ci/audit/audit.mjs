// The graphql-http audit suite (GraphQL over HTTP conformance) against a live server.
//   node .ci/audit/audit.mjs http://127.0.0.1:PORT/graphql
// Prints one line per audit and the totals; exits 1 unless every audit is ok (no warning, no
// notice, no error) and the suite still has the expected number of audits (AUDIT_EXPECTED, 61).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const expected = Number(process.env.AUDIT_EXPECTED ?? 61);

async function describe(response) {
  try {
    const body = (await response.clone().text()).replace(/\s+/g, ' ').slice(0, 200);
    return `${response.status} ${response.headers.get('content-type') ?? '-'} ${body}`;
  } catch {
    return `${response.status}`;
  }
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const audits = serverAudits({ url, fetchFn: fetch });
for (const { id, name, fn } of audits) {
  const result = await fn();
  counts[result.status] += 1;
  if (result.status === 'ok') {
    console.log(`ok     ${id}  ${name}`);
  } else {
    console.log(`${result.status.padEnd(6)} ${id}  ${name}`);
    console.log(`         ${result.reason}`);
    console.log(`         got: ${await describe(result.response)}`);
  }
}

const total = audits.length;
console.log(
  `\ngraphql-http audit: ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error` +
    ` (${total} audits; expected ${expected})`,
);
process.exit(counts.ok === total && total === expected ? 0 : 1);
