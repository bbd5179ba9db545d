// The interleaving pass of a transposed convolution computed by phases (ConvTranspose1dKernel.swift):
// output frame r + v·stride is frame v of phase r.
#include "c1d_kernels.h"
#include "internal.h"

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

void c1d_interleave_phases(c1d_isa isa, const float *const *phases, long stride, long length, float fill, float *y) {
  long full = length / stride;  // frames every phase has
  long m = 0;
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    if (stride == 2) m = interleave2_avx512(phases, full, fill, y);
    else if (stride == 4) m = interleave4_avx512(phases, full, fill, y);
    else if (stride == 8) m = interleave8_avx512(phases, full, fill, y);
  }
#endif
  // Blocks of 64 frames: the block's outputs stay in L1 while each phase writes its lanes of them.
  for (long m0 = m; m0 < full; m0 += 64) {
    long end = m0 + 64 < full ? m0 + 64 : full;
    for (long r = 0; r < stride; r++) {
      const float *p = phases[r];
      float *out = y + r;
      if (p) {
        for (long v = m0; v < end; v++) out[v * stride] = p[v];
      } else {
        for (long v = m0; v < end; v++) out[v * stride] = fill;
      }
    }
  }
  // The last, partial frame: the phases below length − full·stride.
  for (long t = full * stride; t < length; t++) {
    const float *p = phases[t - full * stride];
    y[t] = p ? p[full] : fill;
  }
}
