// The access log's writer thread: batches from the event loop (access-log-writer.ts) are
// written here over a connection of its own, so neither the inserts nor their disk syncs
// hold up a gateway call.
import { parentPort, workerData } from "node:worker_threads";
import type { AccessLogEntries } from "../store/access-log";
import { type AccessLogTarget, openAccessLogStore } from "../store/database";
import type { FromLogWriter, ToLogWriter } from "./access-log-batch";

const port = parentPort!;
const { target, maxPending } = workerData as { target: AccessLogTarget; maxPending: number };
const tell = (m: FromLogWriter) => port.postMessage(m);
const log = openAccessLogStore(target, (e) => tell({ type: "error", message: e.message }));

let queue: { seq: number; batch: AccessLogEntries }[] = [];
let queuedRows = 0;
let closing = false;
// Writes and sweeps run one at a time, in the order they were asked for.
let chain = Promise.resolve();
const then = (fn: () => Promise<void>) => {
  chain = chain.then(fn);
};
let scheduled = false;

/** Runs `work` in its turn and answers the request `id` with its value or its error. */
function answer(id: number, work: () => Promise<number>) {
  then(async () => {
    try {
      tell({ type: "answer", id, value: await work() });
    } catch (e) {
      tell({ type: "answer", id, error: (e as Error).message });
    }
  });
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  then(async () => {
    scheduled = false;
    await writeQueued();
  });
}

/** Everything queued, in one transaction: batches that arrive while one is written wait for the next. */
async function writeQueued() {
  if (queue.length === 0) return;
  const taken = queue;
  queue = [];
  queuedRows = 0;
  const upTo = taken[taken.length - 1].seq;
  try {
    await log.append(taken.map((t) => t.batch));
    tell({ type: "written", upTo });
  } catch (e) {
    // Kept for the next try, before what arrived meanwhile.
    queue = [...taken, ...queue];
    queuedRows = queue.reduce((n, t) => n + t.batch.length, 0);
    tell({ type: "failed", message: (e as Error).message });
    if (!closing) setTimeout(schedule, 1000);
  }
}

port.on("message", (m: ToLogWriter) => {
  if (m.type === "rows") {
    queue.push(m);
    queuedRows += m.batch.length;
    // While the database cannot be reached, the oldest entries go first past the bound.
    while (queuedRows > maxPending && queue.length > 1) {
      const old = queue.shift()!;
      queuedRows -= old.batch.length;
      tell({ type: "dropped", rows: old.batch.length });
    }
    schedule();
  } else if (m.type === "flush") {
    // Tried now, not at the next retry: a flush answers with what could be written by then.
    answer(m.id, async () => {
      await writeQueued();
      return 0;
    });
  } else if (m.type === "sweep") {
    answer(m.id, () => log.forgetBefore(m.cutoff));
  } else {
    closing = true;
    then(async () => {
      await writeQueued();
      await log.close();
      port.close();
    });
  }
});
