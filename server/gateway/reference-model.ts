import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";

// The reference model: OpenAI-shaped echo answers (and SSE streams of them), so the gate can
// be tried end to end, and tested, without a model server.

export type EchoRoute = "chat" | "completion" | "embedding";

export interface EchoAnswer {
  /** A JSON body, or an SSE stream when the request asked for `stream: true`. */
  body: unknown;
  stream: boolean;
}

/** A request body as its route's schema admitted it (fields beyond the schema's pass through). */
export type RequestBody = Record<string, unknown>;

/** A field of a JSON object, or undefined for anything else. */
const field = (value: unknown, name: string): unknown =>
  value !== null && typeof value === "object" ? (value as RequestBody)[name] : undefined;

function lastUserText(body: RequestBody): string {
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => field(m, "role") === "user") ?? messages[messages.length - 1];
  const content = field(last, "content");
  if (typeof content === "string") return content;
  if (typeof body.input === "string") return body.input;
  return "";
}

const promptText = ({ prompt }: RequestBody): string =>
  typeof prompt === "string" ? prompt : Array.isArray(prompt) && typeof prompt[0] === "string" ? prompt[0] : "";

const usageOf = (prompt: string, completion: string) => ({
  prompt_tokens: prompt.length,
  completion_tokens: completion.length,
  total_tokens: prompt.length + completion.length,
});

/** A small deterministic unit vector per text: the same input always embeds the same. */
function embed(text: string): number[] {
  const digest = createHash("sha256").update(text).digest();
  const v = Array.from(digest.subarray(0, 8), (b) => b / 127.5 - 1);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function embeddings(model: string, body: RequestBody) {
  // The schema admits a string, an array of numbers (one tokenized input), or an array of either.
  const input = body.input;
  const inputs: unknown[] = Array.isArray(input) && typeof input[0] !== "number" ? input : [input];
  const texts = inputs.map((i) => (typeof i === "string" ? i : JSON.stringify(i)));
  const base64 = body.encoding_format === "base64";
  const tokens = texts.reduce((n, t) => n + t.length, 0);
  return {
    object: "list",
    model,
    data: texts.map((t, index) => {
      const v = embed(t);
      return {
        object: "embedding",
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v,
      };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** The echo cut into word-sized pieces, as a model streams tokens. */
const pieces = (text: string) => text.match(/\S+\s*|\s+/g) ?? [""];

const sse = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

function* chatChunks(id: string, created: number, model: string, prompt: string, text: string, includeUsage: boolean) {
  const chunk = (delta: Record<string, string>, finish: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  yield sse(chunk({ role: "assistant", content: "" }, null));
  for (const piece of pieces(text)) yield sse(chunk({ content: piece }, null));
  yield sse(chunk({}, "stop"));
  if (includeUsage)
    yield sse({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf(prompt, text) });
  yield sse("[DONE]");
}

function* completionChunks(
  id: string,
  created: number,
  model: string,
  prompt: string,
  text: string,
  includeUsage: boolean,
) {
  const chunk = (piece: string, finish: string | null) => ({
    id,
    object: "text_completion",
    created,
    model,
    choices: [{ index: 0, text: piece, finish_reason: finish, logprobs: null }],
  });
  for (const piece of pieces(text)) yield sse(chunk(piece, null));
  yield sse(chunk("", "stop"));
  if (includeUsage)
    yield sse({ id, object: "text_completion", created, model, choices: [], usage: usageOf(prompt, text) });
  yield sse("[DONE]");
}

/** The reference model's answer to an admitted call. */
export function echo(route: EchoRoute, model: string, body: RequestBody, now: number): EchoAnswer {
  if (route === "embedding") return { body: embeddings(model, body), stream: false };
  const created = Math.floor(now / 1000);
  const prompt = (route === "chat" ? lastUserText(body) : promptText(body)).slice(0, 4000);
  const text = `echo: ${prompt}`;
  const includeUsage = field(body.stream_options, "include_usage") === true;
  if (route === "chat") {
    const id = `chatcmpl-${randomUUID()}`;
    if (body.stream === true)
      return { body: Readable.from(chatChunks(id, created, model, prompt, text, includeUsage)), stream: true };
    return {
      body: {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: usageOf(prompt, text),
      },
      stream: false,
    };
  }
  const id = `cmpl-${randomUUID()}`;
  if (body.stream === true)
    return { body: Readable.from(completionChunks(id, created, model, prompt, text, includeUsage)), stream: true };
  return {
    body: {
      id,
      object: "text_completion",
      created,
      model,
      choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }],
      usage: usageOf(prompt, text),
    },
    stream: false,
  };
}
