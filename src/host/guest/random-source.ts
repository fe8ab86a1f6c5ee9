/**
 * `Math.random`, seeded by the host for every run.
 *
 * QuickJS seeds its own generator from the clock when a context is created. A run's context
 * may be restored from the prepared image of a context made earlier (engine/prelude-image.ts),
 * which would replay one sequence in every run; so the guest gets its own generator
 * (xoshiro128**, not for cryptography), seeded from the host's CSPRNG when the host claims
 * the prelude's internals, before any script code runs.
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
// biome-ignore lint/complexity/noUselessStringRaw: guest source stays raw so any escape reaches the guest unchanged
export const RANDOM_SOURCE = String.raw`
  // ---- Math.random (seeded per run by claim) ----
  let random0 = 1;
  let random1 = 0;
  let random2 = 0;
  let random3 = 0;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next32 = () => {
    const result = MathImul(rotl(MathImul(random1, 5), 7), 9) >>> 0;
    const t = random1 << 9;
    random2 ^= random0;
    random3 ^= random1;
    random1 ^= random2;
    random0 ^= random3;
    random2 ^= t;
    random3 = rotl(random3, 11);
    return result;
  };
  const seedRandom = (s0, s1, s2, s3) => {
    random0 = s0 | 0;
    random1 = s1 | 0;
    random2 = s2 | 0;
    random3 = s3 | 0;
    if ((random0 | random1 | random2 | random3) === 0) random0 = 1;
  };
  // A method, like the native one: no prototype, not a constructor, 53 random bits.
  const randomMethod = { random() { return ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992; } }.random;
  ObjectDefineProperty(MathObject, "random", hidden(randomMethod));
`;
