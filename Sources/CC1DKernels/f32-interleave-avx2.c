// The interleaving pass of a transposed convolution computed by phases (ConvTranspose1dKernel.swift):
// output frame r + v·stride is frame v of phase r. AVX2 for strides 2, 4 and 8; the rest is scalar.
#include "x86.h"

#if C1D_X86
// Full frames [0, frames) for a power-of-two stride ≤ 8, 8 frames of every phase at a time: the phases'
// vectors are zipped pairwise (phase r with r + n/2, then those streams likewise), which puts phase r's
// element v at r + v·stride. Returns the frames done.
__attribute__((target("avx2,fma"), always_inline)) static inline long interleave_pow2_avx2(
    const float *const *phases, long stride, long frames, float fill, float *y) {
  const __m256 constant = _mm256_set1_ps(fill);
  long m = 0;
  for (; m + 8 <= frames; m += 8) {
    __m256 v[8], w[8];
    for (long r = 0; r < stride; r++) v[r] = phases[r] ? _mm256_loadu_ps(phases[r] + m) : constant;
    // n streams of `length` vectors each, stream r at v[r·length]; each round halves n.
    for (long n = stride, length = 1; n > 1; n /= 2, length *= 2) {
      long half = n / 2;
      for (long r = 0; r < half; r++) {
        for (long i = 0; i < length; i++) {
          long k = r * length + i;
          zip_avx2(v[k], v[(r + half) * length + i], &w[2 * k], &w[2 * k + 1]);
        }
      }
      for (long i = 0; i < stride; i++) v[i] = w[i];
    }
    for (long i = 0; i < stride; i++) _mm256_storeu_ps(y + m * stride + 8 * i, v[i]);
  }
  return m;
}

// One function per stride, each with the loop unrolled for it.
__attribute__((target("avx2,fma"))) static long interleave2_avx2(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx2(p, 2, n, f, y);
}
__attribute__((target("avx2,fma"))) static long interleave4_avx2(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx2(p, 4, n, f, y);
}
__attribute__((target("avx2,fma"))) static long interleave8_avx2(const float *const *p, long n, float f, float *y) {
  return interleave_pow2_avx2(p, 8, n, f, y);
}

__attribute__((target("avx2,fma"))) void c1d_f32_interleave__avx2(const float *const *phases, long stride,
                                                                   long length, float fill, float *y) {
  const long full = length / stride;
  long done = 0;
  if (stride == 2) done = interleave2_avx2(phases, full, fill, y);
  else if (stride == 4) done = interleave4_avx2(phases, full, fill, y);
  else if (stride == 8) done = interleave8_avx2(phases, full, fill, y);
  c1d_f32_interleave_tail(phases, stride, length, fill, y, done);
}
#endif
