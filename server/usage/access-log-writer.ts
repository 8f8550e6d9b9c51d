import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { AccessLogEntries } from "../store/access-log";
import type { AccessLogTarget } from "../store/database";
import { type FromLogWriter, LogBatch, type LoggedCall } from "./access-log-batch";

export interface AccessLogWriterOptions {
  target: AccessLogTarget;
  /** At most this long between a call and its entry reaching the writer thread. */
  postMs: number;
  /** Unwritten entries kept while the database cannot be reached; past it the oldest go. */
  maxPending: number;
  onError: (what: string, e: Error) => void;
}

// Rows per batch sent across: at full speed a few batches a second, each one message.
const BATCH_ROWS = 1024;
// A writer thread that died is started again after this long (not in a tight loop).
const RESTART_MS = 1000;

/**
 * The access log, written by a thread of its own (access-log-worker.ts): a call costs the
 * event loop one row in a columnar batch. Batches stay here until the thread says they are
 * written, so a thread that dies is started again and sent them once more.
 */
export class AccessLogWriter {
  private worker!: Worker;
  private batch = new LogBatch(BATCH_ROWS);
  private seq = 0;
  private readonly unwritten = new Map<number, AccessLogEntries>();
  private unwrittenRows = 0;
  // Flushes and sweeps waiting for the thread's answer, by the id they were sent with.
  private readonly asked = new Map<number, { resolve: (value: number) => void; reject: (e: Error) => void }>();
  private lastId = 0;
  private closed = false;
  private alive = false;
  // Answers awaited from the thread (flushes, sweeps, the last writes at close).
  private awaiting = 0;
  private exited: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: AccessLogWriterOptions) {
    this.start();
    this.timer = setInterval(() => this.post(), options.postMs);
    this.timer.unref();
  }

  private start() {
    const worker = new Worker(join(__dirname, "access-log-worker.js"), {
      workerData: { target: this.options.target, maxPending: this.options.maxPending },
    });
    // Idle, the thread keeps no process up (close() ends it); while an answer is awaited it
    // does, or a process with nothing else left to do would exit before the answer came.
    if (this.awaiting === 0) worker.unref();
    this.alive = true;
    worker.on("message", (m: FromLogWriter) => this.onMessage(m));
    worker.on("error", (e) => this.options.onError("access log writer failed", e));
    this.exited = new Promise((resolve) =>
      worker.once("exit", () => {
        this.alive = false;
        resolve();
        for (const a of this.asked.values()) a.reject(new Error("the access log writer stopped"));
        this.asked.clear();
        if (this.closed) return;
        setTimeout(() => {
          if (this.closed) return;
          this.start();
          for (const [seq, batch] of this.unwritten) this.worker.postMessage({ type: "rows", seq, batch });
        }, RESTART_MS).unref();
      }),
    );
    this.worker = worker;
  }

  append(call: LoggedCall): void {
    this.batch.push(call);
    if (this.batch.full) this.post();
  }

  /** Sends the open batch to the writer thread. */
  private post() {
    if (this.batch.length === 0) return;
    const batch = this.batch.message();
    this.batch = new LogBatch(BATCH_ROWS);
    this.seq++;
    this.unwritten.set(this.seq, batch);
    this.unwrittenRows += batch.length;
    for (const [seq, old] of this.unwritten) {
      if (this.unwrittenRows <= this.options.maxPending || seq === this.seq) break;
      this.unwritten.delete(seq);
      this.unwrittenRows -= old.length;
    }
    this.worker.postMessage({ type: "rows", seq: this.seq, batch });
  }

  private onMessage(m: FromLogWriter) {
    if (m.type === "written") {
      for (const [seq, batch] of this.unwritten) {
        if (seq > m.upTo) break;
        this.unwritten.delete(seq);
        this.unwrittenRows -= batch.length;
      }
    } else if (m.type === "failed") {
      this.options.onError("access log not written yet; will retry", new Error(m.message));
    } else if (m.type === "answer") {
      const a = this.asked.get(m.id);
      this.asked.delete(m.id);
      if ("error" in m) a?.reject(new Error(m.error));
      else a?.resolve(m.value);
    } else if (m.type === "dropped") {
      this.options.onError(
        "access log entries dropped",
        new Error(`${m.rows} entries were over the bound of unwritten entries`),
      );
    } else this.options.onError("access log connection dropped", new Error(m.message));
  }

  /** Resolves once every entry appended so far is written (or has failed and is kept for a retry). */
  async flush(): Promise<void> {
    this.post();
    // A thread that stops has its unwritten entries sent to the next one: nothing to wait for here.
    await this.ask({ type: "flush" }).catch(() => {});
  }

  /** Deletes the entries before `cutoff` (see forgetAccessLogBefore), after the writes asked for before it. */
  sweep(cutoff: number): Promise<number> {
    return this.ask({ type: "sweep", cutoff });
  }

  /** A request the thread answers in its turn, after the writes sent before it. */
  private ask(request: { type: "flush" } | { type: "sweep"; cutoff: number }): Promise<number> {
    if (!this.alive) return Promise.reject(new Error("the access log writer is starting again"));
    const id = ++this.lastId;
    return this.held(
      new Promise((resolve, reject) => {
        this.asked.set(id, { resolve, reject });
        this.worker.postMessage({ ...request, id });
      }),
    );
  }

  /** Writes what is left and stops the thread. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.post();
    this.closed = true;
    this.worker.postMessage({ type: "close" });
    await this.held(this.exited);
  }

  private held<T>(answer: Promise<T>): Promise<T> {
    if (this.awaiting++ === 0) this.worker.ref();
    const release = () => {
      if (--this.awaiting === 0) this.worker.unref();
    };
    answer.then(release, release);
    return answer;
  }
}
