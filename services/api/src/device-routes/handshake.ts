import { HandshakeRequest, type HandshakeResponse } from '@telemetry/contracts';
import type { Request } from 'express';
import type { Edge } from './edge.js';

/**
 * Ozone seed `POST /api/handshake/` {mac, firmware} -> {device_id, token, assigned}.
 *
 * Every handshake returns a NEW token (only hashes are stored, so an old one cannot be handed
 * back); the previous token keeps working for DEVICE_TOKEN_GRACE, so a device that rebooted
 * while a request with the old token was in flight, or whose handshake response was lost, is not
 * locked out. An unknown MAC becomes a pending device (assigned=false, handshake policy 'mac'):
 * its token is refused until an admin assigns it; the firmware handshakes again later and finds
 * assigned=true; 429 when DEVICE_MAX_PENDING devices wait already.
 * Optional, wire-compatible extensions: `claim_code` in the body binds the MAC to a device an
 * admin pre-registered; `Authorization: Bearer <current token>` proves the device. A 'proof'
 * device that holds a token must send one of them (else 403); a 'mac' device (the seed's
 * firmware) gets a token by MAC alone, at most a few times per hour inside the grace window (429).
 * A revoked device gets 403 DEVICE_REVOKED and no token.
 */
export function handshake(edge: Edge) {
  return async (req: Request) => {
    edge.limit(`ip:${req.ip ?? 'unknown'}`);
    const body = edge.json(req);
    const input = edge.parse(HandshakeRequest, body);
    const claim = (body as { claim_code?: unknown }).claim_code;
    const proof = edge.bearer(req);
    const result = await edge.registry.lifecycle.handshake({
      mac: input.mac,
      firmware: input.firmware,
      ...(typeof claim === 'string' && claim.length > 0 ? { claimCode: claim } : {}),
      ...(proof ? { proofToken: proof } : {}),
      ...(edge.maxPending !== undefined ? { maxPending: edge.maxPending } : {}),
      source: req.ip ?? 'unknown',
      ...edge.pendingBounds,
    });
    return { device_id: result.deviceId, token: result.token, assigned: result.assigned } satisfies HandshakeResponse;
  };
}
