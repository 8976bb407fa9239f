import fs, { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyToNewFile, writeAtomically, writeStats } from '../../src/formats/atomic-write.js';
import { replaceDirectory } from '../../src/formats/coreml/write-package.js';
import { ByteSource } from '../../src/formats/wire/source.js';
import { tempDir } from '../helpers/tmp.js';

describe('flushing to disk', () => {
  it('flushes the bytes that replace an existing file, not those of a new file (as cp)', () => {
    const out = join(tempDir(), 'out.bin');
    const before = writeStats.flushed;
    writeAtomically(out, [new Uint8Array([1, 2, 3])]);
    expect(writeStats.flushed).toBe(before);
    writeAtomically(out, [new Uint8Array([4, 5])]);
    expect(writeStats.flushed).toBe(before + 1);
    expect([...readFileSync(out)]).toEqual([4, 5]);
  });

  it('flushes every file of a package that replaces another, none of one that is new', () => {
    const dir = tempDir();
    const made = (name: string): string => {
      const d = join(dir, name);
      mkdirSync(join(d, 'Data'), { recursive: true });
      writeFileSync(join(d, 'Manifest.json'), '{}');
      writeFileSync(join(d, 'Data', 'model.mlmodel'), 'spec');
      return d;
    };
    const dest = join(dir, 'm.mlpackage');
    const before = writeStats.flushed;
    replaceDirectory(made('first'), dest, 'Manifest.json');
    expect(writeStats.flushed).toBe(before);
    replaceDirectory(made('second'), dest, 'Manifest.json');
    expect(writeStats.flushed).toBe(before + 2);
    expect(readFileSync(join(dest, 'Data', 'model.mlmodel'), 'utf8')).toBe('spec');
  });
});

describe('writing an output that is one input file whole', () => {
  it('copies it, with the new file getting the default mode rather than the source\'s', () => {
    const dir = tempDir();
    const src = join(dir, 'in.bin');
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    writeFileSync(src, data);
    chmodSync(src, 0o600);
    const fresh = join(dir, 'fresh.bin');
    writeFileSync(fresh, '');
    const defaultMode = statSync(fresh).mode & 0o777;
    const source = ByteSource.fromFile(src);
    try {
      const out = join(dir, 'out.bin');
      // The kernel copies it: none of its bytes pass through the source's reads.
      const before = ByteSource.bytesReadFromFiles;
      writeAtomically(out, [{ source, offset: 0, length: source.size }]);
      expect(ByteSource.bytesReadFromFiles).toBe(before);
      expect(Buffer.compare(readFileSync(out), Buffer.from(data))).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(defaultMode);
      // An existing file keeps its permissions.
      chmodSync(out, 0o640);
      writeAtomically(out, [{ source, offset: 0, length: source.size }]);
      expect(statSync(out).mode & 0o777).toBe(0o640);
      expect(Buffer.compare(readFileSync(out), Buffer.from(data))).toBe(0);
      // Part of a file, or a file with bytes around it, goes through the copy loop.
      const copied = ByteSource.bytesReadFromFiles;
      writeAtomically(out, [new Uint8Array([1, 2]), { source, offset: 0, length: source.size }]);
      expect(readFileSync(out).length).toBe(data.length + 2);
      expect(ByteSource.bytesReadFromFiles - copied).toBe(data.length);
      writeAtomically(out, [{ source, offset: 10, length: 100 }]);
      expect(Buffer.compare(readFileSync(out), Buffer.from(data.subarray(10, 110)))).toBe(0);
    } finally {
      source.close();
    }
  });

  it('has the copy create its file, never empty one that is there (on ext4 that would write it out at close)', () => {
    const dir = tempDir();
    const src = join(dir, 'in.bin');
    writeFileSync(src, 'new bytes');
    const there = join(dir, 'there.bin');
    writeFileSync(there, 'old bytes');
    expect(() => copyToNewFile(src, there)).toThrow(/EEXIST/);
    expect(readFileSync(there, 'utf8')).toBe('old bytes');
    const made = join(dir, 'made.bin');
    copyToNewFile(src, made);
    expect(readFileSync(made, 'utf8')).toBe('new bytes');
  });

  it('copies a whole file into place through that exclusive copy, for a new file and a replaced one', () => {
    const dir = tempDir();
    const src = join(dir, 'in.bin');
    writeFileSync(src, 'whole input');
    // Every copyFileSync of the process is seen (ES imports of node:fs follow the module object).
    const modes: (number | undefined)[] = [];
    const real = fs.copyFileSync;
    fs.copyFileSync = ((from: string, to: string, mode?: number) => {
      modes.push(mode);
      real(from, to, mode);
    }) as typeof fs.copyFileSync;
    syncBuiltinESMExports();
    const source = ByteSource.fromFile(src);
    try {
      const out = join(dir, 'out.bin');
      writeAtomically(out, [{ source, offset: 0, length: source.size }]);
      writeAtomically(out, [{ source, offset: 0, length: source.size }]);
      expect(readFileSync(out, 'utf8')).toBe('whole input');
    } finally {
      source.close();
      fs.copyFileSync = real;
      syncBuiltinESMExports();
    }
    expect(modes).toEqual([fs.constants.COPYFILE_EXCL, fs.constants.COPYFILE_EXCL]);
  });
});
