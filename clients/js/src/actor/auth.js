'use strict';
/**
 * The token check of an actor's MailboxService: `authorization: Bearer TOKEN`
 * whose SHA-256 (lower-case hex) is one of ActorBoot.accepted_tokens with role
 * ADMIN or INTERNAL. Actors are told digests only, never tokens; every digest is
 * compared, in constant time, whatever matches. No accepted tokens: no check.
 */
const crypto = require('node:crypto');
const { status } = require('@grpc/grpc-js');

const ROLE = { READ: 1, ADMIN: 2, INTERNAL: 3 };
const SCHEME = 'bearer ';

class TokenCheck {
  /** @param {{sha256Hex: string, role: number}[]} accepted */
  constructor(accepted) {
    this.entries = accepted
      .filter((token) => /^[0-9a-f]{64}$/.test(token.sha256Hex))
      .map((token) => ({ digest: Buffer.from(token.sha256Hex, 'hex'), role: token.role }));
    this.enabled = accepted.length > 0;
  }

  /** The role of a call's metadata (grpc.Metadata), or 0 when its token is not accepted. */
  roleOf(metadata) {
    const values = metadata.get('authorization');
    const header = typeof values[0] === 'string' ? values[0] : '';
    if (header.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return 0;
    const token = header.slice(SCHEME.length).trim();
    if (!token) return 0;
    const presented = crypto.createHash('sha256').update(token, 'utf8').digest();
    let found = 0;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(presented, entry.digest)) found = entry.role;
    }
    return found;
  }

  /**
   * null when a call with this metadata may use the mailbox, else the refusal
   * as {code, message, errorClass}.
   */
  refusal(metadata, method) {
    if (!this.enabled) return null;
    const role = this.roleOf(metadata);
    if (role >= ROLE.ADMIN) return null;
    if (role === 0) {
      return { code: status.UNAUTHENTICATED, message: 'missing or wrong token: send "authorization: Bearer TOKEN"', errorClass: 'Unauthenticated' };
    }
    return { code: status.PERMISSION_DENIED, message: `the read token may not call ${method}`, errorClass: 'PermissionDenied' };
  }
}

module.exports = { TokenCheck, ROLE };
