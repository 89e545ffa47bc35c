// libmlp -> ONNX -> ONNX Runtime: every model that `onnx_check export DIR` wrote (a table
// model among them, fed the rows mlp_model_table_inputs encoded) runs in
// ONNX Runtime (onnxruntime-node) and gives libmlp's outputs within 1e-5, relative to the
// largest output of the model: max |ort - libmlp| <= 1e-5 * max(max |libmlp|, 1e-3).
//   node ort_check.js DIR ORT_DIR    (ORT_DIR holds node_modules/onnxruntime-node)
// Exits 77 when onnxruntime-node cannot be loaded.
'use strict';
const fs = require('fs');
const path = require('path');
const [dir, ortDir] = process.argv.slice(2);
let ort;
try {
  ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  console.log(`onnxruntime-node not found in ${ortDir} (${e.message.split('\n')[0]}): skipped`);
  process.exit(77);
}
const readFloats = (f) => {
  const b = fs.readFileSync(f);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
(async () => {
  const lines = fs.readFileSync(path.join(dir, 'manifest.txt'), 'utf8').trim().split('\n');
  let failed = 0, worst = 0;
  for (const line of lines) {
    const [name, n, n0, nl] = line.split(' ').map((v, i) => (i ? Number(v) : v));
    const x = readFloats(path.join(dir, name + '.in.f32'));
    const want = readFloats(path.join(dir, name + '.out.f32'));
    const session = await ort.InferenceSession.create(path.join(dir, name + '.onnx'),
                                                      {intraOpNumThreads: 1});
    const got = (await session.run({input: new ort.Tensor('float32', x, [n, n0])})).output;
    let diff = 0, scale = 1e-3;
    for (let i = 0; i < want.length; i++) {
      diff = Math.max(diff, Math.abs(got.data[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    const rel = diff / scale;
    worst = Math.max(worst, rel);
    const ok = got.dims[0] === n && got.dims[1] === nl && rel <= 1e-5;
    if (!ok) failed++;
    if (!ok || process.env.VERBOSE) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: relative error ${rel.toExponential(2)}`);
  }
  const version = require(path.join(ortDir, 'node_modules', 'onnxruntime-node', 'package.json')).version;
  console.log(`${lines.length - failed}/${lines.length} libmlp models agree with ONNX Runtime ${version} (worst relative error ${worst.toExponential(2)})`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
