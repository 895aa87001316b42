// `npm run render`: the parent only orchestrates; the work happens in a child Node process.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const child = spawn(process.execPath, [path.join(__dirname, 'render-worker.js'), '3000'], { stdio: 'inherit' });
child.on('exit', (code) => {
  console.log(`render worker finished with code ${code}`);
  process.exitCode = code ?? 1;
});
