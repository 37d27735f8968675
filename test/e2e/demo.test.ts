import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../src/demo/run-demo.js', import.meta.url));

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(args: readonly string[], timeoutMs: number): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  test('runs the agent service through grpctap, shows the live tail and exits 0', async () => {
    const run = await runDemo(['--rounds', '1'], 60_000);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    const listLines = lines.filter((line) =>
      line.includes('demo.agent.v1.AgentService/ListProcesses'),
    );
    // start, request, response start, 5 processes + summary, end, flow.
    assert.equal(listLines.length, 11, run.stdout);
    assert.match(
      run.stdout,
      /flow demo\.agent\.v1\.AgentService\/ListProcesses stream complete OK req=1 resp=6/,
    );
    assert.match(
      run.stdout,
      /flow demo\.agent\.v1\.AgentService\/Exec bidirectional complete OK req=3 resp=3/,
    );
    assert.match(run.stdout, /flow demo\.agent\.v1\.AgentService\/GetHealth unary complete OK/);
    assert.match(run.stdout, /GetHealth end NOT_FOUND\(5\) .*\(trailers-only\)/);
    assert.ok(!run.stdout.includes('\x1b'), 'no colour with NO_COLOR');
    assert.match(run.stderr, /demo: ListProcesses → 5 processes/);
    assert.match(run.stderr, /demo: done/);

    const created = /created a CA in (\S+)/.exec(run.stderr)?.[1];
    assert.ok(created, 'the demo used a fresh CA');
    assert.ok(!existsSync(dirname(created)), 'the temporary certs directory was removed');
  });

  test('rejects a malformed option with exit code 2', async () => {
    const run = await runDemo(['--rounds', 'many'], 10_000);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--rounds takes a positive integer/);
  });
});
