import type { Logger } from '@telemetry/observability';
import { CERTIFICATE_SESSION, type DeviceCredentials, hashToken, isTokenShaped } from '@telemetry/registry';
import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import type { GatewayMetrics } from '../metrics.js';
import type { Session } from '../session.js';
import { publishChannel } from '../topics.js';
import type { Sessions } from './sessions.js';

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 that we send. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

interface ConnectInfo {
  clientId: string;
  clean: boolean;
  willTopic: string | undefined;
}

/**
 * preConnect + authenticate. The choice of CONNACK codes (MQTT 3.1.1 §3.2.2.3):
 * - 4 "bad user name or password" only when the credentials are MALFORMED (no username, no
 *   password, a password that is not shaped like a token we issue), which is what 3.1.1 says 4 means;
 * - 5 "not authorized" for well-formed credentials that are refused: unknown device, wrong token,
 *   pending or revoked device. One code for all of them, so a client cannot probe which device
 *   ids exist; the reason is in the metrics and logs;
 * - 2 "identifier rejected" for an empty client id with clean=false [MQTT-3.1.3-8], and, in strict
 *   mode only (MQTT_STRICT_CLIENT_ID), for a client id other than the device id;
 * - 3 "server unavailable" when the registry cannot be asked (database down).
 *
 * Client ids (see #14): the username/password authenticate the device, the client id does not. Real
 * firmware sends its library's default (PubSubClient `ESP8266Client-<random>` fresh every boot,
 * esp-mqtt `ESP32_<mac>`, sketches copied with a fixed `arduinoClient`), so outside strict mode any
 * client id is accepted and the session is keyed by the DEVICE id instead: preConnect rewrites the
 * packet's client id to the username. That keeps one session per device (a second connection of the
 * device takes the first over, whatever ids both used), lets a clean=false session follow the device
 * across boots with random ids (instead of leaving one persisted session per boot behind), and keeps
 * two devices sharing a hard-coded id from taking each other over in a loop.
 */
export function createConnectHandlers(deps: {
  credentials: DeviceCredentials;
  sessions: Sessions;
  metrics: GatewayMetrics;
  logger: Logger;
  /** MQTT_STRICT_CLIENT_ID: the client id must be the device id (or empty with a clean session). */
  strictClientId?: boolean;
  /** The device id a verified TLS client certificate of this connection names (#20), if any. */
  certificateOf?: (client: Client) => string | undefined;
}) {
  const { credentials, sessions, metrics, logger } = deps;
  const strict = deps.strictClientId === true;
  const connects = new WeakMap<Client, ConnectInfo>();

  function preConnect(
    client: Client,
    packet: ConnectPacket,
    callback: (error: Error | null, success: boolean) => void,
  ) {
    connects.set(client, { clientId: packet.clientId, clean: packet.clean !== false, willTopic: packet.will?.topic });
    // aedes takes client.id from the packet after preConnect. The username is not verified yet, but
    // authenticate runs before aedes registers (and takes over) a client id, so a CONNECT that fails
    // authentication never touches the device's session. An empty id with clean=false keeps its
    // CONNACK 2 (checked on the original id below).
    const certified = deps.certificateOf?.(client);
    if (!strict && (packet.username || certified) && (packet.clientId !== '' || packet.clean !== false)) {
      packet.clientId = (packet.username || certified) as string;
    }
    callback(null, true);
  }

  function authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    callback: (error: AuthenticateError | null, success: boolean | null) => void,
  ) {
    const refuse = (returnCode: number, reason: string, message: string) => {
      metrics.connectsRefused.inc({ reason });
      logger.debug({ clientId: client.id, username, reason, returnCode }, 'CONNECT refused');
      callback(Object.assign(new Error(message), { returnCode }) as AuthenticateError, null);
    };
    const info = connects.get(client);
    connects.delete(client);
    if (!info) return refuse(SERVER_UNAVAILABLE, 'internal', 'CONNECT seen without preConnect');
    // [MQTT-3.1.3-8]: a zero-byte client id with CleanSession=0 gets CONNACK 0x02 and the connection is closed.
    if (info.clientId === '' && !info.clean)
      return refuse(IDENTIFIER_REJECTED, 'client_id', 'empty client id needs clean session');
    const certified = deps.certificateOf?.(client);
    if (certified !== undefined && !password) {
      // X.509 (the AWS IoT way): the certificate names the device; a username, if sent, must agree
      if (username && username !== certified)
        return refuse(NOT_AUTHORIZED, 'certificate_mismatch', 'username is not the certificate’s device');
      if (info.willTopic !== undefined && !publishChannel(certified, info.willTopic)) {
        return refuse(NOT_AUTHORIZED, 'will_topic', 'last will topic outside the device topics');
      }
      credentials.verifyCertificate(certified).then(
        (result) => {
          if (!result.ok) return refuse(NOT_AUTHORIZED, result.reason, 'not authorized');
          if (client.closed) return callback(null, false);
          const now = Date.now();
          sessions.attach(client, {
            identity: result.identity,
            tokenHash: CERTIFICATE_SESSION,
            clientId: info.clientId,
            connectedAt: now,
            lastSeen: now,
            closed: false,
          });
          callback(null, true);
        },
        (err: unknown) => {
          logger.error({ err, certified }, 'registry unavailable at CONNECT');
          refuse(SERVER_UNAVAILABLE, 'unavailable', 'registry unavailable');
        },
      );
      return;
    }
    if (!username || !password)
      return refuse(BAD_USERNAME_OR_PASSWORD, 'malformed_credentials', 'username and password required');
    const token = password.toString('utf8');
    if (!isTokenShaped(token))
      return refuse(BAD_USERNAME_OR_PASSWORD, 'malformed_credentials', 'password is not a device token');
    if (strict && info.clientId !== '' && info.clientId !== username) {
      return refuse(IDENTIFIER_REJECTED, 'client_id', 'client id must be the device id (or empty with clean session)');
    }
    if (info.willTopic !== undefined && !publishChannel(username, info.willTopic)) {
      return refuse(NOT_AUTHORIZED, 'will_topic', 'last will topic outside the device topics');
    }
    credentials.verifyToken(username, token).then(
      (result) => {
        if (!result.ok) return refuse(NOT_AUTHORIZED, result.reason, 'not authorized');
        // The socket went away while the registry answered: aedes drops the callback, keep nothing.
        if (client.closed) return callback(null, false);
        const now = Date.now();
        const session: Session = {
          identity: result.identity,
          tokenHash: hashToken(token),
          clientId: info.clientId,
          connectedAt: now,
          lastSeen: now,
          closed: false,
        };
        sessions.attach(client, session);
        callback(null, true);
      },
      (err: unknown) => {
        logger.error({ err, username }, 'registry unavailable at CONNECT');
        refuse(SERVER_UNAVAILABLE, 'unavailable', 'registry unavailable');
      },
    );
  }

  return { preConnect, authenticate };
}
