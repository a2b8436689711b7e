#!/usr/bin/env node
/* ONNX Runtime side of bench-net: the reference model exported by ort_export.py, on the CPU, driven over
 * stdin with torch_bench.py's protocol.
 *
 *   node ort_bench.js ORT_DIR MODEL.onnx
 *
 * ORT_DIR holds node_modules/onnxruntime-node (npm install --ignore-scripts onnxruntime-node: its install
 * script fetches from outside, and the CPU binary is in the package). Prints one line describing ONNX
 * Runtime, then answers one line per command:
 *
 *   size S CONTENT REF   load planar float32 3 x S x S inputs from raw files     -> "ok"
 *   run T                one forward with T intra-op threads (a session each T)  -> seconds
 *   save OUT             write the last output as raw planar float32 to OUT      -> "ok"
 *   rss                  this process's peak resident set size                   -> kB
 */
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');

function fail(message) {
  process.stderr.write(`ort_bench: ${message}\n`);
  process.exit(1);
}

function readImage(ort, file, size) {
  const bytes = fs.readFileSync(file);
  if (bytes.length !== 3 * size * size * 4)
    fail(`${file} holds ${bytes.length / 4} floats, not 3 x ${size} x ${size}`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return new ort.Tensor('float32', data, [1, 3, size, size]);
}

async function main(argv) {
  if (argv.length !== 2)
    fail('usage: node ort_bench.js ORT_DIR MODEL.onnx');
  let ort;
  try {
    ort = require(path.resolve(argv[0], 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail(`no onnxruntime-node under ${argv[0]} (${e.message.split('\n')[0]})`);
  }
  const model = fs.readFileSync(argv[1]);
  const sessions = new Map();
  let feeds = null, output = null;

  async function session(threads) {
    if (!sessions.has(threads))
      sessions.set(threads, await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential',
        intraOpNumThreads: threads, interOpNumThreads: 1,
        /* its threads spin through a run as they would, but not past it: an idle peer's spinning
         * would take a core from the engine's next run */
        extra: { session: { force_spinning_stop: '1' } },
      }));
    return sessions.get(threads);
  }

  await session(1);   /* fails here, before the first line, if the model does not load */
  console.log(`ONNX Runtime ${ort.env.versions.node} (onnxruntime-node, CPU), node ${process.versions.node}`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    let reply;
    if (cmd === 'size') {
      const size = parseInt(args[0], 10);
      feeds = { content: readImage(ort, args[1], size), ref: readImage(ort, args[2], size) };
      reply = 'ok';
    } else if (cmd === 'run') {
      const s = await session(parseInt(args[0], 10));
      const start = process.hrtime.bigint();
      output = (await s.run(feeds)).output;
      reply = (Number(process.hrtime.bigint() - start) * 1e-9).toFixed(6);
    } else if (cmd === 'save') {
      fs.writeFileSync(args[0], Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength));
      reply = 'ok';
    } else if (cmd === 'rss') {
      reply = String(process.resourceUsage().maxRSS);
    } else {
      fail(`unknown command ${JSON.stringify(cmd)}`);
    }
    console.log(reply);
  }
}

main(process.argv.slice(2)).catch((e) => fail(e.message));
