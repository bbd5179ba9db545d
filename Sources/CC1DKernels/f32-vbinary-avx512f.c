#include "x86.h"

#if C1D_X86
#define T512 __attribute__((target("avx512f,avx512dq,fma")))

T512 void c1d_f32_vbinary__avx512f(int product, float *y, const float *other, long count) {
  long i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 a = _mm512_loadu_ps(y + i), b = _mm512_loadu_ps(other + i);
    _mm512_storeu_ps(y + i, product ? _mm512_mul_ps(a, b) : _mm512_add_ps(a, b));
  }
  if (i < count) {
    __mmask16 m = tail_mask512(count - i);
    __m512 a = _mm512_maskz_loadu_ps(m, y + i), b = _mm512_maskz_loadu_ps(m, other + i);
    _mm512_mask_storeu_ps(y + i, m, product ? _mm512_mul_ps(a, b) : _mm512_add_ps(a, b));
  }
}
#endif

