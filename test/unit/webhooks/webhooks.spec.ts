import { Webhook } from 'standardwebhooks';
import { isPrivateAddress, parseWebhookUrl, resolveAllowed, WebhookUrlError } from '../../../src/webhooks/ssrf-guard';
import { deliveryIdOf, newWebhookSecret, signedHeaders } from '../../../src/webhooks/webhook-signing';
import { webhookPayloadOf } from '../../../src/webhooks/webhook-events';
import type { StoredEvent } from '../../../src/domain/events';

describe('webhook signing (Standard Webhooks)', () => {
  it('signs so that the standardwebhooks package verifies, with a whsec_ secret', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'claim.recorded', timestamp: '2022-03-30T09:00:00.000Z', data: { position: 1, hash: 'ab' } });
    const headers = signedHeaders(secret, 'msg_1_abc', body, new Date());
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('claim', 'clam'), headers)).toThrow();
  });

  it('delivery ids are deterministic per endpoint and event', () => {
    expect(deliveryIdOf('w1', 'h'.repeat(64), 7)).toBe(deliveryIdOf('w1', 'h'.repeat(64), 7));
    expect(deliveryIdOf('w1', 'h'.repeat(64), 7)).not.toBe(deliveryIdOf('w2', 'h'.repeat(64), 7));
    expect(deliveryIdOf('w1', 'h'.repeat(64), 7)).toMatch(/^msg_7_[0-9a-f]{20}$/);
  });
});

describe('SSRF guard', () => {
  it.each(['127.0.0.1', '10.0.0.8', '172.20.1.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'])('refuses %s', (a) => {
    expect(isPrivateAddress(a)).toBe(true);
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (a) => {
    expect(isPrivateAddress(a)).toBe(false);
  });
  it('accepts only http(s) URLs without credentials', () => {
    expect(parseWebhookUrl('https://example.org/h').hostname).toBe('example.org');
    for (const bad of ['ftp://example.org/', 'file:///etc/passwd', 'https://u:p@example.org/', 'nope']) expect(() => parseWebhookUrl(bad)).toThrow(WebhookUrlError);
  });
  it('resolves names: localhost is refused unless private addresses are allowed', async () => {
    await expect(resolveAllowed('localhost', false)).rejects.toThrow(/loopback, private or link-local/);
    await expect(resolveAllowed('localhost', true)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    await expect(resolveAllowed('[::1]', false)).rejects.toThrow(WebhookUrlError);
  });
});

describe('webhook payloads', () => {
  const base = { position: 9, streamVersion: 2, metadata: { actor: { kind: 'system', name: 't' }, correlationId: 'c', causationId: null }, recordedAt: '2022-03-30T09:00:00.000Z', prevHash: 'p', hash: 'h9' };
  it('claim.status_changed names the log event (position, hash) and carries the reason code', async () => {
    const e = { ...base, streamId: 'claim-c1', type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'supported', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' } } as StoredEvent;
    expect(await webhookPayloadOf(e)).toEqual({
      type: 'claim.status_changed',
      timestamp: '2022-03-30T09:00:00.000Z',
      data: { claimId: 'c1', from: 'unverified', to: 'supported', rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports', support: 0, contradict: 0, position: 9, hash: 'h9' },
    });
  });
  it('events no webhook carries give null', async () => {
    expect(await webhookPayloadOf({ ...base, streamId: 'claim-c1', type: 'ScopeWindowClosed', data: { at: 'x', support: 0, contradict: 0 } } as StoredEvent)).toBeNull();
  });
});
