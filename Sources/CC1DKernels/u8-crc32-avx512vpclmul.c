// gzip's CRC-32 of whole 64-byte blocks by folding 256 bytes at a time with VPCLMULQDQ on 512-bit vectors:
// four 64×64-bit carryless products an instruction, where the libdeflate Debian 12 ships (1.14) folds
// 128 bits at a time (crc32_x86_pclmul_avx). The folding, its multipliers and the final Barrett reduction
// are libdeflate's own, from its later lib/x86/crc32_pclmul_template.h and lib/crc32_multipliers.h
// (MIT, Copyright 2016 Eric Biggers), at VL = 64 with four accumulators; the caller hands the rest to
// libdeflate_crc32 (Zlib.crc32).
#include "c1d_decode.h"
#include "x86.h"

#if C1D_X86
#define T_CRC __attribute__((target("avx512f,avx512bw,avx512vl,vpclmulqdq,pclmul,sse4.1")))

// x^n mod G(x), n as named (libdeflate's CRC32_X<n>_MODG), and its Barrett constants.
#define X95 0xccaa009eLL
#define X159 0xae689191LL
#define X223 0x81256527LL
#define X287 0xf1da05aaLL
#define X479 0x1d9513d7LL
#define X543 0x8f352d95LL
#define X991 0x910eeec1LL
#define X1055 0x33fff533LL
#define X2015 0xe95c1271LL
#define X2079 0xce3371cbLL
static const uint64_t barrett_quotient = 0xb4e5b025f7011641ULL;  // floor(x^95 / G(x))
static const uint64_t generator = 0x00000001db710641ULL;         // G(x)

// dst ^ src folded across the distance `mults` were made for (vpternlog 0x96: a three-way XOR).
T_CRC static inline __m512i fold512(__m512i src, __m512i dst, __m512i mults) {
  return _mm512_ternarylogic_epi32(_mm512_clmulepi64_epi128(src, mults, 0x00), _mm512_clmulepi64_epi128(src, mults, 0x11),
                                   dst, 0x96);
}

T_CRC static inline __m256i fold256(__m256i src, __m256i dst, __m256i mults) {
  return _mm256_ternarylogic_epi32(_mm256_clmulepi64_epi128(src, mults, 0x00), _mm256_clmulepi64_epi128(src, mults, 0x11),
                                   dst, 0x96);
}

T_CRC static inline __m128i fold128(__m128i src, __m128i dst, __m128i mults) {
  dst = _mm_xor_si128(dst, _mm_clmulepi64_si128(src, mults, 0x00));
  return _mm_xor_si128(dst, _mm_clmulepi64_si128(src, mults, 0x11));
}

T_CRC static uint32_t crc32_blocks(uint32_t crc, const uint8_t *p, size_t blocks) {
  const __m512i mults_4v = _mm512_set_epi64(X2015, X2079, X2015, X2079, X2015, X2079, X2015, X2079);
  const __m512i mults_2v = _mm512_set_epi64(X991, X1055, X991, X1055, X991, X1055, X991, X1055);
  const __m512i mults_1v = _mm512_set_epi64(X479, X543, X479, X543, X479, X543, X479, X543);
  const __m256i mults_256b = _mm256_set_epi64x(X223, X287, X223, X287);
  const __m128i mults_128b = _mm_set_epi64x(X95, X159);
  const __m128i barrett = _mm_set_epi64x((long long)generator, (long long)barrett_quotient);
  size_t len = blocks * 64;
  __m512i v0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)~crc)));
  __m512i v1 = _mm512_loadu_si512(p + 64), v2 = _mm512_loadu_si512(p + 128), v3 = _mm512_loadu_si512(p + 192);
  p += 256;
  len -= 256;
  for (; len >= 256; p += 256, len -= 256) {
    v0 = fold512(v0, _mm512_loadu_si512(p), mults_4v);
    v1 = fold512(v1, _mm512_loadu_si512(p + 64), mults_4v);
    v2 = fold512(v2, _mm512_loadu_si512(p + 128), mults_4v);
    v3 = fold512(v3, _mm512_loadu_si512(p + 192), mults_4v);
  }
  v0 = fold512(v0, v2, mults_2v);
  v1 = fold512(v1, v3, mults_2v);
  if (len & 128) {
    v0 = fold512(v0, _mm512_loadu_si512(p), mults_2v);
    v1 = fold512(v1, _mm512_loadu_si512(p + 64), mults_2v);
    p += 128;
  }
  v0 = fold512(v0, v1, mults_1v);
  if (len & 64) v0 = fold512(v0, _mm512_loadu_si512(p), mults_1v);
  __m256i y0 = fold256(_mm512_extracti64x4_epi64(v0, 0), _mm512_extracti64x4_epi64(v0, 1), mults_256b);
  __m128i x0 = fold128(_mm256_extracti128_si256(y0, 0), _mm256_extracti128_si256(y0, 1), mults_128b);
  // The 128-bit remainder times x^32, reduced modulo G (Barrett): the CRC.
  x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, mults_128b, 0x10), _mm_bsrli_si128(x0, 8));
  __m128i x1 = _mm_clmulepi64_si128(x0, barrett, 0x00);
  x1 = _mm_clmulepi64_si128(x1, barrett, 0x10);
  x0 = _mm_xor_si128(x0, x1);
  return ~(uint32_t)_mm_extract_epi32(x0, 2);
}
#endif

int c1d_crc32_blocks_available(void) {
#if C1D_X86
  return c1d_x86_has_avx512_vpclmulqdq();
#else
  return 0;
#endif
}

uint32_t c1d_crc32_blocks(uint32_t crc, const uint8_t *p, size_t blocks) {
#if C1D_X86
  if (blocks >= 4 && c1d_x86_has_avx512_vpclmulqdq()) return crc32_blocks(crc, p, blocks);
#endif
  (void)p;
  (void)blocks;
  return crc;
}
