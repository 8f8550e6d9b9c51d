import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the upstream saw of one call. */
export interface UpstreamCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A stream held after its first chunk until the test releases it ("silent-model": a call held before any answer). */
export interface Hold {
  /** Resolves when the held call has reached the upstream. */
  arrived: Promise<void>;
  release(): void;
  /** Whether the upstream has written its whole answer. */
  finished(): boolean;
  /** Resolves when the gateway closed the upstream connection before the answer was complete. */
  closedEarly: Promise<void>;
}

export interface OpenAiUpstream {
  /** The base URL a deployment's upstreamUrl names (…/v1). */
  url: string;
  calls: UpstreamCall[];
  /** The next streamed call for `model` pauses after its first chunk. */
  holdNext(model: string): Hold;
  close(): Promise<void>;
}

const STREAM_PIECES = ["upstream ", "says ", "hi"];
export const STREAMED_TEXT = STREAM_PIECES.join("");

/**
 * An OpenAI-shaped HTTP server on loopback that records what it receives: chat completions
 * (JSON or SSE), completions, embeddings. Model "reject-model" answers 400 with an OpenAI error;
 * "silent-model" never answers.
 */
export async function startOpenAiUpstream(): Promise<OpenAiUpstream> {
  const calls: UpstreamCall[] = [];
  const holds = new Map<string, { gate: Promise<void>; arrive: () => void; early: () => void; finished: boolean }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      calls.push({ path: req.url ?? "", headers: req.headers, body });
      void answer(new URL(req.url ?? "/", "http://upstream").pathname, body, res);
    });
  });
  const created = Math.floor(Date.now() / 1000);

  async function answer(path: string, body: any, res: ServerResponse) {
    const hold = holds.get(body.model);
    holds.delete(body.model);
    hold?.arrive();
    res.on("close", () => {
      if (!res.writableFinished) hold?.early();
    });
    if (body.model === "silent-model") return;
    if (body.model === "reject-model") {
      res.writeHead(400, { "content-type": "application/json", "x-request-id": "up-rejected" });
      res.end(
        JSON.stringify({
          error: { code: "context_length_exceeded", message: "too long for this model", type: "invalid_request_error" },
        }),
      );
      return;
    }
    if (path === "/v1/embeddings") {
      const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "up-embed" });
      res.end(
        JSON.stringify({
          object: "list",
          model: body.model,
          data: inputs.map((_, index) => ({ object: "embedding", index, embedding: [0.25, 0.5, index] })),
          usage: { prompt_tokens: 2, total_tokens: 2 },
        }),
      );
      return;
    }
    const chat = path === "/v1/chat/completions";
    if (body.stream === true) {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-request-id": "up-stream",
      });
      for (const [i, piece] of STREAM_PIECES.entries()) {
        const choice = chat
          ? {
              index: 0,
              delta: i === 0 ? { role: "assistant", content: piece } : { content: piece },
              finish_reason: null,
            }
          : { index: 0, text: piece, finish_reason: null };
        res.write(
          `data: ${JSON.stringify({ id: "up-1", object: chat ? "chat.completion.chunk" : "text_completion", created, model: body.model, choices: [choice] })}\n\n`,
        );
        if (i === 0 && hold) await hold.gate;
        if (res.destroyed) return;
      }
      const last = chat
        ? { index: 0, delta: {}, finish_reason: "stop" }
        : { index: 0, text: "", finish_reason: "stop" };
      res.write(
        `data: ${JSON.stringify({ id: "up-1", object: chat ? "chat.completion.chunk" : "text_completion", created, model: body.model, choices: [last] })}\n\n`,
      );
      res.end("data: [DONE]\n\n", () => {
        if (hold) hold.finished = true;
      });
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "x-request-id": "up-json" });
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    res.end(
      JSON.stringify(
        chat
          ? {
              id: "up-1",
              object: "chat.completion",
              created,
              model: body.model,
              choices: [
                { index: 0, message: { role: "assistant", content: `upstream ${body.model}` }, finish_reason: "stop" },
              ],
              usage,
            }
          : {
              id: "up-1",
              object: "text_completion",
              created,
              model: body.model,
              choices: [{ index: 0, text: `upstream ${body.model}`, finish_reason: "stop", logprobs: null }],
              usage,
            },
      ),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    holdNext(model) {
      let release!: () => void;
      let arrive!: () => void;
      let early!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const arrived = new Promise<void>((r) => (arrive = r));
      const closedEarly = new Promise<void>((r) => (early = r));
      const entry = { gate, arrive, early, finished: false };
      holds.set(model, entry);
      return { arrived, release, finished: () => entry.finished, closedEarly };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
