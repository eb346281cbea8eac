import { generateKeyPairSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { leafHash, verifyConsistency, verifyInclusion } from '../../../src/transparency/merkle';
import { MIN_STORED_LEVEL } from '../../../src/projections/merkle-tree/tables';
import { SIG_COSIGNATURE_V1, cosign, formatVkey, parseCheckpoint, rawPublicKey, verifyCosignature, verifyNote } from '../../../src/transparency/note';
import { bearer, bootApp, crimeaClaimBody, evidenceBody, type TestApp } from '../../support/app';
import { CheckpointSigner } from '../../../src/transparency/checkpoints';
import { EventStore } from '../../../src/ledger/event-store';
import { eventually, expectProblem } from '../../support/http';

/** The transparency routes as the contract (TRANSPARENCY.md) gives them, on the real app. */
describe('transparency routes', () => {
  let t: TestApp;
  let vkey: string;
  const admin = () => bearer(t.adminKey);

  beforeAll(async () => {
    t = await bootApp({ overrides: { checkpointIntervalMs: 50, ledgerSigningKey: null /* generated into a file */ } });
  });
  afterAll(async () => {
    await t.close();
  });

  const latest = () => request(t.http).get('/api/checkpoint').set(admin());

  it('the vkey is public; the key file beside the database is 0600; no checkpoint before the first event', async () => {
    const res = await request(t.http).get('/api/checkpoint/key');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    vkey = res.text.trim();
    expect(vkey).toMatch(/^localhost\/claim-ledger\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(statSync(join(t.dir, 'ledger-signing-key.pem')).mode & 0o777).toBe(0o600);
    expectProblem(await latest(), 404);
    expectProblem(await request(t.http).get('/api/checkpoint'), 401);
  });

  it('signs checkpoints as the log grows; proofs from the stored tree verify against them', async () => {
    const claim = await request(t.http).post('/api/claims').set(admin()).send(crimeaClaimBody());
    expect(claim.status).toBe(201);
    const claimId = claim.body.id;
    expect((await request(t.http).post(`/api/claims/${claimId}/evidence`).set(admin()).send(evidenceBody())).status).toBe(202);
    const text = (await eventually('a checkpoint of the verdict', latest, (r) => r.status === 200 && parseCheckpoint(verifyNote(r.text, vkey).body).size >= 3)).text;
    const cp = parseCheckpoint(verifyNote(text, vkey).body);
    expect(cp.origin).toBe('localhost/claim-ledger');

    const inc = await request(t.http).get(`/api/proofs/inclusion?position=2&size=${cp.size}`).set(admin());
    expect(inc.status).toBe(200);
    expect(inc.body.rootHash).toBe(cp.rootHash.toString('hex'));
    const feed = await request(t.http).get('/api/events?after=1&limit=1').set(admin());
    expect(inc.body.leafHash).toBe(leafHash(Buffer.from(feed.body.items[0].hash, 'hex')).toString('hex'));
    expect(verifyInclusion(Buffer.from(inc.body.leafHash, 'hex'), 1, cp.size, inc.body.proof.map((h: string) => Buffer.from(h, 'hex')), cp.rootHash)).toBe(true);

    const con = await request(t.http).get(`/api/proofs/consistency?from=1&to=${cp.size}`).set(admin());
    expect(con.status).toBe(200);
    expect(verifyConsistency(1, cp.size, Buffer.from(con.body.fromRoot, 'hex'), cp.rootHash, con.body.proof.map((h: string) => Buffer.from(h, 'hex')))).toBe(true);
    const bySize = await request(t.http).get(`/api/checkpoint?size=${cp.size}`).set(admin());
    expect(bySize.text).toBe(text);
    expectProblem(await request(t.http).get(`/api/checkpoint?size=${cp.size + 1000}`).set(admin()), 404);

    // The claim's verdict with its proof and checkpoint: checkable with nothing else.
    const proof = await request(t.http).get(`/api/claims/${claimId}/proof`).set(admin());
    expect(proof.status).toBe(200);
    expect(proof.body.event).toMatchObject({ type: 'VerificationStatusChanged', streamId: `claim-${claimId}` });
    const signed = parseCheckpoint(verifyNote(proof.body.checkpoint, vkey).body);
    expect(proof.body.inclusion).toMatchObject({ position: proof.body.event.position, size: signed.size });
    expect(verifyInclusion(leafHash(Buffer.from(proof.body.event.hash, 'hex')), proof.body.event.position - 1, signed.size, proof.body.inclusion.proof.map((h: string) => Buffer.from(h, 'hex')), signed.rootHash)).toBe(true);
  });

  it('refuses proofs outside 1 ≤ P ≤ N ≤ head with 400 naming the field', async () => {
    const head = (await request(t.http).get('/api/ledger/verify').set(admin())).body.head.position;
    expectProblem(await request(t.http).get(`/api/proofs/inclusion?position=0&size=1`).set(admin()), 400, 'position');
    expectProblem(await request(t.http).get(`/api/proofs/inclusion?position=3&size=2`).set(admin()), 400, 'position');
    expectProblem(await request(t.http).get(`/api/proofs/inclusion?position=1&size=${head + 1}`).set(admin()), 400, 'size');
    expectProblem(await request(t.http).get(`/api/proofs/inclusion?position=x&size=1`).set(admin()), 400, 'position');
    expectProblem(await request(t.http).get(`/api/proofs/consistency?from=2&to=1`).set(admin()), 400, 'from');
    expectProblem(await request(t.http).get(`/api/proofs/consistency?from=1&to=${head + 1}`).set(admin()), 400, 'to');
    expectProblem(await request(t.http).get(`/api/claims/00000000-0000-4000-8000-00000000abcd/proof`).set(admin()), 404);
    // verify also checks the stored tree
    expect((await request(t.http).get('/api/ledger/verify').set(admin())).body).toMatchObject({ ok: true });
  });

  it('witnesses: registered by admins; their cosignatures kept once and shown with the checkpoint; others refused', async () => {
    const witness = generateKeyPairSync('ed25519').privateKey;
    const wVkey = formatVkey('witness.example/w1', rawPublicKey(witness), SIG_COSIGNATURE_V1);
    expectProblem(await request(t.http).post('/api/witnesses').set(admin()).send({ name: 'witness.example/w1', vkey: vkey }), 400, 'vkey');
    expectProblem(await request(t.http).post('/api/witnesses').set(admin()).send({ name: 'other', vkey: wVkey }), 400, 'name');
    expectProblem(await request(t.http).post('/api/witnesses').send({ name: 'witness.example/w1', vkey: wVkey }), 401);
    const reg = await request(t.http).post('/api/witnesses').set(admin()).send({ name: 'witness.example/w1', vkey: wVkey });
    expect(reg.status).toBe(201);
    expect((await request(t.http).post('/api/witnesses').set(admin()).send({ name: 'witness.example/w1', vkey: wVkey })).status).toBe(201);
    const other = formatVkey('witness.example/w1', rawPublicKey(generateKeyPairSync('ed25519').privateKey), SIG_COSIGNATURE_V1);
    expectProblem(await request(t.http).post('/api/witnesses').set(admin()).send({ name: 'witness.example/w1', vkey: other }), 409, 'name');

    const note = (await latest()).text;
    const body = verifyNote(note, vkey).body;
    const line = cosign(body, 'witness.example/w1', witness, 1_700_000_000);
    const post = (text: string) => request(t.http).post('/api/checkpoint/cosignatures').set('content-type', 'text/plain').send(text);
    const ok = await post(note + line);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ size: parseCheckpoint(body).size, witness: 'witness.example/w1', timestamp: 1_700_000_000 });
    expect((await post(note + line)).status).toBe(201); // idempotent
    const shown = await request(t.http).get(`/api/checkpoint?size=${parseCheckpoint(body).size}`).set(admin());
    expect(shown.text).toBe(note + line);
    expect(verifyCosignature(body, line, wVkey)).toBe(1_700_000_000);

    // A stranger's line, a forged one, a body this log never signed, garbage, JSON routes stay JSON-only.
    const stranger = generateKeyPairSync('ed25519').privateKey;
    expectProblem(await post(note + cosign(body, 'stranger.example', stranger, 1)), 403);
    expectProblem(await post(note + cosign(body, 'witness.example/w1', stranger, 1)), 403);
    const alien = body.replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1000}\n`);
    expectProblem(await post(`${alien}\n${cosign(alien, 'witness.example/w1', witness, 1).slice(0)}`), 400, 'body');
    expectProblem(await post('hello'), 400, 'body');
    expectProblem(await request(t.http).post('/api/claims').set(admin()).set('content-type', 'text/plain').send('{}'), 415);
  });

  it('admins can sign on demand; the OpenAPI document has the routes', async () => {
    await request(t.http).post('/api/claims').set(admin()).send(crimeaClaimBody({ statement: 'another one' }));
    const res = await request(t.http).post('/api/checkpoint').set(admin());
    expect(res.status).toBe(200);
    const head = (await request(t.http).get('/api/ledger/verify').set(admin())).body.head.position;
    expect(parseCheckpoint(verifyNote(res.text, vkey).body).size).toBe(head);
    const doc = (await request(t.http).get('/docs-json')).body;
    for (const path of ['/api/checkpoint', '/api/checkpoint/key', '/api/checkpoint/cosignatures', '/api/witnesses', '/api/proofs/inclusion', '/api/proofs/consistency', '/api/claims/{id}/proof']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('the signer refuses to sign over a tree that no longer has the root it signed (and says so)', async () => {
    const signer = t.app.get(CheckpointSigner);
    const store = t.app.get(EventStore);
    // A log long enough to have stored subtrees (levels ≥ MIN_STORED_LEVEL: 2^MIN_STORED_LEVEL events and more), signed.
    for (let i = 0; (await request(t.http).get('/api/ledger/verify').set(admin())).body.head.position < 2 ** (MIN_STORED_LEVEL + 1); i++) {
      await request(t.http).post('/api/claims').set(admin()).send(crimeaClaimBody({ statement: `filler ${i}` }));
    }
    await signer.signIfGrown();
    const before = await signer.latest();
    expect(before).not.toBeNull();
    expect(before!.size).toBeGreaterThanOrEqual(2 ** (MIN_STORED_LEVEL + 1));
    // The stored tree changed under the last checkpoint (as after a rewrite of the log).
    await store.transaction((tx) => tx.run('UPDATE merkle_nodes SET hash = ?', [Buffer.alloc(32, 9)]));
    await request(t.http).post('/api/claims').set(admin()).send(crimeaClaimBody({ statement: 'after the damage' }));
    await expect(signer.signIfGrown()).rejects.toThrow(new RegExp(`the tree at size ${before!.size} has root [0-9a-f]{64}, not the ${before!.rootHash} signed then`));
    expect((await signer.latest())!.size).toBe(before!.size);
    // Nodes behind the verified position: only a full walk recomputes them.
    expect((await request(t.http).get('/api/ledger/verify?full=true').set(admin())).body).toMatchObject({ ok: false, problem: expect.stringMatching(/stored Merkle tree node/) });
  });
});
