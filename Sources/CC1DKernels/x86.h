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

// AVX2 has no two-source permute: its shuffles stay within 128-bit halves, so the halves are swapped
// into place first (or after) with one cross-half permute per vector.

// The even and odd elements of the 16 floats a then b.
__attribute__((target("avx2"))) static inline void deinterleave_avx2(__m256 a, __m256 b, __m256 *even, __m256 *odd) {
  __m256 low = _mm256_permute2f128_ps(a, b, 0x20), high = _mm256_permute2f128_ps(a, b, 0x31);
  *even = _mm256_shuffle_ps(low, high, _MM_SHUFFLE(2, 0, 2, 0));
  *odd = _mm256_shuffle_ps(low, high, _MM_SHUFFLE(3, 1, 3, 1));
}

// a[0], b[0], a[1], b[1], … : the 16 floats as two vectors.
__attribute__((target("avx2"))) static inline void zip_avx2(__m256 a, __m256 b, __m256 *low, __m256 *high) {
  __m256 l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);
  *low = _mm256_permute2f128_ps(l, h, 0x20);
  *high = _mm256_permute2f128_ps(l, h, 0x31);
}

// v moved one lane down, `next` entering at the top: v[1], …, v[7], next.
__attribute__((target("avx2"))) static inline __m256 shift_in_avx2(__m256 v, const float *next) {
  const __m256i down = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
  return _mm256_blend_ps(_mm256_permutevar8x32_ps(v, down), _mm256_broadcast_ss(next), 0x80);
}

// Lanes [0, n) set (none for n <= 0, all for n >= 8; n fits an int): the mask of _mm256_maskload_ps /
// _mm256_maskstore_ps for a tail, which AVX2 has instead of AVX-512's mask registers.
__attribute__((target("avx2"))) static inline __m256i tail_mask256(long n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

#endif
