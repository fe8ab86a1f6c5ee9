/**
 * The seccomp filter every jailed child runs under (bwrap `--seccomp FD`): it may not create
 * a Unix-domain socket.
 *
 * Why: `--unshare-net` takes the network and abstract Unix sockets away, but a socket that
 * is a file (`/run/docker.sock`, the user's D-Bus at `/run/user/UID/bus`, an ssh-agent or
 * gpg-agent socket) stays reachable through the read-only view of `/`, and connecting to one
 * does not need write access. Each of those services would run whatever the child asks
 * outside the jail. `socketpair` (a different system call) still works for stream and
 * seqpacket pairs, so pipes between a child's own processes do; any other pair is refused
 * (a datagram one can send to a socket path: `/dev/log`, journald); `io_uring`, which can create sockets
 * without the `socket` call, is refused too.
 *
 * The program is classic BPF over `struct seccomp_data` (nr at byte 0, arch at 4, the first
 * argument at 16, little-endian), built here because the format is small and fixed: a system
 * call of another ABI (i386 or x32 on x86-64, where the numbers differ) kills the process.
 */

const LD_W_ABS = 0x20;
const AND_K = 0x54;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;

const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EACCES = 13;
const ENOSYS = 38;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
/** The type argument's low bits; SOCK_NONBLOCK and SOCK_CLOEXEC sit above them. */
const SOCK_TYPE_MASK = 0xf;
/** Same number on every Linux architecture (the shared system call table). */
const NR_IO_URING_SETUP = 425;
/** x32 system calls are native numbers with this bit set. */
const X32_SYSCALL_BIT = 0x40000000;

interface Arch {
  /** AUDIT_ARCH_* of the native ABI. */
  audit: number;
  socket: number;
  socketpair: number;
  /** Refuse numbers from this bit up (the x32 ABI on x86-64). */
  foreignFrom?: number;
}

const ARCHES: Readonly<Record<string, Arch>> = {
  x64: { audit: 0xc000003e, socket: 41, socketpair: 53, foreignFrom: X32_SYSCALL_BIT },
  arm64: { audit: 0xc00000b7, socket: 198, socketpair: 199 },
};

type Insn = { code: number; jt?: string; jf?: string; k: number } | { label: string };

/** The filter for `arch` (Node's `process.arch`), or undefined where there is none. */
export function unixSocketFilter(arch: string = process.arch): Buffer | undefined {
  const a = ARCHES[arch];
  if (!a) return undefined;
  const program: Insn[] = [
    { code: LD_W_ABS, k: 4 },
    { code: JEQ_K, k: a.audit, jf: "kill" },
    { code: LD_W_ABS, k: 0 },
    ...(a.foreignFrom === undefined ? [] : [{ code: JGE_K, k: a.foreignFrom, jt: "kill" }]),
    { code: JEQ_K, k: NR_IO_URING_SETUP, jt: "nosys" },
    { code: JEQ_K, k: a.socketpair, jt: "pair" },
    { code: JEQ_K, k: a.socket, jf: "allow" },
    { code: LD_W_ABS, k: 16 },
    { code: JEQ_K, k: AF_UNIX, jt: "refuse", jf: "allow" },
    // A pair is allowed only as streams or seqpackets: a datagram pair (SOCK_DGRAM, or
    // SOCK_RAW, which AF_UNIX turns into one) can send to a socket path with sendto.
    { label: "pair" },
    { code: LD_W_ABS, k: 16 },
    { code: JEQ_K, k: AF_UNIX, jf: "allow" },
    { code: LD_W_ABS, k: 24 },
    { code: AND_K, k: SOCK_TYPE_MASK },
    { code: JEQ_K, k: SOCK_STREAM, jt: "allow" },
    { code: JEQ_K, k: SOCK_SEQPACKET, jt: "allow", jf: "refuse" },
    { label: "allow" },
    { code: RET_K, k: RET_ALLOW },
    { label: "refuse" },
    { code: RET_K, k: RET_ERRNO | EACCES },
    { label: "nosys" },
    { code: RET_K, k: RET_ERRNO | ENOSYS },
    { label: "kill" },
    { code: RET_K, k: RET_KILL_PROCESS },
  ];
  return assemble(program);
}

/** Resolves labels to the relative jumps BPF uses (target = next instruction + offset). */
function assemble(program: readonly Insn[]): Buffer {
  const at = new Map<string, number>();
  let n = 0;
  for (const insn of program) {
    if ("label" in insn) at.set(insn.label, n);
    else n++;
  }
  const out = Buffer.alloc(n * 8);
  let pc = 0;
  for (const insn of program) {
    if ("label" in insn) continue;
    const offset = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined || target <= pc || target - pc - 1 > 255) {
        throw new Error(`seccomp program: bad jump to ${label}`);
      }
      return target - pc - 1;
    };
    out.writeUInt16LE(insn.code, pc * 8);
    out.writeUInt8(offset(insn.jt), pc * 8 + 2);
    out.writeUInt8(offset(insn.jf), pc * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, pc * 8 + 4);
    pc++;
  }
  return out;
}
