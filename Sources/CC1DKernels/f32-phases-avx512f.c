#include "x86.h"

#if C1D_X86
// Stride 2 only, 32 elements at a time; returns how many it split.
__attribute__((target("avx512f"))) static long split_pairs(const float *x, long length, float *even, float *odd) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long i = 0;
  for (; i + 32 <= length; i += 32) {
    __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    _mm512_storeu_ps(even + i / 2, _mm512_permutex2var_ps(a, evens, b));
    _mm512_storeu_ps(odd + i / 2, _mm512_permutex2var_ps(a, odds, b));
  }
  return i;
}

void c1d_f32_phases__avx512f(const float *x, long length, long stride, long phase_length, float *y) {
  long done = stride == 2 ? split_pairs(x, length, y, y + phase_length) : 0;
  c1d_f32_phases_tail(x, length, stride, phase_length, y, done);
}
#endif
