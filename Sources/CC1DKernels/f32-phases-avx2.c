// The phase split of a strided convolution's row: stride 2 in AVX2; the rest is scalar.
#include "x86.h"

#if C1D_X86
// Stride 2 only, 16 elements at a time; returns how many it split.
__attribute__((target("avx2,fma"))) static long split_pairs(const float *x, long length, float *even, float *odd) {
  long i = 0;
  for (; i + 16 <= length; i += 16) {
    __m256 e, o;
    deinterleave_avx2(_mm256_loadu_ps(x + i), _mm256_loadu_ps(x + i + 8), &e, &o);
    _mm256_storeu_ps(even + i / 2, e);
    _mm256_storeu_ps(odd + i / 2, o);
  }
  return i;
}

__attribute__((target("avx2,fma"))) void c1d_f32_phases__avx2(const float *x, long length, long stride,
                                                               long phase_length, float *y) {
  long done = stride == 2 ? split_pairs(x, length, y, y + phase_length) : 0;
  c1d_f32_phases_tail(x, length, stride, phase_length, y, done);
}
#endif
