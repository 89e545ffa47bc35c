// mlp-bench's ONNX Runtime peer (bench/ort_peer.c drives it over stdin/stdout):
//   node ort_bench.js --serve ORT_DIR     prints "ORT <version>", then answers
//   CASE PATH N0 BATCH MAXTHREADS   one InferenceSession per intra-op thread count
//                                   1..MAXTHREADS on the ONNX file; "OK" or "ERR why"
//   WINDOW THREADS SECONDS          runs the batch (random inputs) for SECONDS with that
//                                   session; "SAMPLES n"
// Each run is awaited before the next (session.run is asynchronous in onnxruntime-node):
// what a Node caller of ONNX Runtime gets, its binding's per-call cost included.
'use strict';
const path = require('path');
const readline = require('readline');
const ortDir = process.argv[3];
let ort;
try {
  ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  process.exit(77);
}
const version = require(path.join(ortDir, 'node_modules', 'onnxruntime-node', 'package.json')).version;
console.log('ORT ' + version);

let sessions = [], feeds = null, batch = 0;
(async () => {
  const rl = readline.createInterface({input: process.stdin});
  for await (const line of rl) {
    const f = line.trim().split(/\s+/);
    try {
      if (f[0] === 'CASE') {
        const [file, n0, b, maxThreads] = [f[1], Number(f[2]), Number(f[3]), Number(f[4])];
        sessions = [];
        for (let k = 1; k <= maxThreads; k++)
          sessions[k] = await ort.InferenceSession.create(file, {
            intraOpNumThreads: k, interOpNumThreads: 1, graphOptimizationLevel: 'all'});
        const x = new Float32Array(b * n0);
        for (let i = 0; i < x.length; i++) x[i] = Math.random();
        feeds = {input: new ort.Tensor('float32', x, [b, n0])};
        batch = b;
        await sessions[1].run(feeds);
        console.log('OK');
      } else if (f[0] === 'WINDOW') {
        const s = sessions[Number(f[1])], ms = Number(f[2]) * 1000;
        let n = 0;
        const t0 = performance.now();
        do {
          await s.run(feeds);
          n += batch;
        } while (performance.now() - t0 < ms);
        console.log('SAMPLES ' + n);
      } else {
        console.log('ERR unknown command');
      }
    } catch (e) {
      console.log('ERR ' + String(e.message || e).split('\n')[0]);
    }
  }
})();
