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

// Rows r[0..7] become columns: afterwards r[k] holds element k of every input row.
__attribute__((target("avx"))) static inline void transpose_8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
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

// Lanes [0, n) of 16 set (none for n <= 0, all for n >= 16): an AVX-512 tail's mask register.
static inline __mmask16 tail_mask512(long n) {
  return n <= 0 ? (__mmask16)0 : n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}
#endif

#endif
