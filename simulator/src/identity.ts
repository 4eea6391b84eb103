/**
 * Device identities. The MAC is what a device knows before the handshake (the api maps it to a
 * device id); the event id is "<device_id>-<seq padded to 10>", as the ozone seed's firmware sends.
 */

/** Locally administered MACs 02:53:<ns>:<index as 3 bytes>; the stack pre-registers its demo devices with these. */
export function deviceMac(index: number, namespace = 0): string {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffff)
    throw new RangeError(`device index ${index} out of range`);
  if (!Number.isInteger(namespace) || namespace < 0 || namespace > 0xff)
    throw new RangeError(`mac namespace ${namespace} out of range`);
  const bytes = [0x02, 0x53, namespace, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function eventIdFor(deviceId: string, seq: number): string {
  return `${deviceId}-${String(seq).padStart(10, '0')}`;
}
