// Browser side of lkdesk's test peer: livekit-client in headless Chromium.
//
// driver.mjs serves this directory on 127.0.0.1 and calls the functions on `window.lkPeer`
// through playwright's page.evaluate. Everything returned is plain JSON.
//
// The peer publishes a camera track drawn on a canvas in one solid colour and a microphone
// track from a WebAudio oscillator, so the other side can check what it received: the mean
// colour of a decoded frame and the dominant frequency of the decoded audio.
import * as LK from '/node_modules/livekit-client/dist/livekit-client.esm.mjs';

// Count the peer connections the SDK opens: that tells single-PC from dual-PC mode without
// relying on the SDK's private fields alone.
const NativeRTCPeerConnection = window.RTCPeerConnection;
const createdPeerConnections = [];
class CountingRTCPeerConnection extends NativeRTCPeerConnection {
  constructor(...args) {
    super(...args);
    createdPeerConnections.push(this);
  }
}
window.RTCPeerConnection = CountingRTCPeerConnection;

const CHAT_TOPIC = 'lk.chat';
const LEGACY_CHAT_TOPIC = 'lk-chat-topic';
const MAX_EVENTS = 300;

/** @type {LK.Room | null} */
let room = null;
let joinOptions = null;
let audioContext = null;
const published = { canvas: null, paintTimer: null, oscillator: null, tracks: [] };
const received = { chat: [], events: [] };
// end-to-end encryption: who is encrypted (ParticipantEncryptionStatusChanged), errors seen
const e2ee = { mode: null, status: {}, errors: [] };
// trackSid -> { element, analyser, track }
const sinks = new Map();
const sentChat = [];

function logEvent(type, detail = {}) {
  received.events.push({ t: Date.now(), type, ...detail });
  if (received.events.length > MAX_EVENTS) received.events.shift();
}

function setStatus(text) {
  const el = document.getElementById('status');
  if (el) el.textContent = text;
}

function getAudioContext() {
  if (!audioContext) audioContext = new AudioContext({ sampleRate: 48000 });
  return audioContext;
}

function meetPublishDefaults(o) {
  const defaults = {
    videoCodec: o.videoCodec,
    simulcast: o.simulcast,
    red: o.red,
    dtx: o.dtx,
  };
  if (o.backupCodec === false || o.backupCodec === null) {
    defaults.backupCodec = false;
  } else if (typeof o.backupCodec === 'string') {
    defaults.backupCodec = { codec: o.backupCodec };
  }
  // undefined = livekit-client's choice (L3T3_KEY for VP9/AV1 without simulcast)
  if (o.scalabilityMode) defaults.scalabilityMode = o.scalabilityMode;
  return defaults;
}

function normaliseOptions(options = {}) {
  return {
    // LiveKit Meet's camera settings: VP9 with a VP8 backup, simulcast, dynacast, adaptive stream.
    videoCodec: options.videoCodec ?? 'vp9',
    backupCodec: options.backupCodec === undefined ? 'vp8' : options.backupCodec,
    simulcast: options.simulcast ?? true,
    dynacast: options.dynacast ?? true,
    adaptiveStream: options.adaptiveStream ?? true,
    scalabilityMode: options.scalabilityMode,
    red: options.red ?? true,
    dtx: options.dtx ?? false,
    // undefined = the SDK's own default
    singlePeerConnection: options.singlePeerConnection,
    color: options.color ?? [0, 0, 255],
    toneHz: options.toneHz ?? 660,
    width: options.width ?? 640,
    height: options.height ?? 360,
    fps: options.fps ?? 15,
    publishVideo: options.publishVideo ?? true,
    publishAudio: options.publishAudio ?? true,
    autoSubscribe: options.autoSubscribe ?? true,
    rtcConfig: options.rtcConfig,
    logLevel: options.logLevel ?? 'info',
    // LiveKit Meet's passphrase link (#passphrase): ExternalE2EEKeyProvider.setKey(passphrase).
    // 'encryption' is the current room option (data packets encrypted too); 'e2ee' is the
    // option LiveKit Meet passes (media only; encrypted data is still decrypted).
    e2eePassphrase: options.e2eePassphrase ?? null,
    e2eeMode: options.e2eeMode ?? 'encryption',
  };
}

function makeCanvasTrack(o) {
  const canvas = document.createElement('canvas');
  canvas.width = o.width;
  canvas.height = o.height;
  document.getElementById('local').appendChild(canvas);
  const ctx = canvas.getContext('2d');
  const [r, g, b] = o.color;
  let frame = 0;
  const paint = () => {
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    // A two-pixel ticker in the corner so consecutive frames differ and the encoder keeps
    // producing frames; it is outside the area the receiver measures.
    ctx.fillStyle = frame++ % 2 ? 'rgb(255,255,255)' : 'rgb(0,0,0)';
    ctx.fillRect(0, 0, 2, 2);
  };
  paint();
  published.paintTimer = setInterval(paint, Math.round(1000 / o.fps));
  published.canvas = canvas;
  const [mst] = canvas.captureStream(o.fps).getVideoTracks();
  return mst;
}

function makeToneTrack(o) {
  const ctx = getAudioContext();
  const osc = ctx.createOscillator();
  osc.type = 'sine';
  osc.frequency.value = o.toneHz;
  const gain = ctx.createGain();
  gain.gain.value = 0.3;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  published.oscillator = osc;
  return dest.stream.getAudioTracks()[0];
}

function attachSink(track, publication, participant) {
  const sid = publication.trackSid;
  if (track.kind === LK.Track.Kind.Video) {
    const el = track.attach();
    el.muted = true;
    el.playsInline = true;
    el.dataset.trackSid = sid;
    el.dataset.identity = participant.identity;
    document.getElementById('remote').appendChild(el);
    sinks.set(sid, { element: el, track });
  } else if (track.kind === LK.Track.Kind.Audio) {
    // Chromium delivers remote WebRTC audio to WebAudio only while the track also plays in
    // a media element, so attach one and analyse a separate MediaStream of the same track.
    const el = track.attach();
    el.dataset.trackSid = sid;
    document.getElementById('remote').appendChild(el);
    const ctx = getAudioContext();
    const source = ctx.createMediaStreamSource(new MediaStream([track.mediaStreamTrack]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 32768;
    // no smoothing: each getState() measures only the last fftSize samples (~0.68 s)
    analyser.smoothingTimeConstant = 0;
    source.connect(analyser);
    sinks.set(sid, { element: el, analyser, source, track });
  }
}

function detachSink(sid) {
  const sink = sinks.get(sid);
  if (!sink) return;
  try {
    sink.source?.disconnect();
    sink.track.detach(sink.element);
  } catch (e) {
    console.warn('detach failed', e);
  }
  sink.element.remove();
  sinks.delete(sid);
}

function meanColour(sink) {
  const v = sink.element;
  if (!v.videoWidth || !v.videoHeight || v.readyState < 2) return null;
  const w = 64;
  const h = 36;
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(v, 0, 0, w, h);
  // central half of the frame: away from the ticker pixels and codec edge effects
  const x0 = w / 4;
  const y0 = h / 4;
  const data = ctx.getImageData(x0, y0, w / 2, h / 2).data;
  const sum = [0, 0, 0];
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    sum[0] += data[i];
    sum[1] += data[i + 1];
    sum[2] += data[i + 2];
  }
  return {
    rgb: sum.map((s) => Math.round(s / n)),
    width: v.videoWidth,
    height: v.videoHeight,
  };
}

function dominantFrequency(sink) {
  const a = sink.analyser;
  const bins = new Float32Array(a.frequencyBinCount);
  a.getFloatFrequencyData(bins);
  const sampleRate = a.context.sampleRate;
  const binHz = sampleRate / a.fftSize;
  const start = Math.ceil(50 / binHz);
  let best = -1;
  for (let i = start; i < bins.length - 1; i++) {
    if (best < 0 || bins[i] > bins[best]) best = i;
  }
  const time = new Float32Array(a.fftSize);
  a.getFloatTimeDomainData(time);
  let sq = 0;
  for (let i = 0; i < time.length; i++) sq += time[i] * time[i];
  const rms = Math.sqrt(sq / time.length);
  const rmsDb = rms > 0 ? Math.max(20 * Math.log10(rms), -120) : -120;
  if (best < 0 || !Number.isFinite(bins[best])) return { hz: null, peakDb: null, rmsDb };
  // parabolic interpolation around the peak bin
  const l = bins[best - 1];
  const c = bins[best];
  const r = bins[best + 1];
  const denom = l - 2 * c + r;
  const delta = denom !== 0 && Number.isFinite(denom) ? (0.5 * (l - r)) / denom : 0;
  return { hz: (best + delta) * binHz, peakDb: c, rmsDb };
}

function statsCodecs(report, type) {
  const out = [];
  if (!report) return out;
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  report.forEach((s) => {
    if (s.type !== type) return;
    const codec = s.codecId ? byId.get(s.codecId) : undefined;
    out.push({
      kind: s.kind,
      mimeType: codec?.mimeType ?? null,
      rid: s.rid ?? null,
      bytes: s.bytesSent ?? s.bytesReceived ?? 0,
      frameWidth: s.frameWidth ?? null,
      frameHeight: s.frameHeight ?? null,
      scalabilityMode: s.scalabilityMode ?? null,
      framesDecoded: s.framesDecoded ?? null,
      framesEncoded: s.framesEncoded ?? null,
      active: s.active ?? null,
    });
  });
  return out;
}

async function peerConnectionStats() {
  const out = [];
  for (const pc of createdPeerConnections) {
    if (pc.connectionState === 'closed') continue;
    const report = await pc.getStats();
    out.push({
      connectionState: pc.connectionState,
      outbound: statsCodecs(report, 'outbound-rtp'),
      inbound: statsCodecs(report, 'inbound-rtp'),
    });
  }
  return out;
}

function pcMode() {
  const engine = room?.engine;
  const open = createdPeerConnections.filter((pc) => pc.connectionState !== 'closed');
  let separateSubscriber = null;
  let signalPath = null;
  try {
    separateSubscriber = engine?.pcManager ? !!engine.pcManager.subscriber : null;
    const v0 = engine?.client?.useV0SignalPath;
    signalPath = v0 === undefined ? null : v0 ? 'v0 (/rtc)' : 'v1 (/rtc/v1)';
  } catch (e) {
    console.warn('pcMode introspection failed', e);
  }
  return {
    singlePeerConnectionOption: room?.options?.singlePeerConnection ?? null,
    singlePeerConnection: separateSubscriber === null ? null : !separateSubscriber,
    signalPath,
    peerConnectionsCreated: createdPeerConnections.length,
    peerConnectionsOpen: open.length,
  };
}

function describeRemote(p) {
  const tracks = [];
  p.trackPublications.forEach((pub) => {
    tracks.push({
      sid: pub.trackSid,
      name: pub.trackName,
      kind: pub.kind,
      source: pub.source,
      mimeType: pub.mimeType ?? null,
      subscribed: pub.isSubscribed,
      muted: pub.isMuted,
      simulcasted: pub.simulcasted ?? null,
      dimensions: pub.dimensions ?? null,
    });
  });
  return { identity: p.identity, sid: p.sid, name: p.name, tracks };
}

async function remoteTrackMeasurements() {
  const out = [];
  for (const [sid, sink] of sinks) {
    const m = { sid, kind: sink.track.kind, source: sink.track.source };
    try {
      const report = await sink.track.getRTCStatsReport();
      const inbound = statsCodecs(report, 'inbound-rtp');
      m.statsMimeType = inbound.find((s) => s.mimeType)?.mimeType ?? null;
      m.inbound = inbound;
    } catch (e) {
      m.statsError = String(e);
    }
    if (sink.analyser) Object.assign(m, dominantFrequency(sink));
    else m.color = meanColour(sink);
    out.push(m);
  }
  return out;
}

function wireRoomEvents(r) {
  const RE = LK.RoomEvent;
  r.on(RE.ConnectionStateChanged, (s) => logEvent('connectionState', { state: s }))
    .on(RE.ParticipantConnected, (p) => logEvent('participantConnected', { identity: p.identity }))
    .on(RE.ParticipantDisconnected, (p) =>
      logEvent('participantDisconnected', { identity: p.identity }),
    )
    .on(RE.TrackSubscribed, (track, pub, p) => {
      logEvent('trackSubscribed', {
        identity: p.identity,
        sid: pub.trackSid,
        kind: track.kind,
        mimeType: pub.mimeType ?? null,
      });
      attachSink(track, pub, p);
    })
    .on(RE.TrackUnsubscribed, (track, pub, p) => {
      logEvent('trackUnsubscribed', { identity: p.identity, sid: pub.trackSid });
      detachSink(pub.trackSid);
    })
    .on(RE.TrackSubscriptionFailed, (sid, p, reason) =>
      logEvent('trackSubscriptionFailed', { sid, identity: p?.identity, reason: String(reason) }),
    )
    .on(RE.Disconnected, (reason) => logEvent('disconnected', { reason }))
    .on(RE.ParticipantEncryptionStatusChanged, (encrypted, participant) => {
      e2ee.status[participant?.identity ?? '?'] = encrypted;
      logEvent('encryptionStatus', { identity: participant?.identity ?? null, encrypted });
    })
    .on(RE.EncryptionError, (error, participant) => {
      const identity = participant?.identity ?? null;
      e2ee.errors.push({ identity, message: String(error?.message ?? error) });
      if (e2ee.errors.length > MAX_EVENTS) e2ee.errors.shift();
    })
    .on(RE.DataReceived, (payload, participant, kind, topic) => {
      if (topic !== LEGACY_CHAT_TOPIC) return;
      let text = null;
      let id = null;
      try {
        const msg = JSON.parse(new TextDecoder().decode(payload));
        text = msg.message;
        id = msg.id ?? null;
      } catch (e) {
        text = new TextDecoder().decode(payload);
      }
      received.chat.push({
        via: LEGACY_CHAT_TOPIC,
        topic,
        from: participant?.identity ?? null,
        text,
        id,
        receivedAt: Date.now(),
      });
    })
    .on(RE.ChatMessage, (msg, participant) => {
      received.chat.push({
        via: 'chatMessage',
        topic: null,
        from: participant?.identity ?? null,
        text: msg.message,
        id: msg.id,
        receivedAt: Date.now(),
      });
    });
  r.registerTextStreamHandler(CHAT_TOPIC, async (reader, participantInfo) => {
    const text = await reader.readAll();
    received.chat.push({
      via: CHAT_TOPIC,
      topic: CHAT_TOPIC,
      from: participantInfo.identity,
      text,
      id: reader.info.id,
      attributes: reader.info.attributes ?? {},
      receivedAt: Date.now(),
    });
  });
}

async function join(url, token, options = {}) {
  if (room) throw new Error('already joined; call leave() first');
  const o = normaliseOptions(options);
  joinOptions = o;
  LK.setLogLevel(o.logLevel);
  const roomOptions = {
    adaptiveStream: o.adaptiveStream,
    dynacast: o.dynacast,
    publishDefaults: meetPublishDefaults(o),
  };
  if (o.singlePeerConnection !== undefined && o.singlePeerConnection !== null) {
    roomOptions.singlePeerConnection = o.singlePeerConnection;
  }
  let keyProvider = null;
  if (o.e2eePassphrase) {
    keyProvider = new LK.ExternalE2EEKeyProvider();
    const worker = new Worker('/node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs', {
      type: 'module',
    });
    roomOptions[o.e2eeMode === 'e2ee' ? 'e2ee' : 'encryption'] = { keyProvider, worker };
    e2ee.mode = o.e2eeMode;
  }
  const r = new LK.Room(roomOptions);
  wireRoomEvents(r);
  room = r;
  // the audio context may start suspended; the autoplay flag lets resume() succeed
  await getAudioContext().resume();
  const connectOptions = { autoSubscribe: o.autoSubscribe };
  if (o.rtcConfig) connectOptions.rtcConfig = o.rtcConfig;
  if (keyProvider) {
    // LiveKit Meet's order: the key first, then end-to-end encryption on, then connect
    await keyProvider.setKey(o.e2eePassphrase);
    await r.setE2EEEnabled(true);
  }
  setStatus('connecting');
  try {
    await r.connect(url, token, connectOptions);
  } catch (e) {
    room = null;
    throw e;
  }
  setStatus(`connected as ${r.localParticipant.identity}`);
  if (o.publishVideo) await publishCamera(r, o);
  if (o.publishAudio) {
    const track = new LK.LocalAudioTrack(makeToneTrack(o), undefined, true);
    const pub = await r.localParticipant.publishTrack(track, {
      source: LK.Track.Source.Microphone,
      name: 'microphone',
    });
    published.tracks.push(pub);
  }
  return {
    identity: r.localParticipant.identity,
    sid: r.localParticipant.sid,
    room: r.name,
    serverVersion: r.serverInfo?.version ?? null,
    sdkVersion: LK.version,
    pcMode: pcMode(),
  };
}

async function publishCamera(r, o) {
  const track = new LK.LocalVideoTrack(makeCanvasTrack(o), undefined, true);
  const pub = await r.localParticipant.publishTrack(track, {
    source: LK.Track.Source.Camera,
    name: 'camera',
  });
  published.tracks.push(pub);
  return pub;
}

// A publisher's switch of codec mid-call: the camera is unpublished and published again with
// other options (videoCodec, backupCodec, scalabilityMode, simulcast, color), as an app does
// when its user changes the codec setting.
async function republishCamera(options = {}) {
  if (!room) throw new Error('not joined');
  const old = published.tracks.find((p) => p.source === LK.Track.Source.Camera);
  if (old) {
    await room.localParticipant.unpublishTrack(old.track, true);
    published.tracks = published.tracks.filter((p) => p !== old);
  }
  clearInterval(published.paintTimer);
  published.canvas?.remove();
  const o = normaliseOptions({ ...joinOptions, ...options });
  joinOptions = o;
  const pub = await room.localParticipant.publishTrack(
    new LK.LocalVideoTrack(makeCanvasTrack(o), undefined, true),
    { source: LK.Track.Source.Camera, name: 'camera', ...meetPublishDefaults(o) },
  );
  published.tracks.push(pub);
  return { sid: pub.trackSid, oldSid: old?.trackSid ?? null, mimeType: pub.mimeType ?? null };
}

const sentChatPackets = new Map(); // id -> message, for the deprecated ChatMessage packets

async function sendChat(text, options = {}) {
  if (!room) throw new Error('not joined');
  if (options.chatPacket) {
    // livekit-client's deprecated DataPacket.chat_message path (sendChatMessage / edit)
    const original = options.editId ? sentChatPackets.get(options.editId) : null;
    const msg = original
      ? await room.localParticipant.editChatMessage(text, original)
      : await room.localParticipant.sendChatMessage(text);
    sentChatPackets.set(msg.id, msg);
    return { id: msg.id };
  }
  const info = await room.localParticipant.sendText(text, { topic: CHAT_TOPIC });
  if (options.legacy) {
    const msg = { id: info.id, timestamp: Date.now(), message: text };
    await room.localParticipant.publishData(new TextEncoder().encode(JSON.stringify(msg)), {
      reliable: true,
      topic: LEGACY_CHAT_TOPIC,
    });
  }
  sentChat.push({ id: info.id, text, sentAt: Date.now() });
  return { id: info.id };
}

async function sendTranscription(pieces, attributes = {}) {
  // As a transcription service does: one text stream per update on lk.transcription,
  // written piece by piece, the segment and finality in the stream's attributes.
  if (!room) throw new Error('not joined');
  const writer = await room.localParticipant.streamText({ topic: 'lk.transcription', attributes });
  for (const piece of pieces) await writer.write(piece);
  await writer.close();
  return { id: writer.info.id };
}

async function getState() {
  const local = [];
  if (room) {
    for (const pub of room.localParticipant.trackPublications.values()) {
      const entry = {
        sid: pub.trackSid,
        kind: pub.kind,
        source: pub.source,
        mimeType: pub.mimeType ?? null,
        trackCodec: pub.track?.codec ?? null,
      };
      try {
        entry.outbound = statsCodecs(await pub.track?.getRTCStatsReport(), 'outbound-rtp');
      } catch (e) {
        entry.statsError = String(e);
      }
      local.push(entry);
    }
  }
  const pcs = await peerConnectionStats();
  const sentVideoMimeTypes = [
    ...new Set(
      pcs.flatMap((pc) =>
        pc.outbound.filter((s) => s.kind === 'video' && s.bytes > 0).map((s) => s.mimeType),
      ),
    ),
  ];
  return {
    joined: !!room,
    connectionState: room?.state ?? 'disconnected',
    identity: room?.localParticipant?.identity ?? null,
    room: room?.name ?? null,
    sdkVersion: LK.version,
    options: joinOptions,
    pcMode: pcMode(),
    local,
    sentVideoMimeTypes,
    peerConnections: pcs,
    participants: room ? [...room.remoteParticipants.values()].map(describeRemote) : [],
    remoteTracks: await remoteTrackMeasurements(),
    chat: received.chat,
    sentChat,
    events: received.events,
    e2ee: { ...e2ee, enabled: room?.isE2EEEnabled ?? false },
    audioContextState: audioContext?.state ?? null,
  };
}

async function leave() {
  const r = room;
  room = null;
  if (r) await r.disconnect();
  for (const sid of [...sinks.keys()]) detachSink(sid);
  clearInterval(published.paintTimer);
  published.paintTimer = null;
  published.canvas?.remove();
  published.canvas = null;
  try {
    published.oscillator?.stop();
  } catch (e) {
    console.warn('oscillator stop failed', e);
  }
  published.oscillator = null;
  published.tracks = [];
  setStatus('left');
  return { left: !!r };
}

// --- data streams and RPC (client protocol 2 tests) -------------------------------------------
// Large payloads come back as length + SHA-256 so a reply stays a small JSON line.
const textsByTopic = new Map(); // topic -> [{from, length, sha256, text?, attributes}]

async function sha256Hex(text) {
  const bytes = new TextEncoder().encode(text);
  const hash = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function describeText(text) {
  const bytes = new TextEncoder().encode(text).length;
  return { length: text.length, bytes, sha256: await sha256Hex(text), text: bytes <= 64 ? text : null };
}

function watchText(topic) {
  if (!room) throw new Error('not joined');
  if (textsByTopic.has(topic)) return { watching: topic };
  textsByTopic.set(topic, []);
  room.registerTextStreamHandler(topic, async (reader, participantInfo) => {
    const entry = { from: participantInfo.identity, attributes: reader.info.attributes ?? {} };
    try {
      Object.assign(entry, await describeText(await reader.readAll()));
    } catch (e) {
      entry.error = String(e?.message ?? e);
    }
    textsByTopic.get(topic).push(entry);
  });
  return { watching: topic };
}

function receivedTexts(topic) {
  return textsByTopic.get(topic) ?? [];
}

async function sendText(text, options = {}) {
  if (!room) throw new Error('not joined');
  const info = await room.localParticipant.sendText(text, {
    topic: options.topic ?? '',
    destinationIdentities: options.destinationIdentities,
  });
  return { id: info.id, size: info.size };
}

// "digest": answers sha256(payload) + ':' + payload.toUpperCase(), a reply as large as the call
function registerDigestRpc() {
  if (!room) throw new Error('not joined');
  room.localParticipant.registerRpcMethod('digest', async (data) => {
    return `${await sha256Hex(data.payload)}:${data.payload.toUpperCase()}`;
  });
  return { registered: 'digest' };
}

async function performRpc(destinationIdentity, method, payload, responseTimeout = 30000) {
  if (!room) throw new Error('not joined');
  const started = performance.now();
  try {
    const answer = await room.localParticipant.performRpc({
      destinationIdentity,
      method,
      payload,
      responseTimeout,
    });
    return { ok: true, ms: performance.now() - started, ...(await describeText(answer)) };
  } catch (e) {
    return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) };
  }
}

function remoteFeatures() {
  if (!room) return {};
  const out = {};
  room.remoteParticipants.forEach((p) => {
    out[p.identity] = { clientProtocol: p.clientProtocol ?? null };
  });
  return out;
}

window.lkPeer = {
  join,
  republishCamera,
  sendChat,
  sendTranscription,
  getState,
  leave,
  watchText,
  receivedTexts,
  sendText,
  registerDigestRpc,
  performRpc,
  remoteFeatures,
  version: LK.version,
};
window.lkPeerReady = true;
setStatus(`ready, livekit-client ${LK.version}`);
