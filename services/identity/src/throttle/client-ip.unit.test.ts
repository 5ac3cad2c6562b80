// The client IP behind the gateway: the hop the gateway appended (the last),
// never one the client wrote; IPv6 per /64.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIp, clientKey } from './client-ip.ts';

describe('client IP', () => {
  it('takes the last X-Forwarded-For entry, which the gateway appended', () => {
    assert.equal(clientIp('6.6.6.6, 198.51.100.7', '127.0.0.1'), '198.51.100.7');
    assert.equal(clientIp(['1.1.1.1', '203.0.113.9'], '127.0.0.1'), '203.0.113.9');
    assert.equal(clientIp('203.0.113.9', '127.0.0.1'), '203.0.113.9');
  });

  it('falls back to the socket peer without the header', () => {
    assert.equal(clientIp(undefined, '::ffff:127.0.0.2'), '127.0.0.2');
    assert.equal(clientIp('', '192.0.2.1'), '192.0.2.1');
  });

  it('counts an IPv6 address per /64, however it is written', () => {
    assert.equal(clientKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
    assert.equal(clientKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
    assert.equal(clientKey('[2001:db8::1]'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
  });
});
