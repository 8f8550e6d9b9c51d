import { type AccessLogEntries, TEXT_COLUMNS } from "../store/access-log";

/** What the access log keeps of one gateway call. */
export interface LoggedCall {
  at: number;
  projectId: string | null;
  apiKeyId: string | null;
  deployment: string | null;
  outcome: string;
  status: number;
  client: string;
}

// Access-log rows cross to the writer thread as AccessLogEntries: a structured clone of row
// objects costs about 1.2 µs a row on the event loop; this costs a few Map lookups, and no
// object per call outlives the call.
const WIDTH = TEXT_COLUMNS.length;

export class LogBatch {
  length = 0;
  private readonly at: Float64Array;
  private readonly status: Uint16Array;
  private readonly refs: Int32Array;
  private readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  // Consecutive calls mostly repeat a column's value (the same key, deployment, client): found without the Map.
  private readonly lastText: (string | undefined)[] = Array(WIDTH).fill(undefined);
  private readonly lastRef = new Int32Array(WIDTH);

  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.status = new Uint16Array(capacity);
    this.refs = new Int32Array(capacity * WIDTH);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  push(call: LoggedCall): void {
    const i = this.length++;
    this.at[i] = call.at;
    this.status[i] = call.status;
    const r = i * WIDTH;
    this.refs[r] = this.ref(0, call.projectId);
    this.refs[r + 1] = this.ref(1, call.apiKeyId);
    this.refs[r + 2] = this.ref(2, call.deployment);
    this.refs[r + 3] = this.ref(3, call.outcome);
    this.refs[r + 4] = this.ref(4, call.client);
  }

  private ref(column: number, text: string | null): number {
    if (text === null) return -1;
    if (text === this.lastText[column]) return this.lastRef[column];
    let n = this.index.get(text);
    if (n === undefined) {
      n = this.strings.push(text) - 1;
      this.index.set(text, n);
    }
    this.lastText[column] = text;
    this.lastRef[column] = n;
    return n;
  }

  message(): AccessLogEntries {
    return {
      length: this.length,
      at: this.at.subarray(0, this.length),
      status: this.status.subarray(0, this.length),
      refs: this.refs.subarray(0, this.length * WIDTH),
      strings: this.strings,
    };
  }
}

/** What the event loop tells the access log's writer thread; a flush or sweep is answered by its id. */
export type ToLogWriter =
  | { type: "rows"; seq: number; batch: AccessLogEntries }
  | { type: "flush"; id: number }
  | { type: "sweep"; id: number; cutoff: number }
  | { type: "close" };

/** What the writer thread answers: every batch up to `upTo` written (or not yet), asked-for answers, losses. */
export type FromLogWriter =
  | { type: "written"; upTo: number }
  | { type: "failed"; message: string }
  | { type: "answer"; id: number; value: number }
  | { type: "answer"; id: number; error: string }
  | { type: "dropped"; rows: number }
  | { type: "error"; message: string };
