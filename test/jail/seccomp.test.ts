/**
 * The jail's seccomp program, run by a small classic-BPF interpreter over `seccomp_data`
 * (the real filter is exercised with bubblewrap in jail.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unixSocketFilter } from "../../src/jail/seccomp.js";

const ALLOW = 0x7fff0000;
const KILL = 0x80000000;
const errno = (n: number) => 0x00050000 | n;

/** Runs the filter the way the kernel does for one system call. */
function verdict(program: Buffer, call: { arch: number; nr: number; args?: number[] }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  for (const [i, a] of (call.args ?? []).entries()) data.writeBigUInt64LE(BigInt(a), 16 + 8 * i);
  let acc = 0;
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) {
      acc = data.readUInt32LE(k);
      pc++;
    } else if (code === 0x54) {
      acc = (acc & k) >>> 0;
      pc++;
    } else if (code === 0x15) pc += 1 + (acc === k ? jt : jf);
    else if (code === 0x35) pc += 1 + (acc >= k ? jt : jf);
    else if (code === 0x06) return k;
    else throw new Error(`unexpected BPF instruction ${code.toString(16)}`);
  }
  throw new Error("the program ran off its end");
}

const X64 = 0xc000003e;
const I386 = 0x40000003;
const ARM64 = 0xc00000b7;

describe("jail seccomp filter", () => {
  it("refuses a Unix-domain socket (docker.sock, D-Bus, ssh-agent) on x86-64 and allows an inet one", () => {
    const p = unixSocketFilter("x64")!;
    assert.equal(verdict(p, { arch: X64, nr: 41, args: [1, 1, 0] }), errno(13));
    assert.equal(verdict(p, { arch: X64, nr: 41, args: [2, 1, 0] }), ALLOW);
    assert.equal(verdict(p, { arch: X64, nr: 41, args: [10, 1, 0] }), ALLOW);
    // socketpair(AF_UNIX) (53) of streams or seqpackets stays allowed: pipes between the
    // child's own processes.
    assert.equal(verdict(p, { arch: X64, nr: 53, args: [1, 1, 0] }), ALLOW);
    assert.equal(verdict(p, { arch: X64, nr: 53, args: [1, 5 | 0o2000000, 0] }), ALLOW);
    assert.equal(verdict(p, { arch: X64, nr: 53, args: [2, 2, 0] }), ALLOW);
    assert.equal(verdict(p, { arch: X64, nr: 0 }), ALLOW);
  });

  it("refuses a datagram socketpair, which can send to a socket path (/dev/log, journald) with sendto", () => {
    for (const [arch, a, nr] of [
      ["x64", X64, 53],
      ["arm64", ARM64, 199],
    ] as const) {
      const p = unixSocketFilter(arch)!;
      assert.equal(verdict(p, { arch: a, nr, args: [1, 2, 0] }), errno(13));
      // SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC
      assert.equal(verdict(p, { arch: a, nr, args: [1, 2 | 0o4000 | 0o2000000, 0] }), errno(13));
      // SOCK_RAW, which AF_UNIX turns into SOCK_DGRAM, and an unknown type
      assert.equal(verdict(p, { arch: a, nr, args: [1, 3, 0] }), errno(13));
      assert.equal(verdict(p, { arch: a, nr, args: [1, 3 | 0o2000000, 0] }), errno(13));
      assert.equal(verdict(p, { arch: a, nr, args: [1, 10, 0] }), errno(13));
    }
  });

  it("refuses io_uring, which can create sockets without the socket call", () => {
    for (const [arch, a] of [
      ["x64", X64],
      ["arm64", ARM64],
    ] as const) {
      assert.equal(verdict(unixSocketFilter(arch)!, { arch: a, nr: 425 }), errno(38));
    }
  });

  it("kills a process that switches to another system-call ABI to get round it (i386, x32)", () => {
    const p = unixSocketFilter("x64")!;
    // i386 socketcall(SYS_SOCKET, …) and x32 socket would carry other numbers.
    assert.equal(verdict(p, { arch: I386, nr: 102, args: [1] }), KILL);
    assert.equal(verdict(p, { arch: X64, nr: 0x40000000 | 41, args: [1] }), KILL);
    assert.equal(verdict(unixSocketFilter("arm64")!, { arch: X64, nr: 41, args: [1] }), KILL);
  });

  it("refuses a Unix-domain socket on arm64 (its own socket number)", () => {
    const p = unixSocketFilter("arm64")!;
    assert.equal(verdict(p, { arch: ARM64, nr: 198, args: [1, 1, 0] }), errno(13));
    assert.equal(verdict(p, { arch: ARM64, nr: 198, args: [2, 1, 0] }), ALLOW);
    assert.equal(verdict(p, { arch: ARM64, nr: 41, args: [1] }), ALLOW);
  });

  it("has no program for an architecture it does not know (the jail then refuses to start)", () => {
    assert.equal(unixSocketFilter("riscv64"), undefined);
    assert.equal(unixSocketFilter("ia32"), undefined);
  });
});
