// Included by the x86 kernel files and config.c (they compile to nothing elsewhere): the one test for
// x86, and helpers shared by the AVX-512 and AVX2 files.
#ifndef C1D_X86_H
#define C1D_X86_H

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C1D_X86 1
#endif

#if C1D_X86
// Permute indices picking the even / odd elements of two concatenated vectors.
__attribute__((target("avx512f"))) static inline __m512i even_lanes(void) {
  return _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
__attribute__((target("avx512f"))) static inline __m512i odd_lanes(void) {
  return _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

// Stores even[0], odd[0], even[1], odd[1], … : 32 outputs at y.
__attribute__((target("avx512f"))) static inline void store_interleaved(float *y, __m512 even, __m512 odd) {
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  _mm512_storeu_ps(y, _mm512_permutex2var_ps(even, low, odd));
  _mm512_storeu_ps(y + 16, _mm512_permutex2var_ps(even, high, odd));
}

// Lanes [0, n) set, n < 8: the mask of _mm256_maskload_ps / _mm256_maskstore_ps for a tail, which AVX2
// has instead of AVX-512's mask registers.
__attribute__((target("avx2"))) static inline __m256i tail_mask256(long n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

#endif
