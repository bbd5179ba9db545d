// The interleaving pass of a transposed convolution computed by phases (ConvTranspose1dKernel.swift):
// output frame r + v·stride is frame v of phase r. AVX-512 for strides 2, 4 and 8; the rest is scalar.
#include "x86.h"

#if C1D_X86
// Full frames [0, frames) for a power-of-two stride ≤ 8, 16 frames of every phase at a time: the phases'
// vectors are merged pairwise (phase r with r + n/2, then those streams likewise), which puts
// phase r's element v at r + v·stride. Returns the frames done.
__attribute__((target("avx512f"), always_inline)) static inline long interleave_pow2_avx512(
    const float *const *phases, long stride, long frames, float fill, float *y) {
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 constant = _mm512_set1_ps(fill);
  long m = 0;
  for (; m + 16 <= frames; m += 16) {
    __m512 v[8], w[8];
    for (long r = 0; r < stride; r++) v[r] = phases[r] ? _mm512_loadu_ps(phases[r] + m) : constant;
    // n streams of `length` vectors each, stream r at v[r·length]; each round halves n.
    for (long n = stride, length = 1; n > 1; n /= 2, length *= 2) {
      long half = n / 2;
      for (long r = 0; r < half; r++) {
        for (long i = 0; i < length; i++) {
          __m512 a = v[r * length + i], b = v[(r + half) * length + i];
          w[2 * (r * length + i)] = _mm512_permutex2var_ps(a, low, b);
          w[2 * (r * length + i) + 1] = _mm512_permutex2var_ps(a, high, b);
        }
      }
      for (long i = 0; i < stride; i++) v[i] = w[i];
    }
    for (long i = 0; i < stride; i++) _mm512_storeu_ps(y + m * stride + 16 * i, v[i]);
  }
  return m;
}

// One function per stride, each with the loop unrolled for it.
__attribute__((target("avx512f"))) static long interleave2_avx512(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx512(p, 2, n, f, y);
}
__attribute__((target("avx512f"))) static long interleave4_avx512(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx512(p, 4, n, f, y);
}
__attribute__((target("avx512f"))) static long interleave8_avx512(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx512(p, 8, n, f, y);
}
#endif

void c1d_f32_interleave__avx512f(const float *const *phases, long stride, long length, float fill, float *y) {
  long done = 0;
#if C1D_X86
  const long full = length / stride;
  if (stride == 2) done = interleave2_avx512(phases, full, fill, y);
  else if (stride == 4) done = interleave4_avx512(phases, full, fill, y);
  else if (stride == 8) done = interleave8_avx512(phases, full, fill, y);
#endif
  c1d_f32_interleave_tail(phases, stride, length, fill, y, done);
}
