// Against a real WebSocket server on loopback that behaves like the platform's consumers:
// recent log lines replayed on every connect, then the status, then whatever is new.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, type EffectScope, ref } from "vue";
import { type WebSocket as ServerSocket, WebSocketServer } from "ws";

import { backoffDelay, type LiveMessage, useLiveSocket } from "./useLiveSocket";

interface Message extends LiveMessage {
  message?: string;
  status?: string;
}

const HOST = "127.0.3.20";
// vi.waitFor gives up after 1 s by default: too soon on a busy machine.
const SETTLE = { timeout: 10_000, interval: 10 };
let server: WebSocketServer;
let connections: ServerSocket[];
let onConnect: (socket: ServerSocket) => void;
let scope: EffectScope;

function url(): string {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server not listening on TCP");
  return `ws://${HOST}:${address.port}/ws/job/1/`;
}

function log(id: number): Message {
  return { type: "log", id, message: `line ${id}` };
}

beforeEach(async () => {
  connections = [];
  onConnect = () => undefined;
  server = new WebSocketServer({ host: HOST, port: 0 });
  server.on("connection", (socket) => {
    connections.push(socket);
    onConnect(socket);
  });
  await new Promise((resolve) => server.once("listening", resolve));
  scope = effectScope();
});

afterEach(async () => {
  scope.stop();
  for (const socket of server.clients) socket.terminate();
  await new Promise((resolve) => server.close(resolve));
});

function connect(options: { renewAccess?: () => Promise<boolean> } = {}) {
  const received: Message[] = [];
  const live = scope.run(() =>
    useLiveSocket<Message>(url(), { onMessage: (m) => received.push(m), initialDelayMs: 20, maxDelayMs: 100, ...options }),
  );
  if (live === undefined) throw new Error("scope stopped");
  return { received, live };
}

describe("useLiveSocket", () => {
  it("delivers each log line once across a reconnect, and every status", async () => {
    const history = [log(1), log(2)];
    onConnect = (socket) => {
      for (const line of history) socket.send(JSON.stringify(line));
      socket.send(JSON.stringify({ type: "status", status: "RUNNING" }));
    };
    const { received, live } = connect();
    await vi.waitFor(() => expect(received).toHaveLength(3), SETTLE);
    expect(live.state.value).toBe("open");

    history.push(log(3));
    connections[0]?.close(1011);
    await vi.waitFor(() => expect(received).toHaveLength(5), SETTLE);
    expect(connections).toHaveLength(2);
    expect(received.map((m) => m.message ?? m.status)).toEqual(["line 1", "line 2", "RUNNING", "line 3", "RUNNING"]);
    expect(live.state.value).toBe("open");
  });

  it("drops a repeated seq within a connection and ignores pings", async () => {
    onConnect = (socket) => {
      for (const seq of [0, 1, 1, 2]) socket.send(JSON.stringify({ type: "log_update", seq }));
      socket.send(JSON.stringify({ type: "ping" }));
      socket.send("not json");
    };
    const { received } = connect();
    await vi.waitFor(() => expect(received).toHaveLength(3), SETTLE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.map((m) => m.seq)).toEqual([0, 1, 2]);
  });

  it("stays closed when the server forbids the object", async () => {
    onConnect = (socket) => socket.close(4403);
    const { live } = connect();
    await vi.waitFor(() => expect(live.state.value).toBe("forbidden"), SETTLE);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(connections).toHaveLength(1);
  });

  it("renews access after 4401 and reconnects, or gives up when renewal fails", async () => {
    onConnect = (socket) => {
      if (connections.length === 1) socket.close(4401);
      else socket.send(JSON.stringify(log(7)));
    };
    const renewAccess = vi.fn(() => Promise.resolve(true));
    const { received } = connect({ renewAccess });
    await vi.waitFor(() => expect(received).toHaveLength(1), SETTLE);
    expect(renewAccess).toHaveBeenCalledTimes(1);

    scope.stop();
    scope = effectScope();
    connections = [];
    onConnect = (socket) => socket.close(4401);
    const { live } = connect({ renewAccess: () => Promise.resolve(false) });
    await vi.waitFor(() => expect(live.state.value).toBe("closed"), SETTLE);
    expect(connections).toHaveLength(1);
  });

  it("follows a changed URL and closes when the scope ends", async () => {
    const target = ref<string | null>(null);
    const received: Message[] = [];
    onConnect = (socket) => socket.send(JSON.stringify(log(connections.length)));
    scope.run(() => useLiveSocket<Message>(target, { onMessage: (m) => received.push(m) }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(connections).toHaveLength(0);
    target.value = url();
    await vi.waitFor(() => expect(received).toHaveLength(1), SETTLE);
    scope.stop();
    await vi.waitFor(() => expect(connections[0]?.readyState).toBe(connections[0]?.CLOSED), SETTLE);
  });

  it("backs off exponentially up to a ceiling", () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 15_000))).toEqual([500, 1000, 2000, 4000, 15_000]);
  });
});
