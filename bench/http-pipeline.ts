// A lean HTTP/1.1 load driver for bench:api, in the manner of wrk: keep-alive connections, each
// with a fixed number of pipelined requests in flight, requests encoded up front and written in
// one write per connection per turn, responses framed by Content-Length only. A load process
// that spends less CPU per request leaves more of this 2-core machine to the server it measures.
import { connect, type Socket } from "node:net";

export interface PipelineResult {
  /** Latency of each completed request (ms), sorted ascending. */
  latencies: Float64Array;
  count: number;
  /** Count of responses by status code, for every status ≥ 300. */
  failures: Map<number, number>;
}

export interface PipelineJob {
  host: string;
  port: number;
  connections: number;
  pipelining: number;
  /** Requests to send (at most this many), spread over the connections by index modulo their count. */
  total: number;
  /** performance.now() after which no new request starts. */
  until: number;
  /** The complete request bytes (request line, headers, body) of request i. */
  request: (i: number) => Buffer;
  /** Called with the body of every `sampleEvery`-th response, for spot checks. */
  sample?: (body: Buffer) => void;
  sampleEvery?: number;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = "content-length:";

/** Encodes a request with a body (POST) or without (GET). */
export function encodeRequest(
  method: string,
  path: string,
  host: string,
  body?: Uint8Array,
  type = "application/octet-stream",
): Buffer {
  const head =
    `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n` +
    (body ? `content-type: ${type}\r\ncontent-length: ${body.length}\r\n` : "") +
    "\r\n";
  return body ? Buffer.concat([Buffer.from(head, "latin1"), body]) : Buffer.from(head, "latin1");
}

export async function runPipeline(job: PipelineJob): Promise<PipelineResult> {
  const latencies = new Float64Array(Math.min(job.total, 5_000_000));
  const failures = new Map<number, number>();
  let done = 0;

  // Connection c sends requests c, c + connections, c + 2·connections… in order: whatever shares
  // a residue (one sender's txs, when connections divides the number of senders) stays in order.
  const runConnection = (c: number): Promise<void> =>
    new Promise((resolve, reject) => {
      let next = c;
      const take = (): number => {
        if (next >= job.total || performance.now() >= job.until) return -1;
        const i = next;
        next += job.connections;
        return i;
      };
      const socket: Socket = connect({ host: job.host, port: job.port, noDelay: true });
      const started: number[] = [];
      const ids: number[] = [];
      let pending: Buffer = Buffer.alloc(0);
      let finished = false;
      const fill = () => {
        const batch: Buffer[] = [];
        while (started.length < job.pipelining) {
          const i = take();
          if (i < 0) break;
          batch.push(job.request(i));
          started.push(performance.now());
          ids.push(i);
        }
        if (batch.length > 0) socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
        else if (started.length === 0 && !finished) {
          finished = true;
          socket.end();
          resolve();
        }
      };
      socket.on("connect", fill);
      socket.on("error", (err) => (finished ? undefined : reject(err)));
      socket.on("data", (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let offset = 0;
        for (;;) {
          const end = pending.indexOf(HEADER_END, offset);
          if (end < 0) break;
          const head = pending.toString("latin1", offset, end);
          const status = Number(head.slice(9, 12));
          const at = head.toLowerCase().indexOf(CONTENT_LENGTH);
          const length = at < 0 ? 0 : Number.parseInt(head.slice(at + CONTENT_LENGTH.length), 10);
          const bodyStart = end + HEADER_END.length;
          if (pending.length < bodyStart + length) break;
          const id = ids.shift()!;
          latencies[done++] = performance.now() - started.shift()!;
          if (status >= 300) failures.set(status, (failures.get(status) ?? 0) + 1);
          if (job.sample && id % (job.sampleEvery ?? 1000) === 0)
            job.sample(pending.subarray(bodyStart, bodyStart + length));
          offset = bodyStart + length;
        }
        pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
        fill();
      });
    });

  await Promise.all(Array.from({ length: job.connections }, (_, c) => runConnection(c)));
  return { latencies: latencies.slice(0, done).sort(), count: done, failures };
}
