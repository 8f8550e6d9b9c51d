import { StringDecoder } from "node:string_decoder";

/** Prompt and completion tokens an answer reports; zero when it reports none. */
export interface Tokens {
  prompt: number;
  completion: number;
  /** How many of the answer's usage numbers were ignored as not believable. */
  invalid?: number;
}

const NO_TOKENS: Tokens = { prompt: 0, completion: 0 };

/** More tokens than any model's context holds, by far: a count past it is an upstream's error (or malice). */
const MAX_TOKENS_PER_ANSWER = 1_000_000_000;

/** A reported count as believed: a whole number from 0 to the bound; anything else (1e308, -5, NaN, "7") is ignored. */
const believable = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_ANSWER;

/** From an OpenAI-shaped JSON answer's `usage`. */
export function tokensOfAnswer(body: unknown): Tokens {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage !== "object") return NO_TOKENS;
  const { prompt_tokens: p, completion_tokens: c } = usage;
  const invalid = (p !== undefined && !believable(p) ? 1 : 0) + (c !== undefined && !believable(c) ? 1 : 0);
  const tokens = { prompt: believable(p) ? (p as number) : 0, completion: believable(c) ? (c as number) : 0 };
  return invalid ? { ...tokens, invalid } : tokens;
}

// A JSON answer larger than this is passed on whole but not read for usage.
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** Reads `usage` from an answer's body as it streams past: SSE chunk by chunk, or JSON once whole. */
export class TokenTap {
  private readonly sse?: StreamedTokens;
  private chunks: Buffer[] = [];
  private size = 0;
  // A character split between two chunks is decoded whole.
  private readonly text = new StringDecoder("utf8");

  constructor(contentType: string | undefined) {
    if (contentType?.includes("text/event-stream")) this.sse = new StreamedTokens();
  }

  push(chunk: Buffer | string): void {
    if (this.sse) {
      this.sse.push(typeof chunk === "string" ? chunk : this.text.write(chunk));
      return;
    }
    if (this.size > MAX_JSON_BYTES) return;
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.size += b.length;
    if (this.size > MAX_JSON_BYTES) this.chunks = [];
    else this.chunks.push(b);
  }

  end(): Tokens {
    if (this.sse) return this.sse.end();
    if (this.chunks.length === 0) return NO_TOKENS;
    try {
      return tokensOfAnswer(JSON.parse(Buffer.concat(this.chunks).toString()));
    } catch {
      return NO_TOKENS;
    }
  }
}

/**
 * From a streamed (SSE) answer: OpenAI-compatible servers put `usage` in one of the last
 * chunks (with stream_options.include_usage); the last chunk that carries it wins.
 * Feed the stream's text as it passes; `tokens` is read once the stream has ended.
 */
class StreamedTokens {
  private pending = "";
  tokens: Tokens = NO_TOKENS;

  push(text: string): void {
    // Chunks split lines anywhere; only whole lines are read.
    const lines = (this.pending + text).split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  end(): Tokens {
    if (this.pending) this.line(this.pending);
    this.pending = "";
    return this.tokens;
  }

  private line(line: string) {
    if (!line.startsWith("data:") || !line.includes('"usage"')) return;
    try {
      const found = tokensOfAnswer(JSON.parse(line.slice(5)));
      if (found.prompt + found.completion > 0 || found.invalid) this.tokens = found;
    } catch {
      /* not JSON ([DONE], keep-alives): no usage in it */
    }
  }
}
