#include "x86.h"

#if C1D_X86
#define T256 __attribute__((target("avx2,fma")))

T256 void c1d_f32_vbinary__avx2(int product, float *y, const float *other, long count) {
  long i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 a = _mm256_loadu_ps(y + i), b = _mm256_loadu_ps(other + i);
    _mm256_storeu_ps(y + i, product ? _mm256_mul_ps(a, b) : _mm256_add_ps(a, b));
  }
  if (i < count) {
    __m256i m = tail_mask256(count - i);
    __m256 a = _mm256_maskload_ps(y + i, m), b = _mm256_maskload_ps(other + i, m);
    _mm256_maskstore_ps(y + i, m, product ? _mm256_mul_ps(a, b) : _mm256_add_ps(a, b));
  }
}
#endif
